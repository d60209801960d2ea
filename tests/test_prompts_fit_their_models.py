"""Prompts that fit the model they are for: with veo-3-fast serving the video producer (an
``--override``), the prompt job is asked for 4, 6 or 8 s only — read from veo's card, not
copied into the plan — and the video job that uses the prompt succeeds live on the fakes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("tutopanda_provider_openai")
pytest.importorskip("tutopanda_provider_replicate")

from tutopanda_providers_testing.demo_live import run_demo

PLAN = """
[plan]
title = "Tides"

[jobs.script]
producer = "ScriptProducer"
inputs = { topic = "Why are there two tides a day?", audience = "teenagers", segments = 2, duration_seconds = 30 }

[jobs.prompts]
producer = "PromptProducer"
inputs.segments = "${script.segments}"
inputs.targets = [{ target = "video" }]

[jobs.video_0]
producer = "TextToVideoProducer"
inputs.prompt = "${prompts.prompts[segment_index=0,target=video].prompt}"
inputs.duration_seconds = "${prompts.prompts[segment_index=0,target=video].duration_seconds}"

[jobs.video_1]
producer = "TextToVideoProducer"
inputs.prompt = "${prompts.prompts[segment_index=1,target=video].prompt}"
inputs.duration_seconds = "${prompts.prompts[segment_index=1,target=video].duration_seconds}"
"""


def _events(movie: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (movie / "events.jsonl").read_text().splitlines()]


def test_a_lesson_on_veo_3_fast_gets_video_prompts_of_4_6_or_8_seconds(tmp_path: Path) -> None:
    plan = tmp_path / "tides.toml"
    plan.write_text(PLAN, encoding="utf-8")
    movie = tmp_path / "movie"
    outcome = run_demo(
        plan,
        movie,
        capture=True,
        timeout=300,
        extra_args=["--override", "TextToVideoProducer=replicate/google/veo-3-fast"],
    )
    assert outcome.exit_code == 0, outcome.jobs
    assert set(outcome.jobs.values()) == {"succeeded"}
    manifest = json.loads((movie / "manifest.json").read_text())
    prompts = manifest["jobs"]["prompts"]["artefacts"][0]["data"]["prompts"]
    durations = [p["duration_seconds"] for p in prompts if p["target"] == "video"]
    assert len(durations) == 2 and set(durations) <= {4, 6, 8}, durations
    # What the prompt job was asked: the allowed values came from veo-3-fast's card.
    started = next(
        e for e in _events(movie) if e.get("type") == "job.started" and e["job_id"] == "prompts"
    )
    assert started["model"] == "openai/gpt-5-mini"
    for job in ("video_0", "video_1"):
        record = manifest["jobs"][job]
        # Succeeded: veo-3-fast's card refuses any other duration before a call is made.
        assert record["model"] == "replicate/google/veo-3-fast"
