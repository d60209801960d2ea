"""Retries: counts, delays (on a fake clock), Retry-After, request_sent and the attempt budget."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from tutopanda_providers import Descriptor
from tutopanda_providers.contracts import (
    AuthError,
    ProviderError,
    RateLimitedError,
    TransientError,
)
from tutopanda_providers.http_helpers import parse_retry_after
from tutopanda_providers.pipeline import PipelineOptions
from tutopanda_providers.pipeline.retry import RetryPolicy

A = Descriptor.parse("fake/image-a")


def options(clock, **policy) -> PipelineOptions:
    policy.setdefault("base_backoff", 1.0)
    policy.setdefault("jitter", 0.0)
    return PipelineOptions(retry=RetryPolicy(**policy), sleep=clock.sleep, clock=clock)


async def test_retryable_errors_are_retried_with_exponential_backoff(kit, fake_clock):
    model = kit.model("fake/image-a", [TransientError("502"), TransientError("503")])
    registry = kit.build([model], options(fake_clock, max_attempts=5, attempts_per_model=5))

    result = await registry.invoke(A, {"prompt": "x"})

    assert len(model[1].calls) == 3
    assert fake_clock.sleeps == [1.0, 2.0]
    assert result.provider.attempts == 3
    assert "retry" in result.meta.middleware
    retries = kit.events("provider.invoke.retry")
    assert [(e["attempt"], e["delay_s"]) for e in retries] == [(1, 1.0), (2, 2.0)]
    assert all(e["error_kind"] == "transient" for e in retries)


async def test_backoff_is_capped_at_max_backoff(kit, fake_clock):
    model = kit.model("fake/image-a", [TransientError("x")] * 4)
    registry = kit.build(
        [model], options(fake_clock, max_attempts=5, attempts_per_model=5, max_backoff=3.0)
    )

    await registry.invoke(A, {"prompt": "x"})

    assert fake_clock.sleeps == [1.0, 2.0, 3.0, 3.0]


async def test_jitter_comes_from_the_policys_random_source(kit, fake_clock):
    model = kit.model("fake/image-a", [TransientError("x")])
    registry = kit.build(
        [model], options(fake_clock, jitter=1.0, random=lambda: 0.25, max_attempts=2)
    )

    await registry.invoke(A, {"prompt": "x"})

    assert fake_clock.sleeps == [1.25]


async def test_a_longer_retry_after_from_the_provider_is_honoured(kit, fake_clock):
    model = kit.model("fake/image-a", [RateLimitedError("slow down", retry_after=7.0)])
    registry = kit.build([model], options(fake_clock))

    result = await registry.invoke(A, {"prompt": "x"})

    assert fake_clock.sleeps == [7.0]
    assert result.provider.attempts == 2
    assert kit.events("provider.invoke.retry")[0]["retry_after"] == 7.0


async def test_a_retry_after_beyond_the_policys_limit_is_not_waited_for(kit, fake_clock):
    model = kit.model("fake/image-a", [RateLimitedError("come back tomorrow", retry_after=86400)])
    registry = kit.build([model], options(fake_clock, max_retry_after=60))

    with pytest.raises(RateLimitedError):
        await registry.invoke(A, {"prompt": "x"})
    assert fake_clock.sleeps == []
    assert len(model[1].calls) == 1


async def test_non_retryable_errors_fail_after_one_attempt(kit, fake_clock):
    model = kit.model("fake/image-a", [AuthError("bad token")])
    registry = kit.build([model], options(fake_clock))

    with pytest.raises(AuthError):
        await registry.invoke(A, {"prompt": "x"})
    assert len(model[1].calls) == 1
    assert fake_clock.sleeps == []


async def test_a_create_that_may_have_reached_the_provider_is_never_resent(kit, fake_clock):
    lost = TransientError("connection reset after the body was sent", request_sent=True)
    model = kit.model("fake/image-a", [lost])
    registry = kit.build([model], options(fake_clock))

    with pytest.raises(TransientError) as caught:
        await registry.invoke(A, {"prompt": "x"})
    assert caught.value is lost
    assert len(model[1].calls) == 1


async def test_attempts_per_model_cap_retries_and_the_last_error_is_raised(kit, fake_clock):
    errors = [TransientError(f"failure {i}") for i in range(10)]
    model = kit.model("fake/image-a", errors)
    registry = kit.build([model], options(fake_clock, max_attempts=9, attempts_per_model=3))

    with pytest.raises(TransientError, match="failure 2"):
        await registry.invoke(A, {"prompt": "x"})
    assert len(model[1].calls) == 3
    assert fake_clock.sleeps == [1.0, 2.0]


async def test_a_wait_that_would_end_past_the_deadline_is_not_started(kit):
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    model = kit.model("fake/image-a", [RateLimitedError("wait", retry_after=50.0)])
    registry = kit.build([model], PipelineOptions(sleep=sleep, clock=time.monotonic))

    with pytest.raises(RateLimitedError):
        await registry.invoke(A, {"prompt": "x"}, timeout=5.0)
    assert sleeps == []
    assert len(model[1].calls) == 1


async def test_a_first_attempt_that_succeeds_reports_one_attempt(kit, fake_clock):
    model = kit.model("fake/image-a")
    registry = kit.build([model], options(fake_clock))

    result = await registry.invoke(A, {"prompt": "x"})

    assert result.provider.attempts == 1
    assert "retry" not in result.meta.middleware
    assert kit.events("provider.invoke.retry") == []


def test_retry_after_is_read_from_seconds_ms_and_dates():
    assert parse_retry_after({"Retry-After": "12"}) == 12.0
    assert parse_retry_after({"retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    when = datetime(2030, 1, 1, tzinfo=UTC)
    later = format_datetime(when + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after({"Retry-After": later}, now=when.timestamp) == pytest.approx(30.0)
    assert parse_retry_after({"x-ratelimit-reset-requests": "1m30s"}) == 90.0


def test_retry_after_is_read_from_replicates_resets_in_message():
    body = '{"detail":"Request was throttled. Your rate limit resets in ~12s.","status":429}'
    assert parse_retry_after({}, body) == 12.0
    assert parse_retry_after(None, "limit resets in ~250ms") == 0.25


def test_retry_after_is_none_when_the_provider_does_not_say():
    assert parse_retry_after({"content-type": "application/json"}, '{"detail":"busy"}') is None
    assert parse_retry_after({"Retry-After": "soon"}) is None


async def test_the_job_attempt_budget_caps_retries_below_the_per_model_cap(kit, fake_clock):
    model = kit.model("fake/image-a", [TransientError("x")] * 10)
    registry = kit.build([model], options(fake_clock, max_attempts=2, attempts_per_model=5))

    with pytest.raises(TransientError):
        await registry.invoke(A, {"prompt": "x"})
    assert len(model[1].calls) == 2


def test_a_policy_needs_at_least_one_attempt():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_provider_errors_classify_what_is_retryable():
    assert TransientError("x").retryable
    assert not AuthError("x").retryable
    assert not ProviderError("x", retryable=False).retryable
