"""Rate limits: requests per window and calls in flight, per rate key.

Every live call passes through a bucket named by the model's rate key
(``card.effective_rate_key``: the provider by default, or what the card sets to give a model its
own bucket). A bucket has up to two limits:

* ``requests`` per ``window_seconds`` — counted by the ``limits`` library (moving or fixed
  window); no bucket arithmetic is written here.
* ``max_in_flight`` — calls running at once.

Backends and their scope (say it plainly, because "100 rpm" on 4 workers is 400 rpm unless the
store is shared):

* ``"memory"`` (default): the window counts are shared by everything in **this process**;
  the in-flight limit is an ``asyncio.Semaphore`` shared by the invokes of **one event loop**
  (one per process in practice).
* ``"redis://host:port/db"``: both limits are shared by **every process** using the same Redis
  server and ``namespace`` — a CLI, a server and several workers together. Windows use
  ``limits``' Redis storage; calls in flight are leases in a sorted set, taken and released by
  atomic Lua scripts, each lease expiring after ``lease_seconds`` so a crashed process cannot
  hold a slot for ever.

Waiting for a slot emits ``provider.ratelimit.wait`` with the seconds waited.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from tutopanda_providers import telemetry as events
from tutopanda_providers.contracts import ConfigurationError

if TYPE_CHECKING:
    from tutopanda_providers.contracts import ModelCard, ProducerResult
    from tutopanda_providers.pipeline.context import InvokeContext, Next


#: Limits whose requests are at most this many seconds apart are paced by default.
PACE_UP_TO_SECONDS = 1.0


@dataclass(frozen=True)
class RateLimit:
    """The limits of one bucket.

    Attributes:
        requests: calls allowed per window (``None``: no window limit).
        window_seconds: the window's length in whole seconds.
        max_in_flight: calls running at once (``None``: no limit).
        strategy: ``moving`` (a true sliding log, exact) or ``fixed`` (cheaper, allows a burst
            of up to twice the limit across a window boundary).
        pace: space admissions evenly, one every ``window_seconds / requests`` seconds
            (stretched by ``pace_margin``), instead of letting a whole window's worth go at
            once. The provider counts requests when they *arrive*; a burst admitted together
            reaches it spread by the event loop's jitter, and bursts of two windows then
            overlap at the provider. Pacing is what keeps the provider's count under the limit.
            ``None`` (default): pace when that interval is at most :data:`PACE_UP_TO_SECONDS`
            (high rates such as 20/s or 600/min, where a burst meets the jitter); a slow limit
            such as 3 an hour keeps its burst.
        pace_margin: how much slower than the limit to pace (0.2: 83% of the limit), the slack
            that absorbs the jitter between admission and arrival. At 10/s it leaves 200 ms a
            window for requests that reach the provider later than the ones admitted after
            them. 0.04 let a loaded 2-core machine see 6 creates in one second at 5/s; 0.1 let
            it see 11 at 10/s once two processes each loaded five plugins.
    """

    requests: int | None = None
    window_seconds: int = 60
    max_in_flight: int | None = None
    strategy: Literal["moving", "fixed"] = "moving"
    pace: bool | None = None
    pace_margin: float = 0.2

    @property
    def paced(self) -> bool:
        """True when admissions of this bucket are evenly spaced."""
        if self.requests is None:
            return False
        if self.pace is None:
            return self.window_seconds / self.requests <= PACE_UP_TO_SECONDS
        return self.pace

    @property
    def interval(self) -> float:
        """Seconds between two paced admissions (0 when not paced)."""
        if not self.paced or self.requests is None:
            return 0.0
        return self.window_seconds / self.requests * (1.0 + self.pace_margin)

    def __post_init__(self) -> None:
        if self.requests is not None and self.requests < 1:
            raise ValueError("RateLimit.requests must be at least 1")
        if self.window_seconds < 1:
            raise ValueError("RateLimit.window_seconds must be a whole number of seconds >= 1")
        if self.max_in_flight is not None and self.max_in_flight < 1:
            raise ValueError("RateLimit.max_in_flight must be at least 1")
        if not 0.0 <= self.pace_margin < 1.0:
            raise ValueError("RateLimit.pace_margin must be in [0, 1)")


_ACQUIRE_LEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
  return 1
end
return 0
"""


