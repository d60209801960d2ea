"""Video: an H.264 MP4 of the requested length, size and frame rate, with a running timecode.

Every frame shows the prompt, the model and the job; a band at the bottom shows the time,
the frame number and a progress bar. The picture is drawn and converted to YUV once; per frame
only the band is redrawn (from a cache of pre-rendered glyphs) and converted, which keeps a
5-second 480p clip to a fraction of a second. Models that generate sound (``generate_audio``)
get an AAC track of the same length.
"""

from __future__ import annotations

import io
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
from tutopanda_providers.contracts import Artefact

from tutopanda_provider_mock.encode import BITEXACT_CODEC, BITEXACT_CONTAINER, audio_frames
from tutopanda_provider_mock.job import MockJob
from tutopanda_provider_mock.render import Pixels, font, label_card
from tutopanda_provider_mock.synth import chords

#: x264 settings: fastest preset, modest quality; mock frames are mostly static.
X264_OPTIONS = {"preset": "ultrafast", "crf": "30", **BITEXACT_CODEC}
AUDIO_SAMPLE_RATE = 48000


def produce(job: MockJob) -> list[Artefact]:
    """One MP4 per requested output."""
    return [job.store(render(job, index), "video/mp4", index) for index in range(job.media.count)]


def render(job: MockJob, index: int) -> bytes:
    """Encode output ``index`` of ``job`` and return the MP4's bytes."""
    import av

    media = job.media
    width, height = media.width or 1280, media.height or 720
    rate = Fraction(media.fps).limit_denominator(1001)
    frames = max(1, round((media.duration_seconds or 5.0) * float(rate)))
    band = max(18, height // 12) // 2 * 2
    lines = [
        f"model  {job.ref}",
        f"job    {job.job_id}",
        f"{width}x{height} ({media.aspect_ratio})  {float(rate):g} fps  "
        f"{media.duration_seconds:g} s  audio {'on' if media.generate_audio else 'off'}",
    ]
    base = label_card(
        width,
        height,
        seed=job.seed(index),
        title="MOCK VIDEO",
        prompt=media.prompt,
        lines=lines,
        reserve_bottom=band,
    )
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4", options=BITEXACT_CONTAINER) as container:
        video: Any = container.add_stream("libx264", rate=rate, options=X264_OPTIONS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio: Any = None
        if media.generate_audio:
            audio = container.add_stream("aac", rate=AUDIO_SAMPLE_RATE, options=BITEXACT_CODEC)
            audio.layout = "stereo"
            audio.bit_rate = 128000
        planes = YuvCanvas(base)
        stamp = GlyphStamp(max(8, band * 6 // 10), band)
        strip = (base[height - band :].astype(np.uint16) * 2 // 10).astype(np.uint8)
        total = _timecode(frames / float(rate))
        for number in job.watch(range(frames)):
            text = f"{_timecode(number / float(rate))} / {total}   frame {number + 1}/{frames}"
            planes.paste_rows(height - band, _band(strip, stamp, text, (number + 1) / frames))
            frame = av.VideoFrame.from_ndarray(planes.array, format="yuv420p")
            frame.pts = number
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
        if audio is not None:
            blocks = chords(
                duration=frames / float(rate),
                sample_rate=AUDIO_SAMPLE_RATE,
                channels=2,
                seed=job.seed(index, "audio"),
                level=0.35,
            )
            for chunk in audio_frames(job.watch(blocks), AUDIO_SAMPLE_RATE, "stereo"):
                for packet in audio.encode(chunk):
                    container.mux(packet)
            for packet in audio.encode(None):
                container.mux(packet)
    return buffer.getvalue()


def _band(strip: Pixels, stamp: GlyphStamp, text: str, progress: float) -> Pixels:
    band = strip.copy()
    height, width = band.shape[:2]
    band[-max(2, height // 6) :, : int(width * progress)] = (250, 200, 40)
    stamp.draw(band, text, x=height // 3)
    return band


def _timecode(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60.0)
    return f"{int(minutes):02d}:{rest:06.3f}"


class GlyphStamp:
    """Draws short texts fast: each character is rendered once and then blitted with numpy."""

    def __init__(self, size: int, height: int) -> None:
        self._font = font(size)
        self._height = height
        self._glyphs: dict[str, npt.NDArray[np.float32]] = {}

    def _glyph(self, char: str) -> npt.NDArray[np.float32]:
        glyph = self._glyphs.get(char)
        if glyph is None:
            from PIL import Image, ImageDraw

            width = max(1, round(self._font.getlength(char)))
            image = Image.new("L", (width, self._height))
            ImageDraw.Draw(image).text((0, 1), char, font=self._font, fill=255)
            glyph = np.asarray(image, dtype=np.float32)[:, :, None] / 255.0
            self._glyphs[char] = glyph
        return glyph

    def draw(self, pixels: Pixels, text: str, *, x: int) -> None:
        """Write ``text`` in white onto ``pixels`` (as tall as the stamp) from column ``x``."""
        alpha = np.concatenate([self._glyph(c) for c in text], axis=1)
        width = min(alpha.shape[1], pixels.shape[1] - x)
        if width <= 0:
            return
        region = pixels[:, x : x + width].astype(np.float32)
        a = alpha[:, :width]
        pixels[:, x : x + width] = (region * (1 - a) + 255.0 * a).astype(np.uint8)


class YuvCanvas:
    """A yuv420p frame (BT.601, limited range) kept in one array, updated by rows."""

    def __init__(self, pixels: Pixels) -> None:
        height, width = pixels.shape[:2]
        self.width, self.height = width, height
        self.array = np.empty((height * 3 // 2, width), dtype=np.uint8)
        flat = self.array.reshape(-1)
        self._y = flat[: width * height].reshape(height, width)
        quarter = (width // 2) * (height // 2)
        self._u = flat[width * height : width * height + quarter].reshape(height // 2, width // 2)
        self._v = flat[width * height + quarter :].reshape(height // 2, width // 2)
        self.paste_rows(0, pixels)

    def paste_rows(self, top: int, pixels: Pixels) -> None:
        """Replace the rows from ``top`` (even) with ``pixels`` (RGB, an even number of rows)."""
        rgb = pixels.astype(np.float32)
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        rows = pixels.shape[0]
        self._y[top : top + rows] = np.clip(
            16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255, 0, 255
        ).astype(np.uint8)
        # Chroma at half resolution: average each 2x2 block first.
        sub = (rgb[0::2, 0::2] + rgb[1::2, 0::2] + rgb[0::2, 1::2] + rgb[1::2, 1::2]) * 0.25
        r2, g2, b2 = sub[..., 0], sub[..., 1], sub[..., 2]
        half = top // 2
        self._u[half : half + rows // 2] = np.clip(
            128 + (-37.797 * r2 - 74.203 * g2 + 112.0 * b2) / 255, 0, 255
        ).astype(np.uint8)
        self._v[half : half + rows // 2] = np.clip(
            128 + (112.0 * r2 - 93.786 * g2 - 18.214 * b2) / 255, 0, 255
        ).astype(np.uint8)
