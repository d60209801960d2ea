from __future__ import annotations

import pytest
from tutopanda_provider_openai.cards import PROMPT_CARD, SCRIPT_CARD
from tutopanda_provider_openai.pricing import TokenUsage, price_usage


def test_cost_bills_uncached_cached_output_and_each_search() -> None:
    usage = TokenUsage(input_tokens=12_000, cached_tokens=2_000, output_tokens=5_000)
    cost = price_usage(SCRIPT_CARD.price, usage, web_search_calls=2, web_search_offered=True)
    # 10k uncached at $1.25/M + 2k cached at $0.125/M + 5k output at $10/M + 2 x $0.01
    assert cost.amount_usd == pytest.approx(0.0125 + 0.00025 + 0.05 + 0.02)
    assert cost.status == "known"
    assert cost.source == SCRIPT_CARD.price.source
    assert {i.name: i.quantity for i in cost.items} == {
        "input": 0.01,
        "cached_input": 0.002,
        "output": 0.005,
        "web_search": 2.0,
    }


def test_reasoning_tokens_are_billed_as_part_of_output() -> None:
    with_reasoning = TokenUsage(input_tokens=0, output_tokens=1_000_000, reasoning_tokens=900_000)
    cost = price_usage(PROMPT_CARD.price, with_reasoning)
    assert cost.amount_usd == pytest.approx(2.0)


def test_no_search_line_when_the_tool_was_not_offered_and_not_used() -> None:
    cost = price_usage(PROMPT_CARD.price, TokenUsage(input_tokens=1000, output_tokens=100))
    assert [i.name for i in cost.items] == ["input", "cached_input", "output"]


def test_usage_from_the_api_adds_across_responses() -> None:
    one = TokenUsage.from_api(
        {
            "input_tokens": 10,
            "input_tokens_details": {"cached_tokens": 4},
            "output_tokens": 7,
            "output_tokens_details": {"reasoning_tokens": 3},
        }
    )
    assert one + one == TokenUsage(20, 8, 14, 6)
    assert TokenUsage.from_api(None) == TokenUsage()


def test_script_estimate_is_an_estimate_that_grows_with_effort_and_search() -> None:
    base = SCRIPT_CARD.validate_inputs({"topic": "photosynthesis", "reasoning_effort": "low"})
    low = SCRIPT_CARD.estimate_cost(base)
    high = SCRIPT_CARD.estimate_cost({**base, "reasoning_effort": "high"})
    offline = SCRIPT_CARD.estimate_cost({**base, "web_search": False})
    assert low.status == "estimated"
    assert low.amount_usd is not None and high.amount_usd is not None
    assert offline.amount_usd is not None
    assert high.amount_usd > low.amount_usd > offline.amount_usd > 0
    assert "estimated" in (low.source or "")


def test_script_estimate_never_exceeds_what_max_output_tokens_allows() -> None:
    inputs = SCRIPT_CARD.validate_inputs(
        {"topic": "photosynthesis", "reasoning_effort": "high", "max_output_tokens": 1000}
    )
    output = next(i for i in SCRIPT_CARD.estimate_cost(inputs).items if i.name == "output")
    assert output.quantity * 1_000_000 <= 1000


def _segments(n: int) -> list[dict[str, object]]:
    return [
        {
            "index": i,
            "title": f"part {i}",
            "narration": "Light is captured by chlorophyll.",
            "visual_ideas": ["a leaf"],
            "duration_seconds": 8.0,
        }
        for i in range(n)
    ]


def test_prompt_estimate_counts_one_call_per_batch() -> None:
    one_batch = PROMPT_CARD.validate_inputs({"segments": _segments(8), "batch_size": 8})
    eight_batches = {**one_batch, "batch_size": 1}
    cheap = PROMPT_CARD.estimate_cost(one_batch)
    dear = PROMPT_CARD.estimate_cost(eight_batches)
    assert cheap.status == dear.status == "estimated"
    assert cheap.amount_usd is not None and dear.amount_usd is not None
    assert dear.amount_usd > cheap.amount_usd > 0
