"""The live prompt producer: gpt-5-mini turns script segments into ready-to-use prompts."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tutopanda_providers.contracts import (
    Artefact,
    Environment,
    GeneratedPrompt,
    Mode,
    ProducerKind,
    ProducerResult,
    PromptSet,
    ProviderError,
    ProviderMetadata,
    ScriptSegment,
    TargetConstraints,
    prompt_set_json_schema,
    strip_markers_from,
)
from tutopanda_providers.handler import HandlerContext, ProducerRequest, WarmStartContext

from tutopanda_provider_openai.cards import PROVIDER, Gpt5MiniPromptInputs
from tutopanda_provider_openai.client import ResponsesClient
from tutopanda_provider_openai.constraints import (
    Adjustment,
    Pair,
    fit_selected,
    missing_pairs,
    select_prompts,
)
from tutopanda_provider_openai.instructions import prompt_input, prompt_instructions
from tutopanda_provider_openai.pricing import TokenUsage, price_usage
from tutopanda_provider_openai.response_reading import ResponseReading, raise_for_outcome
from tutopanda_provider_openai.structured import (
    parse_structured,
    strict_schema_format,
    strict_text_format,
)

#: How many unfinished jobs keep their completed batches for a retry.
_KEPT_JOBS = 64
#: The generic PromptSet format; each call sends its own, pinned to the batch's pairs and
#: targets (see :meth:`PromptHandler.request_body`).
PROMPT_FORMAT = strict_text_format(PromptSet)


def batches(segments: Sequence[ScriptSegment], size: int) -> list[list[ScriptSegment]]:
    """``segments`` in order, in groups of at most ``size``."""
    return [list(segments[i : i + size]) for i in range(0, len(segments), size)]


@dataclass(frozen=True)
class BatchResult:
    """What one batch made: its prompts (fitted), the changes made to them, its calls' ids and
    their usage."""

    prompts: list[GeneratedPrompt]
    adjustments: list[Adjustment]
    response_ids: list[str]
    usage: TokenUsage
    web_search_calls: int
    model_version: str | None


class PromptHandler:
    """Writes a :class:`~tutopanda_providers.schemas.PromptSet` with one gpt-5-mini call per
    batch of ``batch_size`` segments.

    Every target's constraints are written into the instructions and enforced on the answer
    (see :mod:`.constraints`): values outside what a target accepts are moved to the nearest
    allowed value and listed under ``provider.extra["adjustments"]``. Pairs an answer left out
    are asked for once more, in one call for just those; still missing, the job fails. Batches
    run one after the other, so a job is one rate-limited unit of work; a failing batch fails
    the job and its error's details say what the calls so far cost.
    """

    provider = PROVIDER
    mode: Mode = "live"

    def __init__(self, context: HandlerContext) -> None:
        self.model = context.descriptor.model
        self.environment: Environment = context.descriptor.environment
        self.card = context.card
        self.client = ResponsesClient(context)
        self._completed: OrderedDict[str, dict[int, BatchResult]] = OrderedDict()

    async def warm_start(self, context: WarmStartContext) -> None:
        """Fail now, with how to fix it, if the API key is missing."""
        await self.client.warm_start(context)

    async def check_credentials(self) -> None:
        """Ask OpenAI, with a free request, whether it accepts the key (see the client)."""
        await self.client.check_credentials()

    async def aclose(self) -> None:
        """Close the SDK client's connections."""
        await self.client.aclose()

    def request_body(
        self,
        inputs: Gpt5MiniPromptInputs,
        batch: Sequence[ScriptSegment],
        targets: Sequence[TargetConstraints] | None = None,
    ) -> dict[str, Any]:
        """The body of the ``POST /responses`` call for one batch (and ``targets``, by default
        every target of the job).

        The output schema asks for exactly one prompt per (segment, target) pair and, per
        target, only the aspect ratios, durations and resolutions it accepts
        (:func:`~tutopanda_providers.contracts.prompt_set_json_schema`).
        """
        targets = inputs.targets if targets is None else targets
        schema = prompt_set_json_schema([s.index for s in batch], targets)
        return {
            "model": self.model,
            "instructions": prompt_instructions(
                targets,
                style=inputs.style,
                language=inputs.language,
            ),
            "input": prompt_input(batch),
            "reasoning": {"effort": inputs.reasoning_effort},
            "text": {"format": strict_schema_format(schema, "PromptSet")},
            "max_output_tokens": inputs.max_output_tokens,
        }

    def preview_request(self, inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The ``POST /responses`` calls :meth:`invoke` sends for ``inputs``, one per batch of
        segments (the dry run's view; built by :meth:`request_body`, as the calls are)."""
        values = Gpt5MiniPromptInputs.model_validate(dict(inputs))
        return [
            {"method": "POST", "path": "/responses", "body": self.request_body(values, batch)}
            for batch in batches(values.segments, values.batch_size)
        ]

    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        """Call gpt-5-mini once per batch and return every prompt as one JSON artefact.

        Batches that succeeded are kept (per job id and inputs) until the job succeeds, so a
        retry of the same job after, say, a 429 on the third batch starts at the third batch
        instead of paying for the first two again.
        """
        inputs = Gpt5MiniPromptInputs.model_validate(dict(request.inputs))
        done = self._completed_batches(request, inputs)
        results: list[BatchResult] = []
        for number, batch in enumerate(batches(inputs.segments, inputs.batch_size)):
            result = done.get(number)
            if result is None:
                try:
                    result = await self._run_batch(request, inputs, batch)
                except ProviderError as exc:
                    earlier = price_usage(self.card.price, _total_usage(done.values()))
                    exc.details["cost_usd"] = round(
                        float(exc.details.get("cost_usd") or 0.0) + (earlier.amount_usd or 0.0),
                        8,
                    )
                    exc.details["response_ids"] = [
                        i for r in done.values() for i in r.response_ids
                    ] + list(exc.details.get("response_ids") or [])
                    exc.details["batches_done"] = len(done)
                    raise
                done[number] = result
            results.append(result)
        self._forget(request, inputs)
        usage = _total_usage(results)
        searches = sum(r.web_search_calls for r in results)
        response_ids = [i for r in results for i in r.response_ids]
        cost = price_usage(self.card.price, usage, web_search_calls=searches)
        return ProducerResult(
            artefacts=[
                Artefact(
                    name="prompts",
                    kind=ProducerKind.PROMPT,
                    mime="application/json",
                    data=PromptSet(prompts=[p for r in results for p in r.prompts]).model_dump(
                        mode="json"
                    ),
                )
            ],
            provider=ProviderMetadata(
                provider=PROVIDER,
                model=self.model,
                environment=self.environment,
                model_version=next((r.model_version for r in results if r.model_version), None),
                response_ids=response_ids,
                cost=cost,
                usage=usage.as_metadata(),
                extra={
                    "calls": len(response_ids),
                    "batch_size": inputs.batch_size,
                    "reasoning_effort": inputs.reasoning_effort,
                    "adjustments": [a.to_dict() for r in results for a in r.adjustments],
                },
            ),
        )

    async def _run_batch(
        self,
        request: ProducerRequest,
        inputs: Gpt5MiniPromptInputs,
        batch: Sequence[ScriptSegment],
    ) -> BatchResult:
        """One call for ``batch``, plus one follow-up call for any pairs the answer left out."""
        readings: list[ResponseReading] = []
        chosen, adjustments = await self._ask(request, inputs, batch, inputs.targets, readings)
        missing = missing_pairs(chosen, batch, inputs.targets)
        if missing:
            # Ask once more, for just what is missing; the prompts already made are kept.
            segments = [s for s in batch if any(m[0] is s for m in missing)]
            targets = [t for t in inputs.targets if any(m[1] is t for m in missing)]
            extra, dropped = await self._ask(request, inputs, segments, targets, readings)
            for segment, target in missing:
                key = (segment.index, target.target)
                if key in extra:
                    chosen[key] = extra[key]
                    adjustments.append(
                        Adjustment(
                            *key, "prompt", "(missing)", "(asked again)", "left out at first"
                        )
                    )
            adjustments.extend(d for d in dropped if (d.segment_index, d.target) not in chosen)
        try:
            fitted, changes = fit_selected(
                chosen, batch, inputs.targets, provider=PROVIDER, model=self.model
            )
        except ProviderError as exc:
            self._failed_after(exc, readings)
            raise
        return BatchResult(
            prompts=fitted,
            adjustments=adjustments + changes,
            response_ids=[r.id for r in readings if r.id],
            usage=_total_usage(readings),
            web_search_calls=sum(r.web_search_calls for r in readings),
            model_version=readings[0].model,
        )

    async def _ask(
        self,
        request: ProducerRequest,
        inputs: Gpt5MiniPromptInputs,
        segments: Sequence[ScriptSegment],
        targets: Sequence[TargetConstraints],
        readings: list[ResponseReading],
    ) -> tuple[dict[Pair, GeneratedPrompt], list[Adjustment]]:
        """One call; the prompts it made for the pairs asked, and what it made besides."""
        try:
            reading = await self.client.create(
                request, self.request_body(inputs, segments, targets)
            )
        except ProviderError as exc:
            self._failed_after(exc, readings)
            raise
        readings.append(reading)
        try:
            raise_for_outcome(reading, model=self.model, max_output_tokens=inputs.max_output_tokens)
            parsed = parse_structured(
                reading.output_text, PromptSet, provider=PROVIDER, model_name=self.model
            )
        except ProviderError as exc:
            self._failed_after(exc, readings)
            raise
        # Web-search models can leave inline citation marks; a prompt is used as it is.
        parsed, _ = strip_markers_from(parsed)
        return select_prompts(parsed, segments, targets)

    def _failed_after(self, exc: ProviderError, readings: Sequence[ResponseReading]) -> None:
        """Record on ``exc`` what this batch's calls cost; paid calls are not re-sent blindly."""
        spent = price_usage(
            self.card.price,
            _total_usage(readings),
            web_search_calls=sum(r.web_search_calls for r in readings),
        )
        exc.details["cost_usd"] = spent.amount_usd
        exc.details["response_ids"] = [r.id for r in readings if r.id]
        # Paid for already: not to be re-sent blindly, and counted as spent by a budget.
        exc.request_sent = exc.request_sent or any(r.billed for r in readings)

    def _key(self, request: ProducerRequest, inputs: Gpt5MiniPromptInputs) -> str:
        digest = hashlib.sha256(inputs.model_dump_json().encode()).hexdigest()[:16]
        return f"{request.job.id}:{digest}"

    def _completed_batches(
        self, request: ProducerRequest, inputs: Gpt5MiniPromptInputs
    ) -> dict[int, BatchResult]:
        key = self._key(request, inputs)
        done = self._completed.pop(key, {})
        self._completed[key] = done  # most recent last
        while len(self._completed) > _KEPT_JOBS:
            self._completed.popitem(last=False)
        return done

    def _forget(self, request: ProducerRequest, inputs: Gpt5MiniPromptInputs) -> None:
        self._completed.pop(self._key(request, inputs), None)


def _total_usage(results: Iterable[BatchResult | ResponseReading]) -> TokenUsage:
    total = TokenUsage()
    for result in results:
        total += result.usage
    return total


__all__ = ["PROMPT_FORMAT", "BatchResult", "PromptHandler", "batches"]
