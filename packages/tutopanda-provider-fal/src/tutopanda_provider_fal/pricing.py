"""What a FAL request costs: estimated from its inputs, and billed once it has finished.

FAL bills each endpoint in its own unit (fal-models.json, ``pricing``):

============== ========================= ===============================================
billing        unit                      quantity
============== ========================= ===============================================
``images``     image                     images returned (asked: ``num_images`` x
                                         ``max_images``, the most seedream may return)
``megapixels`` megapixel                 width x height / 1e6 of each image returned
``video_tokens`` 1M video tokens         width x height x fps x seconds / 1024 / 1e6
``video_seconds`` second of video        seconds asked, at the audio-on or audio-off rate
``characters`` 1K characters             characters of ``text`` / 1000
``generation`` generation                one per request
============== ========================= ===============================================

A card names its billing in ``card.extra["billing"]``. :func:`estimate` is every card's
``cost_estimator`` (``status="estimated"``); :func:`billed` prices a finished request from the
inputs sent (validated, FAL's field names), the result JSON and the
:class:`~tutopanda_providers.contracts.MediaFacts` of the stored files, in order
(``status="known"``). A price the reference does not give, or a quantity that cannot be told,
gives an unknown :class:`~tutopanda_providers.contracts.Cost` with the reason, never 0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from tutopanda_providers.contracts import Cost

from tutopanda_provider_fal.sizes import image_pixels, video_pixels

if TYPE_CHECKING:
    from tutopanda_providers.contracts import MediaFacts, ModelCard

#: Rate names used by the cards of this package.
IMAGE = "image"
MEGAPIXEL = "megapixel"
VIDEO_TOKENS = "video_tokens"
SECOND_WITH_AUDIO = "second_with_audio"
SECOND_WITHOUT_AUDIO = "second_without_audio"
CHARACTERS = "characters"
GENERATION = "generation"

#: How a card is billed (``card.extra["billing"]``).
Billing = Literal[
    "images", "megapixels", "video_tokens", "video_seconds", "characters", "generation"
]

#: Frames per second in seedance's token count: the reference gives no fps, and 24 reproduces
#: fal's worked example (a 1080p 5 s video ≈ $0.245 at $1 per 1M tokens).
VIDEO_FPS = 24
#: Pixels per video token (tokens = width x height x fps x seconds / 1024).
PIXELS_PER_TOKEN = 1024
#: A stored file's duration this far from the asked one is reported in the cost's ``reason``.
DURATION_TOLERANCE_SECONDS = 1.0

_SECONDS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*s?\s*$")


def billing_of(card: ModelCard) -> Billing:
    """The card's billing (``card.extra["billing"]``).

    Raises:
        ValueError: the card is not a FAL card of this package.
    """
    billing = card.extra.get("billing")
    if billing not in (
        "images",
        "megapixels",
        "video_tokens",
        "video_seconds",
        "characters",
        "generation",
    ):
        raise ValueError(f"{card.ref} has no FAL billing in card.extra; is it a FAL card?")
    return billing  # type: ignore[no-any-return]


def seconds_of(value: Any) -> float | None:
    """Seconds from FAL's duration values: ``"8s"`` → 8.0, ``"5"`` → 5.0, ``30`` → 30.0."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value > 0 else None
    if isinstance(value, str):
        found = _SECONDS.match(value)
        return float(found.group(1)) if found else None
    return None


def asked_images(inputs: Mapping[str, Any]) -> int:
    """The most images a request may return: ``num_images`` x ``max_images`` (each 1 if absent)."""
    return _positive(inputs.get("num_images")) * _positive(inputs.get("max_images"))


def video_tokens(width: int, height: int, fps: float, seconds: float) -> float:
    """Video tokens of a clip: ``width x height x fps x seconds / 1024`` (fal's formula)."""
    return width * height * fps * seconds / PIXELS_PER_TOKEN


def estimate(card: ModelCard, inputs: Mapping[str, Any]) -> Cost:
    """The ``cost_estimator`` of every FAL card: a call's cost from its validated inputs."""
    billing = billing_of(card)
    if billing == "images":
        return card.price.cost({IMAGE: float(asked_images(inputs))}, status="estimated")
    if billing == "megapixels":
        return _megapixels(card, inputs, [], [], status="estimated")
    if billing == "video_tokens":
        return _tokens(card, inputs, [], status="estimated")
    if billing == "video_seconds":
        return _video_seconds(card, inputs, [], status="estimated")
    if billing == "characters":
        return _characters(card, inputs, status="estimated")
    return card.price.cost({GENERATION: 1.0}, status="estimated")


def billed(
    card: ModelCard,
    inputs: Mapping[str, Any],
    output: Mapping[str, Any],
    facts: Sequence[MediaFacts],
) -> Cost:
    """The cost of a finished request.

    Args:
        card: the endpoint's card.
        inputs: the inputs sent (validated, FAL's field names, defaults applied).
        output: the result JSON (``{"images": [...]}``, ``{"video": {...}}``, ...).
        facts: the facts of the stored output files, in the result's order.

    Returns:
        A ``known`` cost; ``unknown`` with the reason when the price or the quantity is not
        known. A video whose stored duration differs from the asked one by more than
        :data:`DURATION_TOLERANCE_SECONDS` is still priced at the asked seconds (what FAL
        bills), with the difference in ``reason``.
    """
    billing = billing_of(card)
    files = _result_files(card, output)
    if billing == "images":
        count = len(files) if files else len(facts)
        if not files and not facts:
            return Cost.unknown(f"{card.ref}: the result lists no images to price")
        return card.price.cost({IMAGE: float(count)})
    if billing == "megapixels":
        return _megapixels(card, inputs, files, facts, status="known")
    if billing == "video_tokens":
        return _tokens(card, inputs, facts, status="known")
    if billing == "video_seconds":
        return _video_seconds(card, inputs, facts, status="known")
    if billing == "characters":
        return _characters(card, inputs, status="known")
    return card.price.cost({GENERATION: 1.0})


