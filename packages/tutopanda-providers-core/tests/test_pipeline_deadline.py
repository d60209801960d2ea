"""Deadlines and cancellation: the handler is told, cleans up, and the caller gets a timeout."""

from __future__ import annotations

import asyncio

import pytest
from tutopanda_providers import Descriptor
from tutopanda_providers.contracts import ProviderTimeoutError, TransientError
from tutopanda_providers.pipeline import PipelineOptions
from tutopanda_providers.pipeline.retry import RetryPolicy

A = Descriptor.parse("fake/image-a")


class RemoteJob:
    """Stands for a remote prediction: started, then cancelled by the handler's cleanup."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled_seen = False
        self.remote_cancelled = False

    async def run(self, request) -> None:
        self.started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled_seen = True
            raise
        finally:
            await asyncio.sleep(0)  # the handler's "cancel the prediction" call
            self.remote_cancelled = True


async def test_a_job_past_its_deadline_is_cancelled_and_reported_as_a_timeout(kit):
    job = RemoteJob()
    model = kit.model("fake/image-a", [job.run])
    registry = kit.build([model])

    with pytest.raises(ProviderTimeoutError) as caught:
        await registry.invoke(A, {"prompt": "x"}, timeout=0.05)

    assert job.cancelled_seen and job.remote_cancelled
    assert caught.value.retryable is False
    assert caught.value.details["deadline"] is True
    assert kit.events("provider.invoke.error")[-1]["error_kind"] == "timeout"


async def test_the_default_timeout_applies_when_a_request_has_no_deadline(kit):
    job = RemoteJob()
    model = kit.model("fake/image-a", [job.run])
    registry = kit.build([model], PipelineOptions(default_timeout=0.05))

    with pytest.raises(ProviderTimeoutError):
        await registry.invoke(A, {"prompt": "x"})
    assert job.remote_cancelled


async def test_a_caller_cancelling_the_invoke_cancels_the_handler(kit):
    job = RemoteJob()
    model = kit.model("fake/image-a", [job.run])
    registry = kit.build([model])

    task = asyncio.create_task(registry.invoke(A, {"prompt": "x"}))
    await job.started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert job.cancelled_seen and job.remote_cancelled
    assert kit.events("provider.invoke.error")[-1]["error_kind"] == "canceled"


async def test_one_deadline_covers_every_retry(kit):
    async def slow_then_fail(request) -> None:
        await asyncio.sleep(0.02)
        raise TransientError("busy")

    model = kit.model("fake/image-a", [slow_then_fail] * 1000)
    policy = RetryPolicy(max_attempts=1000, attempts_per_model=1000, base_backoff=0, jitter=0)
    registry = kit.build([model], PipelineOptions(retry=policy))

    with pytest.raises((ProviderTimeoutError, TransientError)):
        await registry.invoke(A, {"prompt": "x"}, timeout=0.3)
    assert len(model[1].calls) < 1000


async def test_an_expired_deadline_fails_before_calling_the_handler(kit):
    model = kit.model("fake/image-a")
    registry = kit.build([model])
    request = registry.new_request(A, {"prompt": "x"}, timeout=-1.0)

    with pytest.raises(ProviderTimeoutError):
        await registry.resolve(A).invoke(request)
    assert model[1].calls == []


async def test_a_handlers_own_timeout_error_is_not_mistaken_for_the_deadline(kit):
    async def inner_timeout(request) -> None:
        raise TimeoutError("socket read timed out")

    model = kit.model("fake/image-a", [inner_timeout])
    registry = kit.build([model])

    with pytest.raises(Exception) as caught:
        await registry.invoke(A, {"prompt": "x"}, timeout=30)
    assert not (
        isinstance(caught.value, ProviderTimeoutError) and caught.value.details.get("deadline")
    )
