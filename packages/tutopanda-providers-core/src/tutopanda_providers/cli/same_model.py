"""One model on several providers, for people: ``models show NAME`` side by side, the
``also on`` note of the ``models`` listing, and ``estimate``'s per-provider table.

Every table fits 80 columns (cells wrap) and every text from a card reaches Rich as plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tutopanda_providers.cli.model_facts import can_text, joined, price_lines, rate_used
from tutopanda_providers.cli.render import console, table, text

if TYPE_CHECKING:
    from tutopanda_providers.contracts import ModelCard
    from tutopanda_providers.registry import ProviderRegistry
    from tutopanda_providers.runner.compare import JobComparison


def also_on(registry: ProviderRegistry, card: ModelCard) -> list[str]:
    """The other providers serving ``card``'s model (empty: none), by name."""
    return list(dict.fromkeys(c.provider for c in registry.twins(card)))


def card_column(registry: ProviderRegistry, card: ModelCard) -> dict[str, Any]:
    """One card's facts for the side-by-side view, as JSON."""
    from tutopanda_providers.contracts import Descriptor

    descriptor = Descriptor(provider=card.provider, model=card.model)
    return {
        "provider": card.provider,
        "model": card.model,
        "kind": card.kind.value,
        "canonical_model": card.canonical_model,
        "modes": list(registry.served_modes(descriptor)),
        "rates": [
            {**rate.to_dict(), "used": rate_used(rate.name, card.capabilities)}
            for rate in card.price.rates
        ],
        "price": price_lines(card.price, card.capabilities),
        "price_source": card.price.source,
        "capabilities": sorted(card.capabilities),
        "unknowns": list(card.unknowns),
    }


def side_by_side(registry: ProviderRegistry, name_or_ref: str) -> dict[str, Any]:
    """Every provider's cards of one model, as JSON: ``{"model", "providers", "cards"}``.

    Raises:
        UnknownModelError: no card serves that model.
    """
    from tutopanda_providers.contracts.same_model import model_name

    cards = registry.same_model(name_or_ref)
    return {
        "model": model_name(cards[0]),
        "providers": list(dict.fromkeys(c.provider for c in cards)),
        "cards": [card_column(registry, c) for c in cards],
    }


def _cell(columns: Sequence[dict[str, Any]], key: str) -> str:
    """One provider's cell: each of its cards' ``key``, the endpoint first when it has several."""
    several = len(columns) > 1
    parts = []
    for column in columns:
        value = column[key]
        body = "\n".join(value) if isinstance(value, list) else str(value)
        if key in ("capabilities", "unknowns", "modes") and isinstance(value, list):
            body = joined(value) if value else "-"
        parts.append(f"{column['model']}:\n{body}" if several and key != "model" else body)
    return "\n".join(parts)


def print_side_by_side(details: dict[str, Any]) -> None:
    """The side-by-side table: one column per provider, a row per fact."""
    providers = details["providers"]
    grid = table(f"{details['model']} on {len(providers)} provider(s)", "", *providers)
    by_provider = {p: [c for c in details["cards"] if c["provider"] == p] for p in providers}
    for column in details["cards"]:
        column["can"] = can_text(column["capabilities"]) or "-"
    for label, key in (
        ("endpoint", "model"),
        ("price", "price"),
        ("can", "can"),
        ("modes", "modes"),
        ("unknowns", "unknowns"),
    ):
        grid.add_row(
            text(label, style="bold"), *(text(_cell(by_provider[p], key)) for p in providers)
        )
    printer = console()
    printer.print(grid)
    printer.print(text("Inputs of one card: tutopanda-providers models show PROVIDER/MODEL"))


def comparison_table(comparisons: Sequence[JobComparison]) -> Any:
    """``estimate``'s table of jobs whose model several providers serve: the estimate on
    each, the cheapest named."""
    from tutopanda_providers.cli.render import cost_text

    grid = table("the same model on each provider", "job", "estimate on each provider", "cheapest")
    for compared in comparisons:
        lines = [
            f"{e.provider}: {cost_text(e.estimate).split(' (')[0]}" for e in compared.estimates
        ]
        cheapest = compared.cheapest
        grid.add_row(
            text(compared.job),
            text("\n".join(lines)),
            text(
                "same price"
                if compared.same_price
                else cheapest.provider
                if cheapest
                else "unknown"
            ),
        )
    return grid


__all__ = [
    "also_on",
    "card_column",
    "comparison_table",
    "print_side_by_side",
    "side_by_side",
]
