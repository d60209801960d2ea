"""Shipped defaults that adapt to the plugins installed.

The shipped default settings name the seed's models (OpenAI for scripts and prompts, Replicate
for media). Someone who installed one provider with pip (``pip install
tutopanda-provider-replicate``) has no OpenAI plugin, and a default naming ``openai/gpt-5``
would make every ``run`` and ``estimate`` fail. So a producer that comes from the shipped
defaults (never one the user wrote) is adapted to what is installed:

1. its fallbacks that no installed plugin serves are dropped;
2. when its model is not installed, its first installed fallback takes its place, else an
   installed model of the producer's kind: one served live first, then one of a provider
   other than the mock, then by reference order (``mock/<kind>`` when nothing else is);
3. each change is said once, as a warning naming what replaced what and how to choose.

A producer that lists ``providers`` names models, not refs (see
:mod:`~tutopanda_providers.runner.expansion`). Its listed providers whose plugin is not
installed are dropped quietly (a failover that cannot happen; the defaults' comments say so),
its fallbacks no remaining provider serves are dropped with a note, and when no remaining
provider serves its model it is replaced as in 2., by a ``provider/model`` ref without
``providers``. A producer the user's settings file names is
never changed: a missing model there is the
user's to fix, and ``doctor`` and ``run`` say where.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from tutopanda_providers.contracts import Descriptor, ProducerKind

log = logging.getLogger("tutopanda_providers.settings")


class AdaptableProducer(Protocol):
    """What :func:`adapt` reads and changes of a producer (a ``ProducerSettings``)."""

    kind: ProducerKind
    model: str
    fallbacks: list[str]
    providers: list[str]


@dataclass(frozen=True)
class InstalledModel:
    """One model an installed plugin serves: its kind, whether some plugin serves it live, and
    the name of the model it is (its card's ``canonical_model``; ``None``: its own ref)."""

    kind: ProducerKind
    live: bool
    name: str | None = None


def _serving(provider: str, name: str, installed: Mapping[str, InstalledModel]) -> str | None:
    """The installed ``provider/model`` ref of ``provider`` serving the model ``name``."""
    ref = f"{provider}/{name}"
    if ref in installed:
        return ref
    return next(
        (
            r
            for r, m in sorted(installed.items())
            if r.partition("/")[0] == provider and m.name == name
        ),
        None,
    )


def _adapt_providers(
    name: str, producer: AdaptableProducer, installed: Mapping[str, InstalledModel]
) -> str | None:
    """Adapt a producer naming models over ``providers``; its note, if a change is said."""
    present = {ref.partition("/")[0] for ref in installed}
    listed = [p for p in producer.providers if p in present]

    def refs(model: str) -> list[str]:
        return [r for p in listed if (r := _serving(p, model, installed))]

    if refs(producer.model):
        gone = [p for p in producer.providers if p not in present]
        if gone:
            log.info("%s: default providers not installed, not tried: %s", name, ", ".join(gone))
            producer.providers = listed
        dropped = [f for f in producer.fallbacks if not refs(f)]
        if not dropped:
            return None
        producer.fallbacks = [f for f in producer.fallbacks if refs(f)]
        return f"{name}: default fallback {', '.join(dropped)} is not installed; it is not tried."
    candidates = [ref for f in producer.fallbacks for ref in refs(f)]
    chosen = replacement(producer.kind, candidates, installed)
    if chosen is None:
        return None  # the catalog check reports the missing model with its fix
    old = producer.model
    producer.model, producer.providers = chosen, []
    producer.fallbacks = [ref for ref in candidates if ref != chosen]
    how = (
        "an installed fallback"
        if chosen in candidates
        else f"an installed {producer.kind.value} model"
        + ("" if installed[chosen].live else " (mock only)")
    )
    return (
        f"{name}: the default model {old} is not installed (no plugin serves it); using "
        f"{chosen}, {how}. Install its plugin, or choose with [producers.{name}] in "
        "tutopanda.toml (`tutopanda-providers init` writes one)."
    )


def _ref(text: str) -> str:
    descriptor = Descriptor.parse(text)
    return f"{descriptor.provider}/{descriptor.model}"


def replacement(
    kind: ProducerKind, fallbacks: list[str], installed: Mapping[str, InstalledModel]
) -> str | None:
    """The installed model that serves a producer of ``kind`` whose model is missing.

    Its first installed fallback of that kind, else the best installed model of that kind
    (served live, not the mock provider, then by reference), else ``None``.
    """
    for ref in fallbacks:
        found = installed.get(_ref(ref))
        if found is not None and found.kind == kind:
            return ref
    same_kind = [ref for ref, model in installed.items() if model.kind == kind]
    if not same_kind:
        return None
    return min(
        same_kind,
        key=lambda ref: (not installed[ref].live, ref.partition("/")[0] == "mock", ref),
    )


def adapt(
    producers: Mapping[str, AdaptableProducer],
    installed: Mapping[str, InstalledModel],
) -> list[str]:
    """Adapt ``producers`` (those of the shipped defaults) to ``installed``, in place.

    Returns:
        One note per change, also logged as a warning.
    """
    notes: list[str] = []
    for name in sorted(producers):
        producer = producers[name]
        if producer.providers:
            note = _adapt_providers(name, producer, installed)
            if note is not None:
                notes.append(note)
            continue
        kept = [ref for ref in producer.fallbacks if _ref(ref) in installed]
        dropped = [ref for ref in producer.fallbacks if _ref(ref) not in installed]
        if _ref(producer.model) in installed:
            if dropped:
                producer.fallbacks = kept
                notes.append(
                    f"{name}: default fallback {', '.join(dropped)} is not installed; "
                    "it is not tried."
                )
            continue
        chosen = replacement(producer.kind, kept, installed)
        if chosen is None:
            continue  # the catalog check reports the missing model with its fix
        how = (
            "an installed fallback"
            if chosen in kept
            else f"an installed {producer.kind.value} model"
            + ("" if installed[_ref(chosen)].live else " (mock only)")
        )
        notes.append(
            f"{name}: the default model {producer.model} is not installed (no plugin serves "
            f"it); using {chosen}, {how}. Install its plugin, or choose with "
            f"[producers.{name}] in tutopanda.toml (`tutopanda-providers init` writes one)."
        )
        producer.model = chosen
        producer.fallbacks = [ref for ref in kept if ref != chosen]
    for note in notes:
        log.warning("%s", note)
    return notes


def installed_models() -> dict[str, InstalledModel]:
    """Every model the installed (and enabled) plugins serve, by ``provider/model``.

    Builds a mock registry from the installed plugins (their cards are all it reads).
    """
    from tutopanda_providers.registry import create_provider_registry

    registry = create_provider_registry(mode="mock", check_fallbacks=False)
    return {
        card.ref: InstalledModel(
            kind=card.kind,
            live="live"
            in registry.served_modes(Descriptor(provider=card.provider, model=card.model)),
            name=card.canonical_model,
        )
        for card in registry.list_models()
    }


def providers_installed(refs: list[str]) -> bool:
    """Whether a plugin named after the provider of each of ``refs`` is installed and enabled.

    A cheap test (entry points only, nothing imported) that lets a complete install skip
    :func:`installed_models`.
    """
    from tutopanda_providers.plugins.discovery import ALLOW_ENV, DISABLE_ENV, find_entry_points

    names = {ep.name for ep in find_entry_points()}
    allow = os.environ.get(ALLOW_ENV)
    if allow is not None:
        names &= {n.strip() for n in allow.split(",")}
    names -= {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",")}
    return {Descriptor.parse(ref).provider for ref in refs} <= names


__all__ = [
    "AdaptableProducer",
    "InstalledModel",
    "adapt",
    "installed_models",
    "providers_installed",
    "replacement",
]
