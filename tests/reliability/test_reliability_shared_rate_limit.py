"""Shared rate limits hold at the provider at every rate: two processes (8 workers each) share
one Redis bucket of 2, 5 and 10 requests a second, and the fake Replicate server counts the
creates it receives. In no one-second window (sliding, the server's clock) may it see more
than the limit, from the very first request on.

This runs the load of ``benchmarks/bench_ratelimit.py`` (its ``scenario``), 4 s per rate.
"""

from __future__ import annotations

import shutil

import pytest

from .conftest import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


@pytest.fixture(scope="module")
def bench(monkeypatch_module: pytest.MonkeyPatch) -> object:
    monkeypatch_module.syspath_prepend(str(REPO / "benchmarks"))
    import bench_ratelimit

    return bench_ratelimit


@pytest.fixture(scope="module")
def monkeypatch_module() -> object:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_two_processes_on_one_redis_bucket_never_pass_the_limit_at_the_server(
    bench: object,
) -> None:
    from _common import ServerProcess, max_in_window

    b = bench
    found: dict[int, tuple[int, int]] = {}
    with ServerProcess("replicate", polls_to_finish=1) as server, b.redis_server() as url:  # type: ignore[attr-defined]
        for rate in (2, 5, 10):
            result = b.scenario(server, url, 2, 8, 4.0, 1.0, limit=rate)  # type: ignore[attr-defined]
            times = sorted(server.times("create"))
            found[rate] = (max_in_window(times), len(times))
            assert int(result["failed"]) == 0, result
    for rate, (peak, creates) in found.items():
        assert peak <= rate, f"{rate}/s: the server saw {peak} creates in one second ({found})"
        # More creates than one window holds, so the window check above could have failed.
        assert creates > rate, f"{rate}/s: only {creates} creates in 4 s ({found})"
