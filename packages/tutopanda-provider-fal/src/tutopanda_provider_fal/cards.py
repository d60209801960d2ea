"""Every FAL card of this package, in one tuple.

Importing this module builds the cards (cheap: no HTTP client, no schema build). Look a card up
with :func:`card_for`.
"""

from __future__ import annotations

from tutopanda_providers.contracts import ModelCard

from tutopanda_provider_fal.models import audio, image, music, video
from tutopanda_provider_fal.names import PROVIDER

#: Every card, by kind: narration, image, video, music (18 endpoints).
CARDS: tuple[ModelCard, ...] = (*audio.CARDS, *image.CARDS, *video.CARDS, *music.CARDS)

_BY_MODEL = {card.model: card for card in CARDS}


def card_for(model: str) -> ModelCard:
    """The card of the FAL endpoint ``model`` (``fal-ai/veo3/fast``).

    Raises:
        KeyError: this package does not serve ``model``.
    """
    try:
        return _BY_MODEL[model]
    except KeyError:
        raise KeyError(
            f"{PROVIDER}/{model} is not served by tutopanda-provider-fal; "
            f"its endpoints are: {', '.join(sorted(_BY_MODEL))}"
        ) from None


__all__ = ["CARDS", "card_for"]
