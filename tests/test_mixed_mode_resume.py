"""A live run killed while a Replicate prediction is in flight resumes it instead of paying twice.

The run is a real ``tutopanda-providers`` process against the fake Replicate server, whose first
prediction never finishes on its own. Once the runner has logged the prediction's id, the
process is killed (SIGKILL: no clean-up of any kind); the prediction then finishes on the
server, and the next run of the same movie picks it up by id.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("tutopanda_provider_replicate")

from tutopanda_providers_testing.fake_replicate import FakeReplicateServer
from tutopanda_providers_testing.faults import Fault
from tutopanda_providers_testing.keys import CANARY_REPLICATE_TOKEN

PLAN = """
[jobs.image]
producer = "TextToImageProducer"
inputs.prompt = "a lighthouse at dusk"
"""


def command(tmp_path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tutopanda_providers.cli",
        "run",
        str(tmp_path / "plan.toml"),
        "--movie",
        str(tmp_path / "movie"),
        "--live",
        "--json",
    ]


def environment(server: FakeReplicateServer) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "REPLICATE_", "TUTOPANDA_"))
    }
    env.update(
        {
            "REPLICATE_API_TOKEN": CANARY_REPLICATE_TOKEN,
            "REPLICATE_BASE_URL": server.base_url,
            "REPLICATE_POLL_INTERVAL": "0.05",
        }
    )
    return env


def logged_predictions(movie: Path) -> list[str]:
    path = movie / "events.jsonl"
    if not path.exists():
        return []
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [e["remote_job_id"] for e in events if e["type"] == "job.remote_started"]


def test_a_killed_run_resumes_the_prediction_it_had_started(tmp_path: Path) -> None:
    (tmp_path / "plan.toml").write_text(PLAN)
    with FakeReplicateServer(api_key=CANARY_REPLICATE_TOKEN, output_mode="data") as server:
        server.faults.add("create", Fault.never_finishes())
        first = subprocess.Popen(
            command(tmp_path),
            cwd=tmp_path,
            env=environment(server),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while not logged_predictions(tmp_path / "movie"):
                assert first.poll() is None, "the run ended before its prediction was logged"
                assert time.monotonic() < deadline, "no prediction was logged"
                time.sleep(0.05)
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
        (prediction_id,) = logged_predictions(tmp_path / "movie")
        assert server.predictions_created == 1
        server.finish(prediction_id)

        second = subprocess.run(
            command(tmp_path),
            cwd=tmp_path,
            env=environment(server),
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert second.returncode == 0, second.stderr + second.stdout
        assert server.predictions_created == 1  # picked up, not paid for twice

    (job,) = json.loads(second.stdout)["jobs"]
    assert job["status"] == "succeeded" and job["mocked"] is False
    events = [
        json.loads(line) for line in (tmp_path / "movie" / "events.jsonl").read_text().splitlines()
    ]
    started = [e for e in events if e["type"] == "job.started"]
    assert started[-1]["resume"] == {"remote_job_id": prediction_id}
    manifest = json.loads((tmp_path / "movie" / "manifest.json").read_text())
    assert manifest["jobs"]["image"]["provider"]["remote_job_id"] == prediction_id
