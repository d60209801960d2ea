"""A mixed run: ``--live --use-mock=ScriptProducer,TextToMusicProducer`` with the fake servers.

The live jobs go through the real OpenAI and Replicate plugins and their official SDKs to the
loopback fakes (pointed at by ``OPENAI_BASE_URL`` / ``REPLICATE_BASE_URL``); the manifest
records, for every artefact, whether it was mocked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("tutopanda_provider_mock")
pytest.importorskip("tutopanda_provider_openai")
pytest.importorskip("tutopanda_provider_replicate")

from tutopanda_providers_testing.fake_openai import FakeOpenAIServer
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer
from tutopanda_providers_testing.keys import (
    CANARY_OPENAI_KEY,
    CANARY_REPLICATE_TOKEN,
)

PLAN = """
[plan]
title = "Tides, mixed"

[jobs.script]
producer = "ScriptProducer"
inputs = { topic = "Why are there two tides a day?", segments = 1, duration_seconds = 10 }

[jobs.prompts]
producer = "PromptProducer"
inputs.segments = "${script.segments}"
inputs.targets = [{ target = "image" }, { target = "video", durations_seconds = [5] }]

[jobs.narration]
producer = "AudioProducer"
inputs.text = "${script.segments[0].narration}"

[jobs.image]
producer = "TextToImageProducer"
inputs.prompt = "${prompts.prompts[target=image].prompt}"

[jobs.video]
producer = "TextToVideoProducer"
inputs.prompt = "${prompts.prompts[target=video].prompt}"
inputs.duration_seconds = 5

[jobs.music]
producer = "TextToMusicProducer"
inputs.prompt = "calm ocean ambience"
inputs.duration_seconds = 10
"""


def prompts_for_the_asked_pairs(body: dict[str, Any]) -> str:
    """What gpt-5-mini answers on the fake: a prompt for every (segment, target) asked.

    The fake's generic JSON fits the schema but cannot know which pairs the prompt producer
    asked for; the request carries the segments (JSON after the first line of the input) and
    the targets (``- name: ...`` lines of the instructions).
    """
    batch = json.loads(body["input"].split("\n", 1)[1])
    targets = [
        line[2:].split(":", 1)[0]
        for line in body["instructions"].splitlines()
        if line.startswith("- ")
    ]
    prompts = [
        {
            "segment_index": segment["index"],
            "target": target,
            "prompt": f"{target} for {segment['title']}: {segment['narration']}",
            "negative_prompt": None,
            "aspect_ratio": "16:9",
            "duration_seconds": 5.0,
        }
        for segment in batch
        for target in targets
    ]
    return json.dumps({"prompts": prompts})


@pytest.fixture
def fakes() -> Iterator[tuple[FakeReplicateServer, FakeOpenAIServer]]:
    with (
        FakeReplicateServer(api_key=CANARY_REPLICATE_TOKEN, output_mode="data") as replicate,
        FakeOpenAIServer(
            api_key=CANARY_OPENAI_KEY, text_output=prompts_for_the_asked_pairs
        ) as openai,
    ):
        yield replicate, openai


def run_cli(
    tmp_path: Path, env_extra: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "REPLICATE_", "TUTOPANDA_"))
    }
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "tutopanda_providers.cli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_mixed_run_records_which_artefacts_were_mocked(
    tmp_path: Path, fakes: tuple[FakeReplicateServer, FakeOpenAIServer]
) -> None:
    replicate, openai = fakes
    (tmp_path / "plan.toml").write_text(PLAN)
    env = {
        "OPENAI_API_KEY": CANARY_OPENAI_KEY,
        "OPENAI_BASE_URL": openai.base_url,
        "REPLICATE_API_TOKEN": CANARY_REPLICATE_TOKEN,
        "REPLICATE_BASE_URL": replicate.base_url,
        "REPLICATE_POLL_INTERVAL": "0.05",
    }
    result = run_cli(
        tmp_path,
        env,
        "run",
        "plan.toml",
        "--movie",
        "movie",
        "--live",
        "--use-mock=ScriptProducer,TextToMusicProducer",
        "--max-cost",
        "5",
        "--json",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    report = json.loads(result.stdout)
    modes = {job["job"]: job["mode"] for job in report["jobs"]}
    assert modes == {
        "script": "mock",
        "music": "mock",
        "prompts": "live",
        "narration": "live",
        "image": "live",
        "video": "live",
    }

    manifest = json.loads((tmp_path / "movie" / "manifest.json").read_text())
    mocked = {
        job: {a["mocked"] for a in record["artefacts"]} for job, record in manifest["jobs"].items()
    }
    assert mocked == {
        "script": {True},
        "music": {True},
        "prompts": {False},
        "narration": {False},
        "image": {False},
        "video": {False},
    }
    # The live jobs really reached the fakes, once each.
    assert openai.responses_created == 1
    assert replicate.predictions_created == 3
    # The prediction ids were logged as soon as they existed, so a crashed run can resume.
    events = [
        json.loads(line) for line in (tmp_path / "movie" / "events.jsonl").read_text().splitlines()
    ]
    remote = {e["job_id"]: e["remote_job_id"] for e in events if e["type"] == "job.remote_started"}
    assert set(remote) >= {"narration", "image", "video"}
    assert set(remote.values()) >= {p.id for p in replicate.predictions}
    # Live artefacts are real media in the movie's blob store.
    video = manifest["jobs"]["video"]["artefacts"][0]
    assert (
        video["mime"] == "video/mp4"
        and Path(tmp_path / "movie", video["blob"]["uri"].removeprefix("file://")).is_file()
    )
    # Live jobs cost money, mocked ones do not; the canary keys are nowhere on disk.
    assert report["spent"]["known_usd"] > 0
    for name in ("events.jsonl", "manifest.json", "config.json", "providers.json"):
        text = (tmp_path / "movie" / name).read_text()
        assert CANARY_OPENAI_KEY not in text and CANARY_REPLICATE_TOKEN not in text


def test_doctor_is_ready_live_when_the_keys_are_set_and_the_fakes_answer(
    tmp_path: Path, fakes: tuple[FakeReplicateServer, FakeOpenAIServer]
) -> None:
    replicate, openai = fakes
    (tmp_path / "plan.toml").write_text(PLAN)
    env = {
        "OPENAI_API_KEY": CANARY_OPENAI_KEY,
        "OPENAI_BASE_URL": openai.base_url,
        "REPLICATE_API_TOKEN": CANARY_REPLICATE_TOKEN,
        "REPLICATE_BASE_URL": replicate.base_url,
    }
    result = run_cli(tmp_path, env, "doctor", "--live", "--plan", "plan.toml", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["mode"] == "live"
    # FAL serves only the media models' failovers here: its missing key is a warning (the
    # jobs fail over past it), not a problem, and its handlers' failed warm start is said once.
    assert {s["name"]: s["present"] for s in report["secrets"]} == {
        "OPENAI_API_KEY": True,
        "REPLICATE_API_TOKEN": True,
        "FAL_KEY": False,
    }
    assert any("FAL_KEY is not set; only fallbacks need it" in w for w in report["warnings"])
    assert not [w for w in report["warnings"] if w.startswith("warm start of fal/")]
    primary = {w["status"] for w in report["warm_start"] if w["provider"] != "fal"}
    assert primary <= {"ready", "skipped"}
    assert CANARY_OPENAI_KEY not in result.stdout and CANARY_REPLICATE_TOKEN not in result.stdout
