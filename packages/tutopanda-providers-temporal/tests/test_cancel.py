"""Canceling a lesson cancels its predictions; a second submit of a running movie is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Fakes, Workers, finished, image_plan, wait_until

pytestmark = pytest.mark.slow


@pytest.mark.fake_replicate(wait_completes=False, polls_to_finish=10**6)
def test_canceling_a_lesson_cancels_its_predictions_and_a_running_movie_is_not_submitted_twice(
    workers: Workers, fakes: Fakes, tmp_path: Path
) -> None:
    workers.start("worker-a", "--live")
    plan = image_plan(tmp_path / "two.toml", 2)
    movie = str(tmp_path / "movie")
    submit = workers.submit(plan, movie, "--live")
    wait_until(lambda: len(fakes.creates()) == 2, what="both creates")

    again = workers.submit(plan, movie, "--live")
    code, refused, _ = finished(again)
    assert code == 5, refused
    assert "is being made by its workflow" in refused["error"]["message"]
    assert "tutopanda-providers cancel movie" in refused["error"]["message"]

    done = workers.run("cancel", movie, "--address", workers.address)
    assert done.returncode == 0, done.stderr
    code, report, err = finished(submit)

    assert code == 1, (report, err)
    assert report["canceled"] is True
    assert {j["status"] for j in report["jobs"]} == {"failed"}
    wait_until(
        lambda: all(p.status == "canceled" for p in fakes.replicate.predictions),
        what="the predictions' cancel",
    )
    assert len(fakes.creates()) == 2
