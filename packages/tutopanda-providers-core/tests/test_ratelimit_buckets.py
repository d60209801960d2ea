"""Rate limits: windows and calls in flight per rate key, in memory and shared through Redis."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import textwrap
import time

import pytest
from tutopanda_providers import Descriptor
from tutopanda_providers.contracts import ConfigurationError, ProviderTimeoutError
from tutopanda_providers.pipeline import PipelineOptions
from tutopanda_providers.pipeline.ratelimit import RateLimit, RateLimiter

A = Descriptor.parse("fake/image-a")
B = Descriptor.parse("fake/video-b")
HOUR = 3600


async def test_a_window_allows_exactly_its_limit():
    limiter = RateLimiter()
    limit = RateLimit(requests=3, window_seconds=HOUR)

    taken = [await limiter.try_hit("replicate", limit) for _ in range(5)]

    assert taken == [True, True, True, False, False]
    assert await limiter.try_hit("openai", limit)  # another key, another bucket


async def test_waiting_for_a_window_slot_is_visible_in_telemetry(kit):
    model = kit.model("fake/image-a")
    registry = kit.build(
        [model], PipelineOptions(rate_limits={"fake": RateLimit(requests=1, window_seconds=1)})
    )

    await registry.invoke(A, {"prompt": "one"})
    result = await registry.invoke(A, {"prompt": "two"})

    [wait] = kit.events("provider.ratelimit.wait")
    assert wait["rate_key"] == "fake" and wait["reason"] == "window"
    assert wait["wait_s"] > 0 and wait["shared"] is False
    assert "ratelimit" in result.meta.middleware
    assert len(model[1].calls) == 2


async def test_calls_in_flight_never_exceed_the_limit(kit):
    running = 0
    peak = 0

    async def busy(request) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    model = kit.model("fake/image-a", [busy] * 4)
    registry = kit.build([model], PipelineOptions(rate_limits={"fake": RateLimit(max_in_flight=2)}))

    await asyncio.gather(*(registry.invoke(A, {"prompt": str(i)}) for i in range(4)))

    assert peak == 2
    waits = kit.events("provider.ratelimit.wait")
    assert waits and all(w["reason"] == "in_flight" for w in waits)


async def test_a_model_with_its_own_rate_key_has_its_own_bucket(kit):
    image = kit.model("fake/image-a")
    video = kit.model("fake/video-b", rate_key="fake-video")
    registry = kit.build(
        [image, video],
        PipelineOptions(rate_limits={"fake": RateLimit(requests=1, window_seconds=HOUR)}),
    )

    await registry.invoke(A, {"prompt": "one"})
    await registry.invoke(B, {"prompt": "not limited by fake's bucket"})
    with pytest.raises(ProviderTimeoutError):
        await registry.invoke(A, {"prompt": "held for an hour"}, timeout=0.2)

    assert len(image[1].calls) == 1 and len(video[1].calls) == 1


async def test_a_per_model_bucket_can_be_set_by_ref(kit):
    image = kit.model("fake/image-a")
    registry = kit.build(
        [image],
        PipelineOptions(rate_limits={"fake/image-a": RateLimit(requests=1, window_seconds=HOUR)}),
    )

    await registry.invoke(A, {"prompt": "one"})
    with pytest.raises(ProviderTimeoutError):
        await registry.invoke(A, {"prompt": "two"}, timeout=0.2)


async def test_mock_calls_are_not_rate_limited(kit):
    model = kit.model("fake/image-a")
    registry = kit.build(
        [model],
        PipelineOptions(rate_limits={"fake": RateLimit(requests=1, window_seconds=HOUR)}),
        mode="mock",
    )

    for i in range(3):
        await registry.invoke(A, {"prompt": str(i)}, timeout=5)
    assert kit.events("provider.ratelimit.wait") == []


def test_an_unknown_backend_is_refused():
    with pytest.raises(ConfigurationError):
        RateLimiter("memcached://127.0.0.1")


def test_limits_must_be_positive():
    with pytest.raises(ValueError):
        RateLimit(requests=0)
    with pytest.raises(ValueError):
        RateLimit(max_in_flight=0)


# -- Redis: several processes share one bucket ------------------------------------------------
WINDOW_WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from tutopanda_providers.pipeline.ratelimit import RateLimit, RateLimiter

    async def main(url: str, tries: int) -> None:
        limiter = RateLimiter(url, namespace="shared-test")
        limit = RateLimit(requests=10, window_seconds=3600)
        taken = 0
        for _ in range(tries):
            taken += await limiter.try_hit("replicate", limit)
        await limiter.aclose()
        print(taken)

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    """
)

SLOT_WORKER = textwrap.dedent(
    """
    import asyncio, sys
    import redis.asyncio as aioredis
    from tutopanda_providers.pipeline.ratelimit import RateLimit, RateLimiter

    async def main(url: str) -> None:
        limiter = RateLimiter(url, namespace="shared-test", poll_interval=0.005)
        probe = aioredis.Redis.from_url(url)
        limit = RateLimit(max_in_flight=2)

        async def job() -> None:
            async with limiter.slot("replicate", limit):
                now = await probe.incr("probe:running")
                await probe.rpush("probe:seen", now)
                await asyncio.sleep(0.03)
                await probe.decr("probe:running")

        await asyncio.gather(*(job() for _ in range(4)))
        await probe.aclose()
        await limiter.aclose()

    asyncio.run(main(sys.argv[1]))
    """
)


