"""Overhead of the invoke pipeline per call, against calling the handler directly.

The handler returns at once (it builds its result and nothing else), so every microsecond
above the "handler directly" row is the pipeline's. Rows:

* ``handler directly``: ``await handler.invoke(request)``.
* ``defaults``: the chain a registry builds with no options (lifecycle, deadline, validation,
  retry, rate limit with no limit set).
* ``all on, cache off``: every middleware enabled and acting on every call — rate limit
  (fixed window + in-flight slot), budget guard, fallbacks configured, default timeout,
  retries — except the cache, so every call reaches the handler.
* ``all on, cache hits``: the same with the result cache enabled and the same request each
  time, so every call after the first is served from the cache (with its blob-existence check).
* ``all on, moving window``: ``all on, cache off`` with the rate limit's moving window (1 s)
  instead of the fixed window, at ~20,000 calls a second (see ``all_on``).

Then memory (RSS) before and after many invokes through the ``all on, cache off`` chain.
Budget (issue 5): under 50 µs median overhead, memory flat.

Usage: ``uv run --frozen python benchmarks/bench_pipeline.py [--smoke]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import tempfile
import time
from pathlib import Path

import psutil
from tutopanda_providers import (
    Artefact,
    Descriptor,
    Implementation,
    ModelCard,
    OutputSpec,
    Price,
    PriceRate,
    ProducerKind,
    ProducerRequest,
    ProducerResult,
    ProviderMetadata,
    RegistryOptions,
    create_provider_registry,
    hookimpl,
)
from tutopanda_providers.contracts import Cost, InputModel, Mode
from tutopanda_providers.handler import HandlerContext
from tutopanda_providers.pipeline import PipelineOptions
from tutopanda_providers.pipeline.budget import Budget
from tutopanda_providers.pipeline.cache import CacheOptions
from tutopanda_providers.pipeline.ratelimit import RateLimit
from tutopanda_providers.storage import BlobStore

A = Descriptor.parse("bench/image-a")


class Inputs(InputModel):
    prompt: str
    steps: int = 4


def card(model: str) -> ModelCard:
    return ModelCard(
        provider="bench",
        model=model,
        kind=ProducerKind.IMAGE,
        input_model=Inputs,
        output=OutputSpec(type="text", mime="text/plain"),
        price=Price(rates=(PriceRate(name="image", unit="image", usd=0.04),), source="bench"),
    )


class InstantHandler:
    def __init__(self, context: HandlerContext) -> None:
        self.provider = context.descriptor.provider
        self.model = context.descriptor.model
        self.environment = context.descriptor.environment
        self.mode: Mode = context.mode
        self.cost = Cost(status="known", amount_usd=0.04, unit="image", quantity=1, source="bench")

    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        return ProducerResult(
            artefacts=[Artefact(kind=ProducerKind.IMAGE, mime="text/plain", text="done")],
            provider=ProviderMetadata(provider=self.provider, model=self.model, cost=self.cost),
        )


class Plugin:
    @hookimpl
    def tutopanda_register_providers(self, register) -> None:  # type: ignore[no-untyped-def]
        for model in ("image-a", "image-b"):
            register(Implementation.for_card(card(model), InstantHandler, mode="live"))


def all_on(tmp: Path, cache: bool, strategy: str = "fixed") -> PipelineOptions:
    # The limit must never throttle a loop doing ~20,000 calls a second. A moving window keeps
    # one entry per call inside the window (that is how it is exact), so at this rate it holds
    # ~20,000 entries; the fixed window is a counter. Real provider limits (hundreds a minute)
    # keep either small. The "moving window" row shows the moving window's cost at this rate.
    limit = (
        RateLimit(requests=10**9, window_seconds=60, max_in_flight=64, strategy="fixed")
        if strategy == "fixed"
        else RateLimit(requests=10**9, window_seconds=1, max_in_flight=64, strategy="moving")
    )
    return PipelineOptions(
        rate_limits={"bench": limit},
        budget=Budget(10.0**12),
        fallbacks={"bench/image-a": ["bench/image-b"]},
        default_timeout=60.0,
        cache=CacheOptions(enabled=cache, directory=tmp / "cache"),
    )


def registry_for(tmp: Path, pipeline: PipelineOptions | None):  # type: ignore[no-untyped-def]
    return create_provider_registry(
        RegistryOptions(
            mode="live",
            plugins=[("bench", Plugin())],
            entry_points=False,
            storage=BlobStore(tmp / "blobs"),
            pipeline=pipeline,
        )
    )


async def time_pipeline(registry, n: int, same_inputs: bool) -> list[float]:  # type: ignore[no-untyped-def]
    resolved = registry.resolve(A)
    samples: list[float] = []
    perf = time.perf_counter_ns
    for i in range(n):
        inputs = {"prompt": "a cat" if same_inputs else f"a cat {i}"}
        request = registry.new_request(A, inputs)
        started = perf()
        await resolved.invoke(request)
        samples.append((perf() - started) / 1000.0)
        if i % 100 == 99:
            await asyncio.sleep(0)  # see YIELD below
    return samples


async def time_direct(registry, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    handler = registry.resolve(A).handler
    request = registry.new_request(A, {"prompt": "a cat", "steps": 4})
    samples: list[float] = []
    perf = time.perf_counter_ns
    for _ in range(n):
        started = perf()
        await handler.invoke(request)
        samples.append((perf() - started) / 1000.0)
    return samples


# YIELD: the instant handler never suspends, so without an occasional ``sleep(0)`` the event
# loop would never run an iteration, and the cancelled timer of each job's deadline
# (``asyncio.timeout``) would stay in the loop's heap (about 180 bytes each) until the loop
# purges cancelled timers — which it does only between iterations. Any real handler awaits I/O.


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(smoke: bool) -> None:
    n = 2_000 if smoke else 30_000
    soak = 5_000 if smoke else 100_000
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        base = registry_for(tmp / "d", None)
        full = registry_for(tmp / "f", all_on(tmp / "f", cache=False))
        cached = registry_for(tmp / "c", all_on(tmp / "c", cache=True))
        moving = registry_for(tmp / "m", all_on(tmp / "m", cache=False, strategy="moving"))
        configs = [
            ("handler directly", lambda k: time_direct(base, k)),
            ("defaults", lambda k: time_pipeline(base, k, False)),
            ("all on, cache off", lambda k: time_pipeline(full, k, False)),
            ("all on, cache hits", lambda k: time_pipeline(cached, k, True)),
            ("all on, moving window", lambda k: time_pipeline(moving, k, False)),
        ]
        for _, run in configs:
            await run(500)  # warm up
        # Rounds interleave the chains so a noisy neighbour on this shared machine hurts all
        # rows alike rather than one.
        rounds = 10
        collected: dict[str, list[float]] = {name: [] for name, _ in configs}
        for _ in range(rounds):
            for name, run in configs:
                collected[name].extend(await run(n // rounds))
        rows = list(collected.items())
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"{n:,} invokes per chain in {rounds} interleaved rounds; load average {load:.2f}")
        direct_median = statistics.median(rows[0][1])
        print(f"{'chain':<24}{'median µs':>11}{'p99 µs':>10}{'overhead (median) µs':>23}")
        for name, samples in rows:
            median = statistics.median(samples)
            print(
                f"{name:<24}{median:>11.1f}{p(samples, 0.99):>10.1f}{median - direct_median:>23.1f}"
            )

        process = psutil.Process()
        gc.collect()
        rss_before = process.memory_info().rss
        resolved = full.resolve(A)
        for i in range(soak):
            await resolved.invoke(full.new_request(A, {"prompt": f"a cat {i % 1000}"}))
            if i % 100 == 99:
                await asyncio.sleep(0)
        gc.collect()
        rss_after = process.memory_info().rss
        print(
            f"\nmemory over {soak:,} invokes (all on, cache off): RSS {rss_before / 2**20:.1f} MiB "
            f"-> {rss_after / 2**20:.1f} MiB ({(rss_after - rss_before) / 2**20:+.1f} MiB)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a short run for CI")
    asyncio.run(main(parser.parse_args().smoke))
