"""What a media file is: its type from its first bytes, MIME ↔ suffix, and its media facts.

One module for every package that writes, downloads or checks media (the mock, Replicate's
downloads, the testing kit's fakes and conformance suite), so they agree on what a file is:

- :func:`sniff_mime` names a file's type from its signature (its first :data:`SNIFF_BYTES`).
- :func:`base_mime`, :func:`canonical_mime` and :func:`same_mime` compare MIME types
  (``audio/x-wav; codecs=1`` is ``audio/wav``).
- :func:`suffix_for` and :func:`mime_for_suffix` map MIME types to file suffixes and back, from a
  fixed table: ``mimetypes`` reads the host's ``/etc/mime.types`` and answers differently from
  one machine to the next (``audio/x-wav`` or ``audio/wav``), and a blob's name must not.
- :func:`read_media_facts` reads :class:`~tutopanda_providers.contracts.data.MediaFacts` from
  the file itself: ``wave`` (standard library) for WAV, Pillow for images, PyAV for other audio
  and video. Pillow and PyAV are not dependencies of core; they are imported on first use and,
  when missing, :class:`MediaReaderMissingError` names the extra that brings them
  (``tutopanda-providers-core[media]``).

Like the rest of :mod:`tutopanda_providers.contracts`, this module imports nothing else of
core.
"""

from __future__ import annotations

import io
import os
from typing import IO, Any

from tutopanda_providers.contracts.data import MediaFacts
from tutopanda_providers.contracts.errors import ConfigurationError

#: Bytes needed to recognise every signature :func:`sniff_mime` knows.
SNIFF_BYTES = 16

#: The extra of ``tutopanda-providers-core`` that installs the media readers.
MEDIA_EXTRA = "tutopanda-providers-core[media]"

#: MIME type → file suffix (with its dot). The first MIME type of a suffix is its canonical one.
_SUFFIXES: dict[str, str] = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
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
#: Suffix (no dot, lower case) → MIME type, with the spellings people use besides ours.
_MIMES: dict[str, str] = {
    **{suffix[1:]: mime for mime, suffix in _SUFFIXES.items()},
    "jpeg": "image/jpeg",
    "wave": "audio/wav",
    "oga": "audio/ogg",
    "qt": "video/quicktime",
}
#: Other names of the same formats, as servers and libraries send them.
_ALIASES = {
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/mp3": "audio/mpeg",
    "audio/x-flac": "audio/flac",
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
}
#: FFmpeg names some decoders after their implementation; facts carry the format's name.
_CODEC_NAMES = {"mp3float": "mp3", "aac_fixed": "aac", "h264_v4l2m2m": "h264"}


class MediaReaderMissingError(ConfigurationError):
    """Reading this kind of file needs a library that is not installed (Pillow or PyAV)."""


def sniff_mime(head: bytes) -> str | None:
    """The MIME type a file's first bytes announce, or ``None`` when the signature is unknown.

    Args:
        head: the file's first bytes; :data:`SNIFF_BYTES` are enough, more are ignored.

    Returns:
        One of ``image/png``, ``image/jpeg``, ``image/webp``, ``image/gif``, ``audio/wav``,
        ``audio/mpeg``, ``audio/flac``, ``audio/ogg``, ``video/mp4``, ``video/quicktime``,
        ``video/webm``; ``None`` for anything else (text and JSON have no signature).
    """
    head = head[:SNIFF_BYTES]
    for prefix, mime in _PREFIXES:
        if head.startswith(prefix):
            return mime
    if head[:4] == b"RIFF":
        return {b"WEBP": "image/webp", b"WAVE": "audio/wav"}.get(head[8:12])
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "audio/mpeg"  # an MPEG audio frame sync without an ID3 tag
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    return None


_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"ID3", "audio/mpeg"),
    (b"fLaC", "audio/flac"),
    (b"OggS", "audio/ogg"),
    (b"\x1a\x45\xdf\xa3", "video/webm"),
)


def base_mime(content_type: str | None) -> str | None:
    """``image/png; charset=x`` → ``image/png`` (lower case); ``None`` or empty → ``None``."""
    if not content_type:
        return None
    value = content_type.split(";", 1)[0].strip().lower()
    return value or None


def canonical_mime(mime: str) -> str:
    """The one name this project uses for ``mime``'s format (``audio/x-wav`` → ``audio/wav``).

    Parameters after ``;`` are dropped; an unknown type comes back in lower case.
    """
    base = base_mime(mime) or ""
    return _ALIASES.get(base, base)


def same_mime(a: str, b: str) -> bool:
    """Whether two MIME types name the same format (``audio/x-wav`` is ``audio/wav``)."""
    return canonical_mime(a) == canonical_mime(b)


