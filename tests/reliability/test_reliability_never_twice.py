"""Never pay twice (issue 15, item 1): a crash while a create is in flight, and adoption that
must never take another job's or another run's prediction.

The runner logs a live job's start durably before the create is sent; a re-run that finds such
a start with no prediction id lists Replicate's predictions and adopts the one that send made
(same model and input, created since the start, claimed by no job of the movie) instead of
creating another.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tutopanda_providers import Descriptor, JobInfo, ProducerKind
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer
from tutopanda_providers_testing.faults import Fault
from tutopanda_providers_testing.keys import CANARY_REPLICATE_TOKEN

from .conftest import FAST_REPLICATE, clean_env, cli_command, scan_storage

# Two jobs with the very same input: each must end with its own prediction.
PLAN = """[plan]
title = "Crash mid-create"

[jobs.image_a]
producer = "TextToImageProducer"
inputs.prompt = "a lighthouse at dusk"

[jobs.image_b]
producer = "TextToImageProducer"
inputs.prompt = "a lighthouse at dusk"

[jobs.narration]
producer = "AudioProducer"
inputs.text = "The light turns."
"""
JOBS = {"image_a", "image_b", "narration"}


def read_events(movie: Path) -> list[dict[str, Any]]:
    """The whole lines of ``events.jsonl`` (a torn last line from a kill is left out)."""
    path = movie / "events.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


@pytest.fixture
def answers_lost() -> Iterator[FakeReplicateServer]:
    """A fake Replicate that makes each prediction at once but holds the create's answer for a
    minute: the runner is killed with every create sent and no prediction id known."""
    with FakeReplicateServer(api_key=CANARY_REPLICATE_TOKEN) as server:
        server.faults.add("create", Fault.slow(60.0), times=None)
        yield server


@pytest.mark.slow
def test_killed_mid_create_the_rerun_adopts_and_creates_nothing(
    tmp_path: Path, answers_lost: FakeReplicateServer
) -> None:
    (tmp_path / "plan.toml").write_text(PLAN)
    movie = tmp_path / "movie"
    env = clean_env(
        REPLICATE_API_TOKEN=CANARY_REPLICATE_TOKEN,
        REPLICATE_BASE_URL=answers_lost.base_url,
        REPLICATE_POLL_INTERVAL="0.05",
    )
    args = cli_command("run", "plan.toml", "--movie", str(movie), "--live", "--json")
    first = subprocess.Popen(
        args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if answers_lost.predictions_created == len(JOBS):
                break
            assert first.poll() is None, first.communicate()[1].decode()[-3000:]
            time.sleep(0.05)
        else:
            pytest.fail("the creates never all reached the fake")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        first.stderr.close()  # type: ignore[union-attr]
    events = read_events(movie)
    # The kill came with every create sent and no answer back: no id was ever logged.
    assert not [e for e in events if e.get("type") == "job.remote_started"]
    started = {e["job_id"] for e in events if e.get("type") == "job.started"}
    assert started == JOBS
    created_before = {p.id for p in answers_lost.predictions}
    assert len(created_before) == len(JOBS)

    answers_lost.faults.clear()
    for prediction in answers_lost.predictions:
        answers_lost.finish(prediction.id)
    second = subprocess.run(
        args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
    )
    assert second.returncode == 0, second.stderr[-3000:] + second.stdout[-2000:]
    report = json.loads(second.stdout)
    assert {j["job"]: j["status"] for j in report["jobs"]} == dict.fromkeys(JOBS, "succeeded")

    # Nothing created again: the three predictions the killed run paid for were adopted.
    assert answers_lost.predictions_created == len(JOBS)
    assert {p.id for p in answers_lost.predictions} == created_before
    remote = {
        e["job_id"]: e["remote_job_id"]
        for e in read_events(movie)
        if e.get("type") == "job.remote_started"
    }
    assert set(remote) == JOBS
    # The two jobs with the same input each adopted their own prediction, none shared.
    assert len(set(remote.values())) == len(JOBS)
    assert set(remote.values()) == created_before
    scan = scan_storage(movie / "blobs")
    assert not scan.strays, scan.strays


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def _invoke(registry: Any, job_id: str, resume: dict[str, Any] | None = None) -> Any:
    """One nano-banana job through the registry's pipeline; the remote ids it reported."""
    descriptor = Descriptor.parse("replicate/google/nano-banana")
    info = JobInfo(id=job_id, producer="TextToImageProducer", kind=ProducerKind.IMAGE)
    reported: list[str] = []
    request = registry.new_request(
        descriptor,
        {"prompt": "a bee"},
        job=info,
        resume=resume or {},
        on_remote_job=lambda remote: reported.append(remote.id),
    )
    handler = registry.resolve(descriptor, producer=info.producer, kind=info.kind)
    return await handler.invoke(request), reported


