"""Producer-level inputs reach each FAL endpoint under its own field names and formats."""

from __future__ import annotations

import pytest
from tutopanda_provider_fal.adapters import FalMapping, seconds_as
from tutopanda_provider_fal.cards import CARDS, card_for
from tutopanda_providers.contracts import InvalidInputError

URL = "https://example.com/frame.png"


def test_whole_seconds_are_written_the_way_each_endpoint_spells_them() -> None:
    assert seconds_as(8, "suffix_s") == "8s"
    assert seconds_as(8.0, "suffix_s") == "8s"
    assert seconds_as(5.0, "string") == "5"
    assert seconds_as(30.0, "integer") == 30
    assert seconds_as(7.5, "suffix_s") == 7.5  # left for validation: never rounded
    assert seconds_as("8s", "suffix_s") == "8s"
    assert seconds_as(True, "integer") is True


# -- image ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "preset"),
    [
        ("16:9", "landscape_16_9"),
        ("9:16", "portrait_16_9"),
        ("1:1", "square_hd"),
        ("4:3", "landscape_4_3"),
    ],
)
def test_aspect_ratio_becomes_an_image_size_preset_on_seedream_and_hunyuan(
    ratio: str, preset: str
) -> None:
    for model in (
        "fal-ai/bytedance/seedream/v4/text-to-image",
        "fal-ai/hunyuan-image/v3/text-to-image",
    ):
        out = card_for(model).validate_inputs({"prompt": "a map", "aspect_ratio": ratio, "seed": 7})
        assert out["image_size"] == preset
        assert out["seed"] == 7
        assert "aspect_ratio" not in out


def test_a_ratio_without_a_preset_is_refused_with_the_ones_that_have_one() -> None:
    card = card_for("fal-ai/hunyuan-image/v3/text-to-image")
    with pytest.raises(InvalidInputError, match=r"'21:9' has no image_size preset.*16:9"):
        card.validate_inputs({"prompt": "a map", "aspect_ratio": "21:9"})
    seedream = card_for("fal-ai/bytedance/seedream/v4/text-to-image")
    assert seedream.validate_inputs({"prompt": "p", "aspect_ratio": "auto"})["image_size"] == "auto"


def test_aspect_ratio_passes_through_where_the_endpoint_has_the_field() -> None:
    out = card_for("fal-ai/imagen4/preview").validate_inputs(
        {"prompt": "a cell", "aspect_ratio": "4:3"}
    )
    assert out["aspect_ratio"] == "4:3"
    edit = card_for("fal-ai/nano-banana/edit")
    assert edit.adapt_inputs({"prompt": "p", "aspect_ratio": "auto"})["aspect_ratio"] == "auto"


def test_upstream_images_go_to_image_urls_on_edit_endpoints() -> None:
    for model in ("fal-ai/bytedance/seedream/v4/edit", "fal-ai/nano-banana/edit"):
        out = card_for(model).validate_inputs({"prompt": "recolour it", "image_urls": [URL, URL]})
        assert out["image_urls"] == [URL, URL]
    single = card_for("fal-ai/nano-banana/edit").adapt_inputs({"prompt": "p", "image_urls": URL})
    assert single["image_urls"] == [URL]


def test_a_text_to_image_endpoint_refuses_upstream_images_listing_its_inputs() -> None:
    with pytest.raises(InvalidInputError, match=r"image_urls=.*its inputs are: .*aspect_ratio"):
        card_for("fal-ai/nano-banana").validate_inputs({"prompt": "a map", "image_urls": [URL]})


def test_negative_prompt_goes_to_hunyuan_and_is_refused_by_imagen() -> None:
    hunyuan = card_for("fal-ai/hunyuan-image/v3/text-to-image")
    assert (
        hunyuan.validate_inputs({"prompt": "p", "negative_prompt": "blur"})["negative_prompt"]
        == "blur"
    )
    with pytest.raises(InvalidInputError, match=r"negative_prompt"):
        card_for("fal-ai/imagen4/preview").validate_inputs(
            {"prompt": "abc", "negative_prompt": "x"}
        )


# -- video ------------------------------------------------------------------------------


