"""The FAL handler against the fake FAL queue: every rule of issue 17 the handler must meet."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from tutopanda_provider_fal.handler import (
    REQUEST_CANCELED,
    REQUEST_NOT_RESUMED,
    REQUEST_RESUMED,
    FalHandler,
)
from tutopanda_providers import ErrorKind, ProviderError
from tutopanda_providers.handler import RESUME_REMOTE_JOB
from tutopanda_providers_testing import Fault
from tutopanda_providers_testing.fake_fal import ModelError

from .conftest import IMAGE_CARD, SPEECH_CARD, VIDEO_CARD, Harness

# The fake FAL and the other fixtures; named here, not in conftest.py (pytest refuses
# pytest_plugins in a conftest below the rootdir, as when the whole workspace runs).
pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]


async def _fails(handler: FalHandler, request: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await handler.invoke(request)
    return caught.value


async def test_submit_poll_result_store_and_report(harness: Harness) -> None:
    fal = harness.fake
    request = harness.request({"prompt": "a red panda", "aspect_ratio": "16:9", "num_images": 2})
    result = await harness.handler().invoke(request)
    [submit] = fal.log.for_route("submit")
    assert submit.path == "/fal-ai/imagen4/preview/fast"
    # The body is the model input itself: no {"input": ...} wrapper, unset fields left out.
    assert submit.json["prompt"] == "a red panda" and "input" not in submit.json
    assert "seed" not in submit.json
    assert submit.header("authorization") == f"Key {fal.api_key}"
    assert submit.header("x-fal-no-retry") is None  # FAL's free server-side retries stay on
    assert submit.header("x-fal-request-timeout") is None  # no deadline known
    [request_id] = fal.request_ids()
    polls = fal.log.for_route("status")
    assert polls and all(p.path == f"/fal-ai/imagen4/requests/{request_id}/status" for p in polls)
    assert all(p.query.get("logs") == "1" for p in polls)
    assert [r.id for r in harness.reported] == [request_id] and not harness.reported[0].resumed
    assert result.provider.remote_job_id == request_id
    assert result.provider.extra["metrics"]["inference_time"] > 0
    assert len(result.artefacts) == 2
    facts = result.artefacts[0].facts
    assert result.artefacts[0].mime == "image/png" and (facts.width, facts.height) == (1024, 576)
    assert result.provider.cost.status in ("known", "estimated")
    # The key never reached the file host.
    assert all(f.header("authorization") is None for f in fal.log.for_route("file"))


async def test_subpath_endpoint_polls_owner_app_and_video_has_the_asked_length(
    harness: Harness,
) -> None:
    request = harness.request({"prompt": "waves", "duration": "4s"}, VIDEO_CARD)
    result = await harness.handler(VIDEO_CARD).invoke(request)
    [request_id] = harness.fake.request_ids()
    assert harness.fake.log.for_route("wrong_path") == []
    assert {r.path for r in harness.fake.log.for_route("result")} == {
        f"/fal-ai/veo3/requests/{request_id}"
    }
    assert result.artefacts[0].mime == "video/mp4"
    seconds = result.artefacts[0].facts.duration_seconds
    assert seconds is None or 3.5 <= seconds <= 4.5  # None only without PyAV


async def test_a_deadline_is_sent_as_the_start_timeout(harness: Harness) -> None:
    await harness.handler().invoke(harness.request({"prompt": "a cat"}, timeout=120))
    [submit] = harness.fake.log.for_route("submit")
    assert 1 <= int(submit.header("x-fal-request-timeout") or 0) <= 120


async def test_a_resumed_request_is_polled_not_submitted(harness: Harness) -> None:
    fal, handler = harness.fake, harness.handler()
    await handler.invoke(harness.request({"prompt": "first"}))
    [earlier] = fal.request_ids()
    before = len(fal.log.for_route("submit"))
    request = harness.request({"prompt": "first"}, resume={RESUME_REMOTE_JOB: earlier})
    result = await harness.handler().invoke(request)
    assert len(fal.log.for_route("submit")) == before
    assert result.provider.remote_job_id == earlier
    assert harness.reported[-1].id == earlier and harness.reported[-1].resumed
    assert REQUEST_RESUMED in harness.event_names()


async def test_a_request_fal_forgot_is_submitted_anew_and_said(harness: Harness) -> None:
    fal = harness.fake
    await harness.handler().invoke(harness.request({"prompt": "first"}))
    [earlier] = fal.request_ids()
    fal.forget(earlier)
    request = harness.request({"prompt": "first"}, resume={RESUME_REMOTE_JOB: earlier})
    result = await harness.handler().invoke(request)
    assert len(fal.log.for_route("submit")) == 2
    assert result.provider.remote_job_id != earlier
    assert REQUEST_NOT_RESUMED in harness.event_names()
    assert not harness.reported[-1].resumed


@pytest.mark.parametrize("fault", [Fault.reset_after(), Fault.malformed_json()])
async def test_a_lost_submit_answer_is_never_sent_again(harness: Harness, fault: Fault) -> None:
    harness.fake.faults.add("submit", fault)
    error = await _fails(harness.handler(), harness.request({"prompt": "a cat"}))
    assert error.kind is ErrorKind.TRANSIENT and error.request_sent
    assert "paid request may exist" in error.message
    assert len(harness.fake.log.for_route("submit")) == 1
    assert harness.fake.submitted == 1  # the fake did queue it: a paid job


async def test_a_submit_refused_before_sending_is_safe_to_retry(harness: Harness) -> None:
    harness.fake.faults.add("submit", Fault.reset_before())
    error = await _fails(harness.handler(), harness.request({"prompt": "a cat"}))
    assert error.retryable
    assert harness.fake.submitted == 0


async def test_fals_json_5xx_on_submit_queued_nothing(harness: Harness) -> None:
    harness.fake.faults.add("submit", Fault.status(503, code="runner_scheduling_failure"))
    error = await _fails(harness.handler(), harness.request({"prompt": "a cat"}))
    assert error.kind is ErrorKind.TRANSIENT and not error.request_sent
    assert error.details["error_type"] == "runner_scheduling_failure"


async def test_a_lost_poll_is_retried_by_resuming_not_resubmitting(harness: Harness) -> None:
    fal, handler = harness.fake, harness.handler()
    fal.faults.add("status", Fault.status(500))
    error = await _fails(handler, harness.request({"prompt": "a cat"}))
    assert error.retryable and not error.request_sent
    # The pipeline's retry calls invoke again for the same job: the request is resumed.
    result = await handler.invoke(harness.request({"prompt": "a cat"}))
    assert fal.submitted == 1 and result.provider.remote_job_id == fal.request_ids()[0]


async def test_cancellation_cancels_the_request_on_fal(harness: Harness) -> None:
    fal = harness.fake
    fal.faults.add("submit", Fault.never_finishes())
    task = asyncio.create_task(harness.handler().invoke(harness.request({"prompt": "a cat"})))
    while not fal.log.for_route("status"):
        await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [cancel] = fal.log.for_route("cancel")
    assert cancel.method == "PUT" and cancel.path.startswith("/fal-ai/imagen4/requests/")
    assert fal.jobs.jobs[0].status == "canceled"
    assert REQUEST_CANCELED in harness.event_names()


async def test_the_deadline_cancels_the_request_and_times_out(harness: Harness) -> None:
    fal = harness.fake
    fal.faults.add("submit", Fault.never_finishes())
    error = await _fails(harness.handler(), harness.request({"prompt": "a cat"}, timeout=0.3))
    assert error.kind is ErrorKind.TIMEOUT and not error.retryable
    assert len(fal.log.for_route("cancel")) == 1
    assert fal.jobs.jobs[0].status == "canceled"


async def test_a_failed_request_reads_the_model_error_and_keeps_the_logs(harness: Harness) -> None:
    harness.fake.faults.add("submit", Fault.prediction_fails("CUDA out of memory"))
    error = await _fails(harness.handler(), harness.request({"prompt": "a cat"}))
    # The job ran and failed (provider_failed, as the conformance suite's job-fails row
    # asks); FAL bills no 5xx, so the pipeline may still run it again.
    assert error.kind is ErrorKind.PROVIDER_FAILED and error.retryable
    assert not error.request_sent
    logs = error.details["logs"].splitlines()
    assert len(logs) == 20 and logs[-1] == "RuntimeError: CUDA out of memory"
    assert "RuntimeError: CUDA out of memory" in error.message
    assert error.details["request_id"] == harness.fake.request_ids()[0]
    assert len(harness.fake.log.for_route("result")) == 1


async def test_an_infrastructure_failure_of_a_run_stays_transient(harness: Harness) -> None:
    harness.fake.fail_next(ModelError.infrastructure("runner_disconnected", 503))
    error = await _fails(harness.handler(), harness.request({"prompt": "a cat"}))
    assert error.kind is ErrorKind.TRANSIENT and error.retryable
    assert error.details["error_type"] == "runner_disconnected"


async def test_a_content_policy_refusal_is_content_policy(harness: Harness) -> None:
    harness.fake.fail_next(ModelError.content_policy("flagged as nsfw"))
    error = await _fails(harness.handler(), harness.request({"prompt": "a cat"}))
    assert error.kind is ErrorKind.CONTENT_POLICY and "flagged as nsfw" in error.message
    assert error.details["logs"]


async def test_a_model_side_422_names_the_field(harness: Harness) -> None:
    harness.fake.fail_next(ModelError.invalid("image_url", "the image could not be read"))
    error = await _fails(harness.handler(), harness.request({"prompt": "a cat"}))
    assert error.kind is ErrorKind.INVALID_INPUT and error.details["fields"] == ["image_url"]
    assert "image_url: the image could not be read" in error.message


async def test_a_422_on_submit_names_each_field(harness: Harness) -> None:
    request = harness.request({"duration": "9s"}, VIDEO_CARD)
    error = await _fails(harness.handler(VIDEO_CARD), request)
    assert error.kind is ErrorKind.INVALID_INPUT and not error.request_sent
    assert error.details["fields"] == ["duration", "prompt"]
    assert "prompt: Field required" in error.message and "duration" in error.message
    assert harness.fake.submitted == 0


async def test_a_wrong_key_is_auth_naming_fal_key(harness: Harness) -> None:
    error = await _fails(harness.handler(key="wrong:key"), harness.request({"prompt": "a cat"}))
    assert error.kind is ErrorKind.AUTH and "FAL_KEY" in error.message
    assert "wrong:key" not in error.message


async def test_an_exhausted_balance_is_quota(harness: Harness) -> None:
    harness.fake.faults.add(
        "submit", Fault.status(403, message="User is locked. Reason: Exhausted balance")
    )
    error = await _fails(harness.handler(), harness.request({"prompt": "a cat"}))
    assert error.kind is ErrorKind.QUOTA and not error.retryable


async def test_a_missing_key_fails_before_any_request(harness: Harness) -> None:
    error = await _fails(harness.handler(key=""), harness.request({"prompt": "a cat"}))
    assert error.kind is ErrorKind.AUTH and "FAL_KEY" in error.message
    assert harness.fake.requests == []


async def test_sync_mode_data_uris_are_stored(harness: Harness) -> None:
    result = await harness.handler().invoke(harness.request({"prompt": "a cat", "sync_mode": True}))
    assert harness.fake.log.for_route("file") == []
    assert result.artefacts[0].mime == "image/png" and result.artefacts[0].blob.size > 0


async def test_a_truncated_download_is_a_retryable_error(harness: Harness) -> None:
    harness.fake.faults.add("file", Fault.truncated_download())
    error = await _fails(harness.handler(), harness.request({"prompt": "a cat"}))
    assert error.kind is ErrorKind.TRANSIENT
    assert error.details["reason"] in ("truncated_download", "download_failed")
    assert not list(Path(str(harness.store.root)).rglob("*.png"))


async def test_narration_length_follows_the_text(harness: Harness) -> None:
    text = "A sentence of narration. " * 6
    result = await harness.handler(SPEECH_CARD).invoke(harness.request({"text": text}, SPEECH_CARD))
    assert result.artefacts[0].mime == "audio/mpeg"
    assert result.artefacts[0].facts.duration_seconds == pytest.approx(len(text) / 15, abs=0.6)


async def test_check_credentials_accepts_and_refuses(harness: Harness) -> None:
    await harness.handler().check_credentials()
    [probe] = harness.fake.requests
    assert probe.path.startswith("/fal-ai/imagen4/requests/") and probe.method == "GET"
    with pytest.raises(ProviderError) as caught:
        await harness.handler(key="nope:nope").check_credentials()
    assert caught.value.kind is ErrorKind.AUTH


async def test_preview_is_the_submit_the_handler_sends(harness: Harness) -> None:
    handler, request = harness.handler(), harness.request({"prompt": "a cat", "seed": 7})
    [preview] = handler.preview_request(request.inputs)
    await handler.invoke(request)
    [submit] = harness.fake.log.for_route("submit")
    assert preview["method"] == "POST" and preview["path"] == submit.path
    assert preview["url"] == harness.fake.base_url + submit.path
    assert preview["body"] == submit.json


def test_a_bad_option_is_a_configuration_error_naming_it(harness: Harness) -> None:
    with pytest.raises(ProviderError) as caught:
        harness.handler(poll_interval=-1)
    assert caught.value.kind is ErrorKind.CONFIGURATION and "poll_interval" in caught.value.message


def test_base_url_comes_from_fal_queue_url_without_an_option() -> None:
    from tutopanda_provider_fal.settings import DEFAULT_BASE_URL, FalSettings

    assert FalSettings.from_options({}, {}).base_url == DEFAULT_BASE_URL
    env = {"FAL_QUEUE_URL": "http://127.0.0.1:9/"}
    assert FalSettings.from_options({}, env).base_url == "http://127.0.0.1:9"
    assert (
        FalSettings.from_options({"base_url": "https://x.test"}, env).base_url == "https://x.test"
    )


def test_cards_used_here_name_fal_key() -> None:
    for card in (IMAGE_CARD, VIDEO_CARD, SPEECH_CARD):
        assert card.secret_names == ("FAL_KEY",) and card.extra["result_key"]


def _count_connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connection httpx opens from now on (host, port), as httpcore opens them."""
    import anyio

    opened: list[tuple[str, int]] = []
    connect = anyio.connect_tcp

    async def counting(remote_host: Any, remote_port: int, **kwargs: Any) -> Any:
        opened.append((str(remote_host), remote_port))
        return await connect(remote_host, remote_port, **kwargs)

    monkeypatch.setattr(anyio, "connect_tcp", counting)
    return opened