def suffix_for(mime: str) -> str:
    """The file suffix, dot included, for ``mime`` (``image/jpeg`` → ``.jpg``); ``""`` if unknown."""
    return _SUFFIXES.get(canonical_mime(mime), "")


def mime_for_suffix(suffix: str) -> str | None:
    """The MIME type of a file suffix or format name (``.png``, ``png``, ``JPEG``); ``None`` if
    unknown."""
    return _MIMES.get(suffix.strip().lstrip(".").lower())


#: A media file: its bytes, or its path.
MediaSource = bytes | str | os.PathLike[str]


def read_media_facts(source: MediaSource, mime: str) -> MediaFacts:
    """The facts of a media file, read from the file with the decoders a consumer would use.

    Args:
        source: the file's bytes, or its path.
        mime: its MIME type (``image/*``, ``audio/*`` or ``video/*``; other types have no facts).

    Returns:
        Images: ``width``, ``height`` (pixels) and ``codec`` (the format: ``png``, ``jpeg``...).
        WAV: ``duration_seconds`` (rounded to milliseconds), ``sample_rate`` (Hz), ``channels``,
        ``codec`` (``pcm_s16le``...) and ``has_audio``. Other audio and video: the same, plus
        ``width``, ``height`` and ``fps`` of the first video stream (whose codec is then the
        one reported). Other MIME types: empty facts.

    Raises:
        MediaReaderMissingError: Pillow (images) or PyAV (audio other than WAV, video) is not
            installed; install ``tutopanda-providers-core[media]``.
        Exception: whatever the decoder raises for a file it cannot read (``OSError``,
            ``wave.Error``, ``PIL.UnidentifiedImageError``, ``av.error.InvalidDataError``).
    """
    family = canonical_mime(mime).split("/", 1)[0]
    if family == "image":
        return _image_facts(source)
    if canonical_mime(mime) == "audio/wav":
        return _wav_facts(source)
    if family in ("audio", "video"):
        return _av_facts(source)
    return MediaFacts()


def _opened(source: MediaSource) -> IO[bytes] | str:
    """What the decoders open: a buffer over bytes, a path as ``str``."""
    if isinstance(source, bytes):
        return io.BytesIO(source)
    return os.fspath(source)


def _missing(library: str, module: str, mime_family: str) -> MediaReaderMissingError:
    return MediaReaderMissingError(
        f"reading the facts of {mime_family} files needs {library} (module {module!r}), "
        f"which is not installed; install it with: pip install '{MEDIA_EXTRA}'"
    )


def _image_facts(source: MediaSource) -> MediaFacts:
    try:
        from PIL import Image
    except ImportError as exc:
        raise _missing("Pillow", "PIL", "image") from exc
    with Image.open(_opened(source)) as image:
        return MediaFacts(
            width=image.width, height=image.height, codec=(image.format or "").lower() or None
        )


def _wav_facts(source: MediaSource) -> MediaFacts:
    import wave  # here, not at the top: every process imports contracts, few read WAV files

    with wave.open(_opened(source), "rb") as reader:
        rate = reader.getframerate()
        width = reader.getsampwidth()
        return MediaFacts(
            duration_seconds=round(reader.getnframes() / rate, 3),
            sample_rate=rate,
            channels=reader.getnchannels(),
            codec="pcm_u8" if width == 1 else f"pcm_s{8 * width}le",
            has_audio=True,
        )


def _av_facts(source: MediaSource) -> MediaFacts:
    try:
        import av
    except ImportError as exc:
        raise _missing("PyAV", "av", "audio and video") from exc
    with av.open(_opened(source), "r") as container:
        container_any: Any = container
        facts: dict[str, Any] = {}
        if container_any.duration is not None:
            facts["duration_seconds"] = round(container_any.duration / 1_000_000, 3)
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        if video is not None:
            rate = video.average_rate or video.guessed_rate
            facts.update(
                width=video.codec_context.width or None,
                height=video.codec_context.height or None,
                fps=round(float(rate), 3) if rate else None,
                codec=_codec_name(video.codec_context.name),
            )
        if audio is not None:
            facts.update(
                sample_rate=audio.codec_context.sample_rate or None,
                channels=audio.codec_context.channels or None,
            )
            facts.setdefault("codec", _codec_name(audio.codec_context.name))
        facts["has_audio"] = audio is not None
        return MediaFacts(**facts)


def _codec_name(name: str) -> str:
    return _CODEC_NAMES.get(name, name)


__all__ = [
    "MEDIA_EXTRA",
    "SNIFF_BYTES",
    "MediaReaderMissingError",
    "MediaSource",
    "base_mime",
    "canonical_mime",
    "mime_for_suffix",
    "read_media_facts",
    "same_mime",
    "sniff_mime",
    "suffix_for",
]
