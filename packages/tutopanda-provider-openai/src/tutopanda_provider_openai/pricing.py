"""What a Responses API call costs: from its reported usage, or estimated before the call.

One function, :func:`price_usage`, turns token counts and web-search calls into a
:class:`~tutopanda_providers.contracts.Cost`; the estimators feed it guessed counts, the handlers
feed it the counts the API reported.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tutopanda_providers.contracts import Cost, CostItem
from tutopanda_providers.contracts import TokenUsage as ProviderTokenUsage

if TYPE_CHECKING:
    from tutopanda_providers.contracts import ModelCard, Price

TOKENS_PER_UNIT = 1_000_000
#: Characters per token for English-like text; a rough rule good enough for an estimate.
CHARS_PER_TOKEN = 4.0

#: Reasoning tokens a call is expected to spend per effort level (a guess, not a measurement).
_SCRIPT_REASONING = {"minimal": 300, "low": 2_000, "medium": 6_000, "high": 16_000}
_PROMPT_REASONING = {"minimal": 100, "low": 800, "medium": 3_000, "high": 8_000}
#: Search content tokens read per web_search call, by context size (a guess).
_SEARCH_CONTENT = {"low": 1_500, "medium": 4_000, "high": 8_000}
_EXPECTED_SEARCHES = 3
_INSTRUCTION_TOKENS = 900


@dataclass(frozen=True)
class TokenUsage:
    """Token counts of one or more responses.

    Attributes:
        input_tokens: every input token, cached ones included (as the API reports it).
        cached_tokens: the part of ``input_tokens`` served from the prompt cache.
        output_tokens: every output token, reasoning tokens included.
        reasoning_tokens: the part of ``output_tokens`` spent reasoning.
    """

    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0

    @classmethod
    def from_api(cls, usage: Mapping[str, Any] | None) -> TokenUsage:
        """Read the ``usage`` object of a Responses API answer (missing parts count as 0)."""
        if not usage:
            return cls()
        input_details = usage.get("input_tokens_details") or {}
        output_details = usage.get("output_tokens_details") or {}
        return cls(
            input_tokens=int(usage.get("input_tokens") or 0),
            cached_tokens=int(input_details.get("cached_tokens") or 0),
            output_tokens=int(usage.get("output_tokens") or 0),
            reasoning_tokens=int(output_details.get("reasoning_tokens") or 0),
        )

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.input_tokens + other.input_tokens,
            self.cached_tokens + other.cached_tokens,
            self.output_tokens + other.output_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )

    def as_metadata(self) -> ProviderTokenUsage:
        """The counts as :class:`ProviderMetadata`'s typed ``usage`` field."""
        return ProviderTokenUsage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            reasoning_tokens=self.reasoning_tokens,
            cached_tokens=self.cached_tokens,
        )

    def to_dict(self) -> dict[str, int]:
        """The counts as a JSON-able dict."""
        return {
            "input_tokens": self.input_tokens,
            "cached_tokens": self.cached_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
        }


def price_usage(
    price: Price,
    usage: TokenUsage,
    *,
    web_search_calls: int = 0,
    web_search_offered: bool = False,
    status: Literal["known", "estimated"] = "known",
    source_note: str | None = None,
) -> Cost:
    """Price token usage and web-search calls with ``price``.

    Uncached input is billed at the input rate, cached input at the cached rate, every output
    token (reasoning included) at the output rate, and each web-search call at its call rate.
    The web-search line appears when a call was made or the tool was offered.

    Returns:
        a cost with one item per rate, or an unknown cost if a needed rate has no price.
    """
    cached = min(usage.cached_tokens, usage.input_tokens)
    quantities: dict[str, float] = {
        "input": (usage.input_tokens - cached) / TOKENS_PER_UNIT,
        "cached_input": cached / TOKENS_PER_UNIT,
        "output": usage.output_tokens / TOKENS_PER_UNIT,
    }
    if web_search_calls or web_search_offered:
        quantities["web_search"] = float(web_search_calls)
    items: list[CostItem] = []
    for name, quantity in quantities.items():
        rate = price.rate(name)
        if rate is None or rate.usd is None:
            return Cost.unknown(f"no known price for {name!r} ({price.source})")
        items.append(CostItem(name=name, unit=rate.unit, quantity=quantity, usd_per_unit=rate.usd))
    source = price.source if source_note is None else f"{price.source}; {source_note}"
    return Cost.from_items(items, source=source, status=status)