# -- per billing -------------------------------------------------------------------------


def _megapixels(
    card: ModelCard,
    inputs: Mapping[str, Any],
    files: Sequence[Mapping[str, Any]],
    facts: Sequence[MediaFacts],
    *,
    status: Literal["known", "estimated"],
) -> Cost:
    asked = image_pixels(inputs.get("image_size"))
    count = max(len(files), len(facts)) if status == "known" else asked_images(inputs)
    pixels = 0
    for index in range(count):
        size = _file_pixels(files, facts, index) or asked
        if size is None:
            return Cost.unknown(
                f"{card.ref}: the size of image {index + 1} is not known "
                f"(image_size={inputs.get('image_size')!r}), so its megapixels cannot be priced"
            )
        pixels += size[0] * size[1]
    if count == 0:
        return Cost.unknown(f"{card.ref}: the result lists no images to price")
    return card.price.cost({MEGAPIXEL: pixels / 1e6}, status=status)


def _tokens(
    card: ModelCard,
    inputs: Mapping[str, Any],
    facts: Sequence[MediaFacts],
    *,
    status: Literal["known", "estimated"],
) -> Cost:
    size = video_pixels(inputs.get("resolution"), inputs.get("aspect_ratio"))
    if size is None and facts and facts[0].width and facts[0].height:
        size = (facts[0].width, facts[0].height)  # aspect_ratio "auto": the stored frame
    if size is None:
        return Cost.unknown(
            f"{card.ref}: the frame size of resolution={inputs.get('resolution')!r} "
            f"aspect_ratio={inputs.get('aspect_ratio')!r} is not known before the video exists "
            "(auto follows the input image), so its video tokens cannot be counted"
        )
    seconds = _asked_seconds(inputs)
    if seconds is None:
        return Cost.unknown(f"{card.ref}: no duration in seconds to count video tokens of")
    tokens = video_tokens(size[0], size[1], VIDEO_FPS, seconds)
    cost = card.price.cost({VIDEO_TOKENS: tokens / 1e6}, status=status)
    return _cross_checked(cost, seconds, facts)


def _video_seconds(
    card: ModelCard,
    inputs: Mapping[str, Any],
    facts: Sequence[MediaFacts],
    *,
    status: Literal["known", "estimated"],
) -> Cost:
    seconds = _asked_seconds(inputs)
    if seconds is None:
        return Cost.unknown(f"{card.ref}: no duration in seconds to price")
    rate = SECOND_WITH_AUDIO if inputs.get("generate_audio", True) else SECOND_WITHOUT_AUDIO
    return _cross_checked(card.price.cost({rate: seconds}, status=status), seconds, facts)


def _characters(
    card: ModelCard, inputs: Mapping[str, Any], *, status: Literal["known", "estimated"]
) -> Cost:
    text = inputs.get("text")
    if not isinstance(text, str):
        return Cost.unknown(f"{card.ref}: no 'text' to count characters of")
    return card.price.cost({CHARACTERS: len(text) / 1000}, status=status)


# -- helpers -----------------------------------------------------------------------------


def _asked_seconds(inputs: Mapping[str, Any]) -> float | None:
    frames = inputs.get("num_frames")
    if isinstance(frames, int) and not isinstance(frames, bool) and frames > 0:
        return frames / VIDEO_FPS  # seedance: num_frames overrides duration
    return seconds_of(inputs.get("duration"))


def _cross_checked(cost: Cost, asked: float, facts: Sequence[MediaFacts]) -> Cost:
    stored = next((f.duration_seconds for f in facts if f.duration_seconds), None)
    if stored is None or abs(stored - asked) <= DURATION_TOLERANCE_SECONDS:
        return cost
    return cost.model_copy(
        update={
            "reason": f"priced at the {asked:g} s asked for; the stored video lasts {stored:g} s"
        }
    )


def _result_files(card: ModelCard, output: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    value = output.get(str(card.extra.get("result_key", "")))
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, Mapping)]
    return []


def _file_pixels(
    files: Sequence[Mapping[str, Any]], facts: Sequence[MediaFacts], index: int
) -> tuple[int, int] | None:
    # The stored file's own size first (read from its bytes), then what the result JSON says.
    if index < len(facts) and facts[index].width and facts[index].height:
        return int(facts[index].width or 0), int(facts[index].height or 0)
    if index < len(files):
        return image_pixels(files[index])
    return None


def _positive(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


__all__ = [
    "CHARACTERS",
    "DURATION_TOLERANCE_SECONDS",
    "GENERATION",
    "IMAGE",
    "MEGAPIXEL",
    "PIXELS_PER_TOKEN",
    "SECOND_WITHOUT_AUDIO",
    "SECOND_WITH_AUDIO",
    "VIDEO_FPS",
    "VIDEO_TOKENS",
    "Billing",
    "asked_images",
    "billed",
    "billing_of",
    "estimate",
    "seconds_of",
    "video_tokens",
]
