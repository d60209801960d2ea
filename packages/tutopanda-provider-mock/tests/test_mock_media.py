"""Every kind makes a real file: each one is read back with a real decoder and its facts checked."""

from __future__ import annotations

import hashlib
import io
import wave
from collections.abc import Callable
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image
from tutopanda_providers import Artefact, ProducerKind, ProducerResult, ProviderRegistry
from tutopanda_providers.contracts import PromptSet, Script

SENTENCE = "Light is caught by leaves and turned into sugar that feeds the plant."
#: Inputs per seed model, in its own field names; chosen small so the suite stays quick.
SEED_INPUTS: dict[str, dict[str, Any]] = {
    "openai/gpt-5": {"topic": "photosynthesis", "segments": 3, "duration_seconds": 60},
    "openai/gpt-5-mini": {
        "segments": [
            {
                "index": 0,
                "title": "Leaves",
                "narration": SENTENCE,
                "visual_ideas": ["a leaf"],
                "duration_seconds": 5,
            }
        ]
    },
    "replicate/google/gemini-2.5-flash": {"prompt": "Write a lesson script about tides."},
    "replicate/minimax/speech-02-hd": {"text": SENTENCE},
    "replicate/elevenlabs/v3": {"prompt": SENTENCE, "voice": "Drew"},
    "replicate/elevenlabs/turbo-v2.5": {"prompt": SENTENCE, "speed": 1.2},
    "replicate/bytedance/seedream-4": {
        "prompt": "a map of rivers",
        "size": "1K",
        "aspect_ratio": "16:9",
    },
    "replicate/google/imagen-4": {"prompt": "a cell under a microscope", "aspect_ratio": "4:3"},
    "replicate/google/nano-banana": {"prompt": "a diagram of the water cycle"},
    "replicate/tencent/hunyuan-image-3": {"prompt": "a volcano", "aspect_ratio": "9:16"},
    "replicate/bytedance/seedance-1-pro-fast": {
        "prompt": "waves",
        "duration": 2,
        "resolution": "480p",
    },
    "replicate/bytedance/seedance-1-lite": {
        "prompt": "clouds",
        "duration": 2,
        "resolution": "480p",
        "aspect_ratio": "9:16",
    },
    "replicate/google/veo-3-fast": {"prompt": "a fox in snow", "duration": 4, "resolution": "720p"},
    "replicate/stability-ai/stable-audio-2.5": {"prompt": "calm strings", "duration": 6},
}
PIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}


def decode_audio(data: bytes, mime: str) -> tuple[np.ndarray, int]:
    """All samples as float ``(channels, n)`` and the sample rate, decoded from ``data``."""
    if mime == "audio/wav":
        with wave.open(io.BytesIO(data)) as reader:
            raw = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
            channels = reader.getnchannels()
            return raw.reshape(-1, channels).T.astype(np.float32) / 32768, reader.getframerate()
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        chunks = [frame.to_ndarray() for frame in container.decode(stream)]
        rate = stream.codec_context.sample_rate
    samples = np.concatenate(chunks, axis=1).astype(np.float32)
    return samples, rate


def decode_video(data: bytes) -> dict[str, Any]:
    """Frames (RGB), frame rate and the audio track of an MP4, decoded with PyAV."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
        fps = float(stream.average_rate)
    audio = None
    with av.open(io.BytesIO(data)) as container:
        if container.streams.audio:
            audio = decode_audio(data, "video/mp4")
    return {"frames": frames, "fps": fps, "audio": audio}


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples))))


def check_media(artefact: Artefact, data: bytes) -> None:
    """The file decodes, is not silent or blank, and its facts are the decoder's."""
    facts = artefact.facts
    assert artefact.blob is not None
    assert artefact.blob.size == len(data)
    assert artefact.blob.sha256 == hashlib.sha256(data).hexdigest()
    assert artefact.blob.mime == artefact.mime
    if artefact.kind == ProducerKind.IMAGE:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            assert image.format == PIL_FORMATS[artefact.mime]
            assert (image.width, image.height) == (facts.width, facts.height)
            pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
        assert pixels.std() > 10, "the image is blank"
    elif artefact.kind in (ProducerKind.AUDIO, ProducerKind.MUSIC):
        samples, rate = decode_audio(data, artefact.mime)
        assert rate == facts.sample_rate
        assert samples.shape[0] == facts.channels
        assert facts.duration_seconds is not None
        assert samples.shape[1] / rate == pytest.approx(facts.duration_seconds, abs=0.1)
        assert rms(samples) > 0.02, "the audio is silent"
    elif artefact.kind == ProducerKind.VIDEO:
        video = decode_video(data)
        assert facts.fps == pytest.approx(video["fps"])
        assert facts.duration_seconds is not None
        assert len(video["frames"]) == pytest.approx(facts.duration_seconds * video["fps"], abs=1)
        height, width = video["frames"][0].shape[:2]
        assert (width, height) == (facts.width, facts.height)
        assert facts.has_audio == (video["audio"] is not None)
        if video["audio"] is not None:
            samples, rate = video["audio"]
            assert rate == facts.sample_rate
            assert samples.shape[1] / rate == pytest.approx(facts.duration_seconds, abs=0.1)
            assert rms(samples) > 0.02
    else:
        raise AssertionError(f"not a media kind: {artefact.kind}")


