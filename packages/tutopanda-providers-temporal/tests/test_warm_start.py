"""A worker whose warm start fails takes no work: it exits 4 before polling its queue."""

from __future__ import annotations

import pytest

from .conftest import Fakes, Workers

pytestmark = pytest.mark.slow


def test_a_worker_whose_warm_start_fails_exits_4_and_takes_no_work(
    workers: Workers, fakes: Fakes
) -> None:
    for key in ("REPLICATE_API_TOKEN", "OPENAI_API_KEY"):
        workers.env.pop(key)
    worker = workers.start("no-keys", "--live", wait=False)

    code = worker.proc.wait(timeout=60)

    assert code == 4, worker.output
    assert "warm start failed, this worker takes no work" in worker.output
    assert "REPLICATE_API_TOKEN" in worker.output
    assert " ready: " not in worker.output
    assert fakes.creates() == []


def test_a_bad_rate_limit_is_a_usage_error(workers: Workers) -> None:
    done = workers.run("worker", "--rate-limit", "replicate=fast")
    assert done.returncode == 2, done.stderr
    assert "KEY=REQUESTS/SECONDS" in done.stderr
