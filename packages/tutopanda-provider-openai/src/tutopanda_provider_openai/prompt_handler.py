"""The live prompt producer: gpt-5-mini turns script segments into ready-to-use prompts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tutopanda_providers.contracts import (
    Artefact,
    Environment,
    HandlerContext,
    Mode,
    ProducerKind,
    ProducerResult,
    ProviderMetadata,
    ProviderRequest,
    WarmStartContext,
)
from tutopanda_providers.errors import ProviderError
from tutopanda_providers.schemas import GeneratedPrompt, PromptSet, ScriptSegment

from tutopanda_provider_openai.cards import PROVIDER, Gpt5MiniPromptInputs
from tutopanda_provider_openai.client import ResponsesClient
from tutopanda_provider_openai.constraints import Adjustment, enforce_constraints
from tutopanda_provider_openai.instructions import prompt_input, prompt_instructions
from tutopanda_provider_openai.pricing import TokenUsage, price_usage
from tutopanda_provider_openai.response_reading import raise_for_outcome
from tutopanda_provider_openai.structured import parse_structured, strict_text_format, to_json

#: The structured-output format of every prompt call.
PROMPT_FORMAT = strict_text_format(PromptSet)


def batches(segments: Sequence[ScriptSegment], size: int) -> list[list[ScriptSegment]]:
    """``segments`` in order, in groups of at most ``size``."""
    return [list(segments[i : i + size]) for i in range(0, len(segments), size)]


class PromptHandler:
    """Writes a :class:`~tutopanda_providers.schemas.PromptSet` with one gpt-5-mini call per
    batch of ``batch_size`` segments.

    Every target's constraints are written into the instructions and enforced on the answer
    (see :mod:`.constraints`): values outside what a target accepts are moved to the nearest
    allowed value and listed under ``provider.extra["adjustments"]``. Batches run one after the
    other, so a job is one rate-limited unit of work; a failing batch fails the job and its
    error's details say what the earlier batches cost.
    """

    provider = PROVIDER
    mode: Mode = "live"

    def __init__(self, context: HandlerContext) -> None:
        self.model = context.descriptor.model
        self.environment: Environment = context.descriptor.environment
        self.card = context.card
        self.client = ResponsesClient(context)

    async def warm_start(self, context: WarmStartContext) -> None:
        """Fail now, with how to fix it, if the API key is missing."""
        await self.client.warm_start(context)

    def request_body(
        self, inputs: Gpt5MiniPromptInputs, batch: Sequence[ScriptSegment]
    ) -> dict[str, Any]:
        """The body of the ``POST /responses`` call for one batch."""
        return {
            "model": self.model,
            "instructions": prompt_instructions(
                inputs.targets, style=inputs.style, language=inputs.language
            ),
            "input": prompt_input(batch),
            "reasoning": {"effort": inputs.reasoning_effort},
            "text": {"format": PROMPT_FORMAT},
            "max_output_tokens": inputs.max_output_tokens,
        }

    async def invoke(self, request: ProviderRequest) -> ProducerResult:
        """Call gpt-5-mini once per batch and return every prompt as one JSON artefact."""
        inputs = Gpt5MiniPromptInputs.model_validate(dict(request.inputs))
        prompts: list[GeneratedPrompt] = []
        adjustments: list[Adjustment] = []
        response_ids: list[str] = []
        usage = TokenUsage()
        searches = 0
        model_version: str | None = None
        for batch in batches(inputs.segments, inputs.batch_size):
            try:
                reading = await self.client.create(request, self.request_body(inputs, batch))
            except ProviderError as exc:
                self._note_spent(exc, response_ids, usage, searches)
                raise
            usage += reading.usage
            searches += reading.web_search_calls
            model_version = model_version or reading.model
            if reading.id:
                response_ids.append(reading.id)
            try:
                raise_for_outcome(
                    reading, model=self.model, max_output_tokens=inputs.max_output_tokens
                )
                parsed = parse_structured(
                    reading.output_text, PromptSet, provider=PROVIDER, model_name=self.model
                )
                fitted, changes = enforce_constraints(
                    parsed, batch, inputs.targets, provider=PROVIDER, model=self.model
                )
            except ProviderError as exc:
                self._note_spent(exc, response_ids, usage, searches)
                raise
            prompts.extend(fitted)
            adjustments.extend(changes)
        cost = price_usage(self.card.price, usage, web_search_calls=searches)
        return ProducerResult(
            artefacts=[
                Artefact(
                    name="prompts",
                    kind=ProducerKind.PROMPT,
                    mime="application/json",
                    data=to_json(PromptSet(prompts=prompts)),
                )
            ],
            provider=ProviderMetadata(
                provider=PROVIDER,
                model=self.model,
                environment=self.environment,
                model_version=model_version,
                response_ids=response_ids,
                cost=cost,
                extra={
                    "usage": usage.to_dict(),
                    "calls": len(response_ids),
                    "batch_size": inputs.batch_size,
                    "reasoning_effort": inputs.reasoning_effort,
                    "adjustments": [a.to_dict() for a in adjustments],
                },
            ),
        )

    def _note_spent(
        self, exc: ProviderError, response_ids: list[str], usage: TokenUsage, searches: int
    ) -> None:
        """Record on a failure what the calls made so far cost (the failed one included)."""
        spent = price_usage(self.card.price, usage, web_search_calls=searches)
        exc.details.setdefault("response_ids", list(response_ids))
        exc.details.setdefault("cost_usd", spent.amount_usd)


__all__ = ["PROMPT_FORMAT", "PromptHandler", "batches"]