async def test_jobs_reuse_the_handlers_connections(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = _count_connections(monkeypatch)
    handler = harness.handler()
    for n in range(3):
        await handler.invoke(harness.request({"prompt": f"a cat {n}"}, job_id=f"job-{n}"))
    # 3 submits, their polls and results, and 3 file downloads: one keep-alive connection for
    # the API, one for the files (a client per invoke opened 6).
    assert len(harness.fake.log.for_route("file")) == 3
    assert len(opened) == 2, opened
    await handler.aclose()
    assert handler._http is None and handler._downloader is None
    # Closed clients are made again on next use.
    result = await handler.invoke(harness.request({"prompt": "again"}, job_id="job-9"))
    assert result.artefacts and len(opened) == 4
    await handler.aclose()


def test_a_handler_works_from_one_event_loop_after_another(harness: Harness) -> None:
    handler = harness.handler()

    async def run(job_id: str) -> str:
        result = await handler.invoke(harness.request({"prompt": "a cat"}, job_id=job_id))
        return str(result.provider.remote_job_id)

    first = asyncio.run(run("job-a"))
    # The first loop is closed; its client cannot serve this one, so a new one is made.
    second = asyncio.run(run("job-b"))
    assert [first, second] == harness.fake.request_ids()
    asyncio.run(handler.aclose())