def _registry(provider_registry: Any, fake_replicate: FakeReplicateServer) -> Any:
    return provider_registry(
        mode="live",
        provider_options={
            "replicate": {**FAST_REPLICATE, "base_url": fake_replicate.base_url},
        },
    )


def test_a_lost_answer_never_adopts_another_runs_prediction(
    provider_registry: Any, fake_replicate: FakeReplicateServer
) -> None:
    """Another run made a prediction of the same input 10 s ago; this run's create is answered
    503 and made nothing. Before the fix, the list's 30 s window adopted the other run's
    prediction and both runs counted its cost; now none is found, the create is retried."""

    async def scenario() -> tuple[str, str, list[str]]:
        other = _registry(provider_registry, fake_replicate)
        theirs, _ = await _invoke(other, "image")
        await other.aclose()
        their_id = fake_replicate.predictions[0].id
        fake_replicate.prediction(their_id).created_at = _iso(
            datetime.now(UTC) - timedelta(seconds=10)
        )
        fake_replicate.faults.add("create", Fault.status(503), times=1)
        ours = _registry(provider_registry, fake_replicate)
        try:
            _, reported = await _invoke(ours, "image")
        finally:
            await ours.aclose()
        return their_id, theirs.provider.model, reported

    their_id, _, reported = asyncio.run(scenario())
    assert fake_replicate.predictions_created == 2
    assert reported and their_id not in reported
    assert reported[-1] == fake_replicate.predictions[-1].id


def test_a_rerun_never_adopts_a_prediction_the_movie_claimed(
    provider_registry: Any, fake_replicate: FakeReplicateServer
) -> None:
    """The re-run's adopt path skips predictions the movie already owns (same input, made a
    moment after the lost create was logged) and creates one when nothing else matches."""

    async def scenario() -> tuple[str, list[str]]:
        since = time.time()
        registry = _registry(provider_registry, fake_replicate)
        try:
            await _invoke(registry, "image_a")
            claimed = fake_replicate.predictions[0].id
            fresh = _registry(provider_registry, fake_replicate)  # a new process: knows nothing
            try:
                _, reported = await _invoke(
                    fresh,
                    "image_b",
                    {"adopt_since": since, "claimed_remote_job_ids": [claimed]},
                )
            finally:
                await fresh.aclose()
        finally:
            await registry.aclose()
        return claimed, reported

    claimed, reported = asyncio.run(scenario())
    assert fake_replicate.predictions_created == 2
    assert reported == [fake_replicate.predictions[-1].id]
    assert claimed not in reported


def test_a_rerun_adopts_the_prediction_its_lost_create_made(
    provider_registry: Any, fake_replicate: FakeReplicateServer
) -> None:
    """Without the adopt path a re-run created a second prediction (two paid)."""

    async def scenario() -> list[str]:
        since = time.time()
        # What the killed run's create made: the same input, after the logged start.
        maker = _registry(provider_registry, fake_replicate)
        try:
            await _invoke(maker, "elsewhere")
        finally:
            await maker.aclose()
        fresh = _registry(provider_registry, fake_replicate)
        try:
            _, reported = await _invoke(fresh, "image", {"adopt_since": since})
        finally:
            await fresh.aclose()
        return reported

    reported = asyncio.run(scenario())
    assert fake_replicate.predictions_created == 1
    assert reported == [fake_replicate.predictions[0].id]
