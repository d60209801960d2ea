"""The run's budget guard: :class:`Budget` and the middleware that refuses calls past it.

Unknown costs under a budget: refused by default (``BudgetExceededError`` naming the model),
because an unpriced call could spend anything; ``allow_unknown_cost=True`` lets them through
(and counts them at 0 until the handler reports a real cost).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import BudgetExceededError, Cost, ProviderError
from tutopanda_providers.pricing import estimate_cost

if TYPE_CHECKING:
    from tutopanda_providers.contracts import ModelCard, ProducerResult
    from tutopanda_providers.pipeline.context import InvokeContext, Next


class Budget:
    """The maximum a run may spend, and what it has spent and reserved so far.

    Thread-safe; share one object between registries to give them one budget.

    Args:
        max_cost_usd: the run's ceiling in US dollars.
        allow_unknown_cost: let calls whose cost cannot be estimated through.
    """

    def __init__(self, max_cost_usd: float, *, allow_unknown_cost: bool = False) -> None:
        if max_cost_usd < 0:
            raise ValueError("Budget.max_cost_usd must not be negative")
        self.max_cost_usd = max_cost_usd
        self.allow_unknown_cost = allow_unknown_cost
        self.spent_usd = 0.0
        self.reserved_usd = 0.0
        self.unknown_calls = 0
        self._lock = threading.Lock()

    @property
    def remaining_usd(self) -> float:
        """What is left once spent and reserved amounts are taken off."""
        return self.max_cost_usd - self.spent_usd - self.reserved_usd

    def reserve(self, ref: str, estimate: Cost) -> float:
        """Reserve ``estimate`` for a call to ``ref``; return the amount reserved.

        Raises:
            BudgetExceededError: the estimate is unknown (and unknowns are not allowed) or
                would push the run past its maximum.
        """
        amount = estimate.amount_usd
        if estimate.status == "unknown" or amount is None:
            if not self.allow_unknown_cost:
                raise BudgetExceededError(
                    f"refusing to call {ref}: its cost cannot be estimated "
                    f"({estimate.reason or 'no price'}) and the run has a budget of "
                    f"${self.max_cost_usd:.4f}. Allow unknown costs to run it anyway.",
                    details={"ref": ref, "max_cost_usd": self.max_cost_usd},
                )
            with self._lock:
                self.unknown_calls += 1
            return 0.0
        with self._lock:
            committed = self.spent_usd + self.reserved_usd
            if committed + amount > self.max_cost_usd + 1e-12:
                raise BudgetExceededError(
                    f"refusing to call {ref}: it would cost about ${amount:.4f} and the run has "
                    f"${max(0.0, self.max_cost_usd - committed):.4f} left of "
                    f"${self.max_cost_usd:.4f}. Raise the budget or pick a cheaper model.",
                    details={
                        "ref": ref,
                        "estimate_usd": amount,
                        "spent_usd": self.spent_usd,
                        "reserved_usd": self.reserved_usd,
                        "max_cost_usd": self.max_cost_usd,
                    },
                )
            self.reserved_usd += amount
        return amount

    def settle(self, reserved: float, cost: Cost | None) -> None:
        """Turn a reservation into spend: the reported cost when it has an amount, else the
        reservation itself (an unpriced result is counted at its estimate)."""
        amount = cost.amount_usd if cost is not None and cost.amount_usd is not None else reserved
        with self._lock:
            self.reserved_usd = max(0.0, self.reserved_usd - reserved)
            self.spent_usd += amount

    def release(self, reserved: float) -> None:
        """Drop a reservation (the call failed before anything billable happened)."""
        with self._lock:
            self.reserved_usd = max(0.0, self.reserved_usd - reserved)

    def __repr__(self) -> str:
        return (
            f"Budget(max_cost_usd={self.max_cost_usd}, spent_usd={self.spent_usd:.6f}, "
            f"reserved_usd={self.reserved_usd:.6f})"
        )


class BudgetMiddleware:
    """Refuses live calls whose estimate would push the run past its budget.

    Runs after validation (the estimate needs validated inputs) and after the cache (a hit
    costs nothing). Mock calls cost nothing and pass. A failed call releases its reservation
    unless it may have reached the provider (``request_sent``), in which case the estimate is
    counted as spent.
    """

    name = "budget"
    order = 50

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self._flat: dict[str, Cost] = {}

    def estimate(self, card: ModelCard, inputs: Mapping[str, Any]) -> Cost:
        """The estimate for one call; a card priced per call (no estimator) is priced once."""
        if card.cost_estimator is not None:
            return estimate_cost(card, inputs, validated=True)
        found = self._flat.get(card.ref)
        if found is None:
            found = self._flat[card.ref] = estimate_cost(card, inputs, validated=True)
        return found

    async def __call__(self, context: InvokeContext, call_next: Next) -> ProducerResult:
        """Reserve the estimate, call, then settle with the reported cost."""
        if context.mode == "mock":
            return await call_next(context)
        estimate = self.estimate(context.card, context.request.inputs)
        reserved = self.budget.reserve(context.card.ref, estimate)
        try:
            result = await call_next(context)
        except ProviderError as exc:
            if exc.request_sent:
                self.budget.settle(reserved, None)
            else:
                self.budget.release(reserved)
            raise
        except BaseException:
            self.budget.settle(reserved, None)  # cancelled mid-call: it may have been billed
            raise
        self.budget.settle(reserved, result.provider.cost)
        result.meta.middleware.append(self.name)
        return result


__all__ = ["Budget", "BudgetMiddleware"]
