"""The media-request interpreter reads every seed model's own field names."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tutopanda_provider_mock import interpret, narration_seconds
from tutopanda_provider_mock.cards import demo_cards
from tutopanda_provider_mock.request import MediaRequest
from tutopanda_providers import ModelCard


def read(cards: dict[str, ModelCard], ref: str, inputs: dict[str, Any]) -> MediaRequest:
    card = cards[ref]
    return interpret(card, card.validate_inputs(inputs))


def test_veo_defaults_are_eight_seconds_of_1080p_with_audio(
    seed_cards: dict[str, ModelCard],
) -> None:
    media = read(seed_cards, "replicate/google/veo-3-fast", {"prompt": "a fox"})
    assert (media.duration_seconds, media.width, media.height) == (8.0, 1920, 1080)
    assert media.generate_audio is True
    assert media.mime == "video/mp4"


def test_veo_without_audio_and_portrait(seed_cards: dict[str, ModelCard]) -> None:
    media = read(
        seed_cards,
        "replicate/google/veo-3-fast",
        {
            "prompt": "a fox",
            "generate_audio": False,
            "aspect_ratio": "9:16",
            "resolution": "720p",
            "duration": 4,
        },
    )
    assert (media.duration_seconds, media.width, media.height) == (4.0, 720, 1280)
    assert media.generate_audio is False


@pytest.mark.parametrize(
    ("resolution", "ratio", "size"),
    [("480p", "16:9", (854, 480)), ("720p", "1:1", (720, 720)), ("1080p", "21:9", (2520, 1080))],
)
def test_seedance_resolution_and_aspect_ratio_give_the_frame_size(
    seed_cards: dict[str, ModelCard], resolution: str, ratio: str, size: tuple[int, int]
) -> None:
    media = read(
        seed_cards,
        "replicate/bytedance/seedance-1-pro-fast",
        {"prompt": "waves", "resolution": resolution, "aspect_ratio": ratio, "duration": 3},
    )
    assert (media.width, media.height) == size
    assert media.duration_seconds == 3.0
    assert media.fps == 24.0
    assert media.generate_audio is False


def test_seedream_custom_size_uses_width_and_height(seed_cards: dict[str, ModelCard]) -> None:
    media = read(
        seed_cards,
        "replicate/bytedance/seedream-4",
        {"prompt": "a map", "size": "custom", "width": 1536, "height": 1024},
    )
    assert (media.width, media.height) == (1536, 1024)
    assert media.mime == "image/jpeg"


def test_seedream_preset_size_keeps_the_area_at_the_asked_ratio(
    seed_cards: dict[str, ModelCard],
) -> None:
    media = read(
        seed_cards,
        "replicate/bytedance/seedream-4",
        {"prompt": "a map", "size": "2K", "aspect_ratio": "16:9"},
    )
    assert media.width is not None and media.height is not None
    assert abs(media.width / media.height - 16 / 9) < 0.01
    assert abs(media.width * media.height - 2048 * 2048) / (2048 * 2048) < 0.02


def test_output_format_overrides_the_card_mime(seed_cards: dict[str, ModelCard]) -> None:
    png = read(seed_cards, "replicate/google/imagen-4", {"prompt": "x", "output_format": "png"})
    webp = read(seed_cards, "replicate/tencent/hunyuan-image-3", {"prompt": "x"})
    jpg = read(
        seed_cards, "replicate/tencent/hunyuan-image-3", {"prompt": "x", "output_format": "jpg"}
    )
    assert (png.mime, webp.mime, jpg.mime) == ("image/png", "image/webp", "image/jpeg")


def test_imagen_image_size_and_aspect_ratio(seed_cards: dict[str, ModelCard]) -> None:
    media = read(
        seed_cards,
        "replicate/google/imagen-4",
        {"prompt": "x", "aspect_ratio": "16:9", "image_size": "1K"},
    )
    assert (media.width, media.height) == (1360, 768)
    assert media.aspect_ratio == "16:9"


def test_match_input_image_without_an_image_falls_back_to_square(
    seed_cards: dict[str, ModelCard],
) -> None:
    media = read(seed_cards, "replicate/google/nano-banana", {"prompt": "x"})
    assert media.width == media.height == 1024


def test_minimax_narration_follows_word_count_speed_and_pauses(
    seed_cards: dict[str, ModelCard],
) -> None:
    text = " ".join(["word"] * 150)
    normal = read(seed_cards, "replicate/minimax/speech-02-hd", {"text": text})
    fast = read(seed_cards, "replicate/minimax/speech-02-hd", {"text": text, "speed": 2})
    paused = read(seed_cards, "replicate/minimax/speech-02-hd", {"text": text + " <#1.5#> end"})
    assert normal.duration_seconds == 60.0
    assert fast.duration_seconds == 30.0
    assert paused.duration_seconds == pytest.approx(60.0 + 0.4 + 1.5)
    assert "<#" not in paused.text
    assert (normal.sample_rate, normal.channels, normal.mime) == (32000, 1, "audio/mpeg")


def test_minimax_sample_rate_and_stereo_channel(seed_cards: dict[str, ModelCard]) -> None:
    media = read(
        seed_cards,
        "replicate/minimax/speech-02-hd",
        {"text": "hello", "sample_rate": 22050, "channel": "stereo"},
    )
    assert (media.sample_rate, media.channels) == (22050, 2)


def test_elevenlabs_speaks_its_prompt_field(seed_cards: dict[str, ModelCard]) -> None:
    media = read(
        seed_cards,
        "replicate/elevenlabs/v3",
        {"prompt": "one two three four five", "voice": "Drew"},
    )
    assert media.text == "one two three four five"
    assert media.voice == "Drew"
    assert media.duration_seconds == 2.0


def test_stable_audio_duration_is_the_music_length(seed_cards: dict[str, ModelCard]) -> None:
    media = read(
        seed_cards, "replicate/stability-ai/stable-audio-2.5", {"prompt": "calm", "duration": 12}
    )
    default = read(seed_cards, "replicate/stability-ai/stable-audio-2.5", {"prompt": "calm"})
    assert media.duration_seconds == 12.0
    assert default.duration_seconds == 190.0
    assert media.mime == "audio/mpeg"  # the seed does not know its container: MP3 is the default


def test_generic_and_alternative_field_names() -> None:
    cards = {card.ref: card for card in demo_cards()}
    video = read(
        cards,
        "mock/video",
        {"prompt": "x", "duration_seconds": 2.5, "width": 640, "height": 360, "fps": 30},
    )
    assert (video.duration_seconds, video.width, video.height, video.fps) == (2.5, 640, 360, 30.0)
    music = interpret(cards["mock/music"], {"prompt": "x", "seconds_total": 7})
    assert music.duration_seconds == 7.0
    image = interpret(cards["mock/image"], {"prompt": "x", "size": "1024x1536", "num_outputs": 3})
    assert (image.width, image.height, image.count) == (1024, 1536, 3)


def test_narration_seconds_counts_words_at_150_per_minute() -> None:
    assert narration_seconds(" ".join(["w"] * 50)) == 20.0
    assert narration_seconds(" ".join(["w"] * 50), speed=0.5) == 40.0
    assert narration_seconds("") == 0.5


RATIOS = st.tuples(st.integers(1, 32), st.integers(1, 32)).map(lambda r: f"{r[0]}:{r[1]}")


@settings(max_examples=200, deadline=None)
@given(
    ratio=RATIOS,
    resolution=st.sampled_from(["240p", "480p", "720p", "1080p", "4k"]),
)
def test_any_video_size_is_even_and_keeps_the_ratio(ratio: str, resolution: str) -> None:
    card = next(c for c in demo_cards() if c.model == "video")
    media = interpret(card, {"prompt": "x", "aspect_ratio": ratio, "resolution": resolution})
    assert media.width and media.height
    assert media.width % 2 == 0 and media.height % 2 == 0
    w, h = (int(v) for v in ratio.split(":"))
    short = min(media.width, media.height)
    assert short == {"240p": 240, "480p": 480, "720p": 720, "1080p": 1080, "4k": 2160}[resolution]
    assert abs(media.width / media.height - w / h) <= 2 / short * max(1, w / h) + 1e-9


@settings(max_examples=200, deadline=None)
@given(
    ratio=RATIOS,
    size=st.sampled_from(["1K", "2K", "4K", None]),
    width=st.one_of(st.none(), st.integers(64, 4096)),
    height=st.one_of(st.none(), st.integers(64, 4096)),
)
def test_any_image_size_is_positive_and_follows_what_was_given(
    ratio: str, size: str | None, width: int | None, height: int | None
) -> None:
    card = next(c for c in demo_cards() if c.model == "image")
    inputs: dict[str, Any] = {"prompt": "x", "aspect_ratio": ratio}
    for name, value in (("size", size), ("width", width), ("height", height)):
        if value is not None:
            inputs[name] = value
    media = interpret(card, inputs)
    assert media.width and media.height and media.width % 2 == 0 and media.height % 2 == 0
    if size is None and width and height:
        assert abs(media.width - width) <= 1 and abs(media.height - height) <= 1
    elif size is not None:
        edge = {"1K": 1024, "2K": 2048, "4K": 4096}[size]
        assert abs(media.width * media.height - edge * edge) / (edge * edge) < 0.1
