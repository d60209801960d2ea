"""Tiny, real media files for fake outputs: images made with Pillow, a WAV made with the
standard library, and an MP3 and MP4s shipped as package data (made once by
``scripts/make_media_fixtures.py``). Everything is cached: serving 1,000 outputs costs little.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import wave
from functools import lru_cache
from importlib.resources import files

from tutopanda_providers.contracts import mime_for_suffix

#: The MIME type of each output format the fakes serve (core's table decides the names).
MIME_TYPES: dict[str, str] = {
    fmt: mime
    for fmt in ("png", "jpg", "jpeg", "webp", "wav", "mp3", "mp4", "txt", "json")
    if (mime := mime_for_suffix(fmt)) is not None
}

_PILLOW_FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP"}


def image_size(aspect_ratio: str | None, longest: int = 64) -> tuple[int, int]:
    """A small ``(width, height)`` with the given ``W:H`` aspect ratio (square if unknown)."""
    try:
        w_text, h_text = (aspect_ratio or "").split(":")
        w, h = float(w_text), float(h_text)
    except ValueError:
        return longest, longest
    if w <= 0 or h <= 0:
        return longest, longest
    if w >= h:
        return longest, max(1, round(longest * h / w))
    return max(1, round(longest * w / h)), longest


def _colour(seed: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(seed.encode()).digest()
    return digest[0], digest[1], digest[2]


@lru_cache(maxsize=256)
def make_image(fmt: str, width: int, height: int, seed: str = "") -> bytes:
    """A ``width`` x ``height`` image in ``fmt`` (png, jpg, webp) coloured from ``seed``."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), _colour(seed))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 2, height // 2), fill=_colour(seed + "/2"))
    buffer = io.BytesIO()
    image.save(buffer, format=_PILLOW_FORMATS[fmt.lower()])
    return buffer.getvalue()


@lru_cache(maxsize=32)
def make_wav(seconds: float = 1.0, sample_rate: int = 16000, frequency: float = 440.0) -> bytes:
    """A mono 16-bit PCM WAV with a sine tone."""
    frames = int(seconds * sample_rate)
    samples = (
        int(8000 * math.sin(2 * math.pi * frequency * i / sample_rate)) for i in range(frames)
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(struct.pack(f"<{frames}h", *samples))
    return buffer.getvalue()


@lru_cache(maxsize=8)
def packaged(name: str) -> bytes:
    """The bytes of a file shipped in ``tutopanda_providers_testing/data``."""
    return (files("tutopanda_providers_testing") / "data" / name).read_bytes()


def mp3() -> bytes:
    """A one-second mono MP3 (32 kHz sine tone)."""
    return packaged("tone.mp3")


def mp4(*, with_audio: bool = True) -> bytes:
    """A one-second 64x36 H.264 MP4 at 24 fps, with an AAC track unless ``with_audio`` is off."""
    return packaged("clip.mp4" if with_audio else "clip-silent.mp4")
