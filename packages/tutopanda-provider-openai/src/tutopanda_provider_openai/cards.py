"""The model cards of the OpenAI producers: inputs, prices and capabilities, as data.

Nothing here imports ``openai``: the registry reads these cards when it loads the plugin.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator
from tutopanda_providers.contracts import (
    GenericInputs,
    ModelCard,
    OutputSpec,
    Price,
    PriceRate,
    ProducerKind,
    PromptInputs,
    ScriptInputs,
)

from tutopanda_provider_openai.pricing import estimate_prompt_cost, estimate_script_cost

PROVIDER = "openai"
SCRIPT_MODEL = "gpt-5"
PROMPT_MODEL = "gpt-5-mini"
#: The secret every live handler of this plugin needs.
API_KEY_NAME = "OPENAI_API_KEY"
#: The rate-limit bucket both models share (OpenAI limits per organisation and model tier).
RATE_KEY = "openai"

ReasoningEffort = Literal["minimal", "low", "medium", "high"]
SearchContextSize = Literal["low", "medium", "high"]

PRICE_SOURCE = (
    "OpenAI list prices per 1M tokens as gathered in the project's reference "
    "(provider-apis.md C4, models.json; several independent pricing tables agree; "
    "web search $10 per 1,000 calls), November 2026"
)


class Gpt5ScriptInputs(ScriptInputs):
    """Inputs of ``openai/gpt-5`` as a script model: the shared script inputs plus its options.

    ``temperature`` and ``top_p`` are deliberately absent: gpt-5 rejects them.
    """

    model_config = ConfigDict(extra="forbid")

    reasoning_effort: ReasoningEffort = Field(
        default="medium",
        description="How hard the model thinks before answering; more effort costs more output tokens.",
    )
    web_search: bool = Field(
        default=True, description="Research the topic with the web_search tool before writing."
    )
    search_context_size: SearchContextSize = Field(
        default="medium", description="How much search content the web_search tool reads."
    )
    max_output_tokens: int = Field(
        default=32_000,
        ge=1_000,
        le=128_000,
        description="Cap on visible plus reasoning tokens; a response that hits it fails.",
    )

    @model_validator(mode="after")
    def _search_needs_reasoning(self) -> Gpt5ScriptInputs:
        # OpenAI refuses the web_search tool with minimal reasoning (a 400 at call time);
        # refusing it here costs nothing.
        if self.web_search and self.reasoning_effort == "minimal":
            raise ValueError(
                "web search cannot be used with reasoning_effort 'minimal'; "
                "use 'low' or more, or set web_search to false"
            )
        return self


class Gpt5MiniPromptInputs(PromptInputs):
    """Inputs of ``openai/gpt-5-mini`` as a prompt model: the shared prompt inputs plus options."""

    model_config = ConfigDict(extra="forbid")

    reasoning_effort: ReasoningEffort = Field(
        default="low", description="Reasoning effort; prompt writing needs little."
    )
    max_output_tokens: int = Field(
        default=16_000,
        ge=500,
        le=128_000,
        description="Cap on visible plus reasoning tokens of each call.",
    )
    batch_size: int = Field(
        default=8,
        ge=1,
        le=50,
        description="Segments per call: one call per batch (fewer calls share instructions).",
    )

    @model_validator(mode="after")
    def _unique_segments_and_targets(self) -> Gpt5MiniPromptInputs:
        # Prompts are matched back to (segment index, target): both must be unambiguous.
        indexes = Counter(s.index for s in self.segments)
        repeated = sorted(i for i, n in indexes.items() if n > 1)
        if repeated:
            raise ValueError(f"segment indexes must be unique; repeated: {repeated}")
        targets = Counter(t.target for t in self.targets)
        twice = sorted(t for t, n in targets.items() if n > 1)
        if twice:
            raise ValueError(f"each target may appear once; repeated: {', '.join(twice)}")
        return self


def _token_price(
    input_usd: float, cached_usd: float, output_usd: float, *, web_search: bool
) -> Price:
    rates = [
        PriceRate(name="input", unit="1M tokens", usd=input_usd),
        PriceRate(name="cached_input", unit="1M tokens", usd=cached_usd),
        PriceRate(name="output", unit="1M tokens", usd=output_usd),
    ]
    if web_search:
        rates.append(PriceRate(name="web_search", unit="call", usd=0.01))
    return Price(
        rates=tuple(rates),
        source=PRICE_SOURCE,
        confidence="medium",
        notes=(
            "Reasoning tokens are billed as output. Search content tokens are billed as input "
            "and are included in the response's input token count."
        ),
    )


GPT5_PRICE = _token_price(1.25, 0.125, 10.0, web_search=True)
GPT5_MINI_PRICE = _token_price(0.25, 0.025, 2.0, web_search=True)


def _script_adapter(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Map the generic ``prompt`` (or ``text``) onto ``topic`` when no topic is given."""
    adapted = dict(inputs)
    for generic in (GenericInputs.PROMPT, GenericInputs.TEXT):
        if generic in adapted and "topic" not in adapted:
            adapted["topic"] = adapted.pop(generic)
    return adapted


SCRIPT_CARD = ModelCard(
    provider=PROVIDER,
    model=SCRIPT_MODEL,
    kind=ProducerKind.SCRIPT,
    input_model=Gpt5ScriptInputs,
    output=OutputSpec(type="json", mime="application/json"),
    price=GPT5_PRICE,
    capabilities=frozenset({"web_search", "reasoning", "structured_output"}),
    secret_names=(API_KEY_NAME,),
    rate_key=RATE_KEY,
    input_adapter=_script_adapter,
    cost_estimator=estimate_script_cost,
    description="Researched lesson script: gpt-5 with web search, reasoning and structured output",
    unknowns=(
        "the default reasoning effort of gpt-5 (medium) is from OpenAI's docs, not re-verified",
        "the rate limit depends on the account's usage tier",
    ),
)

PROMPT_CARD = ModelCard(
    provider=PROVIDER,
    model=PROMPT_MODEL,
    kind=ProducerKind.PROMPT,
    input_model=Gpt5MiniPromptInputs,
    output=OutputSpec(type="json", mime="application/json"),
    price=GPT5_MINI_PRICE,
    capabilities=frozenset({"reasoning", "structured_output"}),
    secret_names=(API_KEY_NAME,),
    rate_key=RATE_KEY,
    cost_estimator=estimate_prompt_cost,
    description="Prompts for narration, image, video and music producers: gpt-5-mini",
    unknowns=("the rate limit depends on the account's usage tier",),
)

#: Every card this plugin serves, in listing order.
CARDS: tuple[ModelCard, ...] = (SCRIPT_CARD, PROMPT_CARD)

__all__ = [
    "API_KEY_NAME",
    "CARDS",
    "GPT5_MINI_PRICE",
    "GPT5_PRICE",
    "PRICE_SOURCE",
    "PROMPT_CARD",
    "PROMPT_MODEL",
    "PROVIDER",
    "RATE_KEY",
    "SCRIPT_CARD",
    "SCRIPT_MODEL",
    "Gpt5MiniPromptInputs",
    "Gpt5ScriptInputs",
    "ReasoningEffort",
    "SearchContextSize",
]
