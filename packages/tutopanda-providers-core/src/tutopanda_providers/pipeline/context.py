"""What travels through the pipeline: :class:`InvokeContext`, the :class:`Middleware` protocol,
the built-in orders, and :func:`compose`, which chains middleware around a handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from tutopanda_providers.contracts import Descriptor, Mode, ModelCard, ProducerResult
    from tutopanda_providers.handler import ProducerHandler, ProducerRequest

Next = Callable[["InvokeContext"], Awaitable["ProducerResult"]]

#: Orders of the built-in middleware (outermost first); plugin middleware should use 100 or more.
ORDER_LIFECYCLE = 0
ORDER_DEADLINE = 10
ORDER_FALLBACK = 20
ORDER_VALIDATE = 30
ORDER_CACHE = 40
ORDER_BUDGET = 50
ORDER_RETRY = 60
ORDER_RATELIMIT = 70
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

    request: ProducerRequest
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


class ResolvedModel(Protocol):
    """A model resolved to its handler, as a :class:`ModelResolver` returns it."""

    @property
    def card(self) -> ModelCard:
        """The model's card."""
        ...

    @property
    def handler(self) -> ProducerHandler:
        """The handler that serves it."""
        ...

    @property
    def mode(self) -> Mode:
        """``live`` or ``mock``."""
        ...

    @property
    def version(self) -> str:
        """The handler's version (part of the fingerprint of what it makes)."""
        ...


class ModelResolver(Protocol):
    """What middleware may ask of the registry: cards and handlers of other models.

    The registry implements it and hands itself to each middleware's ``bind``; middleware
    never imports the registry (it sits above the pipeline).
    """

    def card(self, descriptor: Descriptor | str) -> ModelCard:
        """The card of ``descriptor``; raises ``UnknownModelError``."""
        ...

    def resolve(self, descriptor: Descriptor, *, mode: Mode | None = None) -> ResolvedModel:
        """The handler of ``descriptor`` in ``mode``; raises ``ProviderError``."""
        ...


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
    "InvokeContext",
    "Middleware",
    "ModelResolver",
    "ResolvedModel",
    "Next",
    "compose",
]
