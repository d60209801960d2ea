"""Resolution rules: which mode a job runs in, and which registration serves a descriptor.

1. The mode of a job is ``live`` or ``mock``: the registry's mode, unless the job's producer
   name or kind is listed in ``use_mock`` (forced mock), so one run can mix both.
2. Among the implementations of that mode whose ``match`` fits the descriptor, the most specific
   wins: per field, an exact value beats an ``fnmatch`` pattern, which beats ``*``; provider
   counts before model, model before environment; between two patterns of the same class, the
   one with more literal characters wins.
3. Only *trusted* plugins serve a provider's models when one of them can: the plugin named
   after the provider (``replicate`` for ``replicate/...``), the plugin that owns the model's
   card, and the mock plugin (``mock``). Another plugin's implementation, however specific,
   serves a model only when no trusted plugin has one in that mode: a third-party ``*/*`` mock
   never takes over mock mode, and no plugin takes over another provider's models (and the
   secrets they get) with a more specific match.
4. Ties between plugins (equally specific, same mode) are settled by :func:`settle_tie`, THE
   one tie-break rule: the plugin named after the descriptor's provider, then the plugin that
   owns the model's card, then the mock plugin, then the plugin whose name sorts first. It
   orders candidates, picks a card's owner when two plugins bring one, and words every
   warning, so the three can never disagree. Ties are reported, never settled silently by
   registration order.

Pure functions over plain data: no registry, no pipeline, no asyncio.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tutopanda_providers.contracts import Descriptor, Mode, ProducerKind
from tutopanda_providers.plugins.implementation import Implementation, Match

#: The mock plugin's name: trusted to serve every provider's models (in mock mode).
MOCK_PLUGIN = "mock"

_REASONS = (
    "it is named after the provider",
    "it owns the model's card",
    "it is the mock plugin",
    "first by plugin name",
)


@dataclass(frozen=True)
class Registration:
    """One implementation as a plugin registered it; ``index`` is the registration order."""

    plugin: str
    index: int
    implementation: Implementation


@dataclass(frozen=True)
class Tie:
    """How a tie between plugins was settled: the winner and why, in words."""

    winner: str
    reason: str


def _tie_key(plugin: str, provider: str, owner: str | None) -> tuple[int, str]:
    if plugin == provider:
        return (0, plugin)
    if plugin == owner:
        return (1, plugin)
    if plugin == MOCK_PLUGIN:
        return (2, plugin)
    return (3, plugin)


def is_trusted(plugin: str, provider: str, owner: str | None) -> bool:
    """Whether ``plugin`` is trusted with ``provider``'s models (rule 3 above)."""
    return plugin in (provider, owner, MOCK_PLUGIN)


def settle_tie(plugins: Iterable[str], provider: str, owner: str | None = None) -> Tie:
    """THE tie-break between equally specific plugins: the provider's own plugin, the card's
    owner, the mock plugin, then the first plugin name.

    Raises:
        ValueError: ``plugins`` is empty.
    """
    winner = min(plugins, key=lambda p: _tie_key(p, provider, owner))
    return Tie(winner, _REASONS[_tie_key(winner, provider, owner)[0]])


def mode_for_job(
    registry_mode: Mode,
    use_mock: frozenset[str],
    producer: str | None = None,
    kind: ProducerKind | str | None = None,
) -> Mode:
    """The mode a job of ``producer`` / ``kind`` runs in (rule 1 above)."""
    if registry_mode == "mock":
        return "mock"
    names = {producer} if producer else set()
    if kind is not None:
        names.add(ProducerKind(kind).value)
    return "mock" if names & use_mock else "live"


def candidates(
    registrations: Iterable[Registration],
    descriptor: Descriptor,
    mode: Mode,
    owner: str | None,
) -> list[Registration]:
    """The registrations that could serve ``descriptor`` in ``mode``, winner first."""
    found = [
        r
        for r in registrations
        if r.implementation.mode == mode and r.implementation.match.matches(descriptor)
    ]
    # Trusted plugins first (rule 3); then most specific first; equally specific ones by the
    # tie-break rule, then registration order.
    return sorted(
        found,
        key=lambda r: (
            not is_trusted(r.plugin, descriptor.provider, owner),
            tuple(-x for x in r.implementation.match.specificity()),
            _tie_key(r.plugin, descriptor.provider, owner),
            r.index,
        ),
    )


def rivals(
    ordered: list[Registration], descriptor: Descriptor | None = None, owner: str | None = None
) -> list[Registration]:
    """The registrations of other plugins exactly as specific as the winner (a runtime tie).

    With ``descriptor``, only those as trusted as the winner (rule 3): an untrusted plugin
    that lost for not being trusted is no tie.
    """
    if not ordered:
        return []
    winner = ordered[0]

    def trusted(r: Registration) -> bool:
        return descriptor is None or is_trusted(r.plugin, descriptor.provider, owner)

    return [
        r
        for r in ordered[1:]
        if r.plugin != winner.plugin
        and trusted(r) == trusted(winner)
        and r.implementation.match.specificity() == winner.implementation.match.specificity()
    ]


def overruled(
    ordered: list[Registration], descriptor: Descriptor, owner: str | None
) -> list[Registration]:
    """Untrusted registrations at least as specific as the trusted winner (rule 3 beat them)."""
    if not ordered or not is_trusted(ordered[0].plugin, descriptor.provider, owner):
        return []
    best = ordered[0].implementation.match.specificity()
    return [
        r
        for r in ordered[1:]
        if not is_trusted(r.plugin, descriptor.provider, owner)
        and r.implementation.match.specificity() >= best
    ]


def served_modes(registrations: Iterable[Registration], descriptor: Descriptor) -> list[Mode]:
    """The modes some registration serves ``descriptor`` in, sorted."""
    return sorted(
        {r.implementation.mode for r in registrations if r.implementation.match.matches(descriptor)}
    )


def static_ties(
    registrations: Iterable[Registration], card_owners: Mapping[tuple[str, str], str]
) -> list[str]:
    """Warnings for one (match, mode) registered by several plugins (checked at build time)."""
    warnings: list[str] = []
    groups: dict[tuple[Match, Mode], set[str]] = {}
    for r in registrations:
        groups.setdefault((r.implementation.match, r.implementation.mode), set()).add(r.plugin)
    for (match, mode), plugins in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        if len(plugins) > 1:
            tie = settle_tie(
                plugins, match.provider, card_owners.get((match.provider, match.model))
            )
            warnings.append(
                f"{mode} {match} is registered by {', '.join(repr(p) for p in sorted(plugins))}; "
                f"{tie.winner!r} wins ({tie.reason}). "
                "Disable the other with TUTOPANDA_DISABLE_PLUGINS."
            )
    return warnings


__all__ = [
    "MOCK_PLUGIN",
    "Registration",
    "Tie",
    "candidates",
    "is_trusted",
    "mode_for_job",
    "overruled",
    "rivals",
    "served_modes",
    "settle_tie",
    "static_ties",
]
