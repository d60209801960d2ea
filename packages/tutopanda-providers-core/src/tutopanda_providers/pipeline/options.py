"""Settings of the built-in middleware and the default chain built from them."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tutopanda_providers.pipeline.budget import Budget, BudgetMiddleware
from tutopanda_providers.pipeline.cache import CacheMiddleware, CacheOptions, ResultCache
from tutopanda_providers.pipeline.deadline import DeadlineMiddleware
from tutopanda_providers.pipeline.fallback import FallbackMiddleware
from tutopanda_providers.pipeline.lifecycle import LifecycleMiddleware
from tutopanda_providers.pipeline.ratelimit import RateLimit, RateLimiter, RateLimitMiddleware
from tutopanda_providers.pipeline.retry import RetryMiddleware, RetryPolicy
from tutopanda_providers.pipeline.validate import ValidationMiddleware

if TYPE_CHECKING:
    from tutopanda_providers.contracts import Descriptor
    from tutopanda_providers.pipeline.context import Middleware


@dataclass
class PipelineOptions:
    """Settings of the built-in middleware.

    Attributes:
        retry: how failed attempts are retried; ``retry.max_attempts`` is the job's attempt
            budget across retries and fallbacks.
        rate_limits: limits per rate key (``"replicate"``, or a card's own ``rate_key``, or a
            ``provider/model`` ref for a per-model bucket).
        rate_limit_backend: ``"memory"`` (this process) or a ``redis://`` URL (shared).
        rate_limit_namespace: prefix of the Redis keys (apps with different namespaces do not
            share buckets).
        cache: the result cache (off by default).
        fallbacks: per producer name or per ``provider/model`` ref, the models to try next.
        budget: the run's :class:`~tutopanda_providers.pricing.Budget` (``None``: no limit).
        default_timeout: seconds a job may take when its request has no deadline.
        capture_prompts: include prompts in telemetry (off by default).
        clock: monotonic clock the retry middleware compares deadlines with.
        sleep: how retry backoff waits (inject a fake to test delays without waiting).
    """

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rate_limits: Mapping[str, RateLimit] = field(default_factory=dict)
    rate_limit_backend: str = "memory"
    rate_limit_namespace: str = "tutopanda"
    cache: CacheOptions = field(default_factory=CacheOptions)
    fallbacks: Mapping[str, Sequence[Descriptor | str]] = field(default_factory=dict)
    budget: Budget | None = None
    default_timeout: float | None = None
    capture_prompts: bool = False
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] | None = None


def default_middleware(options: PipelineOptions | None = None) -> list[Middleware]:
    """The built-in chain a registry uses unless told otherwise (disabled parts left out)."""
    options = options or PipelineOptions()
    chain: list[Middleware] = [
        LifecycleMiddleware(capture_prompts=options.capture_prompts),
        DeadlineMiddleware(options.default_timeout),
        ValidationMiddleware(),
        RetryMiddleware(options.retry, sleep=options.sleep, clock=options.clock),
        RateLimitMiddleware(
            options.rate_limits,
            RateLimiter(options.rate_limit_backend, namespace=options.rate_limit_namespace),
        ),
    ]
    if options.fallbacks:
        chain.append(FallbackMiddleware(options.fallbacks))
    if options.cache.enabled:
        chain.append(
            CacheMiddleware(ResultCache(options.cache.directory, options.cache.memory_entries))
        )
    if options.budget is not None:
        chain.append(BudgetMiddleware(options.budget))
    return chain


def bind_middleware(middleware: Sequence[object], registry: object) -> None:
    """Call ``bind(registry)`` on every middleware that has one (fallbacks resolve through it)."""
    for mw in middleware:
        bind = getattr(mw, "bind", None)
        if callable(bind):
            bind(registry)


__all__ = ["PipelineOptions", "bind_middleware", "default_middleware"]
