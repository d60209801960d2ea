"""A worker SIGKILLed in the middle of a job: another worker resumes the same prediction."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tutopanda_providers_temporal.records import ObjectMovie

from .conftest import Fakes, Workers, finished, image_plan, wait_until

pytestmark = pytest.mark.slow


@pytest.mark.fake_replicate(wait_completes=False, polls_to_finish=10**6)
def test_a_job_whose_worker_is_killed_is_finished_by_another_without_a_second_create(
    workers: Workers, fakes: Fakes, tmp_path: Path
) -> None:
    first = workers.start("worker-a", "--live")
    plan = image_plan(tmp_path / "one.toml")
    movie = str(tmp_path / "movie")
    submit = workers.submit(plan, movie, "--live", "--heartbeat-timeout", "3")
    wait_until(lambda: len(fakes.creates()) == 1, what="the prediction's create")
    # The heartbeat carrying the prediction id is sent at once, then throttled: let it land.
    time.sleep(2.5)
    first.kill()
    workers.start("worker-b", "--live")
    (prediction,) = fakes.replicate.predictions
    fakes.replicate.finish(prediction.id)

    code, report, err = finished(submit)

    assert code == 0, (report, err)
    (job,) = report["jobs"]
    assert job["status"] == "succeeded" and job["mocked"] is False
    assert len(fakes.creates()) == 1, "the second worker resumed the prediction"
    events = ObjectMovie(movie).events()
    remote = [e for e in events if e["type"] == "job.remote_started"]
    assert remote[-1]["remote_job_id"] == prediction.id and remote[-1]["resumed"] is True
    started = [e for e in events if e["type"] == "job.started"]
    assert started[-1]["resume"] == {"remote_job_id": prediction.id}
