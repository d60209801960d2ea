"""The invoke pipeline: middleware composed around a handler's ``invoke``.

A :class:`Middleware` is an object with a ``name``, an ``order`` and an async
``__call__(context, call_next)``. The registry sorts the chain by ``order`` (outermost first)
and wraps every resolved handler in it. The built-in chain, outermost first (the reasons are in
``docs/pipeline.md``):

=====  ============  ==========================================================================
order  name          does
=====  ============  ==========================================================================
0      lifecycle     ``provider.invoke.start|end|error``; latency; unexpected errors made safe
10     deadline      one deadline per job, around retries and fallbacks together
20     fallback      on a failure that allows it, the next configured (provider, model)
30     validate      adapt producer-level inputs and validate them against the model's card
40     cache         opt-in: serve a stored result for the same validated request
50     budget        refuse a call whose estimate would push the run past its budget
60     retry         retry retryable failures (tenacity), one attempt budget per job
70     ratelimit     wait for the bucket's window and in-flight slots, per attempt
100+   (plugins)     plugin middleware, just around the handler
=====  ============  ==========================================================================

Each middleware that acts on a result appends its name to ``result.meta.middleware`` so a
caller can see what happened (validated, retried, cached, fell back, waited, budgeted).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from tutopanda_providers import telemetry as events
from tutopanda_providers.cache import CacheMiddleware, CacheOptions, ResultCache
from tutopanda_providers.contracts import (
    Descriptor,
    Mode,
    ProducerHandler,
    ProducerResult,
    ProviderRequest,
)
from tutopanda_providers.deadline import DeadlineMiddleware
from tutopanda_providers.errors import ProviderError, ProviderFailedError
from tutopanda_providers.fallback import FallbackMiddleware
from tutopanda_providers.pricing import Budget, BudgetMiddleware
from tutopanda_providers.ratelimit import RateLimit, RateLimiter, RateLimitMiddleware
from tutopanda_providers.retry import RetryMiddleware, RetryPolicy
from tutopanda_providers.secrets import has_known_secrets, scrub, scrub_data

if TYPE_CHECKING:
    from tutopanda_providers.cards import ModelCard

log = logging.getLogger(__name__)

Next = Callable[["InvokeContext"], Awaitable[ProducerResult]]

#: Orders of the built-in middleware; plugin middleware should use 100 or more.
ORDER_LIFECYCLE = 0
ORDER_DEADLINE = DeadlineMiddleware.order
ORDER_FALLBACK = FallbackMiddleware.order
ORDER_VALIDATE = 30
ORDER_CACHE = CacheMiddleware.order
ORDER_BUDGET = BudgetMiddleware.order
ORDER_RETRY = RetryMiddleware.order
ORDER_RATELIMIT = RateLimitMiddleware.order
ORDER_PLUGIN = 100


@dataclass
class InvokeContext:
    """One invoke as it travels through the chain.

    Attributes:
        request: the request; middleware may replace it (validated inputs, a fallback model).
        card: the model's card.
        handler: the handler that will run at the end of the chain.
        mode: ``live`` or ``mock``.
        state: scratch space middleware share for this job (attempt counts, handler version);
            shared by the contexts of a job's fallbacks.
    """

    request: ProviderRequest
    card: ModelCard
    handler: ProducerHandler
    mode: Mode
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def descriptor(self) -> Descriptor:
        """The model being invoked."""
        return self.request.descriptor


@runtime_checkable
class Middleware(Protocol):
    """Wraps ``invoke``. Lower ``order`` runs further out.

    A middleware may also define ``bind(registry)``: the registry calls it once, when it
    assembles the chain, so the middleware can resolve other models (fallbacks do).
    """

    name: str
    order: int

    async def __call__(self, context: InvokeContext, call_next: Next) -> ProducerResult:
        """Do something before and/or after ``await call_next(context)``."""
        ...


def _call_handler(context: InvokeContext) -> Awaitable[ProducerResult]:
    return context.handler.invoke(context.request)


def compose(middleware: Sequence[Middleware]) -> Next:
    """Build one callable that runs ``middleware`` (sorted by order, then name) then the handler."""
    chain: Next = _call_handler
    for mw in sorted(middleware, key=lambda m: (m.order, m.name), reverse=True):
        chain = _bind(mw, chain)
    return chain


def _bind(mw: Middleware, call_next: Next) -> Next:
    # A plain function returning the middleware's coroutine: one coroutine per layer, not two.
    call = mw.__call__

    def run(context: InvokeContext) -> Awaitable[ProducerResult]:
        return call(context, call_next)

    return run


_invoke_ids = itertools.count(1)
_NO_TOKENS: dict[str, Any] = {}


class LifecycleMiddleware:
    """Emits ``provider.invoke.start|end|error`` and records latency on the result.

    Also the last line of defence for secrets: known secrets are blanked out of the result's
    ids, extras and inline artefacts; an exception that is not a
    :class:`ProviderError` (a handler bug, an SDK error whose text may hold a URL with a key)
    becomes a :class:`ProviderFailedError` with a scrubbed message and no chained cause; its
    scrubbed traceback is logged at DEBUG. A ``ProviderError``'s chained causes are cut where
    their text would reveal a known secret.

    Args:
        capture_prompts: put the ``prompt``/``text`` input into the start event (off by default:
            prompts are user content).
    """

    name = "lifecycle"
    order = ORDER_LIFECYCLE

    def __init__(self, *, capture_prompts: bool = False) -> None:
        self.capture_prompts = capture_prompts

    async def __call__(self, context: InvokeContext, call_next: Next) -> ProducerResult:
        """Time the call and report how it ended."""
        emitter = context.request.telemetry
        invoke_id = next(_invoke_ids)
        kind = context.card.kind.value
        if self.capture_prompts:
            inputs = context.request.inputs
            prompt = inputs.get("prompt", inputs.get("text"))
            emitter.emit(
                events.INVOKE_START,
                invoke_id=invoke_id,
                mode=context.mode,
                kind=kind,
                prompt=prompt,
            )
        else:
            emitter.emit(events.INVOKE_START, invoke_id=invoke_id, mode=context.mode, kind=kind)
        started = time.perf_counter()
        try:
            result = await call_next(context)
        except ProviderError as exc:
            _cut_secret_causes(exc)
            self._error(context, invoke_id, kind, exc.kind.value, exc.message, started)
            raise
        except asyncio.CancelledError:
            self._error(context, invoke_id, kind, "canceled", "CancelledError", started)
            raise
        except Exception as exc:
            safe = ProviderFailedError(
                f"{context.descriptor}: the {context.mode} handler raised "
                f"{type(exc).__name__}: {exc}",
                retryable=False,
                provider=context.descriptor.provider,
                model=context.descriptor.model,
                details={"exception": type(exc).__name__},
            )
            log.debug(
                "handler error for %s:\n%s",
                context.descriptor,
                scrub("".join(traceback.format_exception(exc))),
            )
            self._error(context, invoke_id, kind, safe.kind.value, safe.message, started)
            raise safe from None
        elapsed = (time.perf_counter() - started) * 1000
        if has_known_secrets():
            _scrub_result(result)
        provider = result.provider
        if provider.latency_ms is None:
            provider.latency_ms = elapsed
        cost = provider.cost
        meta = result.meta
        usage = provider.extra.get("usage") if provider.extra else None
        if isinstance(usage, Mapping):
            tokens = {
                "input_tokens": usage.get("input_tokens"),
                "output_tokens": usage.get("output_tokens"),
            }
        else:
            tokens = _NO_TOKENS
        emitter.emit(
            events.INVOKE_END,
            invoke_id=invoke_id,
            mode=context.mode,
            kind=kind,
            mocked=meta.mocked,
            cached=meta.cached,
            fell_back=meta.fell_back,
            response_model=f"{provider.provider}/{provider.model}",
            attempts=provider.attempts,
            duration_ms=elapsed,
            cost_usd=cost.amount_usd,
            cost_status=cost.status,
            artefacts=len(result.artefacts),
            **tokens,
        )
        return result

    @staticmethod
    def _error(
        context: InvokeContext,
        invoke_id: int,
        kind: str,
        error_kind: str,
        message: str,
        started: float,
    ) -> None:
        context.request.telemetry.emit(
            events.INVOKE_ERROR,
            invoke_id=invoke_id,
            mode=context.mode,
            kind=kind,
            error_kind=error_kind,
            error=message,
            duration_ms=(time.perf_counter() - started) * 1000,
        )


def _scrub_result(result: ProducerResult) -> None:
    """Blank known secrets out of what a handler returned (its ids, extras, inline artefacts):
    results end up in event logs and manifests, which are files."""
    provider = result.provider
    if provider.extra:
        provider.extra = scrub_data(provider.extra)  # type: ignore[assignment]
    if provider.response_ids:
        provider.response_ids = [scrub(i) for i in provider.response_ids]
    if provider.model_version:
        provider.model_version = scrub(provider.model_version)
    for artefact in result.artefacts:
        if artefact.text:
            artefact.text = scrub(artefact.text)
        if artefact.data is not None:
            artefact.data = scrub_data(artefact.data)
        if artefact.blob is not None:
            artefact.blob.uri = scrub(artefact.blob.uri)


def _cut_secret_causes(exc: BaseException) -> None:
    """Drop the part of an exception's cause chain whose text holds a known secret."""
    link: BaseException = exc
    seen = {id(exc)}
    while True:
        nxt = link.__cause__ or (None if link.__suppress_context__ else link.__context__)
        if nxt is None or id(nxt) in seen:
            return
        seen.add(id(nxt))
        text = f"{nxt!s} {nxt!r}"
        if scrub(text) != text:
            link.__cause__ = None
            link.__context__ = None
            link.__suppress_context__ = True
            return
        link = nxt


class ValidationMiddleware:
    """Adapts producer-level inputs and validates them against the card before any call."""

    name = "validate"
    order = ORDER_VALIDATE

    async def __call__(self, context: InvokeContext, call_next: Next) -> ProducerResult:
        """Replace the request's inputs with the validated ones (defaults applied)."""
        context.request.inputs = context.card.validate_inputs(context.request.inputs)
        result = await call_next(context)
        result.meta.middleware.append(self.name)
        return result


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


__all__ = [
    "ORDER_BUDGET",
    "ORDER_CACHE",
    "ORDER_DEADLINE",
    "ORDER_FALLBACK",
    "ORDER_LIFECYCLE",
    "ORDER_PLUGIN",
    "ORDER_RATELIMIT",
    "ORDER_RETRY",
    "ORDER_VALIDATE",
    "Budget",
    "CacheOptions",
    "InvokeContext",
    "LifecycleMiddleware",
    "Middleware",
    "Next",
    "PipelineOptions",
    "RateLimit",
    "RetryPolicy",
    "ValidationMiddleware",
    "bind_middleware",
    "compose",
    "default_middleware",
]