def estimate_tokens(text: str) -> int:
    """A rough token count of ``text`` (about four characters per token)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def estimate_script_cost(card: ModelCard, inputs: Mapping[str, Any]) -> Cost:
    """Estimate a gpt-5 script call from its inputs.

    Input: instructions and schema, the topic and extra instructions, plus the search content
    of about three searches when web search is on. Output: the narration for the target duration
    (about 150 words a minute), per-segment titles and visual ideas, sources, and the reasoning
    tokens expected for the effort, capped at ``max_output_tokens``.
    """
    text = " ".join(
        str(inputs.get(k) or "") for k in ("topic", "audience", "style", "instructions")
    )
    web_search = bool(inputs.get("web_search", True))
    context = str(inputs.get("search_context_size", "medium"))
    searches = _EXPECTED_SEARCHES if web_search else 0
    input_tokens = _INSTRUCTION_TOKENS + estimate_tokens(text)
    input_tokens += searches * _SEARCH_CONTENT.get(context, _SEARCH_CONTENT["medium"])
    duration = float(inputs.get("duration_seconds", 120))
    segments = int(inputs.get("segments", 6))
    words = duration * 150 / 60
    output_tokens = int(words * 1.4) + segments * 90 + 400
    output_tokens += _SCRIPT_REASONING.get(str(inputs.get("reasoning_effort", "medium")), 6_000)
    output_tokens = min(output_tokens, int(inputs.get("max_output_tokens", 32_000)))
    return price_usage(
        card.price,
        TokenUsage(input_tokens=input_tokens, output_tokens=output_tokens),
        web_search_calls=searches,
        web_search_offered=web_search,
        status="estimated",
        source_note="token counts estimated from the input size and the expected output",
    )


def estimate_prompt_cost(card: ModelCard, inputs: Mapping[str, Any]) -> Cost:
    """Estimate the gpt-5-mini calls of a prompt job from its inputs.

    One call per batch of ``batch_size`` segments; each call reads the instructions, the
    targets and its segments, and writes about 120 tokens per (segment, target) plus the
    reasoning tokens expected for the effort, capped at ``max_output_tokens``.
    """
    segments = list(inputs.get("segments") or [])
    targets = list(inputs.get("targets") or [{"target": "image"}, {"target": "video"}])
    batch_size = max(1, int(inputs.get("batch_size", 8)))
    calls = max(1, math.ceil(len(segments) / batch_size))
    segment_tokens = estimate_tokens(json.dumps(segments, default=str))
    target_tokens = estimate_tokens(json.dumps(targets, default=str))
    input_tokens = calls * (_INSTRUCTION_TOKENS + target_tokens) + segment_tokens
    per_call_reasoning = _PROMPT_REASONING.get(str(inputs.get("reasoning_effort", "low")), 800)
    cap = int(inputs.get("max_output_tokens", 16_000))
    output_tokens = 0
    for call in range(calls):
        in_batch = min(batch_size, len(segments) - call * batch_size) if segments else 1
        output_tokens += min(cap, in_batch * len(targets) * 120 + per_call_reasoning)
    return price_usage(
        card.price,
        TokenUsage(input_tokens=input_tokens, output_tokens=output_tokens),
        status="estimated",
        source_note="token counts estimated from the input size and the expected output",
    )


__all__ = [
    "CHARS_PER_TOKEN",
    "TOKENS_PER_UNIT",
    "TokenUsage",
    "estimate_prompt_cost",
    "estimate_script_cost",
    "estimate_tokens",
    "price_usage",
]
