"""Script: google/gemini-2.5-flash, producing the shared :class:`Script` from :class:`ScriptInputs`.

The card's inputs are the producer-level :class:`ScriptInputs` (topic, audience, language,
duration, segment count, style) plus the model's own options under their Replicate names. The
handler turns them into the prediction's ``prompt`` and ``system_instruction``
(:mod:`tutopanda_provider_replicate.script_prompt`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ConfigDict, Field
from tutopanda_providers.contracts import (
    Cost,
    GenericInputs,
    ModelCard,
    OutputSpec,
    Price,
    PriceRate,
    ProducerKind,
    ScriptInputs,
)

from tutopanda_provider_replicate.adapters import InputMapping
from tutopanda_provider_replicate.models._base import replicate_card


class Gemini25FlashScriptInputs(ScriptInputs):
    """:class:`ScriptInputs` plus google/gemini-2.5-flash's options (Replicate's names)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    temperature: float = Field(default=1, ge=0, le=2)
    top_p: float = Field(default=0.95, ge=0, le=1)
    max_output_tokens: int = Field(default=65535, ge=1, le=65535)
    thinking_budget: int | None = Field(
        default=None, le=24576, description="0 turns thinking off; the minimum is not documented."
    )
    dynamic_thinking: bool = Field(default=False, description="Overrides thinking_budget.")
    images: list[str] | None = Field(default=None, max_length=10, description="Up to 10 images.")
    videos: list[str] | None = Field(default=None, max_length=10, description="Up to 10 videos.")


def _estimate(card: ModelCard, inputs: Mapping[str, Any]) -> Cost:
    # Imported here: building the prompt needs the Script schema, which is not needed to load.
    from tutopanda_provider_replicate.script_prompt import replicate_input

    try:
        payload = replicate_input(inputs)
        chars = len(payload["prompt"]) + len(payload["system_instruction"])
    except ValueError:
        chars = sum(len(v) for v in inputs.values() if isinstance(v, str))
    return Cost.unknown(
        f"Replicate's price for {card.model} is not published in our sources; the prompt is "
        f"about {max(1, chars // 4)} input tokens (characters / 4) and output tokens are only "
        "known after the call (Google's own list price, $0.30 in / $2.50 out per 1M tokens, is "
        "not assumed)"
    )


GEMINI_2_5_FLASH = replicate_card(
    "google/gemini-2.5-flash",
    ProducerKind.SCRIPT,
    Gemini25FlashScriptInputs,
    OutputSpec(type="json", mime="application/json"),
    Price(
        rates=(
            PriceRate(name="input_tokens", unit="1M tokens", usd=None),
            PriceRate(name="output_tokens", unit="1M tokens", usd=None),
        ),
        source="not found for Replicate",
        confidence="unknown",
        notes="Google's list price ($0.30 in / $2.50 out per 1M) is unverified for Replicate",
    ),
    input_adapter=InputMapping(
        "google/gemini-2.5-flash",
        {
            GenericInputs.PROMPT: "topic",
            GenericInputs.TEXT: "topic",
            GenericInputs.DURATION_SECONDS: "duration_seconds",
        },
        image_list="images",
    ),
    cost_estimator=_estimate,
    capabilities={"structured_output", "image_input"},
    description="Google Gemini 2.5 Flash writing the lesson script as JSON",
    unknowns=("price: not published for Replicate", "thinking_budget: minimum not documented"),
)

CARDS = (GEMINI_2_5_FLASH,)

__all__ = ["CARDS", "GEMINI_2_5_FLASH", "Gemini25FlashScriptInputs"]
