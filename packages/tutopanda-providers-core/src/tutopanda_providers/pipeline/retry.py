"""Retries: one loop, owned by the registry, built on tenacity.

The first attempt runs without any retry machinery (most calls succeed, and building a
tenacity controller costs more than the whole rest of the pipeline). Only when that attempt
raises a retryable :class:`~tutopanda_providers.errors.ProviderError` does an
:class:`tenacity.AsyncRetrying` take over: it replays the first failure to itself, then decides
every wait, sleep and stop. So the policy lives in one place and no loop is hand-written.

What is retried:
    only errors whose ``retryable`` is true (rate limited, transient, timeout by default), and
    never one with ``request_sent=True`` (a paid create may exist; the handler must first
    confirm no job exists and then raise with ``request_sent=False``).

How long to wait:
    ``min(max_backoff, base_backoff * 2**(n-1)) + uniform(0, jitter)``, or the provider's
    ``retry_after`` when that is longer. A wait that would end past the job's deadline is not
    started: the last error is raised at once.

How many attempts:
    ``attempts_per_model`` on one model, and ``max_attempts`` for the whole job, shared by
    retries and fallbacks (see ``docs/pipeline.md``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tutopanda_providers import telemetry as events
from tutopanda_providers.contracts import ProviderError

if TYPE_CHECKING:
    from tenacity import RetryCallState

    from tutopanda_providers.contracts import ProducerResult
    from tutopanda_providers.pipeline.context import InvokeContext, Next

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

#: ``InvokeContext.state`` key: attempts made so far by this job, across retries and fallbacks.
ATTEMPTS = "attempts"
#: ``InvokeContext.state`` key: the attempt budget of this job.
MAX_ATTEMPTS = "max_attempts"


@dataclass
class RetryPolicy:
    """How the registry retries a failed attempt.

    Attributes:
        max_attempts: attempts per job, counting retries and fallbacks together (>= 1).
        attempts_per_model: attempts on one model before its failure stands (and a fallback,
            if any, takes over); the job's ``max_attempts`` caps them all.
        base_backoff: seconds before the first retry (doubled each time).
        max_backoff: longest computed backoff in seconds (a provider's ``retry_after`` may
            ask for longer and is honoured).
        jitter: up to this many random seconds added to each backoff.
        max_retry_after: a provider asking to wait longer than this is not waited for; the
            error is raised instead.
        random: returns a float in ``[0, 1)``; injectable so tests can fix the jitter.
    """

    max_attempts: int = 6
    attempts_per_model: int = 3
    base_backoff: float = 0.5
    max_backoff: float = 30.0
    jitter: float = 0.25
    max_retry_after: float = 120.0
    random: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.attempts_per_model < 1:
            raise ValueError("RetryPolicy.max_attempts and attempts_per_model must be at least 1")

    def backoff(self, retry_number: int) -> float:
        """The computed wait before retry ``retry_number`` (1 for the first retry)."""
        base = min(self.max_backoff, self.base_backoff * 2.0 ** (retry_number - 1))
        return base + (self.jitter * self.random() if self.jitter > 0 else 0.0)


def is_retryable(exc: BaseException) -> bool:
    """True for a :class:`ProviderError` that may be retried without risking a second paid job."""
    return isinstance(exc, ProviderError) and exc.retryable and not exc.request_sent


class RetryMiddleware:
    """Retries retryable failures of the chain inside it, with backoff and jitter.

    Records the attempts of the model that answered in ``result.provider.attempts`` and adds
    ``"retry"`` to ``result.meta.middleware`` when more than one attempt was made.
    """

    name = "retry"
    order = 60

    def __init__(
        self, policy: RetryPolicy, *, sleep: Sleep | None = None, clock: Clock | None = None
    ) -> None:
        import asyncio

        self.policy = policy
        self.sleep: Sleep = sleep or asyncio.sleep
        self.clock: Clock = clock or time.monotonic

    async def __call__(self, context: InvokeContext, call_next: Next) -> ProducerResult:
        """Run one attempt; on a retryable failure hand the job to tenacity."""
        state = context.state
        used = state.get(ATTEMPTS, 0)
        limit = state.setdefault(MAX_ATTEMPTS, self.policy.max_attempts)
        if used >= limit:
            raise ProviderError(
                f"{context.descriptor}: the job's attempt budget ({limit}) is used up",
                retryable=False,
                provider=context.descriptor.provider,
                model=context.descriptor.model,
            )
        state[ATTEMPTS] = used + 1
        try:
            result = await call_next(context)
        except ProviderError as exc:
            if not is_retryable(exc):
                raise
            return await self._retry(context, call_next, exc)
        result.provider.attempts = 1
        return result

    async def _retry(
        self, context: InvokeContext, call_next: Next, first: ProviderError
    ) -> ProducerResult:
        from tenacity import AsyncRetrying  # only on the failure path: most calls never retry

        state = context.state
        pending: list[BaseException] = [first]
        emitter = context.request.telemetry
        deadline = context.request.deadline

        def wait(retry_state: RetryCallState) -> float:
            exc = _exception(retry_state)
            delay = self.policy.backoff(retry_state.attempt_number)
            after = exc.retry_after if isinstance(exc, ProviderError) else None
            if after is not None and after > delay:
                delay = after
            return delay

        def stop(retry_state: RetryCallState) -> bool:
            if state[ATTEMPTS] >= state[MAX_ATTEMPTS]:
                return True
            if retry_state.attempt_number >= self.policy.attempts_per_model:
                return True
            exc = _exception(retry_state)
            after = exc.retry_after if isinstance(exc, ProviderError) else None
            if after is not None and after > self.policy.max_retry_after:
                return True
            if deadline is not None:
                # Deadlines are time.monotonic() values; the injected clock must agree.
                remaining = deadline - self.clock()
                if retry_state.upcoming_sleep >= remaining:
                    return True
            return False

        def before_sleep(retry_state: RetryCallState) -> None:
            exc = _exception(retry_state)
            emitter.emit(
                events.INVOKE_RETRY,
                attempt=retry_state.attempt_number,
                next_attempt=retry_state.attempt_number + 1,
                delay_s=round(retry_state.upcoming_sleep, 6),
                error_kind=exc.kind.value if isinstance(exc, ProviderError) else "unexpected",
                retry_after=exc.retry_after if isinstance(exc, ProviderError) else None,
            )

        retrying = AsyncRetrying(
            sleep=self.sleep,
            stop=stop,
            wait=wait,
            retry=_RetryIf(is_retryable),
            before_sleep=before_sleep,
            reraise=True,
        )
        result: ProducerResult | None = None
        attempts = 0
        async for attempt in retrying:
            with attempt:
                attempts = attempt.retry_state.attempt_number
                if pending:
                    raise pending.pop()  # the first attempt, already made outside tenacity
                state[ATTEMPTS] += 1
                result = await call_next(context)
        assert result is not None  # tenacity re-raises the last error otherwise
        result.provider.attempts = attempts
        result.meta.middleware.append(self.name)
        return result


def _exception(retry_state: RetryCallState) -> BaseException | None:
    outcome = retry_state.outcome
    return outcome.exception() if outcome is not None and outcome.failed else None


class _RetryIf:
    """A tenacity ``retry`` strategy from a predicate on the raised exception."""

    def __init__(self, predicate: Callable[[BaseException], bool]) -> None:
        self.predicate = predicate

    def __call__(self, retry_state: RetryCallState) -> bool:
        exc = _exception(retry_state)
        return exc is not None and self.predicate(exc)


def describe(policy: RetryPolicy) -> dict[str, Any]:
    """The policy as a JSON-able dict (for ``tutopanda-providers`` diagnostics)."""
    return {
        "max_attempts": policy.max_attempts,
        "attempts_per_model": policy.attempts_per_model,
        "base_backoff": policy.base_backoff,
        "max_backoff": policy.max_backoff,
        "jitter": policy.jitter,
        "max_retry_after": policy.max_retry_after,
    }


__all__ = [
    "ATTEMPTS",
    "MAX_ATTEMPTS",
    "RetryMiddleware",
    "RetryPolicy",
    "describe",
    "is_retryable",
]
