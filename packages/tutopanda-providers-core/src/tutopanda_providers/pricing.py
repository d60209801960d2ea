"""Cost: pre-call estimates and the run's budget guard.

Every result carries a :class:`~tutopanda_providers.contracts.Cost`: ``known`` (computed from
what the provider reported), ``estimated`` (from the card's price and the inputs) or
``unknown`` with a reason — never a silent 0. The pipeline does not invent a cost the handler
did not report: a result left with the default unknown cost stays unknown.

:func:`estimate_cost` prices a request before it is made (it validates the inputs first, so
defaults count). :class:`Budget` tracks the spend of a run across every invoke of a registry
and :class:`BudgetMiddleware` refuses, before anything is sent, a call whose estimate would push
the run past ``max_cost_usd``.

Unknown costs under a budget: refused by default (``BudgetExceededError`` naming the model),
because an unpriced call could spend anything; ``allow_unknown_cost=True`` lets them through
(and counts them at 0 until the handler reports a real cost).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import Cost

if TYPE_CHECKING:
    from tutopanda_providers.contracts import ModelCard


def estimate_cost(card: ModelCard, inputs: Mapping[str, Any], *, validated: bool = False) -> Cost:
    """The estimated live cost of calling ``card``'s model with ``inputs``.

    Args:
        card: the model's card.
        inputs: producer-level or model inputs; validated (defaults applied) unless
            ``validated`` says they already are.

    Raises:
        InvalidInputError: the inputs do not fit the model.
    """
    fields = inputs if validated else card.validate_inputs(inputs)
    cost = card.estimate_cost(fields)
    if cost.status == "known":
        # Before the call nothing is known yet: say what it is.
        cost = cost.model_copy(update={"status": "estimated"})
    return cost


__all__ = ["estimate_cost"]
