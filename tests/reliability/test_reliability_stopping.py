"""Stopping is clean whatever the signal (issue 15, item 5; issue 18, item 5).

A real ``tutopanda-providers run --live`` process against a fake Replicate whose predictions
never finish gets a real SIGTERM or SIGINT once every prediction exists. Both must end the same
way: every prediction canceled on the server, ``job.canceled`` and ``run.interrupted`` in the
event log, a summary of what finished, what was canceled and how to resume (one JSON document
with ``--json``), exit 143 for SIGTERM and 130 for SIGINT.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer
from tutopanda_providers_testing.faults import Fault
from tutopanda_providers_testing.keys import CANARY_REPLICATE_TOKEN

from .conftest import clean_env, cli_command
from .test_reliability_never_twice import read_events

PLAN = """[plan]
title = "Stopped"

[jobs.image_0]
producer = "TextToImageProducer"
inputs.prompt = "a lighthouse at dusk"

[jobs.image_1]
producer = "TextToImageProducer"
inputs.prompt = "a harbour at night"

[jobs.narration]
producer = "AudioProducer"
inputs.text = "The light turns."

[jobs.late]
producer = "TextToImageProducer"
inputs.prompt = "the keeper climbs the stairs"
after = ["image_0"]
"""
LIVE = {"image_0", "image_1"}


@pytest.fixture
def stuck_replicate() -> Iterator[FakeReplicateServer]:
    """A fake Replicate whose predictions stay ``processing`` until canceled."""
    with FakeReplicateServer(api_key=CANARY_REPLICATE_TOKEN) as server:
        server.faults.add("create", Fault.never_finishes(), times=None)
        yield server


def _run_and_stop(
    tmp_path: Path, server: FakeReplicateServer, signum: int, *extra: str
) -> tuple[int, str, str, Path]:
    (tmp_path / "plan.toml").write_text(PLAN)
    movie = tmp_path / "movie"
    env = clean_env(
        REPLICATE_API_TOKEN=CANARY_REPLICATE_TOKEN,
        REPLICATE_BASE_URL=server.base_url,
        REPLICATE_POLL_INTERVAL="0.05",
    )
    args = cli_command(
        "run", "plan.toml", "--movie", str(movie), "--live", "--use-mock", "AudioProducer", *extra
    )
    proc = subprocess.Popen(
        args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            events = read_events(movie)
            remote = {e["job_id"] for e in events if e.get("type") == "job.remote_started"}
            produced = {e["job_id"] for e in events if e.get("type") == "artefact.produced"}
            if remote == LIVE and "narration" in produced:
                break
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            time.sleep(0.05)
        else:
            pytest.fail(f"the jobs never all started: {read_events(movie)}")
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, err, movie


def _check_clean_stop(server: FakeReplicateServer, movie: Path) -> dict[str, Any]:
    # Every prediction was canceled on the provider: nothing left running and paid.
    assert len(server.predictions) == len(LIVE)
    assert {p.status for p in server.predictions} == {"canceled"}
    events = read_events(movie)
    canceled = {e["job_id"]: e for e in events if e.get("type") == "job.canceled"}
    assert set(canceled) == LIVE
    assert {e["remote_job_id"] for e in canceled.values()} == {p.id for p in server.predictions}
    interrupted = [e for e in events if e.get("type") == "run.interrupted"]
    assert len(interrupted) == 1
    assert interrupted[0]["finished"] == ["narration"]
    assert sorted(interrupted[0]["canceled"]) == sorted(LIVE)
    assert interrupted[0]["not_started"] == ["late"]
    assert not [e for e in events if e.get("type") == "run.finished"]
    return interrupted[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"]
)
def test_a_signal_cancels_remote_jobs_and_says_how_to_resume(
    tmp_path: Path, stuck_replicate: FakeReplicateServer, signum: int, code: int
) -> None:
    returncode, out, err, movie = _run_and_stop(tmp_path, stuck_replicate, signum)
    assert returncode == code, err[-3000:]
    _check_clean_stop(stuck_replicate, movie)
    name = signal.Signals(signum).name
    assert "Traceback" not in err
    assert f"stopped by {name}: 1 job(s) finished and kept, 2 canceled" in err
    assert "1 not started" in err
    # The resume line keeps the run's choices (here its forced mock), so it goes on alike.
    assert (
        "to resume (finished jobs are not paid for again): tutopanda-providers run plan.toml "
        f"--movie {movie} --live --use-mock AudioProducer"
    ) in err
    # The summary table still comes, on stdout, with every job.
    for job in ("image_0", "image_1", "narration", "late"):
        assert job in out
    # stderr is a pipe: one plain line per state change, as it happened.
    assert any(
        line.endswith("narration skipped (up to date, kept) $0") or " narration succeeded " in line
        for line in err.splitlines()
    )
    assert any(" image_0 started live replicate/" in line for line in err.splitlines())
    assert any(" image_0 canceled " in line for line in err.splitlines())


@pytest.mark.slow
def test_sigterm_with_json_is_still_one_document(
    tmp_path: Path, stuck_replicate: FakeReplicateServer
) -> None:
    returncode, out, err, movie = _run_and_stop(tmp_path, stuck_replicate, signal.SIGTERM, "--json")
    assert returncode == 143, err[-3000:]
    report = json.loads(out)  # the whole of stdout is one document
    assert report["exit_code"] == 143
    assert report["interrupted"]["signal"] == "SIGTERM"
    assert report["interrupted"]["finished"] == ["narration"]
    assert sorted(report["interrupted"]["canceled"]) == sorted(LIVE)
    assert report["interrupted"]["resume"].startswith("tutopanda-providers run plan.toml")
    assert {j["job"]: j["status"] for j in report["jobs"]} == {
        "image_0": "canceled",
        "image_1": "canceled",
        "narration": "succeeded",
        "late": "canceled",
    }
    _check_clean_stop(stuck_replicate, movie)


def test_a_signal_before_any_job_started_says_nothing_was_called(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A SIGTERM during the preview or the warm start: no report, a JSON error, exit 143."""
    import asyncio
    import os

    import typer
    from tutopanda_providers.cli.running import run_until_stopped

    class StillPreparing:
        report = None

        async def run(self) -> None:
            os.kill(os.getpid(), signal.SIGTERM)  # the handler run_until_stopped installed
            await asyncio.sleep(30)

    stopped: list[int] = []
    with pytest.raises(typer.Exit) as exit_info:
        run_until_stopped(StillPreparing(), stopped, json_out=True)
    assert exit_info.value.exit_code == 143
    assert stopped == [signal.SIGTERM]
    document = json.loads(capsys.readouterr().out)
    assert document["exit_code"] == 143
    assert "before any job started; nothing was called" in document["error"]["message"]
    # The process's own SIGTERM handling is back to what it was.
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


