"""Reads media facts back from the bytes of a file, with the decoders a consumer would use.

The facts in a mock result are never the facts that were asked for: they are what PyAV,
Pillow or ``wave`` find in the file that was written, so a timeline built from them matches
the media.
"""

from __future__ import annotations

import io
import wave
from typing import Any

from tutopanda_providers.contracts import MediaFacts

# FFmpeg names some decoders after their implementation; report the format's name.
_CODEC_NAMES = {"mp3float": "mp3", "aac_fixed": "aac", "h264_v4l2m2m": "h264"}


def probe(data: bytes, mime: str) -> MediaFacts:
    """The :class:`MediaFacts` of ``data``, a file of type ``mime``."""
    if mime.startswith("image/"):
        return probe_image(data)
    if mime in ("audio/wav", "audio/x-wav", "audio/wave"):
        return probe_wav(data)
    return probe_av(data)


def probe_image(data: bytes) -> MediaFacts:
    """Width and height (and the format as ``codec``) of an image, read by Pillow."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return MediaFacts(
            width=image.width, height=image.height, codec=(image.format or "").lower()
        )


def probe_wav(data: bytes) -> MediaFacts:
    """Duration, sample rate and channels of a WAV file, read by ``wave``."""
    with wave.open(io.BytesIO(data), "rb") as reader:
        rate = reader.getframerate()
        return MediaFacts(
            duration_seconds=round(reader.getnframes() / rate, 3),
            sample_rate=rate,
            channels=reader.getnchannels(),
            codec="pcm_s16le",
            has_audio=True,
        )


def probe_av(data: bytes) -> MediaFacts:
    """Duration, size, fps, sample rate and codecs of an audio or video file, read by PyAV."""
    import av

    with av.open(io.BytesIO(data), "r") as container:
        container_any: Any = container
        facts: dict[str, Any] = {}
        if container_any.duration is not None:
            facts["duration_seconds"] = round(container_any.duration / 1_000_000, 3)
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        if video is not None:
            rate = video.average_rate or video.guessed_rate
            facts.update(
                width=video.codec_context.width,
                height=video.codec_context.height,
                fps=round(float(rate), 3) if rate else None,
                codec=_codec_name(video.codec_context.name),
            )
        if audio is not None:
            facts.update(
                sample_rate=audio.codec_context.sample_rate, channels=audio.codec_context.channels
            )
            facts.setdefault("codec", _codec_name(audio.codec_context.name))
        facts["has_audio"] = audio is not None
        return MediaFacts(**facts)


def _codec_name(name: str) -> str:
    return _CODEC_NAMES.get(name, name)


__all__ = ["probe", "probe_av", "probe_image", "probe_wav"]
