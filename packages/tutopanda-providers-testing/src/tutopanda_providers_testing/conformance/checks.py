"""Checks the conformance suite applies to results: file types, media facts, secrets."""

from __future__ import annotations

import io
import json
import traceback
import wave
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tutopanda_providers.contracts import Artefact, MediaFacts


def sniff_mime(data: bytes) -> str | None:
    """The MIME type the first bytes of ``data`` announce, or ``None`` when unknown."""
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    return None


_EQUIVALENT = {"audio/x-wav": "audio/wav", "audio/wave": "audio/wav", "audio/mp3": "audio/mpeg"}


def same_mime(a: str, b: str) -> bool:
    """Whether two MIME types name the same format (``audio/x-wav`` is ``audio/wav``)."""
    a, b = a.split(";")[0].strip().lower(), b.split(";")[0].strip().lower()
    return _EQUIVALENT.get(a, a) == _EQUIVALENT.get(b, b)


def facts_from_bytes(data: bytes, mime: str) -> MediaFacts | None:
    """Facts read independently of the handler (Pillow for images, ``wave`` for WAV, PyAV
    for the rest when it is installed); ``None`` when they cannot be read here."""
    if mime.startswith("image/"):
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return MediaFacts(width=image.width, height=image.height)
    if same_mime(mime, "audio/wav"):
        with wave.open(io.BytesIO(data)) as wav:
            return MediaFacts(
                duration_seconds=wav.getnframes() / wav.getframerate(),
                sample_rate=wav.getframerate(),
                channels=wav.getnchannels(),
            )
    try:
        import av
    except ImportError:
        return None
    with av.open(io.BytesIO(data), mode="r") as container:
        duration = container.duration / 1_000_000 if container.duration else None
        video = next(iter(container.streams.video), None)
        audio = next(iter(container.streams.audio), None)
        return MediaFacts(
            duration_seconds=duration,
            width=video.codec_context.width if video is not None else None,
            height=video.codec_context.height if video is not None else None,
            sample_rate=audio.codec_context.sample_rate if audio is not None else None,
            has_audio=audio is not None,
        )


def check_facts(artefact: Artefact, data: bytes) -> list[str]:
    """Every way the artefact's facts disagree with the file (empty when they agree)."""
    problems: list[str] = []
    facts = artefact.facts
    family = artefact.mime.split("/")[0]
    if family in {"image", "video"} and not (facts.width and facts.height):
        problems.append(f"{artefact.name}: {family} without width and height facts")
    if family in {"audio", "video"} and not facts.duration_seconds:
        problems.append(f"{artefact.name}: {family} without a duration")
    read = facts_from_bytes(data, artefact.mime)
    if read is None:
        return problems
    for name in ("width", "height"):
        mine, theirs = getattr(read, name), getattr(facts, name)
        if mine is not None and theirs is not None and mine != theirs:
            problems.append(f"{artefact.name}: {name} is {theirs} in the facts, {mine} in the file")
    if (
        read.duration_seconds
        and facts.duration_seconds
        and abs(read.duration_seconds - facts.duration_seconds)
        > max(0.1, 0.05 * read.duration_seconds)
    ):
        problems.append(
            f"{artefact.name}: duration is {facts.duration_seconds}s in the facts, "
            f"{read.duration_seconds:.3f}s in the file"
        )
    return problems


def exception_texts(error: BaseException) -> list[str]:
    """``str``, ``repr``, ``to_dict`` and the formatted traceback of an error and its causes."""
    texts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    to_dict = getattr(error, "to_dict", None)
    if callable(to_dict):
        texts.append(json.dumps(to_dict(), default=str))
    return texts


def find_secret(secret: str, texts: Iterable[str]) -> list[str]:
    """The texts (shortened) that contain ``secret``."""
    return [t[:300] for t in texts if secret in t]


def files_containing(root: Path, secret: str) -> list[str]:
    """Files under ``root`` whose bytes contain ``secret``."""
    needle = secret.encode()
    if not root.exists():
        return []
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def as_text(value: Any) -> str:
    """Any value as text for a secret scan (JSON where possible)."""
    try:
        return json.dumps(value, default=repr)
    except (TypeError, ValueError):
        return repr(value)
