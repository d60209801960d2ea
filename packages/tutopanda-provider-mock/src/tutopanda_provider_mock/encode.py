"""Writes signals and frames into real files: WAV with ``wave``, MP3 with PyAV (LAME).

Encoders are run with FFmpeg's ``bitexact`` flags so no library version string or time of
creation ends up in the file: the same samples always give the same bytes.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from typing import Any

import numpy as np

from tutopanda_provider_mock.synth import Signal

#: Container options that keep timestamps and encoder names out of the output.
BITEXACT_CONTAINER = {"fflags": "+bitexact"}
#: Codec options for the same reason.
BITEXACT_CODEC = {"flags": "+bitexact"}
#: MIME type → file suffix of the audio files the mock writes.
AUDIO_SUFFIXES = {"audio/wav": ".wav", "audio/mpeg": ".mp3"}


def encode_audio(signal: Signal, *, sample_rate: int, mime: str, bitrate: int = 128000) -> bytes:
    """Encode ``signal`` (``(channels, samples)`` float32) as ``mime`` (WAV or MP3)."""
    if mime == "audio/mpeg":
        return _mp3(signal, sample_rate, bitrate)
    return _wav(signal, sample_rate)


def _wav(signal: Signal, sample_rate: int) -> bytes:
    pcm = (np.clip(signal, -1.0, 1.0) * 32767.0).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(signal.shape[0])
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(np.ascontiguousarray(pcm.T).tobytes())
    return buffer.getvalue()


def _mp3(signal: Signal, sample_rate: int, bitrate: int) -> bytes:
    import av

    buffer = io.BytesIO()
    layout = "mono" if signal.shape[0] == 1 else "stereo"
    with av.open(buffer, "w", format="mp3", options=BITEXACT_CONTAINER) as container:
        stream: Any = container.add_stream(
            "libmp3lame", rate=sample_rate, options={**BITEXACT_CODEC, "compression_level": "9"}
        )
        stream.layout = layout
        stream.bit_rate = bitrate
        for frame in audio_frames(signal[:2], sample_rate, 1152, layout):
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def audio_frames(signal: Signal, sample_rate: int, frame_size: int, layout: str) -> Iterator[Any]:
    """Cut ``signal`` into planar float PyAV frames of ``frame_size`` samples with running pts."""
    import av

    total = signal.shape[1]
    for start in range(0, total, frame_size):
        chunk = np.ascontiguousarray(signal[:, start : start + frame_size], dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
        frame.sample_rate = sample_rate
        frame.pts = start
        yield frame


__all__ = ["AUDIO_SUFFIXES", "BITEXACT_CODEC", "BITEXACT_CONTAINER", "audio_frames", "encode_audio"]
