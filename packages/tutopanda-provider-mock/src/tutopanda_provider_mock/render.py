"""Draws the picture every mock image and video frame starts from (Pillow + numpy).

A seeded gradient with a few shapes, and a panel that says what the picture is for: the
prompt, the model and the job. A person scrolling through a mock lesson can tell each image
and clip apart and see which request made it.
"""

from __future__ import annotations

import colorsys
import textwrap
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from PIL import ImageFont

Pixels = npt.NDArray[np.uint8]


@lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font at ``size`` pixels (cached: loading it is the slow part)."""
    from PIL import ImageFont

    return ImageFont.load_default(size=max(8, size))


def background(width: int, height: int, seed: int) -> Pixels:
    """A diagonal two-colour gradient whose hues come from ``seed``."""
    rng = np.random.default_rng(seed)
    hue = float(rng.random())
    top = np.array(colorsys.hsv_to_rgb(hue, 0.55, 0.55), dtype=np.float32) * 255
    bottom = np.array(colorsys.hsv_to_rgb((hue + 0.18) % 1.0, 0.7, 0.25), dtype=np.float32) * 255
    ys = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    xs = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    mix = (0.7 * ys + 0.3 * xs)[:, :, None]
    pixels: Pixels = (top[None, None, :] * (1 - mix) + bottom[None, None, :] * mix).astype(np.uint8)
    return pixels


def label_card(
    width: int,
    height: int,
    *,
    seed: int,
    title: str,
    prompt: str,
    lines: Sequence[str],
    reserve_bottom: int = 0,
) -> Pixels:
    """The background with seeded shapes and a panel of text: title, prompt and ``lines``.

    ``reserve_bottom`` keeps that many pixels at the bottom free (video frames put their
    timecode there).
    """
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed ^ 0x5EED)
    image = Image.fromarray(background(width, height, seed), "RGB")
    draw = ImageDraw.Draw(image)
    short = min(width, height)
    for _ in range(4):
        radius = int(short * float(rng.uniform(0.08, 0.3)))
        cx, cy = int(rng.integers(0, width)), int(rng.integers(0, height))
        shade = tuple(int(v) for v in rng.integers(120, 255, size=3))
        draw.ellipse(
            (cx - radius, cy - radius, cx + radius, cy + radius),
            outline=shade,
            width=max(1, short // 120),
        )

    margin = max(4, short // 24)
    title_size = max(10, short // 16)
    body_size = max(9, short // 26)
    small_size = max(8, short // 34)
    body_font, small_font, title_font = font(body_size), font(small_size), font(title_size)
    usable = width - 4 * margin
    prompt_lines = wrap(prompt or "(no prompt)", body_font, usable, max_lines=6)
    rows: list[tuple[str, ImageFont.FreeTypeFont | ImageFont.ImageFont, int]] = [
        (title, title_font, title_size),
        *((line, body_font, body_size) for line in prompt_lines),
        *((clip(line, small_font, usable), small_font, small_size) for line in lines),
    ]
    spacing = max(2, short // 90)
    panel_height = sum(size + spacing for _, _, size in rows) + 2 * margin
    bottom_limit = height - reserve_bottom - margin
    top = max(margin, min((height - panel_height) // 2, bottom_limit - panel_height))
    panel = (margin, top, width - margin, min(bottom_limit, top + panel_height))
    pixels = np.asarray(image).copy()
    x0, y0, x1, y1 = panel
    if x1 > x0 and y1 > y0:
        region = pixels[y0:y1, x0:x1].astype(np.uint16)
        pixels[y0:y1, x0:x1] = (region * 3 // 10).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(image)
    y = top + margin
    for text, face, size in rows:
        if y + size > height - reserve_bottom:
            break
        draw.text((2 * margin, y), text, font=face, fill=(245, 245, 245))
        y += size + spacing
    return np.asarray(image).copy()


def wrap(
    text: str,
    face: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width: float,
    *,
    max_lines: int,
) -> list[str]:
    """``text`` broken into lines no wider than ``width`` pixels; the last one ellipsised."""
    average = max(1.0, float(face.getlength("abcdefghijklmnopqrstuvwxyz")) / 26)
    columns = max(8, int(width / average))
    lines = textwrap.wrap(text, columns) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip()[: max(1, columns - 1)] + "…"
    return [clip(line, face, width) for line in lines]


def clip(text: str, face: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: float) -> str:
    """``text`` cut (with an ellipsis) to fit ``width`` pixels."""
    if face.getlength(text) <= width:
        return text
    while text and face.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


__all__ = ["Pixels", "background", "clip", "font", "label_card", "wrap"]
