"""How many calls per second the fake servers take, driven by the real SDKs.

    uv run python packages/tutopanda-providers-testing/benchmarks/bench_fake_servers.py
    uv run python packages/tutopanda-providers-testing/benchmarks/bench_fake_servers.py --smoke

Prints one table row per scenario: calls, concurrency, wall time, calls/s and the median and
p95 latency of one call. Figures depend on the machine; nothing here asserts on them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import openai
import replicate
from tutopanda_providers_testing import FakeOpenAIServer, FakeReplicateServer
from tutopanda_providers_testing.spawn import spawn_fake_servers

KEY = "sk-bench-fake-key"


async def drive(
    calls: int, concurrency: int, one: Callable[[], Awaitable[Any]]
) -> dict[str, float]:
    """Make ``calls`` calls of ``one`` with ``concurrency`` in flight; return the figures."""
    latencies: list[float] = []
    errors: list[str] = []
    gate = asyncio.Semaphore(concurrency)

    async def timed() -> None:
        async with gate:
            began = time.perf_counter()
            try:
                await one()
            except Exception as exc:  # counted, not fatal: the table shows it
                errors.append(type(exc).__name__)
                return
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(timed() for _ in range(calls)))
    wall = time.perf_counter() - began
    latencies.sort()
    if not latencies:
        latencies.append(float("nan"))
    return {
        "errors": float(len(errors)),
        "wall_s": wall,
        "per_s": calls / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
    }


def scenarios(openai_url: str, replicate_url: str) -> dict[str, Callable[[], Awaitable[Any]]]:
    """One call of each scenario, through the real SDKs."""
    oclient = openai.AsyncOpenAI(api_key=KEY, base_url=openai_url, max_retries=0, timeout=30)
    rclient = replicate.Client(api_token="r8_bench", base_url=replicate_url, timeout=30)
    rclient.poll_interval = 0.0

    async def responses() -> Any:
        return await oclient.responses.create(
            model="gpt-5", input="volcanoes", tools=[{"type": "web_search"}]
        )

    async def prediction_wait() -> Any:
        return await rclient.predictions.async_create(
            model="google/imagen-4", input={"prompt": "a cat"}, wait=True
        )

    async def prediction_poll() -> Any:
        p = await rclient.predictions.async_create(
            model="google/imagen-4", input={"prompt": "a cat"}
        )
        await p.async_wait()
        return p

    return {
        "openai responses.create": responses,
        "replicate create (Prefer: wait)": prediction_wait,
        "replicate create + 2 polls": prediction_poll,
    }


async def run_all(
    where: str, latency: float, openai_url: str, replicate_url: str, calls: int, rows: list[Any]
) -> None:
    """Run every scenario against one pair of servers."""
    for name, one in scenarios(openai_url, replicate_url).items():
        for concurrency in (1, 64):
            if latency and concurrency == 1:
                continue
            n = min(calls, 200) if concurrency == 1 else calls
            stats = await drive(n, concurrency, one)
            print(f"  done: {name}, {where}, {concurrency} in flight", file=sys.stderr, flush=True)
            rows.append((f"{name}, {where}, +{latency * 1000:.0f} ms", n, concurrency, stats))


async def main(smoke: bool) -> None:
    """Measure in-process and child-process servers, with and without latency."""
    calls = 40 if smoke else 1000
    rows: list[tuple[str, int, int, dict[str, float]]] = []
    for latency in (0.0, 0.1):
        with FakeOpenAIServer(latency=latency) as oa, FakeReplicateServer(latency=latency) as rp:
            await run_all("in-process", latency, oa.base_url, rp.base_url, calls, rows)
        with spawn_fake_servers("both", latency=latency) as fakes:
            assert fakes.openai_base_url and fakes.replicate_base_url
            await run_all(
                "child process",
                latency,
                fakes.openai_base_url,
                fakes.replicate_base_url,
                calls,
                rows,
            )
    header = f"{'scenario':<62} {'calls':>6} {'conc':>5} {'wall s':>8} {'calls/s':>8}"
    print(header + f" {'p50 ms':>8} {'p95 ms':>8} {'errors':>6}")
    for name, n, concurrency, s in rows:
        print(
            f"{name:<62} {n:>6} {concurrency:>5} {s['wall_s']:>8.2f} {s['per_s']:>8.0f} "
            f"{s['p50_ms']:>8.1f} {s['p95_ms']:>8.1f} {s['errors']:>6.0f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few calls only (CI)")
    asyncio.run(main(parser.parse_args().smoke))