async def test_every_seed_model_produces_valid_output_in_mock_mode(
    seed_ref: str,
    registry: ProviderRegistry,
    invoke: Callable[..., Any],
    read_blob: Callable[[ProducerResult], bytes],
) -> None:
    card = registry.card(seed_ref)
    result = await invoke(seed_ref, SEED_INPUTS[seed_ref])
    assert result.meta.mocked is True
    artefact = result.artefacts[0]
    assert artefact.kind == card.kind
    if card.kind == ProducerKind.SCRIPT:
        Script.model_validate(artefact.data)
    elif card.kind == ProducerKind.PROMPT:
        PromptSet.model_validate(artefact.data)
    else:
        check_media(artefact, read_blob(result))


@pytest.mark.parametrize("kind", ["audio", "image", "video", "music"])
async def test_demo_models_produce_valid_media(
    kind: str, invoke: Callable[..., Any], read_blob: Callable[[ProducerResult], bytes]
) -> None:
    inputs = {"text": SENTENCE} if kind == "audio" else {"prompt": f"a demo {kind}"}
    if kind == "video":
        inputs.update(duration_seconds=2, generate_audio=True)
    if kind == "music":
        inputs["duration_seconds"] = 4
    result = await invoke(f"mock/{kind}", inputs)
    check_media(result.artefacts[0], read_blob(result))


async def test_image_is_made_at_the_requested_size_and_format(
    invoke: Callable[..., Any], read_blob: Callable[[ProducerResult], bytes]
) -> None:
    result = await invoke(
        "replicate/bytedance/seedream-4",
        {"prompt": "a map", "size": "custom", "width": 1280, "height": 1024},
    )
    artefact = result.artefacts[0]
    assert (artefact.mime, artefact.facts.width, artefact.facts.height) == (
        "image/jpeg",
        1280,
        1024,
    )
    with Image.open(io.BytesIO(read_blob(result))) as image:
        assert (image.format, image.size) == ("JPEG", (1280, 1024))


async def test_png_output_format_gives_a_png(
    invoke: Callable[..., Any], read_blob: Callable[[ProducerResult], bytes]
) -> None:
    result = await invoke(
        "replicate/google/nano-banana",
        {"prompt": "x", "output_format": "png", "aspect_ratio": "3:2"},
    )
    with Image.open(io.BytesIO(read_blob(result))) as image:
        assert image.format == "PNG"
        assert abs(image.width / image.height - 1.5) < 0.02


async def test_narration_length_follows_the_text_at_150_words_per_minute(
    invoke: Callable[..., Any], read_blob: Callable[[ProducerResult], bytes]
) -> None:
    text = " ".join(["lesson"] * 50)
    normal = await invoke("replicate/minimax/speech-02-hd", {"text": text})
    slow = await invoke("replicate/minimax/speech-02-hd", {"text": text, "speed": 0.5})
    short = await invoke("replicate/minimax/speech-02-hd", {"text": "just five words said here"})
    for result, seconds in ((normal, 20.0), (slow, 40.0), (short, 2.0)):
        samples, rate = decode_audio(read_blob(result), "audio/mpeg")
        assert samples.shape[1] / rate == pytest.approx(seconds, abs=0.15)
        assert result.artefacts[0].facts.duration_seconds == pytest.approx(seconds, abs=0.1)


async def test_music_lasts_the_requested_duration(
    invoke: Callable[..., Any], read_blob: Callable[[ProducerResult], bytes]
) -> None:
    result = await invoke(
        "replicate/stability-ai/stable-audio-2.5", {"prompt": "drums", "duration": 9}
    )
    samples, rate = decode_audio(read_blob(result), result.artefacts[0].mime)
    assert samples.shape[1] / rate == pytest.approx(9.0, abs=0.1)
    assert samples.shape[0] == 2


async def test_video_frames_keep_the_picture_and_run_a_timecode(
    invoke: Callable[..., Any], read_blob: Callable[[ProducerResult], bytes]
) -> None:
    result = await invoke(
        "replicate/bytedance/seedance-1-lite",
        {"prompt": "a comet", "duration": 2, "resolution": "480p", "fps": 24},
    )
    video = decode_video(read_blob(result))
    first, last = video["frames"][0].astype(int), video["frames"][-1].astype(int)
    height = first.shape[0]
    band = height // 12
    assert np.abs(first[: height // 2] - last[: height // 2]).mean() < 3, "the picture moved"
    assert np.abs(first[height - band :] - last[height - band :]).mean() > 5, (
        "the timecode is still"
    )
    assert len(video["frames"]) == 48
    assert video["audio"] is None


async def test_veo_video_carries_an_audio_track_only_when_asked(
    invoke: Callable[..., Any], read_blob: Callable[[ProducerResult], bytes]
) -> None:
    base = {"prompt": "rain", "duration": 4, "resolution": "720p", "aspect_ratio": "9:16"}
    with_audio = await invoke("replicate/google/veo-3-fast", base)
    without = await invoke("replicate/google/veo-3-fast", {**base, "generate_audio": False})
    assert with_audio.artefacts[0].facts.has_audio is True
    assert without.artefacts[0].facts.has_audio is False
    assert (without.artefacts[0].facts.width, without.artefacts[0].facts.height) == (720, 1280)
    assert decode_video(read_blob(without))["audio"] is None


async def test_several_outputs_make_several_distinct_files(
    invoke: Callable[..., Any], read_blob: Callable[[ProducerResult], bytes]
) -> None:
    result = await invoke(
        "replicate/bytedance/seedream-4",
        {"prompt": "stars", "size": "1K", "sequential_image_generation": "auto", "max_images": 3},
    )
    assert [a.name for a in result.artefacts] == ["output", "output-2", "output-3"]
    assert len({a.blob.sha256 for a in result.artefacts if a.blob}) == 3
