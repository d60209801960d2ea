"""What a downloaded file is: its MIME type from its first bytes, its suffix, its media facts.

Replicate's file hosts usually send the right ``Content-Type``, but the stored MIME is read from
the file's signature when it is known (a PNG served as ``image/jpeg`` is stored as PNG). Facts
(image size; audio/video duration, size, fps, sample rate) are read from the stored file with
Pillow and PyAV when they are installed; neither is a dependency of this package, and without
them the facts stay empty rather than guessed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from tutopanda_providers.contracts import MediaFacts

log = logging.getLogger(__name__)

#: Bytes needed to recognise every signature below.
SNIFF_BYTES = 16

_SUFFIX = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/flac": ".flac",
    "audio/ogg": ".ogg",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "video/quicktime": ".mov",
    "application/json": ".json",
    "text/plain": ".txt",
}


def sniff_mime(head: bytes) -> str | None:
    """The MIME type the first bytes of a file announce, or ``None`` when unknown."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


def base_mime(content_type: str | None) -> str | None:
    """``image/png; charset=x`` → ``image/png``; ``None`` or empty → ``None``."""
    if not content_type:
        return None
    value = content_type.split(";", 1)[0].strip().lower()
    return value or None


def suffix_for(mime: str) -> str:
    """The file suffix for ``mime`` (empty when unknown)."""
    return _SUFFIX.get(mime, "")


def read_facts(path: Path, mime: str) -> MediaFacts:
    """Facts read from the file at ``path``; empty where no reader is installed or it fails."""
    try:
        if mime.startswith("image/"):
            return _image_facts(path)
        if mime.startswith(("audio/", "video/")):
            return _av_facts(path)
    except Exception as exc:  # a reader choking on a file must not fail a paid job
        log.debug("could not read media facts of %s: %s", path, exc)
    return MediaFacts()


def _image_facts(path: Path) -> MediaFacts:
    try:
        from PIL import Image
    except ImportError:
        return MediaFacts()
    with Image.open(path) as image:
        return MediaFacts(width=image.width, height=image.height)


def _av_facts(path: Path) -> MediaFacts:
    try:
        import av
    except ImportError:
        return MediaFacts()
    with av.open(str(path)) as container:
        duration = container.duration / 1_000_000 if container.duration else None
        facts = MediaFacts(duration_seconds=duration, has_audio=bool(container.streams.audio))
        if container.streams.video:
            video = container.streams.video[0]
            facts.width = video.codec_context.width or None
            facts.height = video.codec_context.height or None
            facts.fps = float(video.average_rate) if video.average_rate else None
            facts.codec = video.codec_context.name
        elif container.streams.audio:
            audio = container.streams.audio[0]
            facts.sample_rate = audio.codec_context.sample_rate or None
            facts.channels = audio.codec_context.channels or None
            facts.codec = audio.codec_context.name
        return facts


__all__ = ["SNIFF_BYTES", "base_mime", "read_facts", "sniff_mime", "suffix_for"]
