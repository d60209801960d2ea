"""Every FAL card holds against the reference (fal-models.json): fields, enums, ranges,
defaults, required flags, prices, units, confidence, and an unknown for each unconfirmed fact.

The facts are read from the shared reference when it exists and always from the verbatim copy
in ``tests/data`` (so a clean clone runs these tests).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from tutopanda_provider_fal.cards import CARDS, card_for
from tutopanda_providers.contracts import InvalidInputError, ModelCard
from tutopanda_providers.runner.targets import card_constraints

COPY = Path(__file__).parent / "data" / "fal-models.json"
SHARED = Path("/work/shared/reference/fal-models.json")
SCRIPT_ENDPOINTS = {
    "openrouter/router",
    "openrouter/router/openai/v1/chat/completions",
    "fal-ai/any-llm",
}
#: Reference fields the cards refuse on purpose, each with the unknown that says why.
REMOVED = {
    ("fal-ai/elevenlabs/tts/eleven-v3", "similarity_boost"),
    ("fal-ai/elevenlabs/tts/eleven-v3", "style"),
    ("fal-ai/elevenlabs/tts/eleven-v3", "speed"),
}
CANONICAL = {
    "fal-ai/bytedance/seedream/v4/text-to-image": "bytedance/seedream-4",
    "fal-ai/bytedance/seedream/v4/edit": "bytedance/seedream-4",
    "fal-ai/imagen4/preview": "google/imagen-4",
    "fal-ai/imagen4/preview/fast": "google/imagen-4-fast",
    "fal-ai/imagen4/preview/ultra": "google/imagen-4-ultra",
    "fal-ai/nano-banana": "google/nano-banana",
    "fal-ai/nano-banana/edit": "google/nano-banana",
    "fal-ai/hunyuan-image/v3/text-to-image": "tencent/hunyuan-image-3",
    "fal-ai/bytedance/seedance/v1/pro/fast/text-to-video": "bytedance/seedance-1-pro-fast",
    "fal-ai/bytedance/seedance/v1/pro/fast/image-to-video": "bytedance/seedance-1-pro-fast",
    "fal-ai/bytedance/seedance/v1/lite/text-to-video": "bytedance/seedance-1-lite",
    "fal-ai/bytedance/seedance/v1/lite/image-to-video": "bytedance/seedance-1-lite",
    "fal-ai/veo3/fast": "google/veo-3-fast",
    "fal-ai/veo3/fast/image-to-video": "google/veo-3-fast",
    "fal-ai/minimax/speech-02-hd": "minimax/speech-02-hd",
    "fal-ai/elevenlabs/tts/eleven-v3": "elevenlabs/v3",
    "fal-ai/elevenlabs/tts/turbo-v2.5": "elevenlabs/turbo-v2.5",
    "fal-ai/stable-audio-25/text-to-audio": "stability-ai/stable-audio-2.5",
}
RESULT_KEYS = {"image": "images", "video": "video", "audio": "audio", "music": "audio"}
#: The reference's unit text (its start) → the card's unit.
UNITS = {
    "output image": "image",
    "megapixel": "megapixel",
    "1M video tokens": "1M video tokens",
    "second of output video": "second of video with audio",
    "1K input characters": "1K characters",
    "output audio file": "generation",
}
CONFIDENCE = {"[H]": "high", "[M]": "medium", "[M-]": "low", "[L]": "low"}
SOURCES = [
    pytest.param(COPY, id="copy"),
    pytest.param(
        SHARED,
        id="shared",
        marks=pytest.mark.skipif(
            not SHARED.exists(), reason="the shared reference is not on this machine"
        ),
    ),
]


def _media_entries(path: Path) -> list[dict[str, Any]]:
    return [e for e in json.loads(path.read_text()) if e["model"] not in SCRIPT_ENDPOINTS]


MEDIA = _media_entries(COPY)


def _minimal(entry: dict[str, Any]) -> dict[str, Any]:
    """The required inputs of an endpoint, with plausible values."""
    inputs: dict[str, Any] = {}
    for field in entry["inputs"]:
        if not field["required"]:
            continue
        if field["type"].startswith("array"):
            inputs[field["name"]] = ["https://example.com/a.png"]
        elif field["name"].endswith("_url"):
            inputs[field["name"]] = "https://example.com/a.png"
        else:
            inputs[field["name"]] = "a fox crossing a snowy field at dawn"
    return inputs


def _with(inputs: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(inputs))
    head, _, tail = dotted.partition(".")
    if tail:
        out.setdefault(head, {})[tail] = value
    else:
        out[head] = value
    return out


def _get(values: dict[str, Any], dotted: str) -> Any:
    head, _, tail = dotted.partition(".")
    value = values.get(head)
    return value.get(tail) if tail and isinstance(value, dict) else value


def _accepts(card: ModelCard, inputs: dict[str, Any]) -> bool:
    try:
        card.validate_inputs(inputs)
    except InvalidInputError:
        return False
    return True


def _has_field(model: type[BaseModel], dotted: str) -> bool:
    head, _, tail = dotted.partition(".")
    field = model.model_fields.get(head)
    if field is None or not tail:
        return field is not None
    inner = next(
        (
            a
            for a in [field.annotation, *getattr(field.annotation, "__args__", ())]
            if isinstance(a, type) and issubclass(a, BaseModel)
        ),
        None,
    )
    return inner is not None and tail in inner.model_fields


@pytest.mark.parametrize("path", SOURCES)
def test_there_is_a_card_for_every_media_endpoint_and_no_other(path: Path) -> None:
    assert len(CARDS) == 18
    assert {c.model for c in CARDS} == {e["model"] for e in _media_entries(path)}


@pytest.mark.parametrize("path", SOURCES)
def test_the_shared_reference_and_the_copy_agree_on_every_media_endpoint(path: Path) -> None:
    assert _media_entries(path) == MEDIA


@pytest.mark.parametrize("card", CARDS, ids=lambda c: c.model)
def test_each_card_names_fal_its_secret_result_key_and_canonical_model(card: ModelCard) -> None:
    assert card.provider == "fal"
    assert card.secret_names == ("FAL_KEY",)
    assert card.extra["result_key"] == RESULT_KEYS[card.kind.value]
    assert card.canonical_model == CANONICAL[card.model]
    assert card.effective_rate_key == "fal"
    assert card.cost_estimator is not None and card.input_adapter is not None


@pytest.mark.parametrize("entry", MEDIA, ids=lambda e: e["model"])
def test_fields_are_the_endpoints_own_and_no_other(entry: dict[str, Any]) -> None:
    card = card_for(entry["model"])
    names = [f["name"] for f in entry["inputs"]]
    for name in names:
        if (entry["model"], name) in REMOVED:
            assert not _has_field(card.input_model, name)
            assert any(name in u and "removed" in u for u in card.unknowns)
        else:
            assert _has_field(card.input_model, name), name
    assert set(card.input_model.model_fields) <= {n.split(".")[0] for n in names}


@pytest.mark.parametrize("entry", MEDIA, ids=lambda e: e["model"])
def test_defaults_and_required_flags_are_the_references(entry: dict[str, Any]) -> None:
    card = card_for(entry["model"])
    minimal = _minimal(entry)
    validated = card.validate_inputs(minimal)
    for field in entry["inputs"]:
        name = field["name"]
        if (entry["model"], name) in REMOVED or field["required"]:
            continue
        assert _get(validated, name) == field["default"], name
    for name in minimal:
        missing = {k: v for k, v in minimal.items() if k != name}
        with pytest.raises(InvalidInputError, match=name):
            card.validate_inputs(missing)


@pytest.mark.parametrize("entry", MEDIA, ids=lambda e: e["model"])
def test_enums_and_ranges_are_the_references(entry: dict[str, Any]) -> None:
    card = card_for(entry["model"])
    minimal = _minimal(entry)
    for field in entry["inputs"]:
        name = field["name"]
        if (entry["model"], name) in REMOVED:
            continue
        for value in field["enum"] or []:
            assert _accepts(card, _with(minimal, name, value)), (name, value)
        if field["enum"]:
            wrong = 12345 if isinstance(field["enum"][0], int) else "not-a-listed-value"
            assert not _accepts(card, _with(minimal, name, wrong)), name
        text = field["description"] or ""
        longest = re.search(r"maxLength (\d+)|1\.\.(\d+) chars", text)
        if longest:
            n = int(longest.group(1) or longest.group(2))
            assert _accepts(card, _with(minimal, name, "a" * n)), name
            assert not _accepts(card, _with(minimal, name, "a" * (n + 1))), name
        shortest = re.search(r"minLength (\d+)", text)
        if shortest and int(shortest.group(1)) > 0:
            too_short = "a" * (int(shortest.group(1)) - 1)
            assert not _accepts(card, _with(minimal, name, too_short)), name
        step = 1 if field["type"] == "integer" else 0.001
        if field["min"] is not None:
            assert _accepts(card, _with(minimal, name, field["min"])), name
            assert not _accepts(card, _with(minimal, name, field["min"] - step)), name
        if field["max"] is not None:
            assert _accepts(card, _with(minimal, name, field["max"])), name
            assert not _accepts(card, _with(minimal, name, field["max"] + step)), name


@pytest.mark.parametrize("entry", MEDIA, ids=lambda e: e["model"])
def test_price_unit_and_confidence_are_the_references(entry: dict[str, Any]) -> None:
    card = card_for(entry["model"])
    usd = entry["pricing"]["usd"]
    if isinstance(usd, dict):
        assert card.price.rate("second_with_audio").usd == usd["audio_on"]  # type: ignore[union-attr]
        assert card.price.rate("second_without_audio").usd == usd["audio_off"]  # type: ignore[union-attr]
    else:
        assert [r.usd for r in card.price.rates] == [usd]
    unit = next(v for k, v in UNITS.items() if entry["pricing"]["unit"].startswith(k))
    assert card.price.unit == unit
    note = entry["pricing"]["note"]
    first_tag = min((note.find(t), t) for t in CONFIDENCE if t in note)[1]
    assert card.price.confidence == CONFIDENCE[first_tag]
    assert "fal-models.json" in card.price.source


@pytest.mark.parametrize("entry", MEDIA, ids=lambda e: e["model"])
def test_every_unconfirmed_fact_is_an_explicit_unknown(entry: dict[str, Any]) -> None:
    card = card_for(entry["model"])
    unknowns = " | ".join(card.unknowns).lower()
    for field in entry["inputs"]:
        text = field["description"] or ""
        if "[L" in text or "not stated" in text or "unconfirmed" in text:
            assert field["name"].split(".")[0] in unknowns, field["name"]
    note = entry["pricing"]["note"].lower()
    if "mime" in note and any(w in note for w in ("not stated", "assumed", "not confirmed")):
        assert "mime" in unknowns or "container" in unknowns
    if "container not confirmed" in note:
        assert "container" in unknowns
    if "[m-]" in note or "costs more is not stated" in note:
        assert "price" in unknowns
    if "delisted" in note or "absent from fal-js types 2026-08-02" in note:
        assert "availability" in unknowns


def test_the_output_spec_follows_the_kind() -> None:
    for card in CARDS:
        expected = {"image": "image", "video": "video", "audio": "audio", "music": "audio"}
        assert card.output.type == expected[card.kind.value]
        assert card.output.mime.startswith(card.output.type + "/")


def test_capabilities_say_what_each_endpoint_takes() -> None:
    assert "image_input" in card_for("fal-ai/nano-banana/edit").capabilities
    assert "image_input" not in card_for("fal-ai/nano-banana").capabilities
    assert {"generates_audio", "negative_prompt"} <= card_for("fal-ai/veo3/fast").capabilities
    assert "last_frame" in card_for("fal-ai/bytedance/seedance/v1/lite/image-to-video").capabilities
    assert "negative_prompt" in card_for("fal-ai/hunyuan-image/v3/text-to-image").capabilities
    assert all("narration" in c.capabilities for c in CARDS if c.kind.value == "audio")


def test_seedream_image_size_takes_a_preset_or_width_and_height_within_its_area() -> None:
    card = card_for("fal-ai/bytedance/seedream/v4/text-to-image")
    assert card.validate_inputs({"prompt": "p", "image_size": "auto_4K"})["image_size"] == "auto_4K"
    size = {"width": 1920, "height": 1080}
    assert card.validate_inputs({"prompt": "p", "image_size": size})["image_size"] == size
    with pytest.raises(InvalidInputError, match=r"960x960"):
        card.validate_inputs({"prompt": "p", "image_size": {"width": 512, "height": 512}})


def test_minimax_nested_settings_are_checked_field_by_field() -> None:
    card = card_for("fal-ai/minimax/speech-02-hd")
    out = card.validate_inputs({"text": "hi", "voice_setting": {"speed": 1.5}})
    assert out["voice_setting"] == {
        "voice_id": "Wise_Woman",
        "speed": 1.5,
        "vol": 1,
        "pitch": 0,
        "english_normalization": False,
    }
    with pytest.raises(InvalidInputError, match=r"voice_setting\.volume"):
        card.validate_inputs({"text": "hi", "voice_setting": {"volume": 2}})


def test_unknown_card_names_the_endpoints() -> None:
    with pytest.raises(KeyError, match=r"fal-ai/veo3/fast"):
        card_for("fal-ai/veo2")


# -- the runner's prompt targets read the cards ------------------------------------------


def test_prompt_targets_read_veo_durations_ratios_resolutions_and_prompt_length() -> None:
    found = card_constraints(card_for("fal-ai/veo3/fast"))
    assert found == {
        "durations_seconds": [4.0, 6.0, 8.0],
        "aspect_ratios": ["16:9", "9:16"],
        "resolutions": ["720p", "1080p"],
        "max_prompt_chars": 20000,
    }


def test_prompt_targets_read_seedance_string_durations_as_seconds() -> None:
    found = card_constraints(card_for("fal-ai/bytedance/seedance/v1/lite/image-to-video"))
    assert found["durations_seconds"] == [float(s) for s in range(2, 13)]
    assert found["aspect_ratios"] == ["21:9", "16:9", "4:3", "1:1", "3:4", "9:16"]
    assert found["resolutions"] == ["480p", "720p", "1080p"]


def test_prompt_targets_read_image_and_narration_limits() -> None:
    assert card_constraints(card_for("fal-ai/imagen4/preview")) == {
        "aspect_ratios": ["1:1", "16:9", "9:16", "4:3", "3:4"],
        "resolutions": ["1K", "2K"],
        "max_prompt_chars": 5000,
    }
    assert card_constraints(card_for("fal-ai/nano-banana"))["max_prompt_chars"] == 50000
    assert card_constraints(card_for("fal-ai/minimax/speech-02-hd")) == {"max_prompt_chars": 5000}
    # 1-190 s is too many values to list, as for the Replicate card.
    assert "durations_seconds" not in card_constraints(
        card_for("fal-ai/stable-audio-25/text-to-audio")
    )
