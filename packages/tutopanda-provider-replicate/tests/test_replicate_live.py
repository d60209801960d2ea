"""Every model, through the real replicate SDK, against the fake Replicate server on loopback.

Each test also checks the server's log: no test ever creates a prediction twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import replicate
from tutopanda_provider_replicate.cards import CARDS
from tutopanda_provider_replicate.handler import (
    MISSING_TOKEN,
    PREDICTION_ADOPTED,
    PREDICTION_CANCELED,
    PREDICTION_CREATED,
    PREDICTION_NOT_RESUMED,
    PREDICTION_RESUMED,
)
from tutopanda_providers import Descriptor, ProviderRegistry
from tutopanda_providers.contracts import (
    AuthError,
    CanceledError,
    ErrorKind,
    EventEmitter,
    InvalidInputError,
    ProviderError,
    ProviderFailedError,
    ProviderTimeoutError,
    RateLimitedError,
    Script,
    TransientError,
)
from tutopanda_providers.handler import WarmStartContext
from tutopanda_providers.telemetry import ListSink
from tutopanda_providers_testing import FakeReplicateServer, Fault

VEO = "google/veo-3-fast"
VEO_INPUTS = {"prompt": "a bee on a flower", "duration_seconds": 4}
HAS_PIL = importlib.util.find_spec("PIL") is not None
HAS_AV = importlib.util.find_spec("av") is not None


def _creates(fake: FakeReplicateServer) -> int:
    """Create requests the server received (whether or not they made a prediction)."""
    return len(fake.log.for_route("create"))


def _event_ids(sink: ListSink, name: str) -> list[Any]:
    return [e.attributes.get("prediction_id") for e in sink.events if e.name == name]


def _stored_blobs(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and ".tmp" not in p.parts]


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition never held")


# -- success, every model ---------------------------------------------------------------
@pytest.mark.parametrize("card", CARDS, ids=lambda c: c.model)
async def test_every_model_succeeds_through_the_sdk_and_stores_verified_outputs(
    card: Any,
    registry: ProviderRegistry,
    fake: FakeReplicateServer,
    sink: ListSink,
    inputs_for: Callable[[str], dict[str, Any]],
) -> None:
    result = await registry.invoke(
        Descriptor(provider="replicate", model=card.model), inputs_for(card.kind.value)
    )

    assert fake.predictions_created == 1 and _creates(fake) == 1
    prediction = fake.predictions[0]
    assert result.provider.remote_job_id == prediction.id
    assert result.provider.model_version == prediction.version
    assert _event_ids(sink, PREDICTION_CREATED) == [prediction.id]
    assert result.meta.mocked is False
    # No Prefer: wait (the SDK's sync-mode quirk) on the create.
    assert fake.log.for_route("create")[0].header("prefer") is None
    if card.price.rates[0].usd is None:
        assert result.provider.cost.status == "unknown" and result.provider.cost.reason
    else:
        assert result.provider.cost.status == "known" and result.provider.cost.amount_usd

    if card.kind == "script":
        (artefact,) = result.artefacts
        assert Script.model_validate(artefact.data).segments
        return
    for artefact in result.artefacts:
        assert artefact.blob is not None and artefact.kind == card.kind
        assert artefact.mime.split("/")[0] == card.output.type
        path = registry.storage.local_path(artefact.blob)
        assert path is not None
        data = path.read_bytes()
        assert len(data) == artefact.blob.size > 0
        assert hashlib.sha256(data).hexdigest() == artefact.blob.sha256
        if card.kind == "image" and HAS_PIL:
            assert artefact.facts.width and artefact.facts.height
        if card.kind in ("audio", "music") and HAS_AV:
            assert artefact.facts.duration_seconds
        if card.kind == "video":
            assert artefact.facts.duration_seconds
    # Output files are fetched without Replicate's token.
    files = fake.log.for_route("file")
    assert files and all(r.header("authorization") is None for r in files)


async def test_data_uri_outputs_are_decoded_and_stored(
    registry: ProviderRegistry, fake: FakeReplicateServer
) -> None:
    fake.output_mode = "data"
    result = await registry.invoke(
        Descriptor(provider="replicate", model="google/nano-banana"), {"prompt": "bee"}
    )
    (artefact,) = result.artefacts
    assert artefact.mime == "image/jpeg" and artefact.blob is not None
    assert not fake.log.for_route("file")


async def test_seedream_sequential_images_are_all_stored_and_priced_per_image(
    registry: ProviderRegistry, fake: FakeReplicateServer
) -> None:
    result = await registry.invoke(
        Descriptor(provider="replicate", model="bytedance/seedream-4"),
        {"prompt": "bee", "sequential_image_generation": "auto", "max_images": 3},
    )
    assert [a.name for a in result.artefacts] == ["output-0", "output-1", "output-2"]
    assert result.provider.cost.quantity == 3
    assert result.provider.cost.amount_usd == pytest.approx(0.09)


# -- resume -----------------------------------------------------------------------------
async def test_a_known_prediction_id_is_resumed_not_paid_for_again(
    direct: Callable[..., Any], fake: FakeReplicateServer, sink: ListSink, canary: str
) -> None:
    # An earlier run created the prediction, recorded its id, and died.
    crashed = replicate.Client(api_token=canary, base_url=fake.base_url)
    crashed.predictions.create(model=VEO, input={"prompt": "a bee", "duration": 4})
    (prediction,) = fake.predictions

    handler, rerun = direct(VEO, VEO_INPUTS, resume={"remote_job_id": prediction.id})
    result = await handler.invoke(rerun)

    assert result.provider.remote_job_id == prediction.id
    assert fake.predictions_created == 1 and _creates(fake) == 1
    assert _event_ids(sink, PREDICTION_RESUMED) == [prediction.id]


@pytest.mark.parametrize("ended", ["canceled", "failed", "aborted"])
async def test_a_prediction_that_ended_without_result_is_not_resumed_but_started_afresh(
    direct: Callable[..., Any], fake: FakeReplicateServer, sink: ListSink, canary: str, ended: str
) -> None:
    # An earlier run was stopped (Ctrl-C): it canceled its prediction, or the prediction ended
    # without a result while nobody watched. Running the job again must create a new one.
    crashed = replicate.Client(api_token=canary, base_url=fake.base_url)
    crashed.predictions.create(model=VEO, input={"prompt": "a bee", "duration": 4})
    (old,) = fake.predictions
    old.status = ended

    handler, rerun = direct(VEO, VEO_INPUTS, resume={"remote_job_id": old.id})
    result = await handler.invoke(rerun)

    assert result.provider.remote_job_id != old.id
    assert fake.predictions_created == 2 and _creates(fake) == 2
    assert _event_ids(sink, PREDICTION_RESUMED) == []
    assert [
        (e.attributes["prediction_id"], e.attributes["status"])
        for e in sink.events
        if e.name == PREDICTION_NOT_RESUMED
    ] == [(old.id, ended)]


async def test_a_lost_create_is_never_adopted_when_its_prediction_was_canceled(
    direct: Callable[..., Any], fake: FakeReplicateServer, sink: ListSink, canary: str
) -> None:
    # An earlier run logged its start, sent the create and died; the prediction was canceled.
    import time

    since = time.time() - 1
    handler, rerun = direct(VEO, VEO_INPUTS, resume={"adopt_since": since})
    crashed = replicate.Client(api_token=canary, base_url=fake.base_url)
    crashed.predictions.create(model=VEO, input=handler._payload(rerun.inputs))
    (old,) = fake.predictions
    old.status = "canceled"

    result = await handler.invoke(rerun)

    assert result.provider.remote_job_id != old.id
    assert _event_ids(sink, PREDICTION_ADOPTED) == []
    assert fake.predictions_created == 2


async def test_resuming_an_unknown_prediction_is_not_found_and_creates_nothing(
    direct: Callable[..., Any], fake: FakeReplicateServer
) -> None:
    handler, request = direct(VEO, VEO_INPUTS, resume={"prediction_id": "doesnotexist"})
    with pytest.raises(ProviderError) as caught:
        await handler.invoke(request)
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert _creates(fake) == 0


# -- cancellation and deadlines -----------------------------------------------------------
async def test_cancelling_the_job_cancels_the_prediction_on_replicate(
    direct: Callable[..., Any], fake: FakeReplicateServer, sink: ListSink
) -> None:
    fake.faults.add("create", Fault.never_finishes())
    handler, request = direct(VEO, VEO_INPUTS)
    task = asyncio.create_task(handler.invoke(request))
    await _until(lambda: fake.predictions_created == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    (prediction,) = fake.predictions
    assert prediction.status == "canceled"
    assert len(fake.log.for_route("cancel")) == 1
    assert _event_ids(sink, PREDICTION_CANCELED) == [prediction.id]
    assert _creates(fake) == 1


async def test_a_passed_deadline_cancels_the_prediction_and_is_a_timeout(
    direct: Callable[..., Any], fake: FakeReplicateServer
) -> None:
    fake.faults.add("create", Fault.never_finishes())
    handler, request = direct(VEO, VEO_INPUTS, timeout=0.2)
    with pytest.raises(ProviderTimeoutError) as caught:
        await handler.invoke(request)
    (prediction,) = fake.predictions
    assert prediction.status == "canceled"
    assert caught.value.details["prediction_id"] == prediction.id
    assert not caught.value.retryable
    assert _creates(fake) == 1


async def test_a_deadline_already_passed_sends_nothing(
    direct: Callable[..., Any], fake: FakeReplicateServer
) -> None:
    handler, request = direct(VEO, VEO_INPUTS, timeout=-1)
    with pytest.raises(ProviderTimeoutError, match="nothing was sent"):
        await handler.invoke(request)
    assert len(fake.requests) == 0


# -- faults on create ---------------------------------------------------------------------
async def test_429_on_create_is_rate_limited_with_the_retry_after_header(
    direct: Callable[..., Any], fake: FakeReplicateServer
) -> None:
    fake.faults.add("create", Fault.rate_limited(retry_after=3))
    handler, request = direct(VEO, VEO_INPUTS)
    with pytest.raises(RateLimitedError) as caught:
        await handler.invoke(request)
    assert caught.value.retry_after == 3
    assert _creates(fake) == 1 and fake.predictions_created == 0


async def test_429_without_retry_after_reads_resets_in_from_the_text(
    direct: Callable[..., Any], fake: FakeReplicateServer
) -> None:
    fake.send_retry_after = False
    fake.faults.add("create", Fault.rate_limited(retry_after=12))
    handler, request = direct(VEO, VEO_INPUTS)
    with pytest.raises(RateLimitedError) as caught:
        await handler.invoke(request)
    assert caught.value.retry_after == 12


async def test_422_from_replicate_is_invalid_input_naming_the_field(
    registry: ProviderRegistry, fake: FakeReplicateServer
) -> None:
    # Inputs that skip the card's validation, so Replicate's own check answers.
    handler = registry.resolve(Descriptor(provider="replicate", model=VEO), mode="live").handler
    request = registry.new_request(
        Descriptor(provider="replicate", model=VEO), {"prompt": "bee", "duration": 7}
    )
    with pytest.raises(InvalidInputError) as caught:
        await handler.invoke(request)
    assert caught.value.details["fields"] == ["duration"]
    assert fake.predictions_created == 0


async def test_validation_refuses_bad_inputs_before_any_request(
    registry: ProviderRegistry, fake: FakeReplicateServer
) -> None:
    with pytest.raises(InvalidInputError):
        await registry.invoke(
            Descriptor(provider="replicate", model=VEO), {"prompt": "bee", "duration": 7}
        )
    assert len(fake.requests) == 0


async def test_a_refused_token_is_an_auth_error_that_does_not_show_it(
    make_registry: Callable[..., ProviderRegistry], fake: FakeReplicateServer
) -> None:
    wrong = "r8_WRONG-token-777"
    registry = make_registry(token=wrong)
    with pytest.raises(AuthError) as caught:
        await registry.invoke(Descriptor(provider="replicate", model=VEO), VEO_INPUTS)
    assert "REPLICATE_API_TOKEN" in caught.value.message
    assert wrong not in str(caught.value) and wrong not in repr(caught.value)
    assert fake.predictions_created == 0


@pytest.mark.parametrize(
    "fault", [Fault.status(500), Fault.status(503), Fault.reset_before()], ids=str
)
async def test_a_create_that_made_nothing_is_confirmed_absent_and_safe_to_retry(
    fault: Fault, direct: Callable[..., Any], fake: FakeReplicateServer
) -> None:
    fake.faults.add("create", fault)
    handler, request = direct(VEO, VEO_INPUTS)
    with pytest.raises(TransientError) as caught:
        await handler.invoke(request)
    assert caught.value.retryable and caught.value.request_sent is False
    assert caught.value.details["confirmed_absent"] is True
    assert _creates(fake) == 1 and fake.predictions_created == 0
    assert len(fake.log.for_route("list")) == 1


@pytest.mark.parametrize("fault", [Fault.reset_after(), Fault.malformed_json()], ids=str)
async def test_a_create_whose_answer_was_lost_is_adopted_not_sent_again(
    fault: Fault, direct: Callable[..., Any], fake: FakeReplicateServer, sink: ListSink
) -> None:
    fake.faults.add("create", fault)
    handler, request = direct(VEO, VEO_INPUTS)
    result = await handler.invoke(request)
    (prediction,) = fake.predictions
    assert result.provider.remote_job_id == prediction.id
    assert result.provider.extra["adopted"] is True
    assert _event_ids(sink, PREDICTION_ADOPTED) == [prediction.id]
    assert _creates(fake) == 1


async def test_a_lost_create_never_adopts_an_earlier_jobs_identical_prediction(
    direct: Callable[..., Any], fake: FakeReplicateServer
) -> None:
    handler, first = direct(VEO, VEO_INPUTS)
    await handler.invoke(first)
    fake.faults.add("create", Fault.status(500))
    handler, second = direct(VEO, VEO_INPUTS)
    with pytest.raises(TransientError) as caught:
        await handler.invoke(second)
    assert caught.value.details["confirmed_absent"] is True
    assert fake.predictions_created == 1 and _creates(fake) == 2


async def test_a_lost_create_that_cannot_be_checked_is_marked_sent_and_not_retried(
    direct: Callable[..., Any], fake: FakeReplicateServer
) -> None:
    fake.faults.add("create", Fault.reset_after())
    fake.faults.add("list", Fault.status(500))
    handler, request = direct(VEO, VEO_INPUTS)
    with pytest.raises(TransientError) as caught:
        await handler.invoke(request)
    assert caught.value.request_sent is True
    assert _creates(fake) == 1


# -- faults while polling -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "error"),
    [(Fault.status(503), TransientError), (Fault.rate_limited(retry_after=1), RateLimitedError)],
    ids=["503", "429"],
)
async def test_a_poll_fault_reaches_the_server_once_and_a_retry_resumes(
    fault: Fault,
    error: type[ProviderError],
    direct: Callable[..., Any],
    fake: FakeReplicateServer,
    sink: ListSink,
) -> None:
    fake.faults.add("get", fault)
    handler, request = direct(VEO, VEO_INPUTS)
    with pytest.raises(error):
        await handler.invoke(request)
    # The SDK's own RetryTransport would have retried this GET: it is off.
    assert len(fake.log.for_route("get")) == 1

    result = await handler.invoke(request)  # what the registry's retry does
    assert result.provider.remote_job_id == fake.predictions[0].id
    assert _creates(fake) == 1 and fake.predictions_created == 1
    assert _event_ids(sink, PREDICTION_RESUMED) == [fake.predictions[0].id]


async def test_the_registry_retries_a_transient_poll_without_creating_again(
    make_registry: Callable[..., ProviderRegistry], fake: FakeReplicateServer
) -> None:
    registry = make_registry(retries=3)
    fake.faults.add("get", Fault.reset_before())
    result = await registry.invoke(Descriptor(provider="replicate", model=VEO), VEO_INPUTS)
    assert result.artefacts and fake.predictions_created == 1 and _creates(fake) == 1


async def test_a_failed_prediction_is_provider_failed_with_the_models_error(
    direct: Callable[..., Any], fake: FakeReplicateServer
) -> None:
    fake.faults.add("create", Fault.prediction_fails("CUDA out of memory"))
    handler, request = direct(VEO, VEO_INPUTS)
    with pytest.raises(ProviderFailedError, match="CUDA out of memory") as caught:
        await handler.invoke(request)
    assert not caught.value.retryable
    assert caught.value.details["prediction_id"] == fake.predictions[0].id


async def test_an_aborted_prediction_is_canceled_although_the_sdk_cannot_parse_it(
    direct: Callable[..., Any], fake: FakeReplicateServer
) -> None:
    fake.faults.add("create", Fault.never_finishes())
    handler, request = direct(VEO, VEO_INPUTS)
    task = asyncio.create_task(handler.invoke(request))
    await _until(lambda: fake.predictions_created == 1)
    fake.predictions[0].status = "aborted"
    with pytest.raises(CanceledError, match="aborted"):
        await task
    assert _creates(fake) == 1


# -- downloads ----------------------------------------------------------------------------
async def test_a_truncated_download_is_never_stored_and_a_retry_fetches_it_again(
    direct: Callable[..., Any], fake: FakeReplicateServer, registry: ProviderRegistry
) -> None:
    fake.faults.add("file", Fault.truncated_download())
    handler, request = direct(VEO, VEO_INPUTS)
    with pytest.raises(TransientError) as caught:
        await handler.invoke(request)
    assert caught.value.retryable
    root = Path(registry.storage.root)
    assert _stored_blobs(root) == []

    result = await handler.invoke(request)
    (artefact,) = result.artefacts
    assert artefact.blob is not None and len(_stored_blobs(root)) == 1
    assert _creates(fake) == 1 and len(fake.log.for_route("file")) == 2


async def test_an_expired_output_url_is_a_provider_failure(
    direct: Callable[..., Any], fake: FakeReplicateServer
) -> None:
    fake.faults.add("file", Fault.expired())
    handler, request = direct(VEO, VEO_INPUTS)
    with pytest.raises(ProviderFailedError, match="expire") as caught:
        await handler.invoke(request)
    assert caught.value.details["reason"] == "output_expired"


# -- secrets ------------------------------------------------------------------------------
async def test_a_missing_token_fails_warm_start_and_invoke_clearly(
    make_registry: Callable[..., ProviderRegistry], fake: FakeReplicateServer
) -> None:
    registry = make_registry(token=None)
    descriptor = Descriptor(provider="replicate", model=VEO)
    (report,) = await registry.warm_start([descriptor], mode="live")
    assert report.status == "failed" and "REPLICATE_API_TOKEN" in (report.error or "")
    with pytest.raises(AuthError, match="REPLICATE_API_TOKEN"):
        await registry.invoke(descriptor, VEO_INPUTS)
    assert len(fake.requests) == 0


async def test_the_handler_itself_refuses_to_start_without_a_token(
    make_registry: Callable[..., ProviderRegistry], fake: FakeReplicateServer
) -> None:
    registry = make_registry(token=None)
    descriptor = Descriptor(provider="replicate", model=VEO)
    handler = registry.resolve(descriptor, mode="live").handler
    context = WarmStartContext(telemetry=EventEmitter(ListSink()), timeout=1.0)
    with pytest.raises(AuthError) as caught:
        await handler.warm_start(context)  # type: ignore[attr-defined]
    assert caught.value.message == MISSING_TOKEN
    request = registry.new_request(descriptor, {"prompt": "bee", "duration": 4})
    with pytest.raises(AuthError, match="REPLICATE_API_TOKEN is not set"):
        await handler.invoke(request)
    assert len(fake.requests) == 0


async def test_warm_start_is_ready_with_a_token(registry: ProviderRegistry) -> None:
    (report,) = await registry.warm_start(
        [Descriptor(provider="replicate", model=VEO)], mode="live"
    )
    assert report.status == "ready"


async def test_the_token_reaches_the_api_but_never_an_event_or_error(
    registry: ProviderRegistry, fake: FakeReplicateServer, sink: ListSink, canary: str
) -> None:
    descriptor = Descriptor(provider="replicate", model=VEO)
    await registry.invoke(descriptor, VEO_INPUTS)
    fake.faults.add("create", Fault.status(401))
    with pytest.raises(AuthError) as caught:
        await registry.invoke(descriptor, VEO_INPUTS)

    assert {r.bearer_token for r in fake.log.for_route("create")} == {canary}
    emitted = json.dumps([e.to_dict() for e in sink.events], default=str)
    assert canary not in emitted
    assert canary not in str(caught.value) and canary not in repr(caught.value)
    assert canary not in json.dumps(caught.value.to_dict(), default=str)


async def test_the_prediction_is_reported_through_the_requests_remote_job_callback(
    registry: ProviderRegistry, fake: FakeReplicateServer
) -> None:
    from tutopanda_providers import RemoteJob

    seen: list[tuple[RemoteJob, int]] = []
    result = await registry.invoke(
        Descriptor(provider="replicate", model=VEO),
        VEO_INPUTS,
        on_remote_job=lambda remote: seen.append((remote, len(fake.predictions))),
    )
    ((remote, existing),) = seen
    assert remote.id == fake.predictions[0].id == result.provider.remote_job_id
    assert (remote.provider, remote.model, remote.resumed) == ("replicate", VEO, False)
    assert existing == 1  # reported once the prediction existed, before the result

    resumed: list[RemoteJob] = []
    again = await registry.invoke(
        Descriptor(provider="replicate", model=VEO),
        VEO_INPUTS,
        resume={"remote_job_id": remote.id},
        on_remote_job=resumed.append,
    )
    assert again.provider.remote_job_id == remote.id and fake.predictions_created == 1
    assert [(r.id, r.resumed) for r in resumed] == [(remote.id, True)]


def test_token_counts_in_a_predictions_metrics_become_typed_usage() -> None:
    from tutopanda_provider_replicate.handler import _token_usage

    usage = _token_usage({"input_token_count": 120, "output_token_count": 900, "predict_time": 3})
    assert usage is not None and (usage.input_tokens, usage.output_tokens) == (120, 900)
    assert _token_usage({"predict_time": 3.2}) is None  # media models report no tokens
