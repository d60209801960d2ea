"""The invoke pipeline: middleware composed around a handler's ``invoke``.

A :class:`Middleware` is an object with a ``name``, an ``order`` and an async
``__call__(context, call_next)``. The registry sorts the chain by ``order`` (outermost first)
and wraps every resolved handler in it. The built-in order is documented in
``docs/pipeline.md``; plugin middleware sits just outside the handler.

Each middleware that acts on a result appends its name to ``result.meta.middleware`` so a
caller can see what happened (retried, cached, fell back).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from tutopanda_providers import telemetry as events
from tutopanda_providers.contracts import (
    Descriptor,
    Mode,
    ProducerHandler,
    ProducerResult,
    ProviderRequest,
)
from tutopanda_providers.errors import ProviderError

if TYPE_CHECKING:
    from tutopanda_providers.cards import ModelCard

Next = Callable[["InvokeContext"], Awaitable[ProducerResult]]


@dataclass
class InvokeContext:
    """One invoke as it travels through the chain.

    Attributes:
        request: the request; middleware may replace it (validated inputs, a new attempt).
        card: the model's card.
        handler: the handler that will run at the end of the chain.
        mode: ``live`` or ``mock``.
        state: scratch space middleware share for this invoke (attempt counts, budget).
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
    """Wraps ``invoke``. Lower ``order`` runs further out."""

    name: str
    order: int

    async def __call__(self, context: InvokeContext, call_next: Next) -> ProducerResult:
        """Do something before and/or after ``await call_next(context)``."""
        ...


async def _call_handler(context: InvokeContext) -> ProducerResult:
    return await context.handler.invoke(context.request)


def compose(middleware: Sequence[Middleware]) -> Next:
    """Build one callable that runs ``middleware`` (sorted by order, then name) then the handler."""
    chain: Next = _call_handler
    for mw in sorted(middleware, key=lambda m: (m.order, m.name), reverse=True):
        chain = _bind(mw, chain)
    return chain


def _bind(mw: Middleware, call_next: Next) -> Next:
    async def run(context: InvokeContext) -> ProducerResult:
        return await mw(context, call_next)

    return run


class LifecycleMiddleware:
    """Emits ``provider.invoke.start|end|error`` and records latency and mode on the result."""

    name = "lifecycle"
    order = 0

    async def __call__(self, context: InvokeContext, call_next: Next) -> ProducerResult:
        """Time the call and report how it ended."""
        emitter = context.request.telemetry
        emitter.emit(events.INVOKE_START, mode=context.mode, kind=context.card.kind.value)
        started = time.perf_counter()
        try:
            result = await call_next(context)
        except ProviderError as exc:
            emitter.emit(
                events.INVOKE_ERROR,
                mode=context.mode,
                error_kind=exc.kind.value,
                error=exc.message,
                duration_ms=(time.perf_counter() - started) * 1000,
            )
            raise
        except BaseException as exc:
            emitter.emit(
                events.INVOKE_ERROR,
                mode=context.mode,
                error_kind="canceled" if isinstance(exc, asyncio.CancelledError) else "unexpected",
                error=type(exc).__name__,
                duration_ms=(time.perf_counter() - started) * 1000,
            )
            raise
        elapsed = (time.perf_counter() - started) * 1000
        if result.provider.latency_ms is None:
            result.provider.latency_ms = elapsed
        emitter.emit(
            events.INVOKE_END,
            mode=context.mode,
            mocked=result.meta.mocked,
            cached=result.meta.cached,
            duration_ms=elapsed,
            cost_usd=result.provider.cost.amount_usd,
            cost_status=result.provider.cost.status,
            artefacts=len(result.artefacts),
        )
        return result


class ValidationMiddleware:
    """Validates inputs against the card before anything else touches the network."""

    name = "validate"
    order = 10

    async def __call__(self, context: InvokeContext, call_next: Next) -> ProducerResult:
        """Replace the request's inputs with the validated ones (defaults applied)."""
        if not context.state.get("validated"):
            context.request.inputs = context.card.validate_inputs(context.request.inputs)
            context.state["validated"] = True
        return await call_next(context)


@dataclass
class PipelineOptions:
    """Settings of the built-in middleware (retries, rate limits, cache, fallbacks, budget)."""


def default_middleware(options: PipelineOptions | None = None) -> list[Middleware]:
    """The built-in chain a registry uses unless told otherwise."""
    return [LifecycleMiddleware(), ValidationMiddleware()]


__all__ = [
    "InvokeContext",
    "LifecycleMiddleware",
    "Middleware",
    "Next",
    "PipelineOptions",
    "ValidationMiddleware",
    "compose",
    "default_middleware",
]
