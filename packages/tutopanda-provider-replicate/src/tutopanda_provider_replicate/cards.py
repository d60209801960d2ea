"""Every Replicate model card of this package, in one tuple.

Importing this module builds the cards (cheap: no SDK, no schema build). Look a card up with
:func:`card_for`.
"""

from __future__ import annotations

from tutopanda_providers.contracts import ModelCard

from tutopanda_provider_replicate.models import audio, image, music, script, video

#: Every card, script first then by kind.
CARDS: tuple[ModelCard, ...] = (
    *script.CARDS,
    *audio.CARDS,
    *image.CARDS,
    *video.CARDS,
    *music.CARDS,
)

_BY_MODEL = {card.model: card for card in CARDS}


def card_for(model: str) -> ModelCard:
    """The card of ``model`` (``owner/name``).

    Raises:
        KeyError: this package does not serve ``model``.
    """
    try:
        return _BY_MODEL[model]
    except KeyError:
        raise KeyError(
            f"replicate/{model} is not served by tutopanda-provider-replicate; "
            f"its models are: {', '.join(sorted(_BY_MODEL))}"
        ) from None


__all__ = ["CARDS", "card_for"]
