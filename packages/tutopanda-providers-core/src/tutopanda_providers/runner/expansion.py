"""A producer that names its model once, with an order of providers, expanded to cards.

In the settings::

    [producers.TextToVideoProducer]
    kind = "video"
    model = "bytedance/seedance-1-lite"     # the model's own name
    providers = ["replicate", "fal"]        # who serves it, tried in this order
    fallbacks = ["bytedance/seedance-1-pro-fast"]   # also model names, each on every provider

``model`` and each fallback are model names (a card's ``provider/model`` ref is accepted too
and means that card's model). Each expands, in order, to the cards of each listed provider that
serve it (:meth:`~tutopanda_providers.registry.ProviderRegistry.expand_model`): the chain above
is replicate's seedance-1-lite, FAL's seedance-1-lite (each of its variants), then
seedance-1-pro-fast on replicate and on FAL. The first card is the producer's model, the rest
its fallbacks, so the pipeline's failover (:mod:`~tutopanda_providers.pipeline.fallback`) and
every check see an ordinary chain. A listed provider that does not host a name is skipped
with a note, said once; a name no listed provider hosts is a problem naming the providers
that do.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tutopanda_providers.contracts import Descriptor, Environment, ModelCard

if TYPE_CHECKING:
    from tutopanda_providers.registry import ProviderRegistry

log = logging.getLogger("tutopanda_providers.settings")


@dataclass
class Expanded:
    """A producer's chain after expansion: descriptors, notes said once, problems to report."""

    chain: list[Descriptor] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: ``(role, problem)``: role ``model`` or ``fallback`` (where in the settings it is).
    problems: list[tuple[str, str]] = field(default_factory=list)


def expand_chain(
    registry: ProviderRegistry,
    producer: str,
    names: tuple[str, ...],
    providers: tuple[str, ...],
    environment: Environment = "local",
) -> Expanded:
    """Expand ``names`` (the model, then each fallback) over ``providers``, in order.

    Returns:
        The chain (without repeats), a note per listed provider skipped for a name, and a
        problem per name no listed provider hosts (``role``: ``model`` or ``fallback``).
    """
    found = Expanded()
    listed = ", ".join(providers)
    known = {c.provider for c in registry.list_models()}
    unknown = [p for p in dict.fromkeys(providers) if p not in known]
    if unknown:
        # A misspelt provider, or one whose plugin is not installed: one note, not one per
        # model "does not serve".
        found.notes.append(
            f"{producer}: provider {', '.join(unknown)} is unknown (misspelt, or its plugin is "
            f"not installed; known providers: {', '.join(sorted(known))}); it is not tried."
        )
        providers = tuple(p for p in providers if p in known)
    for position, name in enumerate(names):
        role = "model" if position == 0 else "fallback"
        expansion = registry.expand_model(name, providers)
        if not expansion.cards:
            found.problems.append(
                (role, _nobody_hosts(registry, producer, role, name, listed, expansion.hosts))
            )
            continue
        for card in _named_first(expansion.cards, name):
            descriptor = Descriptor(
                provider=card.provider, model=card.model, environment=environment
            )
            if descriptor not in found.chain:
                found.chain.append(descriptor)
        if expansion.skipped and expansion.cards:
            found.notes.append(
                f"{producer}: {', '.join(expansion.skipped)} does not serve {expansion.name} "
                f"(served by {', '.join(expansion.hosts)}); that {role} is tried on "
                f"{', '.join(dict.fromkeys(c.provider for c in expansion.cards))} only."
            )
    return found


def _named_first(cards: list[ModelCard], name: str) -> list[ModelCard]:
    # A model named by a card's ref (model = "fal/fal-ai/veo3/fast") puts that card's provider
    # first, whatever the order of providers: the user picked that provider for the model.
    # Its variants keep their order (the one needing fewest inputs first), so naming an
    # image-to-video endpoint does not make a text job start on it.
    named = {c.provider for c in cards if c.ref == name.strip()}
    return [c for c in cards if c.provider in named] + [c for c in cards if c.provider not in named]


def _nobody_hosts(
    registry: ProviderRegistry,
    producer: str,
    role: str,
    name: str,
    listed: str,
    hosts: list[str],
) -> str:
    models = "(`tutopanda-providers models` lists every model and its providers)"
    if hosts:
        return (
            f"{producer} {role} {name}: none of its providers ({listed}) serves it: it is "
            f"served by {', '.join(hosts)}; add one of them to providers, or pick a model "
            f"they serve {models}"
        )
    cards = registry.list_models()
    known = sorted({c.provider for c in cards})
    names = {c.ref for c in cards} | {c.canonical_model for c in cards if c.canonical_model}
    close = difflib.get_close_matches(name.strip(), sorted(names), n=3, cutoff=0.75)
    maybe = f"did you mean {' or '.join(close)}? " if close else ""
    first, _, rest = name.strip().partition("/")
    if first in known:
        return (
            f"{producer} {role} {name}: unknown model: {first} has no model {rest!r} and no "
            f"provider serves a model of that name; {maybe}pick one {models}"
        )
    return (
        f"{producer} {role} {name}: unknown provider {first!r} and unknown model name (known "
        f"providers: {', '.join(known)}); {maybe}write a model's name such as "
        f"google/veo-3-fast or provider/model {models}"
    )


def say_once(notes: list[str], said: set[str]) -> None:
    """Log each note not logged yet (a catalog is expanded again for every preview)."""
    for note in notes:
        if note not in said:
            said.add(note)
            log.warning("%s", note)


__all__ = ["Expanded", "expand_chain", "say_once"]
