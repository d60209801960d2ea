"""The outermost middleware: lifecycle events, latency, and the last line of defence for secrets."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import traceback
from typing import TYPE_CHECKING, Any

from tutopanda_providers import telemetry as events
from tutopanda_providers.contracts import (
    ProducerResult,
    ProviderError,
    ProviderFailedError,
    has_known_secrets,
    scrub,
    scrub_data,
)
from tutopanda_providers.pipeline.context import ORDER_LIFECYCLE

if TYPE_CHECKING:
    from tutopanda_providers.pipeline.context import InvokeContext, Next

log = logging.getLogger(__name__)

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
        usage = provider.usage
        if usage is not None:
            tokens = {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}
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


__all__ = ["LifecycleMiddleware"]
