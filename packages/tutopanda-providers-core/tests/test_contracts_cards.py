"""Contracts and model cards: data that crosses boundaries, checked where it is declared."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from pydantic import Field
from tutopanda_providers import (
    Artefact,
    Cost,
    Descriptor,
    JobInfo,
    ModelCard,
    OutputSpec,
    Price,
    PriceRate,
    ProducerKind,
    ProducerResult,
    ProviderMetadata,
)
from tutopanda_providers.contracts import (
    ErrorKind,
    GenericInputs,
    InputModel,
    InvalidInputError,
    ProviderError,
    RateLimitedError,
    UnknownModelError,
    remember_secret,
)


class VideoInputs(InputModel):
    prompt: str
    duration: Literal[4, 6, 8] = 8
    resolution: Literal["720p", "1080p"] = "720p"
    seed: int | None = Field(default=None, ge=0)


def to_model_fields(inputs: Any) -> dict[str, Any]:
    out = dict(inputs)
    if GenericInputs.DURATION_SECONDS in out:
        out["duration"] = out.pop(GenericInputs.DURATION_SECONDS)
    return out


def veo(**overrides: Any) -> ModelCard:
    fields: dict[str, Any] = {
        "provider": "replicate",
        "model": "google/veo-3.1-fast",
        "kind": "video",
        "input_model": VideoInputs,
        "output": OutputSpec(type="video", mime="video/mp4"),
        "price": Price(rates=[PriceRate(name="second", unit="second", usd=0.1)], source="test"),
        "input_adapter": to_model_fields,
    }
    fields.update(overrides)
    return ModelCard(**fields)


def test_card_kind_given_as_text_is_stored_as_a_producer_kind() -> None:
    card = veo()
    assert card.kind is ProducerKind.VIDEO
    assert card.ref == "replicate/google/veo-3.1-fast"


def test_card_with_an_unknown_kind_is_refused_where_it_is_declared() -> None:
    with pytest.raises(ValueError, match="'hologram' is not a valid ProducerKind"):
        veo(kind="hologram")


def test_card_whose_input_model_is_not_a_pydantic_class_is_refused() -> None:
    with pytest.raises(TypeError, match="must be a pydantic model class"):
        veo(input_model=dict)


def test_card_without_a_model_name_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a provider and a model"):
        veo(model="")


def test_input_model_schema_is_built_on_first_use_not_when_declared() -> None:
    class Deferred(InputModel):
        prompt: str

    assert not Deferred.__pydantic_complete__
    veo(input_model=Deferred)  # a card does not build it either
    assert not Deferred.__pydantic_complete__
    Deferred(prompt="x")
    assert Deferred.__pydantic_complete__


def test_validation_maps_generic_inputs_and_applies_defaults() -> None:
    validated = veo().validate_inputs({"prompt": "a panda", "duration_seconds": 6})
    assert validated == {"prompt": "a panda", "duration": 6, "resolution": "720p"}


def test_validation_error_names_every_bad_field_its_value_and_what_is_allowed() -> None:
    with pytest.raises(InvalidInputError) as caught:
        veo().validate_inputs({"prompt": "x", "duration": 10, "resolution": "480p", "fps": 30})
    error = caught.value
    fields = {e["field"] for e in error.details["errors"]}
    assert fields == {"duration", "resolution", "fps"}
    message = str(error)
    assert "duration=10" in message and "resolution='480p'" in message
    assert "fps=30: is not an input of replicate/google/veo-3.1-fast" in message
    assert "its inputs are: duration, prompt, resolution, seed" in message
    assert error.kind is ErrorKind.INVALID_INPUT and not error.retryable


def test_passthrough_card_keeps_fields_it_does_not_know() -> None:
    card = veo(passthrough=True)
    assert card.validate_inputs({"prompt": "x", "fps": 30})["fps"] == 30


def test_unknown_price_gives_an_unknown_cost_never_zero() -> None:
    card = veo(price=Price(rates=(PriceRate(name="second", unit="second", usd=None),), source="s"))
    cost = card.price.cost({"second": 8})
    assert cost.status == "unknown" and cost.amount_usd is None
    assert "no known price for 'second'" in (cost.reason or "")
    assert card.estimate_cost({"duration": 8}).status == "unknown"


def test_price_per_image_is_estimated_from_the_output_count() -> None:
    card = veo(
        kind="image",
        output=OutputSpec(type="image", mime="image/png", count=2),
        price=Price(rates=(PriceRate(name="image", unit="image", usd=0.04),), source="page"),
    )
    cost = card.estimate_cost({})
    assert (cost.status, cost.amount_usd, cost.unit, cost.source) == (
        "estimated",
        0.08,
        "image",
        "page",
    )


def test_price_and_card_serialise_to_json() -> None:
    card = veo(capabilities={"generates_audio"}, secret_names=["REPLICATE_API_TOKEN"])
    data = json.loads(json.dumps(card.to_dict()))
    assert data["kind"] == "video"
    assert data["inputs"] == ["duration", "prompt", "resolution", "seed"]
    assert data["price"]["rates"] == [{"name": "second", "unit": "second", "usd": 0.1}]
    assert data["capabilities"] == ["generates_audio"]
    assert data["secret_names"] == ["REPLICATE_API_TOKEN"]
    assert card.price.rates == (PriceRate(name="second", unit="second", usd=0.1),)
    hash(card.price)  # a price is a value: hashable, comparable


def test_descriptor_parses_models_with_owners_and_refuses_bare_names() -> None:
    descriptor = Descriptor.parse("replicate/google/imagen-4", environment="cloud")
    assert (descriptor.provider, descriptor.model, descriptor.environment) == (
        "replicate",
        "google/imagen-4",
        "cloud",
    )
    assert str(descriptor) == "replicate/google/imagen-4"
    assert {descriptor, Descriptor.parse("replicate/google/imagen-4", "cloud")} == {descriptor}
    with pytest.raises(ValueError, match="write it as provider/model"):
        Descriptor.parse("imagen-4")


def test_result_event_payload_is_json_ready() -> None:
    result = ProducerResult(
        artefacts=[Artefact(kind=ProducerKind.SCRIPT, mime="application/json", data={"a": 1})],
        provider=ProviderMetadata(provider="openai", model="gpt-5", response_ids=["resp_1"]),
    )
    job = JobInfo(id="j1", producer="ScriptProducer", kind=ProducerKind.SCRIPT)
    payload = json.loads(json.dumps(result.event_payload(job)))
    assert payload["type"] == "artefact.produced"
    assert payload["job"]["kind"] == "script"
    assert payload["provider"]["cost"]["status"] == "unknown"
    assert payload["meta"]["mocked"] is False


def test_mocked_cost_is_zero_and_carries_the_live_estimate() -> None:
    live = Cost(status="estimated", amount_usd=0.8, unit="second", source="page")
    mocked = Cost.mocked(live)
    assert mocked.amount_usd == 0.0 and mocked.estimated_live == live


@pytest.mark.parametrize(
    ("kind", "retryable"),
    [
        (ErrorKind.RATE_LIMITED, True),
        (ErrorKind.TRANSIENT, True),
        (ErrorKind.TIMEOUT, True),
        (ErrorKind.AUTH, False),
        (ErrorKind.INVALID_INPUT, False),
        (ErrorKind.QUOTA, False),
        (ErrorKind.CONTENT_POLICY, False),
    ],
)
def test_error_kind_decides_whether_it_is_retryable(kind: ErrorKind, retryable: bool) -> None:
    assert ProviderError("x", kind=kind).retryable is retryable


def test_error_subclasses_carry_their_kind_and_serialise() -> None:
    error = RateLimitedError("slow down", retry_after=2.5, provider="replicate")
    assert error.to_dict()["kind"] == "rate_limited"
    assert error.to_dict()["retry_after"] == 2.5
    assert UnknownModelError("nope").kind is ErrorKind.NOT_FOUND


def test_error_message_never_shows_a_known_secret() -> None:
    secret = "tp-core-cards-fake-7355"
    remember_secret(secret)
    error = ProviderError(f"request to https://api.example/?key={secret} failed")
    assert secret not in str(error) and secret not in repr(error)
    assert "***" in error.message
