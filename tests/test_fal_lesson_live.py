"""Issue 17's acceptance test: the example lesson live on the fakes with its media on FAL.

1. Every media producer on FAL (``examples/settings-fal.toml``): every job succeeds, each
   media job is served by FAL with exactly one submit, every file decodes.
2. The shipped defaults with Replicate failing every create (503, nothing created): every media
   job is served by FAL, none twice, and each job's record says which provider served it and
   why it left Replicate.

The fakes run in this process (their request logs are the proof); the ``tutopanda-providers``
command runs as a user runs it, in a child process, through the real SDKs and sockets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

av = pytest.importorskip("av")
Image = pytest.importorskip("PIL.Image")
pytest.importorskip("tutopanda_provider_openai")
pytest.importorskip("tutopanda_provider_replicate")
pytest.importorskip("tutopanda_provider_fal")

from tutopanda_providers_testing.fake_fal import FakeFal  # noqa: E402
from tutopanda_providers_testing.fake_openai import FakeOpenAIServer  # noqa: E402
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer  # noqa: E402
from tutopanda_providers_testing.faults import Fault  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "examples" / "lesson.toml"
FAL_SETTINGS = ROOT / "examples" / "settings-fal.toml"
MEDIA_JOBS = {
    *(f"narration_{i}" for i in range(3)),
    *(f"image_{i}" for i in range(3)),
    *(f"video_{i}" for i in range(3)),
    "music",
}


class Fakes:
    def __init__(self) -> None:
        self.replicate = FakeReplicateServer(api_key="r8_fake-accept")
        self.openai = FakeOpenAIServer(api_key="sk-fake-accept")
        self.fal = FakeFal(api_key="fal-fake-accept:secret")

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("OPENAI_", "REPLICATE_", "FAL_", "TUTOPANDA_"))
        }
        env.update(
            REPLICATE_BASE_URL=self.replicate.base_url,
            REPLICATE_API_TOKEN="r8_fake-accept",
            REPLICATE_POLL_INTERVAL="0.05",
            OPENAI_BASE_URL=self.openai.base_url,
            OPENAI_API_KEY="sk-fake-accept",
            FAL_QUEUE_URL=self.fal.base_url,
            FAL_KEY="fal-fake-accept:secret",
        )
        return env


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    servers = Fakes()
    with servers.replicate, servers.openai, servers.fal:
        yield servers


def run_lesson(
    fakes: Fakes, movie: Path, *extra: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tutopanda_providers.cli",
            "run",
            str(LESSON),
            "--live",
            "--movie",
            str(movie),
            "--max-cost",
            "10",
            *extra,
        ],
        env=fakes.env(),
        cwd=movie.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )
    manifest = json.loads((movie / "manifest.json").read_text(encoding="utf-8"))
    return done, manifest["jobs"]


def fal_submits(fal: FakeFal) -> list[Any]:
    return [r for r in fal.requests if r.route == "submit"]


def assert_media_decodes(movie: Path, jobs: dict[str, Any]) -> None:
    for job in MEDIA_JOBS:
        for artefact in jobs[job]["artefacts"]:
            path = movie / artefact["blob"]["uri"].removeprefix("file://")
            if artefact["kind"] == "image":
                with Image.open(path) as picture:
                    picture.load()
                continue
            with av.open(str(path)) as container:
                streams = (
                    container.streams.video
                    if artefact["kind"] == "video"
                    else container.streams.audio
                )
                assert sum(1 for _ in container.decode(streams[0])) > 0, job


def test_the_lesson_runs_live_with_every_media_producer_on_fal(
    fakes: Fakes, tmp_path: Path
) -> None:
    movie = tmp_path / "movie"
    done, jobs = run_lesson(fakes, movie, "--settings", str(FAL_SETTINGS))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert {j: r["status"] for j, r in jobs.items()} == dict.fromkeys(jobs, "succeeded")
    served = {job: jobs[job]["provider"]["provider"] for job in MEDIA_JOBS}
    assert served == dict.fromkeys(MEDIA_JOBS, "fal")
    assert {jobs[j]["provider"]["provider"] for j in ("script", "prompts")} == {"openai"}
    # One submit per media job, and each job holds the id of its own submit.
    submits = fal_submits(fakes.fal)
    assert len(submits) == len(MEDIA_JOBS)
    ids = [jobs[job]["provider"]["remote_job_id"] for job in MEDIA_JOBS]
    assert len(set(ids)) == len(MEDIA_JOBS)
    assert not [r for r in fakes.replicate.requests if r.route == "create"]
    endpoints = Counter(r.path.strip("/") for r in submits)
    assert endpoints == {
        "fal-ai/minimax/speech-02-hd": 3,
        "fal-ai/bytedance/seedream/v4/text-to-image": 3,
        "fal-ai/bytedance/seedance/v1/lite/text-to-video": 3,
        "fal-ai/stable-audio-25/text-to-audio": 1,
    }
    assert all(jobs[j]["cost"]["amount_usd"] > 0 for j in MEDIA_JOBS)
    assert_media_decodes(movie, jobs)


def test_replicate_failing_every_create_fails_the_lesson_over_to_fal_never_twice(
    fakes: Fakes, tmp_path: Path
) -> None:
    fakes.replicate.faults.add("create", Fault.status(503), times=None)
    movie = tmp_path / "movie"
    done, jobs = run_lesson(fakes, movie)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert {j: r["status"] for j, r in jobs.items()} == dict.fromkeys(jobs, "succeeded")
    served = {job: jobs[job]["provider"]["provider"] for job in MEDIA_JOBS}
    assert served == dict.fromkeys(MEDIA_JOBS, "fal")
    # Replicate was asked (each media job tried it first) and created nothing.
    assert [r for r in fakes.replicate.requests if r.route == "create"]
    assert fakes.replicate.predictions == []
    # FAL served each job exactly once.
    assert len(fal_submits(fakes.fal)) == len(MEDIA_JOBS)
    # Each record says which provider served the job and why it left Replicate.
    for job in MEDIA_JOBS:
        record = jobs[job]
        assert record["provider"]["model"].startswith("fal-ai/"), job
        first = record["failures"][0]
        assert first["model"].startswith("replicate/"), (job, first)
        assert first["kind"] == "transient", (job, first)
        assert all(f["model"].startswith("replicate/") for f in record["failures"]), job
    assert "served by fal/" in done.stdout + done.stderr
    assert_media_decodes(movie, jobs)

    # `status` judges the live movie as it was made: every job kept, the failover named.
    state = subprocess.run(
        [sys.executable, "-m", "tutopanda_providers.cli", "status", str(movie), "--json"],
        env=fakes.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert state.returncode == 0, state.stdout + state.stderr
    report = json.loads(state.stdout)
    states = {j["job"]: j for j in report["jobs"]}
    assert {j: r["state"] for j, r in states.items()} == dict.fromkeys(states, "kept")
    for job in MEDIA_JOBS:
        assert states[job]["model"].startswith("fal/"), states[job]
        assert "after replicate/" in (states[job]["failover"] or ""), states[job]

    # A second run pays for nothing: every job is kept, FAL sees no new submit.
    again, _ = run_lesson(fakes, movie)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert len(fal_submits(fakes.fal)) == len(MEDIA_JOBS)
