"""Building a registry: load the plugins, collect their implementations and cards, settle
duplicate cards and report ties, gather plugin middleware and secret resolvers.

Start-up cost matters (every command builds a registry), so nothing here imports
:mod:`asyncio` or the invoke pipeline; the fallbacks of ``options.pipeline`` are checked
through :meth:`ProviderRegistry.check_fallbacks`, which loads only the fallback module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import ConfigurationError, ModelCard
from tutopanda_providers.plugins import discovery as plugin_loading
from tutopanda_providers.plugins.discovery import PluginReport
from tutopanda_providers.plugins.implementation import Implementation
from tutopanda_providers.registry.facade import ProviderRegistry
from tutopanda_providers.registry.options import RegistryOptions
from tutopanda_providers.registry.resolution import Registration, settle_tie, static_ties
from tutopanda_providers.secrets import ChainSecretResolver, EnvSecretResolver, SecretResolver

if TYPE_CHECKING:
    from pluggy import PluginManager

    from tutopanda_providers.pipeline.context import Middleware

log = logging.getLogger("tutopanda_providers.registry")


@dataclass
class _Collected:
    """What the plugins registered, with duplicate cards settled."""

    registrations: list[Registration] = field(default_factory=list)
    cards: dict[tuple[str, str], ModelCard] = field(default_factory=dict)
    card_owners: dict[tuple[str, str], str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _collect_implementations(
    pm: PluginManager, by_name: dict[str, PluginReport]
) -> dict[str, list[Implementation]]:
    pending: dict[str, list[Implementation]] = {}

    def register_implementation(plugin: str) -> Callable[[Implementation], None]:
        def register(implementation: Implementation) -> None:
            if not isinstance(implementation, Implementation):
                raise TypeError(
                    f"register() takes an Implementation, got {type(implementation).__name__}"
                )
            pending.setdefault(plugin, []).append(implementation)

        return register

    plugin_loading.call_each(pm, "tutopanda_register_providers", by_name, register_implementation)
    return pending


def _add_card(
    collected: _Collected, by_name: dict[str, PluginReport], plugin: str, card: ModelCard
) -> None:
    key = (card.provider, card.model)
    owner = collected.card_owners.get(key)
    if owner is None:
        collected.cards[key] = card
        collected.card_owners[key] = plugin
        return
    if owner == plugin:
        return
    # Plugins come in name order: a later one takes the card only when the tie-break says so
    # (it is the provider's own plugin).
    tie = settle_tie([owner, plugin], card.provider)
    loser = owner if tie.winner == plugin else plugin
    if tie.winner == plugin:
        collected.cards[key] = card
        collected.card_owners[key] = plugin
    message = (
        f"model card {card.ref} is registered by {loser!r} and {tie.winner!r}; "
        f"{tie.winner!r} wins ({tie.reason})."
    )
    collected.warnings.append(message)
    by_name[plugin].warnings.append(message)
    by_name[owner].warnings.append(message)
    log.warning("%s", message)


def _collect(
    pending: Mapping[str, list[Implementation]], by_name: dict[str, PluginReport]
) -> _Collected:
    collected = _Collected()
    for plugin in sorted(pending):
        report = by_name.setdefault(plugin, PluginReport(name=plugin))
        if report.status != "loaded":
            continue  # its hook raised part-way: drop everything it registered
        for implementation in pending[plugin]:
            collected.registrations.append(
                Registration(plugin, len(collected.registrations), implementation)
            )
            report.registered.append(f"{implementation.match} [{implementation.mode}]")
            if implementation.card is not None:
                _add_card(collected, by_name, plugin, implementation.card)
    for message in static_ties(collected.registrations, collected.card_owners):
        collected.warnings.append(message)
        log.warning("%s", message)
    return collected


def _secrets(
    pm: PluginManager, by_name: dict[str, PluginReport], options: RegistryOptions
) -> SecretResolver:
    resolvers: list[SecretResolver] = [options.secrets] if options.secrets is not None else []
    plugin_resolvers: list[SecretResolver] = []
    plugin_loading.call_each(
        pm, "tutopanda_register_secret_resolvers", by_name, lambda plugin: plugin_resolvers.append
    )
    return ChainSecretResolver([*resolvers, *plugin_resolvers, EnvSecretResolver(dotenv=".env")])


def create_provider_registry(
    options: RegistryOptions | None = None, *, check_fallbacks: bool = True, **overrides: Any
) -> ProviderRegistry:
    """Build a registry: load plugins, collect cards and implementations, check fallbacks.

    Args:
        options: a :class:`RegistryOptions`; keyword ``overrides`` replace its fields.
        check_fallbacks: check the pipeline's fallbacks now (``False``: the caller calls
            :meth:`ProviderRegistry.check_fallbacks` itself, as the runner does after its own
            checks, to report a problem with its line).

    Raises:
        ConfigurationError: the mode is neither ``live`` nor ``mock``, or a fallback of
            ``options.pipeline`` is unknown or cannot do its primary's job (see
            :meth:`ProviderRegistry.check_fallbacks`).

    Example:
        >>> registry = create_provider_registry(mode="mock")  # doctest: +SKIP
        >>> registry.list_models("image")  # doctest: +SKIP
    """
    if options is None:
        options = RegistryOptions(**overrides)
    elif overrides:
        from dataclasses import replace

        options = replace(options, **overrides)
    if options.mode not in ("live", "mock"):
        raise ConfigurationError(f"mode must be 'live' or 'mock', got {options.mode!r}")
    options.use_mock = frozenset(options.use_mock)

    pm = plugin_loading.new_plugin_manager()
    reports = plugin_loading.load_plugins(
        pm,
        entry_points=options.entry_points,
        plugins=options.plugins,
        allow=options.allow_plugins,
        disable=options.disable_plugins,
        choose=options.plugin_choices,
    )
    by_name = {r.name: r for r in reports}
    collected = _collect(_collect_implementations(pm, by_name), by_name)
    plugin_middleware: list[Middleware] = []
    plugin_loading.call_each(
        pm, "tutopanda_register_middleware", by_name, lambda plugin: plugin_middleware.append
    )
    registry = ProviderRegistry(
        options,
        collected.registrations,
        collected.cards,
        collected.card_owners,
        sorted(by_name.values(), key=lambda r: r.name),
        plugin_middleware,
        _secrets(pm, by_name, options),
        # One warning concerns several plugins (a card two register): listed once.
        list(dict.fromkeys([*(w for r in reports for w in r.warnings), *collected.warnings])),
    )
    if check_fallbacks:
        registry.check_fallbacks()
    return registry


__all__ = ["RegistryOptions", "create_provider_registry"]
