"""Writes signals and frames into real files: WAV with ``wave``, MP3 with PyAV (LAME).

Encoders are run with FFmpeg's ``bitexact`` flags so no library version string or time of
creation ends up in the file: the same samples always give the same bytes.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from tutopanda_provider_mock.synth import Signal

#: Container options that keep timestamps and encoder names out of the output.
BITEXACT_CONTAINER = {"fflags": "+bitexact"}
#: Codec options for the same reason.
BITEXACT_CODEC = {"flags": "+bitexact"}


def encode_audio(
    blocks: Iterable[Signal],
    *,
    sample_rate: int,
    channels: int,
    mime: str,
    bitrate: int = 128000,
) -> bytes:
    """Encode ``blocks`` (each ``(channels, samples)`` float32) as ``mime`` (WAV or MP3)."""
    if mime == "audio/mpeg":
        return _mp3(blocks, sample_rate, channels, bitrate)
    return _wav(blocks, sample_rate, channels)


def _wav(blocks: Iterable[Signal], sample_rate: int, channels: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        for block in blocks:
            pcm = (np.clip(block, -1.0, 1.0) * 32767.0).astype("<i2")
            out.writeframes(np.ascontiguousarray(pcm.T).tobytes())
    return buffer.getvalue()


def _mp3(blocks: Iterable[Signal], sample_rate: int, channels: int, bitrate: int) -> bytes:
    import av

    buffer = io.BytesIO()
    layout = "mono" if channels == 1 else "stereo"
    options = {**BITEXACT_CODEC, "compression_level": "9"}
    with av.open(buffer, "w", format="mp3", options=BITEXACT_CONTAINER) as container:
        stream: Any = container.add_stream("libmp3lame", rate=sample_rate, options=options)
        stream.layout = layout
        stream.bit_rate = _mp3_bitrate(bitrate, sample_rate)
        for frame in audio_frames((b[:2] for b in blocks), sample_rate, layout):
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def _mp3_bitrate(bitrate: int, sample_rate: int) -> int:
    # MPEG-2.5 (<= 12 kHz) tops out at 64 kbit/s, MPEG-2 (< 32 kHz) at 160, MPEG-1 at 320.
    ceiling = 64000 if sample_rate <= 12000 else 160000 if sample_rate < 32000 else 320000
    return max(8000, min(bitrate, ceiling))


def audio_frames(blocks: Iterable[Signal], sample_rate: int, layout: str) -> Iterator[Any]:
    """One planar float PyAV frame per block, with running pts (the encoder re-cuts them)."""
    import av

    pts = 0
    for block in blocks:
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(block, dtype=np.float32), format="fltp", layout=layout
        )
        frame.sample_rate = sample_rate
        frame.pts = pts
        pts += block.shape[1]
        yield frame


__all__ = ["BITEXACT_CODEC", "BITEXACT_CONTAINER", "audio_frames", "encode_audio"]
