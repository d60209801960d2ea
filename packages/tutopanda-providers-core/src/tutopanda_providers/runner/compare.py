"""Which provider is cheaper: a prepared job's estimate on every provider serving its model.

For a job whose model is served by several providers (cards sharing ``canonical_model``, see
:mod:`~tutopanda_providers.contracts.same_model`), the job's producer-level inputs are mapped
through each provider's card (its own adapter and model defaults; among one provider's variants,
the first that accepts them) and priced with that card's ``estimate_cost``. ``estimate`` shows
the result; nothing is called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import Cost, ModelCard, ProviderError
from tutopanda_providers.contracts.same_model import pick_variant
from tutopanda_providers.handler import model_inputs
from tutopanda_providers.pricing import estimate_cost
from tutopanda_providers.runner.reports import CostSummary

if TYPE_CHECKING:
    from tutopanda_providers.registry import ProviderRegistry
    from tutopanda_providers.runner.reports import JobPreview


@dataclass
class ProviderEstimate:
    """A job's estimate on one provider: the card that would serve it, and the cost."""

    provider: str
    model: str
    estimate: Cost

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {
            "provider": self.provider,
            "model": self.model,
            "estimate": self.estimate.model_dump(mode="json", exclude_none=True),
        }


@dataclass
class JobComparison:
    """A job's estimate on each provider serving its model; ``cheapest`` among the known."""

    job: str
    estimates: list[ProviderEstimate] = field(default_factory=list)

    @property
    def cheapest(self) -> ProviderEstimate | None:
        """The estimate of the lowest known amount (``None`` when none is known)."""
        known = [e for e in self.estimates if e.estimate.amount_usd is not None]
        return min(known, key=lambda e: e.estimate.amount_usd or 0.0) if known else None

    @property
    def same_price(self) -> bool:
        """Whether every provider's estimate is known and equal (to a hundredth of a cent)."""
        amounts = [e.estimate.amount_usd for e in self.estimates]
        if len(amounts) < 2 or any(a is None for a in amounts):
            return False
        return max(a or 0.0 for a in amounts) - min(a or 0.0 for a in amounts) < 1e-4

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        cheapest = self.cheapest
        return {
            "job": self.job,
            "providers": [e.to_dict() for e in self.estimates],
            "cheapest": f"{cheapest.provider}/{cheapest.model}" if cheapest else None,
            "same_price": self.same_price,
        }


def _on(card_group: list[ModelCard], prepared: JobPreview) -> ProviderEstimate:
    defaults = prepared.entry.model_defaults

    def inputs_for(card: ModelCard) -> dict[str, Any]:
        return model_inputs(defaults, card.ref, prepared.producer_inputs)

    card = pick_variant(card_group, inputs_for)
    try:
        cost = estimate_cost(card, inputs_for(card))
    except ProviderError as exc:
        cost = Cost.unknown(f"{card.ref} cannot take this job's inputs: {exc.message}")
    return ProviderEstimate(card.provider, card.model, cost)


def compare_job(prepared: JobPreview, registry: ProviderRegistry) -> JobComparison | None:
    """The job's estimate on each provider serving its model; ``None`` when only one does."""
    try:
        cards = registry.same_model(str(prepared.descriptor))
    except ProviderError:
        return None
    providers = list(dict.fromkeys(c.provider for c in cards))
    if len(providers) < 2:
        return None
    found = JobComparison(prepared.job.id)
    for provider in providers:
        found.estimates.append(_on([c for c in cards if c.provider == provider], prepared))
    return found


def compare_jobs(
    previews: list[JobPreview], registry: ProviderRegistry
) -> tuple[list[JobComparison], CostSummary]:
    """Each job's comparison (jobs served by one provider only are left out), and the plan's
    total with every compared job on its cheapest provider (the others as estimated)."""
    comparisons: list[JobComparison] = []
    total = CostSummary()
    for prepared in previews:
        compared = compare_job(prepared, registry)
        cheapest = compared.cheapest if compared is not None else None
        if compared is not None:
            comparisons.append(compared)
        total.add(prepared.job.id, cheapest.estimate if cheapest else prepared.estimate)
    return comparisons, total


__all__ = ["JobComparison", "ProviderEstimate", "compare_job", "compare_jobs"]
