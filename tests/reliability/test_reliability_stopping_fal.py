"""Stopping a run cancels its FAL requests too (issue 17; issue 15, item 5, for FAL).

A real ``tutopanda-providers run --live`` with its image jobs on FAL, against a fake FAL whose
requests never finish, gets SIGINT or SIGTERM once both requests are queued. Each request must
be cancelled on FAL (``PUT …/cancel``): otherwise it runs on, is billed, and the next run pays
for it again. The next run submits one new request per cancelled job, and no more.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tutopanda_providers_testing.fake_fal import CANARY_FAL_KEY, FakeFal
from tutopanda_providers_testing.faults import Fault

from .conftest import clean_env, cli_command
from .test_reliability_never_twice import read_events

pytest.importorskip("tutopanda_provider_fal")

PLAN = """[plan]
title = "Stopped on FAL"

[jobs.image_0]
producer = "TextToImageProducer"
inputs.prompt = "a lighthouse at dusk"

[jobs.image_1]
producer = "TextToImageProducer"
inputs.prompt = "a harbour at night"
"""
SETTINGS = """
[producers.TextToImageProducer]
kind = "image"
model = "bytedance/seedream-4"
providers = ["fal"]
"""
LIVE = {"image_0", "image_1"}


@pytest.fixture
def stuck_fal() -> Iterator[FakeFal]:
    """A fake FAL whose requests stay ``IN_PROGRESS`` until cancelled."""
    with FakeFal(api_key=CANARY_FAL_KEY) as server:
        server.faults.add("submit", Fault.never_finishes(), times=2)
        yield server


def _run(tmp_path: Path, server: FakeFal, movie: Path) -> subprocess.Popen[str]:
    (tmp_path / "plan.toml").write_text(PLAN)
    (tmp_path / "settings.toml").write_text(SETTINGS)
    env = clean_env(FAL_KEY=CANARY_FAL_KEY, FAL_QUEUE_URL=server.base_url)
    args = cli_command(
        "run", "plan.toml", "--movie", str(movie), "--live", "--settings", "settings.toml"
    )
    return subprocess.Popen(
        args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"]
)
def test_a_signal_cancels_every_fal_request_and_the_rerun_pays_once_each(
    tmp_path: Path, stuck_fal: FakeFal, signum: int, code: int
) -> None:
    movie = tmp_path / "movie"
    proc = _run(tmp_path, stuck_fal, movie)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            remote = {
                e["job_id"] for e in read_events(movie) if e.get("type") == "job.remote_started"
            }
            if remote == LIVE:
                break
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            time.sleep(0.05)
        else:
            pytest.fail(f"the jobs never all started: {read_events(movie)}")
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code, err[-3000:]
    # The resume line keeps the settings that put the jobs on FAL.
    assert f"--movie {movie} --live --settings settings.toml" in err
    submits = [r for r in stuck_fal.requests if r.route == "submit"]
    cancels = [r for r in stuck_fal.requests if r.route == "cancel"]
    assert len(submits) == 2
    # Each queued request was cancelled on FAL: nothing is left running and billed.
    assert len(cancels) == 2, [r.path for r in stuck_fal.requests]
    canceled = {e["job_id"] for e in read_events(movie) if e.get("type") == "job.canceled"}
    assert canceled == LIVE

    # The next run submits one new request per cancelled job, and no more.
    again = _run(tmp_path, stuck_fal, movie)
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err[-3000:]
    assert len([r for r in stuck_fal.requests if r.route == "submit"]) == 4
