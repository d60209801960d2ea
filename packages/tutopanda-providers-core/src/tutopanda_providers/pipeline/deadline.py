"""Deadlines and cancellation: one deadline per job, across retries and fallbacks.

The middleware runs the rest of the chain under ``asyncio.timeout`` set to the job's
``request.deadline`` (or ``PipelineOptions.default_timeout`` from now, when the request has
none). When the deadline passes the running handler's task is cancelled: the handler sees
``asyncio.CancelledError`` at its current ``await``, and its ``except CancelledError`` /
``finally`` cancels the remote job (a Replicate prediction, an OpenAI background response) so
nothing keeps running and billing unseen. The caller then gets a
:class:`~tutopanda_providers.errors.ProviderTimeoutError`.

A caller that cancels the invoke's task gets the same behaviour, with ``CancelledError``
propagating as asyncio requires.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from tutopanda_providers.contracts import ProviderTimeoutError

if TYPE_CHECKING:
    from tutopanda_providers.contracts import ProducerResult
    from tutopanda_providers.pipeline.context import InvokeContext, Next


class DeadlineMiddleware:
    """Enforces the job's deadline around everything inside it."""

    name = "deadline"
    order = 10

    def __init__(self, default_timeout: float | None = None) -> None:
        self.default_timeout = default_timeout

    async def __call__(self, context: InvokeContext, call_next: Next) -> ProducerResult:
        """Run the rest of the chain under the job's deadline."""
        request = context.request
        if request.deadline is None:
            if self.default_timeout is None:
                return await call_next(context)
            request.deadline = time.monotonic() + self.default_timeout
        remaining = request.deadline - time.monotonic()
        if remaining <= 0:
            raise self._expired(context, 0.0)
        loop = asyncio.get_running_loop()
        timeout = asyncio.timeout_at(loop.time() + remaining)
        try:
            async with timeout:
                return await call_next(context)
        except TimeoutError:
            if not timeout.expired():
                raise  # some inner timeout of the handler's own, not the job's deadline
            raise self._expired(context, remaining) from None

    @staticmethod
    def _expired(context: InvokeContext, budget: float) -> ProviderTimeoutError:
        return ProviderTimeoutError(
            f"{context.descriptor} did not finish before the job's deadline "
            f"({budget:.3g}s were left when it started); the running call was cancelled. "
            "Raise the timeout or try again later.",
            retryable=False,
            provider=context.descriptor.provider,
            model=context.descriptor.model,
            details={"deadline": True},
        )


__all__ = ["DeadlineMiddleware"]