@pytest.mark.slow
def test_a_run_after_ctrl_c_starts_the_canceled_jobs_afresh_in_one_go(
    tmp_path: Path, stuck_replicate: FakeReplicateServer
) -> None:
    """The run after a Ctrl-C never resumes a prediction the product canceled: it creates one
    new prediction per canceled job and exits 0 the first time."""
    returncode, _, err, movie = _run_and_stop(tmp_path, stuck_replicate, signal.SIGINT)
    assert returncode == 130, err[-3000:]
    canceled = {p.id for p in stuck_replicate.predictions}
    assert {p.status for p in stuck_replicate.predictions} == {"canceled"}
    stuck_replicate.faults.clear()  # the provider works again: predictions finish

    env = clean_env(
        REPLICATE_API_TOKEN=CANARY_REPLICATE_TOKEN,
        REPLICATE_BASE_URL=stuck_replicate.base_url,
        REPLICATE_POLL_INTERVAL="0.05",
    )
    again = subprocess.run(
        cli_command(
            "run", "plan.toml", "--movie", str(movie), "--live", "--use-mock", "AudioProducer"
        ),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    new = [p for p in stuck_replicate.predictions if p.id not in canceled]
    # image_0 and image_1 were canceled; "late" never started: one create each, no more.
    assert len(new) == len(LIVE) + 1
    assert {p.status for p in new} == {"succeeded"}
    assert {p.status for p in stuck_replicate.predictions if p.id in canceled} == {"canceled"}
    assert "was canceled" not in again.stderr


@pytest.mark.slow
def test_a_prediction_canceled_while_no_run_watched_is_started_afresh(
    tmp_path: Path, stuck_replicate: FakeReplicateServer
) -> None:
    """The run died without a word (SIGKILL: no ``job.canceled``) and its predictions were then
    canceled on Replicate (by hand, on the dashboard). The log still names them in flight; the
    re-run finds them canceled and creates one fresh prediction per job, exit 0 in one go."""
    (tmp_path / "plan.toml").write_text(PLAN)
    movie = tmp_path / "movie"
    env = clean_env(
        REPLICATE_API_TOKEN=CANARY_REPLICATE_TOKEN,
        REPLICATE_BASE_URL=stuck_replicate.base_url,
        REPLICATE_POLL_INTERVAL="0.05",
    )
    args = cli_command(
        "run", "plan.toml", "--movie", str(movie), "--live", "--use-mock", "AudioProducer"
    )
    proc = subprocess.Popen(
        args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            events = read_events(movie)
            if {e["job_id"] for e in events if e.get("type") == "job.remote_started"} == LIVE:
                break
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            time.sleep(0.05)
        else:
            pytest.fail(f"the jobs never all started: {read_events(movie)}")
        proc.kill()
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert not [e for e in read_events(movie) if e.get("type") == "job.canceled"]
    for prediction in stuck_replicate.predictions:
        prediction.status = "canceled"  # canceled outside the product
    old = {p.id for p in stuck_replicate.predictions}
    stuck_replicate.faults.clear()

    again = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]
    new = [p for p in stuck_replicate.predictions if p.id not in old]
    assert len(new) == len(LIVE) + 1  # image_0, image_1 afresh; "late" for the first time
    assert {p.status for p in new} == {"succeeded"}
