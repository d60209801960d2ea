"""Crash and resume: the runner is killed (a real ``SIGKILL``) while its Replicate predictions
are in flight; the next run finishes every job by polling the predictions it already paid for,
and the fake server never sees a second prediction for any job."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer
from tutopanda_providers_testing.faults import Fault
from tutopanda_providers_testing.keys import CANARY_REPLICATE_TOKEN

from .conftest import clean_env, cli_command, scan_storage

IMAGES = 4
PLAN = "\n".join(
    [
        '[plan]\ntitle = "Crash test"\n',
        *(
            f'[jobs.image_{i}]\nproducer = "TextToImageProducer"\n'
            f'inputs.prompt = "a lighthouse at dusk, take {i}"\n'
            for i in range(IMAGES)
        ),
        '[jobs.narration]\nproducer = "AudioProducer"\ninputs.text = "The light turns."\n',
    ]
)
JOBS = {f"image_{i}" for i in range(IMAGES)} | {"narration"}


@pytest.fixture
def slow_replicate() -> Iterator[FakeReplicateServer]:
    """A fake Replicate whose predictions stay ``processing`` until the test finishes them."""
    with FakeReplicateServer(api_key=CANARY_REPLICATE_TOKEN) as server:
        server.faults.add("create", Fault.never_finishes(), times=None)
        yield server


def _events(movie: Path) -> list[dict[str, object]]:
    path = movie / "events.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # a torn last line from the kill
    return out


@pytest.mark.slow
def test_killed_run_resumes_without_paying_twice(
    tmp_path: Path, slow_replicate: FakeReplicateServer
) -> None:
    (tmp_path / "plan.toml").write_text(PLAN)
    movie = tmp_path / "movie"
    env = clean_env(
        REPLICATE_API_TOKEN=CANARY_REPLICATE_TOKEN,
        REPLICATE_BASE_URL=slow_replicate.base_url,
        REPLICATE_POLL_INTERVAL="0.05",
    )
    args = cli_command(
        "run", "plan.toml", "--movie", str(movie), "--live", "--concurrency", "8", "--json"
    )
    first = subprocess.Popen(
        args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            remote = {e["job_id"] for e in _events(movie) if e.get("type") == "job.remote_started"}
            if remote == JOBS and slow_replicate.predictions_created == len(JOBS):
                break
            assert first.poll() is None, first.communicate()[1].decode()[-3000:]
            time.sleep(0.05)
        else:
            pytest.fail(f"the jobs never all started remotely: {_events(movie)}")
        # Every prediction is still processing: the runner is polling them.
        assert all(not p.terminal for p in slow_replicate.predictions)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        first.stdout.close()  # type: ignore[union-attr]
        first.stderr.close()  # type: ignore[union-attr]
    assert first.returncode == -signal.SIGKILL
    assert not (movie / "manifest.json").exists() or not json.loads(
        (movie / "manifest.json").read_text()
    ).get("jobs")
    created_before = {p.id for p in slow_replicate.predictions}

    # The predictions finish on the provider while nobody is watching.
    slow_replicate.faults.clear()
    for prediction in slow_replicate.predictions:
        slow_replicate.finish(prediction.id)

    second = subprocess.run(
        args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
    )
    assert second.returncode == 0, second.stderr[-3000:] + second.stdout[-2000:]
    report = json.loads(second.stdout)
    assert {j["job"]: j["status"] for j in report["jobs"]} == dict.fromkeys(JOBS, "succeeded")

    # No second prediction for any job: the same five, each fetched, none created again.
    assert slow_replicate.predictions_created == len(JOBS)
    assert {p.id for p in slow_replicate.predictions} == created_before
    per_model = Counter(p.model for p in slow_replicate.predictions)
    assert sum(per_model.values()) == len(JOBS)

    # The resumed jobs are recorded with the prediction they resumed; blobs are complete.
    manifest = json.loads((movie / "manifest.json").read_text())
    assert set(manifest["jobs"]) == JOBS
    scan = scan_storage(movie / "blobs")
    assert not scan.strays, scan.strays
    assert len(scan.blobs) >= len(JOBS)
    produced = Counter(e["job_id"] for e in _events(movie) if e.get("type") == "artefact.produced")
    assert set(produced) == JOBS
