"""Real MP4 and MP3 files of a given length, for fakes that answer by meaning (a video of the
asked 8 s, a narration as long as its text).

They are encoded with PyAV (``tutopanda-providers-core[media]``) when it is installed, small
and fast (64 px wide, 4 frames per second, an 8 kHz tone), and cached. Without PyAV the
one-second files of :mod:`~tutopanda_providers_testing.media` are served instead: still real
media, only not of the asked length (readers without PyAV cannot measure it either).
"""

from __future__ import annotations

import io
import math
from fractions import Fraction
from functools import lru_cache
from typing import Any

from tutopanda_providers_testing.media import mp3, mp4

#: The longest clip made, in seconds (FAL's stable audio allows 190).
MAX_SECONDS = 190.0
_FPS = 4


def _av() -> Any | None:
    try:
        import av
    except ImportError:
        return None
    return av


def _seconds(value: float) -> float:
    return min(MAX_SECONDS, max(0.5, round(float(value), 1)))


def mp4_clip(
    seconds: float, *, width: int = 64, height: int = 36, with_audio: bool = False
) -> bytes:
    """An H.264 MP4 of ``seconds`` (0.5-190, to 0.1 s) and ``width`` x ``height`` (made even),
    with an AAC tone when ``with_audio``; the packaged one-second clip without PyAV."""
    return _mp4(_seconds(seconds), width + width % 2, height + height % 2, with_audio)


def mp3_clip(seconds: float) -> bytes:
    """A mono MP3 tone of ``seconds`` (0.5-190, to 0.1 s); the packaged one-second tone
    without PyAV."""
    return _mp3(_seconds(seconds))


@lru_cache(maxsize=32)
def _mp4(seconds: float, width: int, height: int, with_audio: bool) -> bytes:
    av = _av()
    if av is None:
        return mp4(with_audio=with_audio)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=_FPS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "40"}
        audio = out.add_stream("aac", rate=8000) if with_audio else None
        if audio is not None:
            audio.layout = "mono"
        frames = max(1, math.ceil(seconds * _FPS))
        for i in range(frames):
            frame = _video_frame(av, width, height, i)
            frame.pts = i
            frame.time_base = Fraction(1, _FPS)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if audio is not None:
            _encode_tone(av, out, audio, seconds, 8000, 1024)
    return buffer.getvalue()


@lru_cache(maxsize=32)
def _mp3(seconds: float) -> bytes:
    av = _av()
    if av is None:
        return mp3()
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=8000)
        stream.layout = "mono"
        stream.bit_rate = 8000
        _encode_tone(av, out, stream, seconds, 8000, 1152)
    return buffer.getvalue()


def _video_frame(av: Any, width: int, height: int, index: int) -> Any:
    import numpy as np

    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[:, :, 0] = (index * 25) % 256
    image[:, : (index % width) + 1, 1] = 200
    return av.VideoFrame.from_ndarray(image, format="rgb24")


def _encode_tone(av: Any, out: Any, stream: Any, seconds: float, rate: int, size: int) -> None:
    import numpy as np

    total = int(seconds * rate)
    for start in range(0, total, size):
        t = (np.arange(size) + start) / rate
        samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


__all__ = ["MAX_SECONDS", "mp3_clip", "mp4_clip"]
