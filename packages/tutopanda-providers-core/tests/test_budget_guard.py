"""Cost: estimates before a call, the run's budget guard, and unknown costs kept unknown."""

from __future__ import annotations

import pytest
from tutopanda_providers import Descriptor
from tutopanda_providers.contracts import (
    BudgetExceededError,
    InvalidInputError,
    ProviderFailedError,
)
from tutopanda_providers.pipeline import PipelineOptions
from tutopanda_providers.pipeline.budget import Budget

A = Descriptor.parse("fake/image-a")
FREE = Descriptor.parse("fake/unpriced")


async def test_a_call_that_would_pass_the_budget_is_refused_before_it_starts(kit):
    model = kit.model("fake/image-a")  # $0.04 an image
    budget = Budget(max_cost_usd=0.10)
    registry = kit.build([model], PipelineOptions(budget=budget))

    await registry.invoke(A, {"prompt": "one"})
    await registry.invoke(A, {"prompt": "two"})
    with pytest.raises(BudgetExceededError, match=r"\$0\.0200 left"):
        await registry.invoke(A, {"prompt": "three"})

    assert len(model[1].calls) == 2
    assert budget.spent_usd == pytest.approx(0.08)
    assert budget.reserved_usd == 0


async def test_the_budget_is_shared_by_every_invoke_of_the_registry(kit):
    model = kit.model("fake/image-a")
    budget = Budget(max_cost_usd=0.05)
    registry = kit.build([model], PipelineOptions(budget=budget))

    result = await registry.invoke(A, {"prompt": "one"}, producer="ImageProducer")
    assert "budget" in result.meta.middleware
    with pytest.raises(BudgetExceededError):
        await registry.invoke(A, {"prompt": "two"}, producer="OtherProducer")


async def test_unknown_costs_are_refused_under_a_budget_unless_allowed(kit):
    model = kit.model("fake/unpriced", usd=None)
    strict = kit.build([model], PipelineOptions(budget=Budget(1.0)))
    with pytest.raises(BudgetExceededError, match="cannot be estimated"):
        await strict.invoke(FREE, {"prompt": "x"})
    assert model[1].calls == []

    lenient_budget = Budget(1.0, allow_unknown_cost=True)
    lenient = kit.build([model], PipelineOptions(budget=lenient_budget))
    result = await lenient.invoke(FREE, {"prompt": "x"})
    assert result.provider.cost.status == "unknown"
    assert lenient_budget.unknown_calls == 1


async def test_a_failed_call_gives_its_reservation_back(kit):
    model = kit.model("fake/image-a", [ProviderFailedError("failed before billing")])
    budget = Budget(max_cost_usd=0.04)
    registry = kit.build([model], PipelineOptions(budget=budget))

    with pytest.raises(ProviderFailedError):
        await registry.invoke(A, {"prompt": "x"})
    assert budget.spent_usd == 0 and budget.reserved_usd == 0
    await registry.invoke(A, {"prompt": "x"})
    assert budget.spent_usd == pytest.approx(0.04)


async def test_a_failure_that_may_have_been_billed_counts_its_estimate(kit):
    lost = ProviderFailedError("connection lost after create", request_sent=True)
    model = kit.model("fake/image-a", [lost])
    budget = Budget(max_cost_usd=1.0)
    registry = kit.build([model], PipelineOptions(budget=budget))

    with pytest.raises(ProviderFailedError):
        await registry.invoke(A, {"prompt": "x"})
    assert budget.spent_usd == pytest.approx(0.04)


async def test_mock_calls_cost_nothing_and_pass_the_budget(kit):
    model = kit.model("fake/image-a")
    budget = Budget(max_cost_usd=0.0)
    registry = kit.build([model], PipelineOptions(budget=budget), mode="mock")

    await registry.invoke(A, {"prompt": "x"})
    assert budget.spent_usd == 0


async def test_a_cost_the_handler_did_not_report_stays_unknown(kit):
    model = kit.model("fake/image-a")
    model[1].report_cost = False
    registry = kit.build([model])

    result = await registry.invoke(A, {"prompt": "x"})

    assert result.provider.cost.status == "unknown"
    assert result.provider.cost.amount_usd is None


def test_an_estimate_is_available_before_invoking(kit):
    registry = kit.build([kit.model("fake/image-a"), kit.model("fake/unpriced", usd=None)])

    estimate = registry.estimate(A, {"prompt": "x"})
    assert estimate.status == "estimated"
    assert estimate.amount_usd == pytest.approx(0.04)
    assert estimate.source == "test"
    assert registry.estimate(FREE, {"prompt": "x"}).status == "unknown"
    with pytest.raises(InvalidInputError):
        registry.estimate(A, {"steps": 2})


def test_a_budget_cannot_be_negative():
    with pytest.raises(ValueError):
        Budget(-1)
