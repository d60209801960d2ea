"""The mock serves FAL's endpoints from their own field names: ``image_size`` presets and
``{width, height}`` objects, ``resolution``, ``num_images`` x ``max_images``, string durations
(``"8s"``, ``"5"``), ``seconds_total``, minimax's nested ``voice_setting`` / ``audio_setting``
and ``output_format``. Each file is decoded and its size and length checked.

The cards are the FAL plugin's (skipped when it is not installed), registered with a live
factory that must never run.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import av
import pytest
import tutopanda_provider_mock.plugin as mock_plugin
from PIL import Image
from tutopanda_provider_mock import interpret, narration_seconds
from tutopanda_providers import Descriptor, JobInfo, ProducerResult, ProviderRegistry
from tutopanda_providers_testing.fakes import FakePlugin, fake_registry

fal_cards = pytest.importorskip(
    "tutopanda_provider_fal.cards", reason="the FAL plugin is not installed"
)

SENTENCE = "Light is caught by leaves and turned into sugar that feeds the plant."
IMAGE = "https://example.com/start.png"
PIL_MIMES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}

#: endpoint → (inputs in FAL's own names, expected (width, height) of each image, count)
IMAGES: dict[str, tuple[dict[str, Any], tuple[int, int], int]] = {
    "fal-ai/bytedance/seedream/v4/text-to-image": (
        {"prompt": "a map", "image_size": "landscape_4_3", "num_images": 2, "max_images": 2},
        (1024, 768),
        4,
    ),
    "fal-ai/bytedance/seedream/v4/edit": (
        {"prompt": "recolour", "image_urls": [IMAGE], "image_size": "portrait_16_9"},
        (576, 1024),
        1,
    ),
    "fal-ai/imagen4/preview": ({"prompt": "a cell", "resolution": "1K"}, (1024, 1024), 1),
    "fal-ai/imagen4/preview/fast": ({"prompt": "a cell", "num_images": 2}, (1024, 1024), 2),
    "fal-ai/imagen4/preview/ultra": (
        {"prompt": "a cell", "resolution": "2K", "output_format": "webp"},
        (2048, 2048),
        1,
    ),
    "fal-ai/nano-banana": (
        {"prompt": "a river", "aspect_ratio": "16:9", "output_format": "jpeg"},
        (1360, 768),
        1,
    ),
    "fal-ai/nano-banana/edit": ({"prompt": "a river", "image_urls": [IMAGE]}, (1024, 1024), 1),
    "fal-ai/hunyuan-image/v3/text-to-image": (
        {"prompt": "a volcano", "image_size": {"width": 1280, "height": 720}},
        (1280, 720),
        1,
    ),
}
#: endpoint → (inputs, (width, height), seconds, has audio)
VIDEOS: dict[str, tuple[dict[str, Any], tuple[int, int], float, bool]] = {
    "fal-ai/bytedance/seedance/v1/pro/fast/text-to-video": (
        {"prompt": "waves", "duration": "2", "resolution": "480p"},
        (854, 480),
        2.0,
        False,
    ),
    "fal-ai/bytedance/seedance/v1/pro/fast/image-to-video": (
        {"prompt": "waves", "image_url": IMAGE, "duration": "3", "resolution": "480p"},
        (854, 480),
        3.0,
        False,
    ),
    "fal-ai/bytedance/seedance/v1/lite/text-to-video": (
        {"prompt": "clouds", "duration": "2", "resolution": "480p", "aspect_ratio": "9:16"},
        (480, 854),
        2.0,
        False,
    ),
    "fal-ai/bytedance/seedance/v1/lite/image-to-video": (
        {
            "prompt": "clouds",
            "image_url": IMAGE,
            "duration": "2",
            "resolution": "480p",
            "aspect_ratio": "1:1",
        },
        (480, 480),
        2.0,
        False,
    ),
    "fal-ai/veo3/fast": ({"prompt": "a fox", "duration": "4s"}, (1280, 720), 4.0, True),
    "fal-ai/veo3/fast/image-to-video": (
        {
            "prompt": "a fox",
            "image_url": IMAGE,
            "duration": "4s",
            "aspect_ratio": "9:16",
            "generate_audio": False,
        },
        (720, 1280),
        4.0,
        False,
    ),
}


def _card(model: str) -> Any:
    return fal_cards.card_for(model)


def _no_live_handler(context: Any) -> Any:
    raise AssertionError("a live handler was created in a mock test")


@pytest.fixture
def fal_registry(tmp_path: Path) -> ProviderRegistry:
    cards = FakePlugin.for_cards(list(fal_cards.CARDS), _no_live_handler, modes=("live",))
    return fake_registry([("mock", mock_plugin), ("fal", cards)], storage=tmp_path, mode="mock")


@pytest.fixture
def run(
    fal_registry: ProviderRegistry,
) -> Callable[[str, Mapping[str, Any]], Awaitable[ProducerResult]]:
    async def invoke(model: str, inputs: Mapping[str, Any]) -> ProducerResult:
        descriptor = Descriptor(provider="fal", model=model)
        card = fal_registry.card(descriptor)
        request = fal_registry.new_request(
            descriptor, inputs, job=JobInfo(id="job-1", producer="P", kind=card.kind)
        )
        return await fal_registry.resolve(descriptor).invoke(request)

    return invoke


def _bytes(registry: ProviderRegistry, result: ProducerResult, index: int = 0) -> bytes:
    blob = result.artefacts[index].blob
    assert blob is not None
    return registry.storage.read_bytes(blob)


def _audio_seconds(data: bytes, mime: str) -> tuple[float, int, int]:
    """(seconds, sample rate, channels) decoded from the file."""
    if mime == "audio/wav":
        with wave.open(io.BytesIO(data)) as reader:
            return (
                reader.getnframes() / reader.getframerate(),
                reader.getframerate(),
                reader.getnchannels(),
            )
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        rate = stream.codec_context.sample_rate
        return samples / rate, rate, stream.codec_context.channels


# -- interpret: pure -------------------------------------------------------------------


def test_fal_image_size_presets_and_objects_give_the_pixels() -> None:
    card = _card("fal-ai/hunyuan-image/v3/text-to-image")
    for preset, size in {
        "square_hd": (1024, 1024),
        "portrait_4_3": (768, 1024),
        "landscape_16_9": (1024, 576),
    }.items():
        wish = interpret(card, card.validate_inputs({"prompt": "p", "image_size": preset}))
        assert (wish.width, wish.height) == size
    seedream = _card("fal-ai/bytedance/seedream/v4/text-to-image")
    default = interpret(seedream, seedream.validate_inputs({"prompt": "p"}))  # {2048, 2048}
    assert (default.width, default.height) == (2048, 2048)
    auto = interpret(seedream, seedream.validate_inputs({"prompt": "p", "image_size": "auto_2K"}))
    assert (auto.width, auto.height) == (2048, 2048)


def test_seedream_makes_num_images_times_max_images() -> None:
    card = _card("fal-ai/bytedance/seedream/v4/text-to-image")
    wish = interpret(card, card.validate_inputs({"prompt": "p", "num_images": 3, "max_images": 2}))
    assert wish.count == 6


def test_fal_string_durations_and_seconds_total() -> None:
    veo = _card("fal-ai/veo3/fast")
    wish = interpret(veo, veo.validate_inputs({"prompt": "p"}))  # "8s", 720p, audio on
    assert (wish.duration_seconds, wish.width, wish.height, wish.generate_audio) == (
        8.0,
        1280,
        720,
        True,
    )
    seedance = _card("fal-ai/bytedance/seedance/v1/pro/fast/text-to-video")
    wish = interpret(seedance, seedance.validate_inputs({"prompt": "p", "duration": "12"}))
    assert (wish.duration_seconds, wish.height) == (12.0, 1080)
    music = _card("fal-ai/stable-audio-25/text-to-audio")
    assert (
        interpret(
            music, music.validate_inputs({"prompt": "p", "seconds_total": 42})
        ).duration_seconds
        == 42.0
    )


def test_minimax_nested_voice_and_audio_settings_are_read() -> None:
    card = _card("fal-ai/minimax/speech-02-hd")
    inputs = card.validate_inputs(
        {
            "text": SENTENCE,
            "voice_setting": {"voice_id": "Deep_Voice_Man", "speed": 2},
            "audio_setting": {"sample_rate": 22050, "channel": 2, "format": "pcm"},
        }
    )
    wish = interpret(card, inputs)
    assert (wish.voice, wish.speed, wish.sample_rate, wish.channels, wish.mime) == (
        "Deep_Voice_Man",
        2.0,
        22050,
        2,
        "audio/wav",
    )
    assert wish.duration_seconds == narration_seconds(SENTENCE, 2.0)
    default = interpret(card, card.validate_inputs({"text": SENTENCE}))  # output_format "hex"
    assert (default.mime, default.sample_rate, default.channels) == ("audio/mpeg", 32000, 1)


# -- real files ------------------------------------------------------------------------


@pytest.mark.parametrize("model", list(IMAGES))
async def test_each_fal_image_endpoint_makes_images_of_the_asked_size(
    model: str, run: Any, fal_registry: ProviderRegistry
) -> None:
    inputs, size, count = IMAGES[model]
    result = await run(model, inputs)
    assert len(result.artefacts) == count
    for index, artefact in enumerate(result.artefacts):
        with Image.open(io.BytesIO(_bytes(fal_registry, result, index))) as image:
            image.load()
            assert image.size == size
            assert PIL_MIMES[str(image.format)] == artefact.mime
    asked = inputs.get("output_format")
    if asked:
        assert result.artefacts[0].mime == f"image/{asked}"


@pytest.mark.parametrize("model", list(VIDEOS))
async def test_each_fal_video_endpoint_makes_a_video_of_the_asked_size_and_length(
    model: str, run: Any, fal_registry: ProviderRegistry
) -> None:
    inputs, size, seconds, has_audio = VIDEOS[model]
    result = await run(model, inputs)
    data = _bytes(fal_registry, result)
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = [frame for frame in container.decode(stream)]
        fps = float(stream.average_rate)
        audio = bool(container.streams.audio)
    assert (frames[0].width, frames[0].height) == size
    assert len(frames) / fps == pytest.approx(seconds, abs=1 / fps)
    assert audio is has_audio
    assert result.artefacts[0].facts.duration_seconds == seconds


@pytest.mark.parametrize(
    ("model", "inputs", "speed"),
    [
        (
            "fal-ai/minimax/speech-02-hd",
            {
                "text": SENTENCE,
                "voice_setting": {"speed": 1.5},
                "audio_setting": {"sample_rate": 24000, "channel": 2},
            },
            1.5,
        ),
        ("fal-ai/elevenlabs/tts/eleven-v3", {"text": SENTENCE, "voice": "Aria"}, 1.0),
        ("fal-ai/elevenlabs/tts/turbo-v2.5", {"text": SENTENCE, "speed": 1.2}, 1.2),
    ],
)
async def test_each_fal_narration_endpoint_speaks_its_text_at_its_speed(
    model: str, inputs: dict[str, Any], speed: float, run: Any, fal_registry: ProviderRegistry
) -> None:
    result = await run(model, inputs)
    artefact = result.artefacts[0]
    seconds, rate, channels = _audio_seconds(_bytes(fal_registry, result), artefact.mime)
    assert seconds == pytest.approx(narration_seconds(SENTENCE, speed), abs=0.1)
    if model.startswith("fal-ai/minimax"):
        assert (rate, channels) == (24000, 2)


async def test_stable_audio_on_fal_makes_seconds_total_of_music(
    run: Any, fal_registry: ProviderRegistry
) -> None:
    result = await run(
        "fal-ai/stable-audio-25/text-to-audio", {"prompt": "calm strings", "seconds_total": 5}
    )
    artefact = result.artefacts[0]
    seconds, _, _ = _audio_seconds(_bytes(fal_registry, result), artefact.mime)
    assert seconds == pytest.approx(5.0, abs=0.1)
    assert artefact.mime == "audio/wav"


def test_every_fal_card_is_covered_here() -> None:
    covered = {
        *IMAGES,
        *VIDEOS,
        "fal-ai/minimax/speech-02-hd",
        "fal-ai/elevenlabs/tts/eleven-v3",
        "fal-ai/elevenlabs/tts/turbo-v2.5",
        "fal-ai/stable-audio-25/text-to-audio",
    }
    assert covered == {c.model for c in fal_cards.CARDS}