def _run_two(script: str, *args: str) -> list[str]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(out.strip())
    return outputs


@pytest.mark.redis
def test_two_processes_sharing_a_redis_bucket_never_exceed_its_limit(redis_server):
    outputs = _run_two(WINDOW_WORKER, redis_server, "25")

    assert sum(int(o) for o in outputs) == 10


@pytest.mark.redis
def test_two_processes_share_the_in_flight_limit_through_redis(redis_server):
    import redis

    _run_two(SLOT_WORKER, redis_server)

    client = redis.Redis.from_url(redis_server)
    seen = [int(v) for v in client.lrange("probe:seen", 0, -1)]
    leases_left = client.zcard("shared-test:inflight:replicate")
    client.close()
    assert len(seen) == 8
    assert max(seen) <= 2
    assert leases_left == 0


@pytest.mark.redis
async def test_the_pipeline_uses_the_redis_backend_when_given_a_url(kit, redis_server):
    model = kit.model("fake/image-a")
    registry = kit.build(
        [model],
        PipelineOptions(
            rate_limits={"fake": RateLimit(requests=1, window_seconds=1, max_in_flight=1)},
            rate_limit_backend=redis_server,
            rate_limit_namespace="pipeline-test",
        ),
    )

    await registry.invoke(A, {"prompt": "one"})
    await registry.invoke(A, {"prompt": "two"})

    [wait] = kit.events("provider.ratelimit.wait")
    assert wait["shared"] is True and wait["reason"] == "window"
    limiter = next(m for m in registry.middleware if m.name == "ratelimit").limiter
    assert await limiter.in_flight("fake") == 0
    await limiter.aclose()


@pytest.mark.redis
def test_one_redis_limiter_serves_successive_event_loops(redis_server):
    limiter = RateLimiter(redis_server, namespace="loops-test")
    limit = RateLimit(requests=3, window_seconds=HOUR, max_in_flight=1)

    async def take(count: int) -> list[bool]:
        taken = []
        for _ in range(count):
            async with limiter.slot("k", limit):
                taken.append(await limiter.try_hit("k", limit))
        await limiter.aclose()
        return taken

    assert asyncio.run(take(2)) == [True, True]
    assert asyncio.run(take(2)) == [True, False]  # the same bucket, from a new loop


def test_high_rate_limits_are_paced_by_default_and_slow_ones_keep_their_burst():
    assert RateLimit(requests=20, window_seconds=1).paced
    assert RateLimit(requests=600, window_seconds=60).paced
    assert not RateLimit(requests=3, window_seconds=HOUR).paced
    assert not RateLimit(requests=20, window_seconds=1, pace=False).paced
    assert RateLimit(requests=20, window_seconds=1).interval == pytest.approx(0.05 * 1.2)


async def test_paced_slots_are_evenly_spaced_instead_of_a_burst():
    limiter = RateLimiter()
    limit = RateLimit(requests=20, window_seconds=1)

    started = time.monotonic()
    claimed = []
    for _ in range(5):
        await limiter.claim_paced_slot("replicate", limit)
        claimed.append(time.monotonic() - started)

    # Claimed when due: the first at once, each later one an interval after the previous.
    assert claimed[0] < limit.interval / 2
    gaps = [b - a for a, b in itertools.pairwise(claimed)]
    assert all(gap >= limit.interval * 0.98 for gap in gaps), gaps
    assert await limiter.try_paced_slot("openai", limit) == 0.0  # its own bucket


async def test_a_slot_that_is_not_due_is_not_taken():
    limiter = RateLimiter()
    limit = RateLimit(requests=20, window_seconds=1)
    assert await limiter.try_paced_slot("replicate", limit) == 0.0
    first = await limiter.try_paced_slot("replicate", limit)
    second = await limiter.try_paced_slot("replicate", limit)
    # Asking again does not push the slot further out (nothing is reserved ahead).
    assert 0 < second <= first <= limit.interval


def test_two_limiters_on_one_redis_share_the_paced_slots(redis_server):
    limit = RateLimit(requests=20, window_seconds=1)

    async def claim() -> list[float]:
        first = RateLimiter(redis_server, namespace="pace-test")
        second = RateLimiter(redis_server, namespace="pace-test")
        started = time.monotonic()
        claimed = []
        for limiter in (first, second) * 3:
            await limiter.claim_paced_slot("replicate", limit)
            claimed.append(time.monotonic() - started)
        await first.aclose()
        await second.aclose()
        return claimed

    claimed = asyncio.run(claim())

    # Six claims from two "processes" take six successive slots, not two bursts.
    gaps = [b - a for a, b in itertools.pairwise(claimed)]
    # Measured where each claim returns, so one late wake-up shortens the next gap a little.
    assert all(gap >= limit.interval * 0.8 for gap in gaps), gaps
