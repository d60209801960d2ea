"""Regenerate the tiny MP3 and MP4 files the fake servers serve (needs PyAV; run once).

    uv run python packages/tutopanda-providers-testing/scripts/make_media_fixtures.py

The fake servers only copy these bytes; they never need PyAV at run time.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

DATA = Path(__file__).resolve().parents[1] / "src" / "tutopanda_providers_testing" / "data"
SECONDS = 1


def _tone(rate: int, samples: int, start: int) -> np.ndarray:
    t = (np.arange(samples) + start) / rate
    return (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def make_mp3(path: Path) -> None:
    """Write a one-second mono MP3 sine tone."""
    rate = 32000
    with av.open(str(path), "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=rate)
        stream.layout = "mono"
        stream.bit_rate = 64000
        frame_size = 1152
        for start in range(0, rate * SECONDS, frame_size):
            samples = _tone(rate, frame_size, start).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def make_mp4(path: Path, *, with_audio: bool) -> None:
    """Write a one-second 64x36 H.264 MP4, with an AAC tone when ``with_audio``."""
    fps = 24
    width, height = 64, 36
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "35"}
        audio = None
        if with_audio:
            audio = out.add_stream("aac", rate=48000)
            audio.layout = "mono"
        for i in range(fps * SECONDS):
            img = np.zeros((height, width, 3), dtype=np.uint8)
            img[:, :, 0] = (i * 10) % 256
            img[:, : (i * width) // (fps * SECONDS) + 1, 1] = 200
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        if audio is not None:
            rate, size = 48000, 1024
            for start in range(0, rate * SECONDS, size):
                samples = _tone(rate, size, start).reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
                frame.sample_rate = rate
                frame.pts = start
                for packet in audio.encode(frame):
                    out.mux(packet)
            for packet in audio.encode(None):
                out.mux(packet)


if __name__ == "__main__":
    DATA.mkdir(parents=True, exist_ok=True)
    make_mp3(DATA / "tone.mp3")
    make_mp4(DATA / "clip.mp4", with_audio=True)
    make_mp4(DATA / "clip-silent.mp4", with_audio=False)
    for name in ("tone.mp3", "clip.mp4", "clip-silent.mp4"):
        print(name, (DATA / name).stat().st_size, "bytes")
