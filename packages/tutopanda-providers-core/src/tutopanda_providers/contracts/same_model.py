"""One model on several providers: which cards are one model, and a name's cards per provider.

Cards whose ``canonical_model`` is equal serve one model (``replicate/google/veo-3-fast`` and
FAL's ``fal-ai/veo3/fast``); a card without one is its own model, named by its ``provider/model``
ref. Several cards of ONE provider may share a name: they are variants of the model (a
text-to-video and an image-to-video endpoint), and a job uses the first variant that accepts
its inputs (:func:`pick_variant`).

Pure functions over a list of cards, in the contracts layer because they only read cards: the
registry facade, the fallback middleware, the settings expansion of ``providers = [...]`` and
the ``models`` / ``estimate`` commands all use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tutopanda_providers.contracts.cards import ModelCard
from tutopanda_providers.contracts.data import Descriptor
from tutopanda_providers.contracts.errors import ProviderError


def model_name(card: ModelCard) -> str:
    """The name of the model ``card`` serves: its ``canonical_model``, else its own ref."""
    return card.canonical_model or card.ref


def variant_group(card: ModelCard) -> tuple[str, str]:
    """``(provider, model name)``: the cards of one group are variants of one model."""
    return (card.provider, model_name(card))


def _order(card: ModelCard) -> tuple[str, int, str]:
    # Within a provider, the variant needing the fewest inputs first (text-to-video before
    # image-to-video): it is the one a plain job gets, and the reference fallbacks are checked
    # against; then by endpoint, for a stable order.
    required = sum(1 for f in card.input_model.model_fields.values() if f.is_required())
    return (card.provider, required, card.model)


def canonical_name(cards: Iterable[ModelCard], name_or_ref: str) -> str | None:
    """The model name ``name_or_ref`` stands for, or ``None`` when no card serves it.

    ``name_or_ref`` is a canonical name (``google/veo-3-fast``) or the ``provider/model`` ref
    of any card serving it (``fal/fal-ai/veo3/fast``); a canonical name wins when a text is
    both.
    """
    wanted = name_or_ref.strip()
    cards = list(cards)
    if any(c.canonical_model == wanted for c in cards):
        return wanted
    for card in cards:
        if card.ref == wanted:
            return model_name(card)
    return None


def same_model(cards: Iterable[ModelCard], name_or_ref: str) -> list[ModelCard]:
    """Every card serving the model ``name_or_ref`` names (empty: none): by provider, then the
    variant needing fewest inputs first, then by model.

    A card without ``canonical_model`` is its own model: its ref finds only itself.
    """
    cards = list(cards)
    name = canonical_name(cards, name_or_ref)
    if name is None:
        return []
    return sorted((c for c in cards if model_name(c) == name), key=_order)


def twins(cards: Iterable[ModelCard], card: ModelCard) -> list[ModelCard]:
    """The cards of OTHER providers serving ``card``'s model, by provider then model."""
    return [c for c in same_model(cards, model_name(card)) if c.provider != card.provider]


@dataclass
class Expansion:
    """The cards a model name expands to over an order of providers.

    Attributes:
        name: the model name the cards serve.
        cards: the cards, provider by provider in the order given (within one provider, its
            variants, the one needing fewest inputs first).
        skipped: listed providers that do not host the model.
        hosts: every provider that hosts it (also the unlisted ones), for error messages.
    """

    name: str
    cards: list[ModelCard] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)


def expand(cards: Iterable[ModelCard], name_or_ref: str, providers: Sequence[str]) -> Expansion:
    """The cards of each of ``providers``, in that order, that serve ``name_or_ref``'s model."""
    serving = same_model(cards, name_or_ref)
    name = model_name(serving[0]) if serving else name_or_ref
    found = Expansion(name=name, hosts=sorted({c.provider for c in serving}))
    for provider in dict.fromkeys(providers):
        own = [c for c in serving if c.provider == provider]
        if own:
            found.cards.extend(own)
        else:
            found.skipped.append(provider)
    return found


def accepts_inputs(card: ModelCard, inputs: Mapping[str, Any]) -> bool:
    """Whether ``card`` validates ``inputs`` (its model's own defaults already laid under)."""
    try:
        card.validate_inputs(inputs)
    except ProviderError:
        return False
    return True


def pick_variant(
    variants: Sequence[ModelCard],
    inputs_for: Any,
) -> ModelCard:
    """The first of ``variants`` (one provider's cards of one model) that accepts the job.

    Args:
        variants: the cards, in the order tried; at least one.
        inputs_for: ``inputs_for(card) -> dict``: the job's producer-level inputs with that
            card's model defaults laid under them.

    Returns:
        The first card whose ``validate_inputs`` accepts them; the first card when none does
        (validating it then reports what is wrong).
    """
    if len(variants) > 1:
        for card in variants:
            if accepts_inputs(card, inputs_for(card)):
                return card
    return variants[0]


def grouped(descriptors: Sequence[Descriptor], card_of: Any) -> list[list[Descriptor]]:
    """``descriptors`` split into runs of variants (consecutive or not), in first-seen order.

    ``card_of(descriptor) -> ModelCard | None``; a descriptor without a card is its own group.
    """
    groups: dict[Any, list[Descriptor]] = {}
    for descriptor in descriptors:
        card = card_of(descriptor)
        key = variant_group(card) if card is not None else ("?", str(descriptor))
        groups.setdefault(key, []).append(descriptor)
    return list(groups.values())


__all__ = [
    "Expansion",
    "accepts_inputs",
    "canonical_name",
    "expand",
    "grouped",
    "model_name",
    "pick_variant",
    "same_model",
    "twins",
    "variant_group",
]