# Claim the paced slot of a key if it is due ("theoretical arrival time", as in GCRA, with no
# burst): when the slot is due, take it and move it one interval past *now*, and return 0;
# else return the milliseconds until it is due (at least 1), taking nothing. A slot is claimed
# when its holder is awake and about to send, never reserved ahead: a reservation made early
# and slept on wakes late under load, and a late wake-up bunches with the next one at the
# provider (the cause of 6 creates in a second at 5/s).
_CLAIM_PACED_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat > now then
  return math.max(1, math.ceil(tat - now))
end
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], tostring(now + interval), 'PX', math.floor(interval + 1000))
return 0
"""


class RateLimiter:
    """Buckets keyed by rate key, on the memory or the Redis backend.

    Args:
        backend: ``"memory"`` or a ``redis://`` / ``rediss://`` / ``unix://`` URL.
        namespace: prefix of every key in Redis, so unrelated apps do not share buckets.
        poll_interval: seconds between tries while waiting for an in-flight lease in Redis.
        lease_seconds: how long a Redis in-flight lease lives if its holder never releases it.
    """

    def __init__(
        self,
        backend: str = "memory",
        *,
        namespace: str = "tutopanda",
        poll_interval: float = 0.02,
        lease_seconds: float = 600.0,
    ) -> None:
        self.backend = backend
        self.namespace = namespace
        self.poll_interval = poll_interval
        self.lease_seconds = lease_seconds
        self.shared = backend != "memory"
        if self.shared and not backend.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigurationError(
                f"rate-limit backend {backend!r} is neither 'memory' nor a redis:// URL"
            )
        self._items: dict[RateLimit, Any] = {}
        self._sync_limiters: dict[str, Any] = {}
        self._next_paced: dict[str, float] = {}
        self._pace_locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]
        ] = weakref.WeakKeyDictionary()
        # Async Redis clients belong to the event loop that made them: one set per loop.
        self._redis_state: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = (
            weakref.WeakKeyDictionary()
        )

    # -- windows ---------------------------------------------------------------------------
    def _item(self, limit: RateLimit) -> Any:
        item = self._items.get(limit)
        if item is None:
            from limits import RateLimitItemPerSecond

            assert limit.requests is not None
            item = RateLimitItemPerSecond(limit.requests, limit.window_seconds, self.namespace)
            self._items[limit] = item
        return item

    def _limiter(self, strategy: str) -> Any:
        if not self.shared:
            found = self._sync_limiters.get(strategy)
            if found is None:
                from limits.storage import MemoryStorage
                from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

                storage = self._sync_limiters.get("_storage") or MemoryStorage()
                self._sync_limiters["_storage"] = storage
                cls = MovingWindowRateLimiter if strategy == "moving" else FixedWindowRateLimiter
                found = self._sync_limiters[strategy] = cls(storage)
            return found
        state = self._loop_state()
        found = state.get(strategy)
        if found is None:
            try:
                from limits.aio.storage import RedisStorage
                from limits.aio.strategies import (
                    FixedWindowRateLimiter as AioFixed,
                )
                from limits.aio.strategies import (
                    MovingWindowRateLimiter as AioMoving,
                )
            except ImportError as exc:  # pragma: no cover - depends on the installed extras
                raise _missing_redis() from exc
            storage = state.get("storage")
            if storage is None:
                storage = state["storage"] = RedisStorage(
                    f"async+{self.backend}", implementation="redispy", key_prefix=self.namespace
                )
            aio_cls = AioMoving if strategy == "moving" else AioFixed
            found = state[strategy] = aio_cls(storage)
        return found

    def _loop_state(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        state = self._redis_state.get(loop)
        if state is None:
            state = self._redis_state[loop] = {}
        return state

    async def try_hit(self, key: str, limit: RateLimit) -> bool:
        """Take one request from ``key``'s window if one is left; ``True`` when taken."""
        item = self._item(limit)
        limiter = self._limiter(limit.strategy)
        if self.shared:
            return bool(await limiter.hit(item, key))
        return bool(limiter.hit(item, key))

    async def _window_reset(self, key: str, limit: RateLimit) -> float:
        item = self._item(limit)
        limiter = self._limiter(limit.strategy)
        stats = (
            await limiter.get_window_stats(item, key)
            if self.shared
            else limiter.get_window_stats(item, key)
        )
        return float(stats.reset_time)

    async def try_paced_slot(self, key: str, limit: RateLimit) -> float:
        """Claim ``key``'s paced slot if it is due: 0.0 when claimed, else the seconds until
        it is due (nothing taken). Shared through Redis when the backend is."""
        interval = limit.interval
        if self.shared:
            await self._redis_client()
            script = self._loop_state()["pace_script"]
            wait_ms = await script(keys=[self._pace_key(key)], args=[interval * 1000])
            return max(0.0, float(wait_ms) / 1000)
        now = time.monotonic()
        due = self._next_paced.get(key, 0.0)
        if due > now:
            return due - now
        self._next_paced[key] = now + interval
        return 0.0

    async def claim_paced_slot(self, key: str, limit: RateLimit) -> float:
        """Wait for ``key``'s next paced slot and claim it; return the seconds waited (0.0
        when the slot was due at once).

        The waiters of one event loop queue on a lock, so one of them at a time polls the
        (possibly shared) slot: a process adds one contender per slot, not one per worker.
        """
        started = time.monotonic()
        lock = self._pace_lock(key)
        queued = lock.locked()
        async with lock:
            slept = queued
            while True:
                delay = await self.try_paced_slot(key, limit)
                if delay <= 0:
                    return time.monotonic() - started if slept else 0.0
                slept = True
                await asyncio.sleep(delay)

    def _pace_lock(self, key: str) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        per_loop = self._pace_locks.get(loop)
        if per_loop is None:
            per_loop = self._pace_locks[loop] = {}
        lock = per_loop.get(key)
        if lock is None:
            lock = per_loop[key] = asyncio.Lock()
        return lock

    async def wait_for_window(self, key: str, limit: RateLimit) -> float:
        """Wait until ``key``'s window has room and take it; return the seconds waited.

        When ``limit.paced``, the caller first waits for its evenly spaced slot and claims it
        when due (see :meth:`claim_paced_slot`). If the window is still full (a hit recorded
        late, e.g. the first one, which pays for the Redis connection), the caller waits for
        the window and claims a paced slot *again*: every admission is a paced one, never a
        burst let through when the window frees up.
        """
        started = time.monotonic()
        waited = False
        while True:
            if limit.paced and await self.claim_paced_slot(key, limit) > 0:
                waited = True
            if await self.try_hit(key, limit):
                return time.monotonic() - started if waited else 0.0
            waited = True
            reset = await self._window_reset(key, limit)
            await asyncio.sleep(max(0.005, reset - time.time()))

    # -- calls in flight -------------------------------------------------------------------
    def slot(self, key: str, limit: RateLimit) -> AbstractAsyncContextManager[float]:
        """An async context manager holding one in-flight slot of ``key``; yields seconds waited."""
        if self.shared:
            return _RedisLease(self, key, limit)
        loop = asyncio.get_running_loop()
        per_loop = self._semaphores.get(loop)
        if per_loop is None:
            per_loop = self._semaphores[loop] = {}
        semaphore = per_loop.get(key)
        if semaphore is None:
            assert limit.max_in_flight is not None
            semaphore = per_loop[key] = asyncio.Semaphore(limit.max_in_flight)
        return _SemaphoreSlot(semaphore)

    async def _redis_client(self) -> tuple[Any, Any]:
        """This loop's Redis client and lease script."""
        state = self._loop_state()
        client = state.get("client")
        if client is None:
            try:
                import redis.asyncio as aioredis
            except ImportError as exc:  # pragma: no cover - depends on the installed extras
                raise _missing_redis() from exc
            client = state["client"] = aioredis.Redis.from_url(self.backend)
            state["lease_script"] = client.register_script(_ACQUIRE_LEASE)
            state["pace_script"] = client.register_script(_CLAIM_PACED_SLOT)
        return client, state["lease_script"]

    async def in_flight(self, key: str) -> int:
        """Leases currently held on ``key`` (Redis backend), for diagnostics and tests."""
        client, _ = await self._redis_client()
        now_ms = int(time.time() * 1000)
        return int(await client.zcount(self._lease_key(key), now_ms, "+inf"))

    def _lease_key(self, key: str) -> str:
        return f"{self.namespace}:inflight:{key}"

    def _pace_key(self, key: str) -> str:
        return f"{self.namespace}:pace:{key}"

    async def aclose(self) -> None:
        """Close this event loop's Redis connections, if any."""
        loop = asyncio.get_running_loop()
        state = self._redis_state.pop(loop, None) or {}
        client = state.get("client")
        if client is not None:
            await client.aclose()
        storage = state.get("storage")
        bridge_client = getattr(getattr(storage, "bridge", None), "storage", None)
        close = getattr(bridge_client, "aclose", None)
        if close is not None:
            await close()

    def __repr__(self) -> str:
        scope = "shared (redis)" if self.shared else "this process"
        return f"RateLimiter(scope={scope!r})"


