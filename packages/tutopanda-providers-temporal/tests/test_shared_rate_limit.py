"""Two workers share one Redis rate limit: the provider never sees more than the limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Fakes, Workers, finished, image_plan, write_settings

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def max_in_window(times: list[float], window: float = 1.0) -> int:
    ordered = sorted(times)
    best, start = 0, 0
    for end, stamp in enumerate(ordered):
        while stamp - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.fake_replicate(polls_to_finish=1)
def test_two_workers_share_one_rate_limit_through_redis(
    workers: Workers, fakes: Fakes, redis_url: str, tmp_path: Path
) -> None:
    write_settings(workers.settings, redis_url=redis_url)
    workers.start_many(
        ["worker-a", "worker-b"], "--live", "--max-jobs", "4", "--rate-limit", "replicate=2/1"
    )
    plan = image_plan(tmp_path / "eight.toml", 8)

    code, report, err = finished(workers.submit(plan, str(tmp_path / "movie"), "--live"))

    assert code == 0, (report, err)
    assert {j["status"] for j in report["jobs"]} == {"succeeded"}
    creates = fakes.creates()
    assert len(creates) == 8
    assert max_in_window(creates) <= 2, "the two workers together kept to 2 creates a second"