def test_veo_duration_seconds_becomes_a_string_with_an_s() -> None:
    card = card_for("fal-ai/veo3/fast")
    out = card.validate_inputs(
        {
            "prompt": "a fox",
            "duration_seconds": 6.0,
            "negative_prompt": "rain",
            "aspect_ratio": "9:16",
        }
    )
    assert (out["duration"], out["negative_prompt"], out["aspect_ratio"]) == ("6s", "rain", "9:16")


def test_a_duration_veo_does_not_offer_is_refused_with_the_allowed_ones_never_rounded() -> None:
    card = card_for("fal-ai/veo3/fast")
    with pytest.raises(InvalidInputError, match=r"'4s', '6s' or '8s'"):
        card.validate_inputs({"prompt": "a fox", "duration_seconds": 10})
    with pytest.raises(InvalidInputError, match=r"duration=7.5"):
        card.validate_inputs({"prompt": "a fox", "duration_seconds": 7.5})


def test_seedance_duration_seconds_becomes_a_bare_string() -> None:
    card = card_for("fal-ai/bytedance/seedance/v1/pro/fast/text-to-video")
    assert card.validate_inputs({"prompt": "waves", "duration_seconds": 12})["duration"] == "12"
    with pytest.raises(InvalidInputError, match=r"duration"):
        card.validate_inputs({"prompt": "waves", "duration_seconds": 13})


def test_one_upstream_image_is_the_start_frame_of_image_to_video() -> None:
    for model in (
        "fal-ai/bytedance/seedance/v1/lite/image-to-video",
        "fal-ai/bytedance/seedance/v1/pro/fast/image-to-video",
        "fal-ai/veo3/fast/image-to-video",
    ):
        out = card_for(model).validate_inputs({"prompt": "move", "image_urls": [URL]})
        assert out["image_url"] == URL


def test_two_upstream_images_are_refused_by_a_single_frame_endpoint() -> None:
    card = card_for("fal-ai/veo3/fast/image-to-video")
    with pytest.raises(InvalidInputError, match=r"image_urls has 2 images.*'image_url'") as err:
        card.validate_inputs({"prompt": "move", "image_urls": [URL, URL]})
    assert err.value.provider == "fal"


# -- narration --------------------------------------------------------------------------


def test_minimax_takes_text_and_a_nested_voice_keeping_other_voice_settings() -> None:
    card = card_for("fal-ai/minimax/speech-02-hd")
    out = card.validate_inputs(
        {"prompt": "Hello there.", "voice": "Calm_Woman", "voice_setting": {"speed": 1.2}}
    )
    assert out["text"] == "Hello there."
    assert out["voice_setting"]["voice_id"] == "Calm_Woman"
    assert out["voice_setting"]["speed"] == 1.2


def test_minimax_refuses_two_different_voices() -> None:
    card = card_for("fal-ai/minimax/speech-02-hd")
    with pytest.raises(InvalidInputError, match=r"set twice|different values"):
        card.validate_inputs(
            {"text": "Hi.", "voice_setting": {"voice_id": "Deep_Voice_Man"}, "voice": "Calm_Woman"}
        )


@pytest.mark.parametrize(
    "model", ["fal-ai/elevenlabs/tts/eleven-v3", "fal-ai/elevenlabs/tts/turbo-v2.5"]
)
def test_elevenlabs_takes_text_and_voice(model: str) -> None:
    out = card_for(model).validate_inputs({"text": "Hello.", "voice": "Aria"})
    assert (out["text"], out["voice"]) == ("Hello.", "Aria")
    with pytest.raises(InvalidInputError, match=r"both set"):
        card_for(model).validate_inputs({"text": "Hello.", "prompt": "Bye."})


# -- music ------------------------------------------------------------------------------


def test_stable_audio_duration_seconds_becomes_seconds_total() -> None:
    card = card_for("fal-ai/stable-audio-25/text-to-audio")
    out = card.validate_inputs({"prompt": "calm strings", "duration_seconds": 30.0, "seed": None})
    assert out["seconds_total"] == 30
    assert "seed" not in out


# -- every card -------------------------------------------------------------------------


@pytest.mark.parametrize("card", CARDS, ids=lambda c: c.model)
def test_own_field_names_pass_through_unchanged(card: object) -> None:
    adapter = card.input_adapter  # type: ignore[attr-defined]
    assert isinstance(adapter, FalMapping)
    own = {name: object() for name in card.input_model.model_fields}  # type: ignore[attr-defined]
    assert adapter(own) == own
