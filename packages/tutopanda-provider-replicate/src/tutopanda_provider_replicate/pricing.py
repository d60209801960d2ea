"""Cost estimators for Replicate's units: per image, per second of video, per 1K characters,
per file, per token.

Each estimator prices a call from its validated inputs (the model's own field names, defaults
applied). Its result has ``status="estimated"``; the handler turns it into ``known`` after the
call when the card says the billed quantity is fully determined by the inputs
(``card.extra["cost_from_inputs"]``), and prices images by the number actually returned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import Cost

if TYPE_CHECKING:
    from tutopanda_providers.contracts import CostEstimator, ModelCard

#: Rate names used by the cards of this package.
IMAGE = "image"
FILE = "file"
CHARACTERS = "characters"


def per_image(count: Callable[[Mapping[str, Any]], int] | None = None) -> CostEstimator:
    """Price ``count(inputs)`` images (one when ``count`` is omitted) at the ``image`` rate."""

    def estimate(card: ModelCard, inputs: Mapping[str, Any]) -> Cost:
        n = count(inputs) if count is not None else 1
        return card.price.cost({IMAGE: float(n)}, status="estimated")

    return estimate


def per_file(card: ModelCard, inputs: Mapping[str, Any]) -> Cost:
    """Price one output file at the ``file`` rate."""
    return card.price.cost({FILE: 1.0}, status="estimated")


def per_thousand_characters(field: str) -> CostEstimator:
    """Price ``len(inputs[field]) / 1000`` at the ``characters`` rate (unit: 1K characters)."""

    def estimate(card: ModelCard, inputs: Mapping[str, Any]) -> Cost:
        text = inputs.get(field)
        if not isinstance(text, str):
            return Cost.unknown(f"no {field!r} text to count characters of")
        return card.price.cost({CHARACTERS: len(text) / 1000}, status="estimated")

    return estimate


def per_second(rate_name: Callable[[Mapping[str, Any]], str], field: str) -> CostEstimator:
    """Price ``inputs[field]`` seconds at the rate ``rate_name(inputs)`` picks.

    Video prices depend on an input (the resolution, whether audio is generated), so the rate
    is chosen per call; the duration is the model's own field, in seconds.
    """

    def estimate(card: ModelCard, inputs: Mapping[str, Any]) -> Cost:
        seconds = inputs.get(field)
        if not isinstance(seconds, int | float):
            return Cost.unknown(f"no {field!r} in seconds to price")
        return card.price.cost({rate_name(inputs): float(seconds)}, status="estimated")

    return estimate


def tokens_unknown(card: ModelCard, inputs: Mapping[str, Any]) -> Cost:
    """A token-priced model whose Replicate price is not known: unknown, with a token estimate.

    The reason carries a rough count of the prompt's tokens (characters / 4) so a reader sees
    the order of magnitude; no dollar figure is made up.
    """
    chars = sum(len(v) for v in inputs.values() if isinstance(v, str))
    return Cost.unknown(
        f"Replicate's price for {card.model} is not published in our sources "
        f"({card.price.source}); the prompt is about {max(1, chars // 4)} input tokens "
        "(characters / 4), output tokens are only known after the call"
    )


__all__ = [
    "CHARACTERS",
    "FILE",
    "IMAGE",
    "per_file",
    "per_image",
    "per_second",
    "per_thousand_characters",
    "tokens_unknown",
]