def _missing_redis() -> ConfigurationError:
    return ConfigurationError(
        "the Redis rate-limit backend needs redis: pip install 'tutopanda-providers-core[redis]'"
    )


class _SemaphoreSlot:
    __slots__ = ("_semaphore",)

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self._semaphore = semaphore

    async def __aenter__(self) -> float:
        if not self._semaphore.locked():
            await self._semaphore.acquire()
            return 0.0
        started = time.monotonic()
        await self._semaphore.acquire()
        return time.monotonic() - started

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._semaphore.release()


class _RedisLease:
    def __init__(self, limiter: RateLimiter, key: str, limit: RateLimit) -> None:
        self._limiter = limiter
        self._key = limiter._lease_key(key)
        self._limit = limit
        self._id = uuid.uuid4().hex
        self._client: Any = None

    async def __aenter__(self) -> float:
        self._client, script = await self._limiter._redis_client()
        ttl_ms = int(self._limiter.lease_seconds * 1000)
        args = [self._limit.max_in_flight, self._id, ttl_ms]
        if await script(keys=[self._key], args=args):
            return 0.0
        started = time.monotonic()
        while True:
            await asyncio.sleep(self._limiter.poll_interval)
            if await script(keys=[self._key], args=args):
                return time.monotonic() - started

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Shielded: a cancelled job must still give its slot back.
        await asyncio.shield(self._client.zrem(self._key, self._id))


