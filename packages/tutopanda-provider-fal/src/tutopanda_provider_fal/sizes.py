"""Pixel sizes of FAL's inputs: ``image_size`` presets and video resolutions with an aspect ratio.

The preset sizes are fal's usual ones (its image endpoints document ``square_hd`` as
1024x1024 and the others at the same scale); the reference (fal-models.json) lists the preset
names but not their pixels, so the cards that price by megapixel say so in their unknowns. A
video's size is nominal: the short side of its ``resolution`` (``720p`` → 720) with the long side
from the aspect ratio; the model may round it (seedance writes 1080p 16:9 as 1920x1088).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: ``image_size`` preset → (width, height) in pixels.
PRESET_SIZES: dict[str, tuple[int, int]] = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
    "auto_2K": (2048, 2048),
    "auto_4K": (4096, 4096),
}
#: ``resolution`` → the short side of the frame, in pixels.
RESOLUTION_SHORT_SIDE: dict[str, int] = {"480p": 480, "720p": 720, "1080p": 1080}

_RATIO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$")


def image_pixels(image_size: Any) -> tuple[int, int] | None:
    """(width, height) of an ``image_size`` value: a preset name or ``{"width", "height"}``.

    ``None`` for ``auto`` (the model chooses) or anything unreadable.
    """
    if isinstance(image_size, str):
        return PRESET_SIZES.get(image_size)
    if isinstance(image_size, Mapping):
        width, height = image_size.get("width"), image_size.get("height")
        if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
            return width, height
    return None


def video_pixels(resolution: Any, aspect_ratio: Any) -> tuple[int, int] | None:
    """Nominal (width, height) of a video at ``resolution`` (``720p``) and ``aspect_ratio``
    (``16:9``): 1280x720. ``None`` when either is unknown (``auto`` follows the input image)."""
    short = RESOLUTION_SHORT_SIDE.get(str(resolution))
    found = _RATIO.match(str(aspect_ratio)) if aspect_ratio is not None else None
    if short is None or found is None:
        return None
    w, h = float(found.group(1)), float(found.group(2))
    if w <= 0 or h <= 0:
        return None
    if w >= h:
        return _even(short * w / h), short
    return short, _even(short * h / w)


def _even(value: float) -> int:
    return round(value / 2) * 2


__all__ = ["PRESET_SIZES", "RESOLUTION_SHORT_SIDE", "image_pixels", "video_pixels"]
