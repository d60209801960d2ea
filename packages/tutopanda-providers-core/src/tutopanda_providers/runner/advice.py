"""Advice on loaded settings: configurations that work but are probably not what was meant.

Today one rule: a lesson script must be researched (the seed design asks for facts checked
against sources), so a script producer whose model — or one of whose fallbacks — has no
``web_search`` capability is warned about when the settings are loaded. A producer opts in
with ``allow_unresearched_script = true``; the scripts such a model writes record
``researched: false`` in their provider metadata either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeVar

from tutopanda_providers.contracts import ModelCard, ProducerKind

log = logging.getLogger("tutopanda_providers.settings")

#: The card capability that says a model can research (search the web) while it writes.
RESEARCH_CAPABILITY = "web_search"

#: Looks a ``provider/model`` reference up; ``None`` when no installed plugin serves it.
CardLookup = Callable[[str], ModelCard | None]


class AdvisedProducer(Protocol):
    """What the advice reads of one producer (a ``ProducerSettings`` has it)."""

    @property
    def kind(self) -> ProducerKind:
        """The producer's kind."""
        ...

    @property
    def model(self) -> str:
        """The ``provider/model`` that serves it."""
        ...

    @property
    def fallbacks(self) -> Sequence[str]:
        """The ``provider/model`` references tried when the model fails."""
        ...

    @property
    def allow_unresearched_script(self) -> bool:
        """Whether the user accepted a script model without research."""
        ...


class AdvisedSettings(Protocol):
    """What the advice reads of loaded settings (a ``Settings`` has it).

    A protocol, not the settings class itself: the settings loader calls :func:`advise`, so
    this module must not import it back.
    """

    @property
    def producers(self) -> Mapping[str, AdvisedProducer]:
        """Producer name → its settings."""
        ...

    def where(self, producer: str, *keys: str | int) -> str:
        """``file:line`` of ``producers.<producer>.<keys>``."""
        ...


_Settings = TypeVar("_Settings", bound=AdvisedSettings)


def installed_card_lookup() -> CardLookup:
    """A :data:`CardLookup` over the cards of the installed plugins (loaded once, on demand).

    Plugins that fail to load are skipped (the registry reports them when a run starts).
    """
    cards: dict[str, ModelCard] | None = None

    def lookup(ref: str) -> ModelCard | None:
        nonlocal cards
        if cards is None:
            cards = _installed_cards()
        return cards.get(ref)

    return lookup


def _installed_cards() -> dict[str, ModelCard]:
    # Imported here: plugin discovery is only needed when a script producer is configured.
    from tutopanda_providers.plugins import Implementation, discovery

    pm = discovery.new_plugin_manager()
    reports = {r.name: r for r in discovery.load_plugins(pm)}
    found: dict[str, ModelCard] = {}

    def make_register(_plugin: str) -> Callable[[Implementation], None]:
        def register(implementation: Implementation) -> None:
            card = getattr(implementation, "card", None)
            if isinstance(card, ModelCard):
                found.setdefault(f"{card.provider}/{card.model}", card)

        return register

    discovery.call_each(pm, "tutopanda_register_providers", reports, make_register)
    return found


def unresearched_script_models(
    settings: AdvisedSettings, cards: CardLookup | None = None
) -> list[tuple[str, str, str]]:
    """``(producer, model reference, role)`` for every script model that cannot research.

    ``role`` is ``"model"`` or ``"fallback"``. Producers with ``allow_unresearched_script``
    set, and models no installed plugin knows (the catalog check reports those), are left out.
    """
    lookup = cards or installed_card_lookup()
    found: list[tuple[str, str, str]] = []
    for name, producer in settings.producers.items():
        if producer.kind is not ProducerKind.SCRIPT or producer.allow_unresearched_script:
            continue
        roles = [(producer.model, "model")] + [(ref, "fallback") for ref in producer.fallbacks]
        for ref, role in roles:
            card = lookup(ref)
            if card is not None and RESEARCH_CAPABILITY not in card.capabilities:
                found.append((name, ref, role))
    return found


def script_research_advice(settings: AdvisedSettings, cards: CardLookup | None = None) -> list[str]:
    """One warning line per script model without research, saying where and how to opt in."""
    lines: list[str] = []
    for producer, ref, role in unresearched_script_models(settings, cards):
        what = "serves" if role == "model" else "is a fallback of"
        lines.append(
            f"{settings.where(producer, role + 's' if role == 'fallback' else role)}: {ref} "
            f"{what} {producer} but cannot research (no {RESEARCH_CAPABILITY} capability): "
            "its scripts are written from what the model knows, unchecked. Use a model with "
            f"web search (see `tutopanda-providers models --kind script`), or set "
            f"allow_unresearched_script = true under [producers.{producer}] to accept it."
        )
    return lines


def advise(settings: _Settings, cards: CardLookup | None = None) -> _Settings:
    """Log every piece of advice on ``settings`` as a warning and return ``settings``.

    Called by :func:`~tutopanda_providers.runner.settings.load_settings`; call
    :func:`script_research_advice` for the lines themselves.
    """
    if not any(p.kind is ProducerKind.SCRIPT for p in settings.producers.values()):
        return settings
    lines = script_research_advice(settings, cards)
    for line in lines:
        log.warning("warning: %s", line)
    return settings


__all__ = [
    "RESEARCH_CAPABILITY",
    "AdvisedProducer",
    "AdvisedSettings",
    "CardLookup",
    "advise",
    "installed_card_lookup",
    "script_research_advice",
    "unresearched_script_models",
]
