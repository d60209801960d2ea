"""Producer-level inputs map onto each model's own fields, with explicit unit conversions."""

from __future__ import annotations

import pytest
from tutopanda_provider_replicate.adapters import whole_seconds
from tutopanda_provider_replicate.cards import card_for
from tutopanda_providers.contracts import InvalidInputError

IMAGE = "https://example.test/frame.png"


def test_whole_seconds_converts_only_exact_whole_numbers() -> None:
    assert whole_seconds(8.0) == 8 and isinstance(whole_seconds(8.0), int)
    assert whole_seconds(8) == 8
    assert whole_seconds(7.5) == 7.5
    assert whole_seconds("8") == "8"


def test_veo_duration_seconds_becomes_its_whole_second_duration() -> None:
    inputs = card_for("google/veo-3-fast").validate_inputs(
        {"prompt": "bee", "duration_seconds": 6.0}
    )
    assert inputs["duration"] == 6


@pytest.mark.parametrize("seconds", [5, 7.0, 10])
def test_veo_duration_outside_4_6_8_is_refused_not_coerced(seconds: float) -> None:
    with pytest.raises(InvalidInputError) as caught:
        card_for("google/veo-3-fast").validate_inputs(
            {"prompt": "bee", "duration_seconds": seconds}
        )
    assert caught.value.details["errors"][0]["field"] == "duration"
    assert "4, 6 or 8" in caught.value.message


def test_seedance_fractional_duration_is_refused_not_rounded() -> None:
    with pytest.raises(InvalidInputError, match="duration"):
        card_for("bytedance/seedance-1-pro-fast").validate_inputs(
            {"prompt": "bee", "duration_seconds": 5.5}
        )


def test_stable_audio_duration_is_in_seconds_not_milliseconds() -> None:
    card = card_for("stability-ai/stable-audio-2.5")
    assert card.validate_inputs({"prompt": "piano", "duration_seconds": 30})["duration"] == 30
    with pytest.raises(InvalidInputError, match="duration"):
        card.validate_inputs({"prompt": "piano", "duration_seconds": 30_000})


@pytest.mark.parametrize("generic", ["text", "prompt"])
def test_minimax_reads_narration_from_text_and_voice_from_voice_id(generic: str) -> None:
    inputs = card_for("minimax/speech-02-hd").validate_inputs(
        {generic: "Hello.", "voice": "English_CaptivatingStoryteller"}
    )
    assert inputs["text"] == "Hello."
    assert inputs["voice_id"] == "English_CaptivatingStoryteller"
    assert "prompt" not in inputs and "voice" not in inputs


@pytest.mark.parametrize("model", ["elevenlabs/v3", "elevenlabs/turbo-v2.5"])
def test_elevenlabs_reads_narration_from_prompt(model: str) -> None:
    inputs = card_for(model).validate_inputs({"text": "Hello.", "voice": "Aria"})
    assert inputs["prompt"] == "Hello." and inputs["voice"] == "Aria"
    assert "text" not in inputs


def test_two_inputs_naming_one_field_differently_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="both set"):
        card_for("minimax/speech-02-hd").validate_inputs({"text": "a", "prompt": "b"})


def test_the_same_value_under_a_generic_and_a_model_name_is_accepted() -> None:
    inputs = card_for("elevenlabs/v3").validate_inputs({"text": "a", "prompt": "a"})
    assert inputs["prompt"] == "a"


@pytest.mark.parametrize("model", ["bytedance/seedream-4", "google/nano-banana"])
def test_upstream_images_become_the_image_input_list(model: str) -> None:
    inputs = card_for(model).validate_inputs({"prompt": "bee", "image_urls": [IMAGE, IMAGE]})
    assert inputs["image_input"] == [IMAGE, IMAGE]


@pytest.mark.parametrize(
    "model", ["bytedance/seedance-1-pro-fast", "bytedance/seedance-1-lite", "google/veo-3-fast"]
)
def test_one_upstream_image_becomes_the_video_start_frame(model: str) -> None:
    inputs = card_for(model).validate_inputs({"prompt": "bee", "image_urls": [IMAGE]})
    assert inputs["image"] == IMAGE


def test_more_than_one_start_frame_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="one start image"):
        card_for("google/veo-3-fast").validate_inputs({"prompt": "b", "image_urls": [IMAGE] * 2})


def test_a_model_without_image_input_refuses_upstream_images() -> None:
    with pytest.raises(InvalidInputError) as caught:
        card_for("google/imagen-4").validate_inputs({"prompt": "bee", "image_urls": [IMAGE]})
    assert "image_urls" in caught.value.message and "its inputs are" in caught.value.message


def test_generic_inputs_set_to_none_mean_not_given() -> None:
    inputs = card_for("google/imagen-4").validate_inputs(
        {"prompt": "bee", "seed": None, "negative_prompt": None, "aspect_ratio": "16:9"}
    )
    assert inputs["aspect_ratio"] == "16:9" and "seed" not in inputs


def test_negative_prompt_and_seed_reach_veo() -> None:
    inputs = card_for("google/veo-3-fast").validate_inputs(
        {"prompt": "bee", "negative_prompt": "blur", "seed": 7}
    )
    assert inputs["negative_prompt"] == "blur" and inputs["seed"] == 7


def test_a_script_prompt_is_the_topic() -> None:
    inputs = card_for("google/gemini-2.5-flash").validate_inputs({"prompt": "volcanoes"})
    assert inputs["topic"] == "volcanoes"