class RateLimitMiddleware:
    """Waits for a window slot and an in-flight slot of the model's bucket, per attempt.

    Mock calls reach no provider and are not limited. Adds ``"ratelimit"`` to
    ``result.meta.middleware`` when the call had to wait.
    """

    name = "ratelimit"
    order = 70

    def __init__(self, limits: Mapping[str, RateLimit], limiter: RateLimiter) -> None:
        self.limits = dict(limits)
        self.limiter = limiter
        self._by_card: dict[str, tuple[str, RateLimit] | None] = {}

    def bucket_for(self, card: ModelCard) -> tuple[str, RateLimit] | None:
        """``(rate key, limit)`` for ``card``, or ``None`` when it is not limited.

        Looks up ``provider/model`` first (a per-model bucket set in the options), then the
        card's effective rate key, then the card's documented ``rate_limit`` (requests per
        minute).
        """
        ref = card.ref
        if ref in self._by_card:
            return self._by_card[ref]
        found: tuple[str, RateLimit] | None = None
        if ref in self.limits:
            found = (ref, self.limits[ref])
        elif card.effective_rate_key in self.limits:
            found = (card.effective_rate_key, self.limits[card.effective_rate_key])
        elif card.rate_limit:
            found = (card.effective_rate_key, RateLimit(requests=max(1, int(card.rate_limit))))
        self._by_card[ref] = found
        return found

    async def __call__(self, context: InvokeContext, call_next: Next) -> ProducerResult:
        """Take the slots (waiting if needed), then call the rest of the chain."""
        if context.mode == "mock":
            return await call_next(context)
        bucket = self.bucket_for(context.card)
        if bucket is None:
            return await call_next(context)
        key, limit = bucket
        if limit.max_in_flight is None:
            waited = await self.limiter.wait_for_window(key, limit) if limit.requests else 0.0
            if waited:
                self._report(context, key, waited, "window")
            result = await call_next(context)
        else:
            async with self.limiter.slot(key, limit) as waited_slot:
                if waited_slot:
                    self._report(context, key, waited_slot, "in_flight")
                waited = await self.limiter.wait_for_window(key, limit) if limit.requests else 0.0
                if waited:
                    self._report(context, key, waited, "window")
                waited += waited_slot
                result = await call_next(context)
        if waited:
            result.meta.middleware.append(self.name)
        return result

    def _report(self, context: InvokeContext, key: str, waited: float, reason: str) -> None:
        context.request.telemetry.emit(
            events.RATE_LIMIT_WAIT,
            rate_key=key,
            wait_s=round(waited, 6),
            reason=reason,
            shared=self.limiter.shared,
        )


__all__ = ["PACE_UP_TO_SECONDS", "RateLimit", "RateLimitMiddleware", "RateLimiter"]
