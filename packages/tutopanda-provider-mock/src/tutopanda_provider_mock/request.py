"""Reads what a model was asked to make from its own input fields.

Every model names the same wish differently: seconds are ``duration`` (veo, seedance,
stable-audio), ``seconds_total`` or ``duration_seconds``, as numbers or as FAL's strings
(``"8s"``, ``"5"``); the spoken text is ``text`` (minimax) or ``prompt`` (the ElevenLabs
wrappers); an image size is ``size`` + ``width``/``height`` (seedream), ``image_size`` (imagen;
on FAL a preset such as ``landscape_16_9`` or a ``{"width", "height"}`` object), ``resolution``
(``1K``/``2K``), or an ``aspect_ratio`` alone. Nested settings objects (FAL minimax's
``voice_setting`` and ``audio_setting``) are read as if their fields were top-level.
:func:`interpret` reads all of them, plus the producer-level names of :class:`~tutopanda_providers.cards.GenericInputs`,
into one :class:`MediaRequest` with sensible defaults, so the mock serves any model a plugin
registers. Pure Python: nothing heavy is imported here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tutopanda_providers.contracts import ModelCard, ProducerKind, canonical_mime

#: Narration pace in words per minute at speed 1.0.
WORDS_PER_MINUTE = 150.0

TEXT_FIELDS = ("text", "prompt", "input", "script", "transcript")
PROMPT_FIELDS = ("prompt", "text", "input", "description", "caption")
DURATION_FIELDS = (
    "duration_seconds",
    "duration",
    "seconds_total",
    "seconds",
    "length_seconds",
    "audio_length",
    "length",
)
FPS_FIELDS = ("fps", "frames_per_second", "frame_rate")
COUNT_FIELDS = ("num_outputs", "num_images", "number_of_images", "n", "count")
AUDIO_FLAG_FIELDS = ("generate_audio", "with_audio", "audio")
SPEED_FIELDS = ("speed", "speaking_rate", "rate")
VOICE_FIELDS = ("voice_id", "voice", "speaker")
SAMPLE_RATE_FIELDS = ("sample_rate", "sampling_rate")
FORMAT_FIELDS = ("output_format", "audio_format", "format")

#: ``size`` / ``image_size`` presets: the edge of a square of the same area.
SIZE_PRESETS = {"0.5k": 512, "1k": 1024, "2k": 2048, "4k": 4096}
#: FAL's ``image_size`` presets: (width, height) in pixels (``auto`` lets the model choose).
IMAGE_SIZE_PRESETS = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
    "auto_2k": (2048, 2048),
    "auto_4k": (4096, 4096),
}
#: ``resolution`` presets: the short side of the frame.
RESOLUTION_PRESETS = {
    "240p": 240,
    "360p": 360,
    "480p": 480,
    "540p": 540,
    "576p": 576,
    "720p": 720,
    "768p": 768,
    "1080p": 1080,
    "1440p": 1440,
    "2k": 1440,
    "2160p": 2160,
    "4k": 2160,
}
#: ``output_format`` values and the MIME type each asks for.
FORMAT_MIMES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "mp3": "audio/mpeg",
    "mpeg": "audio/mpeg",
    "wav": "audio/wav",
    "wave": "audio/wav",
    "pcm": "audio/wav",
    "mp4": "video/mp4",
}
DEFAULT_MIMES = {
    ProducerKind.SCRIPT: "application/json",
    ProducerKind.PROMPT: "application/json",
    ProducerKind.AUDIO: "audio/mpeg",
    ProducerKind.MUSIC: "audio/mpeg",
    ProducerKind.IMAGE: "image/png",
    ProducerKind.VIDEO: "video/mp4",
}
_PAUSE = re.compile(r"<#\s*(\d+(?:\.\d+)?)\s*#>")
_DIMENSIONS = re.compile(r"^\s*(\d{2,5})\s*[x\u00d7*]\s*(\d{2,5})\s*$", re.IGNORECASE)
_RATIO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[:/x]\s*(\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class MediaRequest:
    """What to make, in plain terms, whatever the model called its fields.

    Attributes:
        kind: the producer kind.
        mime: the MIME type of the file to write (the card's, or what ``output_format`` asks).
        prompt: the prompt (or, for narration, the text to speak) shown on images and frames.
        text: the text to speak (narration), pause markers removed.
        negative_prompt: what to avoid, when given.
        duration_seconds: the length of audio or video, ``None`` for images.
        width: frame or image width in pixels, ``None`` for audio.
        height: frame or image height in pixels, ``None`` for audio.
        aspect_ratio: ``"W:H"`` as asked (or derived from the size).
        fps: frames per second of a video.
        sample_rate: audio sample rate in Hz.
        channels: audio channels (1 mono, 2 stereo).
        speed: narration speed multiplier (1.0 is 150 words per minute).
        voice: the voice name or id (changes the pitch, not the length).
        generate_audio: whether a video carries an audio track.
        count: how many files to make.
        bitrate: audio bitrate in bits per second (MP3 and AAC).
        pauses_seconds: total of explicit ``<#s#>`` pause markers in the text.
    """

    kind: ProducerKind
    mime: str
    prompt: str
    text: str = ""
    negative_prompt: str | None = None
    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None
    aspect_ratio: str | None = None
    fps: float = 24.0
    sample_rate: int = 44100
    channels: int = 1
    speed: float = 1.0
    voice: str = "default"
    generate_audio: bool = False
    count: int = 1
    bitrate: int = 128000
    pauses_seconds: float = 0.0


def interpret(card: ModelCard, inputs: Mapping[str, Any]) -> MediaRequest:
    """Read ``inputs`` (validated, in ``card``'s own field names) into a :class:`MediaRequest`."""
    kind = card.kind
    inputs = _flattened(inputs)
    mime = _output_mime(card, inputs)
    if kind == ProducerKind.AUDIO:
        return _narration(card, inputs, mime)
    if kind == ProducerKind.MUSIC:
        return _music(inputs, mime)
    if kind == ProducerKind.IMAGE:
        return _image(inputs, mime)
    if kind == ProducerKind.VIDEO:
        return _video(card, inputs, mime)
    return MediaRequest(kind=kind, mime=mime, prompt=_first_text(inputs, PROMPT_FIELDS))


def narration_seconds(text: str, speed: float = 1.0, pauses_seconds: float = 0.0) -> float:
    """How long ``text`` takes to say at ``speed`` (150 words per minute at 1.0), plus pauses."""
    words = len(_PAUSE.sub(" ", text).split())
    spoken = words * 60.0 / (WORDS_PER_MINUTE * max(speed, 0.05))
    return round(max(0.5, spoken + pauses_seconds), 3)


def parse_ratio(value: Any) -> tuple[float, float] | None:
    """``"16:9"`` → ``(16, 9)``; ``None`` for ``match_input_image``, ``auto`` and the like."""
    if not isinstance(value, str):
        return None
    found = _RATIO.match(value)
    if not found:
        return None
    w, h = float(found.group(1)), float(found.group(2))
    return (w, h) if w > 0 and h > 0 else None


# -- kinds -------------------------------------------------------------------------------


def _narration(card: ModelCard, inputs: Mapping[str, Any], mime: str) -> MediaRequest:
    raw = _first_text(inputs, TEXT_FIELDS)
    pauses = sum(float(s) for s in _PAUSE.findall(raw))
    text = " ".join(_PAUSE.sub(" ", raw).split())
    speed = _first_number(inputs, SPEED_FIELDS) or 1.0
    duration = narration_seconds(text, speed, pauses)
    return MediaRequest(
        kind=card.kind,
        mime=mime,
        prompt=text,
        text=text,
        duration_seconds=duration,
        sample_rate=_sample_rate(inputs, mime),
        channels=_channels(inputs),
        speed=speed,
        voice=str(_first(inputs, VOICE_FIELDS) or "default"),
        count=_count(inputs),
        bitrate=_bitrate(inputs),
        pauses_seconds=pauses,
    )


def _music(inputs: Mapping[str, Any], mime: str) -> MediaRequest:
    duration = _first_number(inputs, DURATION_FIELDS) or 30.0
    return MediaRequest(
        kind=ProducerKind.MUSIC,
        mime=mime,
        prompt=_first_text(inputs, PROMPT_FIELDS),
        negative_prompt=_optional_text(inputs.get("negative_prompt")),
        duration_seconds=float(duration),
        sample_rate=_sample_rate(inputs, "audio/mpeg"),
        channels=_channels(inputs, default=2),
        count=_count(inputs),
    )


def _image(inputs: Mapping[str, Any], mime: str) -> MediaRequest:
    width, height, ratio = _image_size(inputs)
    ratio = _asked_ratio(inputs, width, height) or ratio
    return MediaRequest(
        kind=ProducerKind.IMAGE,
        mime=mime,
        prompt=_first_text(inputs, PROMPT_FIELDS),
        negative_prompt=_optional_text(inputs.get("negative_prompt")),
        width=width,
        height=height,
        aspect_ratio=ratio,
        count=_image_count(inputs),
    )


def _video(card: ModelCard, inputs: Mapping[str, Any], mime: str) -> MediaRequest:
    fps = _first_number(inputs, FPS_FIELDS) or 24.0
    duration = _first_number(inputs, DURATION_FIELDS)
    frames = inputs.get("num_frames")
    if duration is None and isinstance(frames, (int, float)) and frames > 0:
        duration = float(frames) / fps
    width, height, ratio = _video_size(inputs)
    ratio = _asked_ratio(inputs, width, height) or ratio
    flag = _first(inputs, AUDIO_FLAG_FIELDS)
    generate_audio = (
        bool(flag) if isinstance(flag, bool) else "generates_audio" in card.capabilities
    )
    return MediaRequest(
        kind=ProducerKind.VIDEO,
        mime=mime,
        prompt=_first_text(inputs, PROMPT_FIELDS),
        negative_prompt=_optional_text(inputs.get("negative_prompt")),
        duration_seconds=float(duration or 5.0),
        width=width,
        height=height,
        aspect_ratio=ratio,
        fps=float(fps),
        sample_rate=48000,
        channels=2,
        generate_audio=generate_audio,
        count=_count(inputs),
    )


# -- sizes -------------------------------------------------------------------------------


def _image_size(inputs: Mapping[str, Any]) -> tuple[int, int, str]:
    size = _first(inputs, ("size", "image_size", "resolution"))
    explicit = _explicit_size(size)
    if explicit is not None:
        return _even_box(*explicit)
    width = _positive_int(inputs.get("width"))
    height = _positive_int(inputs.get("height"))
    ratio_text = inputs.get("aspect_ratio")
    ratio = parse_ratio(ratio_text)
    if isinstance(size, str):
        dims = _DIMENSIONS.match(size)
        if dims:  # "1024x1536", as OpenAI's image API writes it
            return _even_box(int(dims.group(1)), int(dims.group(2)))
        preset = SIZE_PRESETS.get(size.strip().lower())
        if preset is not None and size.strip().lower() != "custom":
            width = height = None
    else:
        preset = None
    if width and height:
        return _even_box(width, height)
    if ratio is None:
        ratio = (1.0, 1.0)
    if width or height:  # one side given: the other follows the ratio
        if width:
            return _even_box(width, width * ratio[1] / ratio[0])
        assert height is not None
        return _even_box(height * ratio[0] / ratio[1], height)
    edge = preset or 1024
    scale = math.sqrt(ratio[0] / ratio[1])
    return _even_box(edge * scale, edge / scale, multiple=16)


def _explicit_size(size: Any) -> tuple[int, int] | None:
    """A size given whole: FAL's ``{"width", "height"}`` object or one of its presets."""
    if isinstance(size, Mapping):
        width, height = _positive_int(size.get("width")), _positive_int(size.get("height"))
        return (width, height) if width and height else None
    if isinstance(size, str):
        return IMAGE_SIZE_PRESETS.get(size.strip().lower())
    return None


def _video_size(inputs: Mapping[str, Any]) -> tuple[int, int, str]:
    width = _positive_int(inputs.get("width"))
    height = _positive_int(inputs.get("height"))
    if width and height:
        return _even_box(width, height)
    resolution = inputs.get("resolution")
    short = 720
    if isinstance(resolution, str):
        dims = _DIMENSIONS.match(resolution)
        if dims:
            return _even_box(int(dims.group(1)), int(dims.group(2)))
        short = RESOLUTION_PRESETS.get(resolution.strip().lower(), short)
    elif isinstance(resolution, int) and resolution > 0:
        short = resolution
    ratio = parse_ratio(inputs.get("aspect_ratio")) or (16.0, 9.0)
    if ratio[0] >= ratio[1]:
        return _even_box(short * ratio[0] / ratio[1], short)
    return _even_box(short, short * ratio[1] / ratio[0])


def _asked_ratio(inputs: Mapping[str, Any], width: int, height: int) -> str | None:
    # Name the ratio as the request did ("16:9") when the rounded size still has it.
    asked = inputs.get("aspect_ratio")
    ratio = parse_ratio(asked)
    if ratio is None or abs(width / height - ratio[0] / ratio[1]) > 0.02 * ratio[0] / ratio[1]:
        return None
    return str(asked).strip()


def _even_box(width: float, height: float, multiple: int = 2) -> tuple[int, int, str]:
    # Codecs (yuv420p) need even sides; image models return sizes on a 16-pixel grid.
    w = max(multiple, math.floor(width / multiple + 0.5) * multiple)
    h = max(multiple, math.floor(height / multiple + 0.5) * multiple)
    g = math.gcd(w, h)
    return w, h, f"{w // g}:{h // g}"


# -- fields ------------------------------------------------------------------------------


def _flattened(inputs: Mapping[str, Any]) -> dict[str, Any]:
    # FAL minimax nests its options (voice_setting.speed, audio_setting.sample_rate): read them
    # as top-level fields, a top-level field of the same name winning.
    flat = dict(inputs)
    for key, value in inputs.items():
        if key.endswith(("_setting", "_settings")) and isinstance(value, Mapping):
            for inner, inner_value in value.items():
                flat.setdefault(str(inner), inner_value)
    return flat


def _output_mime(card: ModelCard, inputs: Mapping[str, Any]) -> str:
    # The first format field naming a MIME of the card's family wins: FAL minimax's
    # output_format ("hex") says how the bytes travel, its audio_setting.format what they are.
    for name in FORMAT_FIELDS:
        fmt = inputs.get(name)
        if not isinstance(fmt, str):
            continue
        asked = FORMAT_MIMES.get(fmt.strip().lower().split("_")[0])
        if asked is not None and asked.split("/")[0] == _family(card.kind):
            return asked
    mime = canonical_mime(card.output.mime or "")
    if mime and mime.split("/")[0] == _family(card.kind):
        return mime
    return DEFAULT_MIMES[card.kind]


def _family(kind: ProducerKind) -> str:
    return {
        ProducerKind.AUDIO: "audio",
        ProducerKind.MUSIC: "audio",
        ProducerKind.IMAGE: "image",
        ProducerKind.VIDEO: "video",
    }.get(kind, "application")


def _first(inputs: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = inputs.get(name)
        if value is not None and value != "":
            return value
    return None


def _first_text(inputs: Mapping[str, Any], names: tuple[str, ...]) -> str:
    value = _first(inputs, names)
    if isinstance(value, list):  # message lists: join their text parts
        value = " ".join(str(v.get("content", v)) if isinstance(v, dict) else str(v) for v in value)
    return " ".join(str(value).split()) if value is not None else ""


def _optional_text(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value.strip() else None


def _first_number(inputs: Mapping[str, Any], names: tuple[str, ...]) -> float | None:
    for name in names:
        value = inputs.get(name)
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)) and value > 0:
            return float(value)
        if isinstance(value, str):
            try:
                number = float(value.strip().rstrip("s"))
            except ValueError:
                continue
            if number > 0:
                return number
    return None


def _positive_int(value: Any) -> int | None:
    return (
        int(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
        else None
    )


def _count(inputs: Mapping[str, Any]) -> int:
    value = _first(inputs, COUNT_FIELDS)
    return (
        max(1, min(int(value), 16)) if isinstance(value, int) and not isinstance(value, bool) else 1
    )


def _image_count(inputs: Mapping[str, Any]) -> int:
    value = inputs.get("max_images")
    per_generation = value if isinstance(value, int) and not isinstance(value, bool) else 0
    if inputs.get("sequential_image_generation") == "auto":
        if per_generation > 0:
            return min(per_generation, 16)
    elif "sequential_image_generation" not in inputs and per_generation > 1:
        # FAL seedream: num_images generations of up to max_images each; make the most.
        return min(_count(inputs) * per_generation, 16)
    return _count(inputs)


def _sample_rate(inputs: Mapping[str, Any], mime: str) -> int:
    value = _first(inputs, SAMPLE_RATE_FIELDS)
    if isinstance(value, int) and not isinstance(value, bool) and 8000 <= value <= 192000:
        return value
    return 44100 if mime == "audio/mpeg" else 24000


def _bitrate(inputs: Mapping[str, Any]) -> int:
    value = inputs.get("bitrate")
    return (
        value
        if isinstance(value, int) and not isinstance(value, bool) and value >= 8000
        else 128000
    )


def _channels(inputs: Mapping[str, Any], default: int = 1) -> int:
    value = inputs.get("channel", inputs.get("channels"))
    if isinstance(value, str):
        return 2 if value.strip().lower() == "stereo" else 1
    if isinstance(value, int) and not isinstance(value, bool) and value in (1, 2):
        return value
    return default


__all__ = [
    "WORDS_PER_MINUTE",
    "MediaRequest",
    "interpret",
    "narration_seconds",
    "parse_ratio",
]
