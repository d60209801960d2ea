"""The model cards agree with the reference facts (the testing kit's copy of models.json)."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from pydantic.fields import FieldInfo
from tutopanda_provider_replicate.cards import CARDS, card_for
from tutopanda_providers.contracts import InvalidInputError
from tutopanda_providers_testing.model_schemas import replicate_models

SEED_MODELS = {
    "google/gemini-2.5-flash": "script",
    "minimax/speech-02-hd": "audio",
    "elevenlabs/v3": "audio",
    "elevenlabs/turbo-v2.5": "audio",
    "bytedance/seedream-4": "image",
    "google/imagen-4": "image",
    "google/nano-banana": "image",
    "tencent/hunyuan-image-3": "image",
    "bytedance/seedance-1-pro-fast": "video",
    "bytedance/seedance-1-lite": "video",
    "google/veo-3-fast": "video",
    "stability-ai/stable-audio-2.5": "music",
}
MEDIA_CARDS = [c for c in CARDS if c.kind != "script"]
REFERENCE = replicate_models()


def _literal_values(info: FieldInfo) -> set[Any] | None:
    annotation = info.annotation
    for arg in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arg) is typing.Literal:
            return set(typing.get_args(arg))
    return None


def _bound(info: FieldInfo, name: str) -> float | None:
    for meta in info.metadata:
        value = getattr(meta, name, None)
        if value is not None:
            return float(value)
    return None


def test_every_seed_model_has_a_card_of_its_kind() -> None:
    assert {c.model: c.kind.value for c in CARDS} == SEED_MODELS


@pytest.mark.parametrize("card", CARDS, ids=lambda c: c.model)
def test_card_declares_secret_rate_key_limit_price_source_and_output(card: Any) -> None:
    assert card.provider == "replicate"
    assert card.secret_names == ("REPLICATE_API_TOKEN",)
    assert card.effective_rate_key == "replicate"
    assert card.rate_limit == 600
    assert card.price.source and card.price.rates
    assert card.output.mime.split("/")[0] in {"application", "audio", "image", "video"}


@pytest.mark.parametrize("card", MEDIA_CARDS, ids=lambda c: c.model)
def test_card_fields_are_the_models_real_field_names(card: Any) -> None:
    reference = {f.name for f in REFERENCE[card.model].inputs}
    assert set(card.input_model.model_fields) == reference


@pytest.mark.parametrize("card", MEDIA_CARDS, ids=lambda c: c.model)
def test_card_defaults_enums_and_ranges_match_the_reference(card: Any) -> None:
    unknowns = " ".join(card.unknowns)
    for ref in REFERENCE[card.model].inputs:
        info = card.input_model.model_fields[ref.name]
        # An empty-list default and not sending the field ask Replicate for the same thing.
        if ref.default not in (None, []) and info.default != ref.default:
            # A deliberate difference must be declared on the card.
            assert ref.name in unknowns, f"{ref.name}: default {info.default} != {ref.default}"
        if ref.enum is not None:
            values = _literal_values(info)
            if values is None:
                assert ref.name in unknowns, f"{ref.name}: enum not enforced nor declared unknown"
            else:
                assert values == set(ref.enum), ref.name
        if ref.minimum is not None:
            assert _bound(info, "ge") == ref.minimum, ref.name
        if ref.maximum is not None:
            assert _bound(info, "le") == ref.maximum, ref.name


@pytest.mark.parametrize("card", CARDS, ids=lambda c: c.model)
def test_unknown_fields_are_refused_with_the_models_inputs_listed(card: Any) -> None:
    with pytest.raises(InvalidInputError) as caught:
        card.validate_inputs(
            {"topic" if card.kind == "script" else "prompt": "bees", "bogus_field": 1}
        )
    assert "bogus_field" in caught.value.message
    assert "its inputs are" in caught.value.message


def test_seedream_takes_size_and_refuses_output_size() -> None:
    card = card_for("bytedance/seedream-4")
    assert card.validate_inputs({"prompt": "bee", "size": "4K"})["size"] == "4K"
    with pytest.raises(InvalidInputError, match="output_size"):
        card.validate_inputs({"prompt": "bee", "output_size": "4K"})


def test_veo_refuses_durations_and_resolutions_it_cannot_make() -> None:
    card = card_for("google/veo-3-fast")
    with pytest.raises(InvalidInputError) as caught:
        card.validate_inputs({"prompt": "bee", "duration": 10, "resolution": "480p"})
    fields = {e["field"] for e in caught.value.details["errors"]}
    assert fields == {"duration", "resolution"}


def test_hunyuan_unknown_defaults_are_not_sent_and_its_unknown_range_is_permissive() -> None:
    card = card_for("tencent/hunyuan-image-3")
    assert card.validate_inputs({"prompt": "bee"}) == {"prompt": "bee"}
    assert card.validate_inputs({"prompt": "bee", "output_quality": 500})["output_quality"] == 500
    assert any("output_quality" in u for u in card.unknowns)


def test_turbo_voice_is_any_name_while_v3_voice_is_the_preset_list() -> None:
    assert card_for("elevenlabs/turbo-v2.5").validate_inputs({"prompt": "hi", "voice": "Zed"})
    with pytest.raises(InvalidInputError, match="voice"):
        card_for("elevenlabs/v3").validate_inputs({"prompt": "hi", "voice": "Zed"})


def test_seedance_lite_refuses_reference_images_with_1080p_or_a_first_frame() -> None:
    card = card_for("bytedance/seedance-1-lite")
    refs = ["https://example.test/a.png"]
    assert card.validate_inputs({"prompt": "bee", "reference_images": refs})
    with pytest.raises(InvalidInputError, match="1080p"):
        card.validate_inputs({"prompt": "bee", "reference_images": refs, "resolution": "1080p"})
    with pytest.raises(InvalidInputError, match="image"):
        card.validate_inputs({"prompt": "bee", "reference_images": refs, "image": refs[0]})
    with pytest.raises(InvalidInputError, match="last_frame_image"):
        card.validate_inputs({"prompt": "bee", "last_frame_image": refs[0]})


def test_minimax_text_is_limited_to_5000_characters() -> None:
    card = card_for("minimax/speech-02-hd")
    assert card.validate_inputs({"text": "a" * 5000})
    with pytest.raises(InvalidInputError, match="text"):
        card.validate_inputs({"text": "a" * 5001})


def test_gemini_takes_script_inputs_and_its_options() -> None:
    card = card_for("google/gemini-2.5-flash")
    inputs = card.validate_inputs({"topic": "bees", "temperature": 0.2, "thinking_budget": 0})
    assert inputs["topic"] == "bees" and inputs["segments"] == 6
    assert inputs["temperature"] == 0.2 and inputs["thinking_budget"] == 0
    with pytest.raises(InvalidInputError, match="max_output_tokens"):
        card.validate_inputs({"topic": "bees", "max_output_tokens": 70000})


def test_card_for_an_unknown_model_lists_the_served_ones() -> None:
    with pytest.raises(KeyError, match="google/veo-3-fast"):
        card_for("google/veo-2")


def test_every_card_names_its_canonical_model() -> None:
    # Issue 17: the same model on another provider is found by this name.
    from tutopanda_provider_replicate.cards import CARDS

    expected = {
        "google/veo-3-fast",
        "bytedance/seedance-1-lite",
        "bytedance/seedance-1-pro-fast",
        "bytedance/seedream-4",
        "google/imagen-4",
        "google/nano-banana",
        "tencent/hunyuan-image-3",
        "minimax/speech-02-hd",
        "elevenlabs/v3",
        "elevenlabs/turbo-v2.5",
        "stability-ai/stable-audio-2.5",
        "google/gemini-2.5-flash",
    }
    canonical = {card.model: card.canonical_model for card in CARDS}
    assert expected <= set(canonical)
    for model in expected:
        assert canonical[model] == model
