"""The live script producer: gpt-5 researches the topic with web search and writes a Script."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tutopanda_providers.contracts import (
    Artefact,
    Cost,
    Environment,
    Mode,
    ProducerKind,
    ProducerResult,
    ProviderError,
    ProviderMetadata,
    Script,
    check_segment_count,
    cited_search_sources,
    script_json_schema,
    strip_markers_from,
)
from tutopanda_providers.handler import HandlerContext, ProducerRequest, WarmStartContext

from tutopanda_provider_openai.cards import PROVIDER, Gpt5ScriptInputs
from tutopanda_provider_openai.client import ResponsesClient
from tutopanda_provider_openai.instructions import script_input, script_instructions
from tutopanda_provider_openai.pricing import TokenUsage, price_usage
from tutopanda_provider_openai.response_reading import (
    ResponseReading,
    merge_sources,
    raise_for_outcome,
)
from tutopanda_provider_openai.structured import (
    parse_structured,
    strict_schema_format,
    strict_text_format,
)

#: The generic Script format; each call sends its own, with the segment count asked pinned
#: (see :meth:`ScriptHandler.request_body`).
SCRIPT_FORMAT = strict_text_format(Script)
#: Asks the API to list every page each search read, not only those cited.
SEARCH_SOURCES_INCLUDE = "web_search_call.action.sources"


class ScriptHandler:
    """Writes a researched :class:`~tutopanda_providers.schemas.Script` with one gpt-5 call.

    The call enables the ``web_search`` tool (unless ``web_search`` is false), asks for the
    script as strict structured output, and never sends ``temperature`` or ``top_p``. The
    script's sources are the ones the model listed, its ``url_citation`` annotations and the
    pages its searches read, one per URL.

    The output schema pins the segment count asked (``minItems`` = ``maxItems``); an answer
    with another count is asked for once more (strict mode makes that rare, and downstream
    jobs refer to segments by index), then fails the job. Inline citation marks are taken out
    of every text field (the narration is spoken as it is); those that point at a search
    result add it to the sources. ``provider.extra["researched"]`` says whether the script was
    written with web search.
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

    async def check_credentials(self) -> None:
        """Ask OpenAI, with a free request, whether it accepts the key (see the client)."""
        await self.client.check_credentials()

    async def aclose(self) -> None:
        """Close the SDK client's connections."""
        await self.client.aclose()

    def request_body(self, inputs: Gpt5ScriptInputs) -> dict[str, Any]:
        """The body of the ``POST /responses`` call for ``inputs``."""
        values = inputs.model_dump()
        body: dict[str, Any] = {
            "model": self.model,
            "instructions": script_instructions(values),
            "input": script_input(values),
            "reasoning": {"effort": inputs.reasoning_effort},
            "text": {"format": strict_schema_format(script_json_schema(inputs.segments), "Script")},
            "max_output_tokens": inputs.max_output_tokens,
        }
        if inputs.web_search:
            body["tools"] = [
                {"type": "web_search", "search_context_size": inputs.search_context_size}
            ]
            body["include"] = [SEARCH_SOURCES_INCLUDE]
        return body

    def preview_request(self, inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The ``POST /responses`` :meth:`invoke` sends first for ``inputs`` (the dry run's
        view; built by :meth:`request_body`, as the call is)."""
        body = self.request_body(Gpt5ScriptInputs.model_validate(dict(inputs)))
        return [{"method": "POST", "path": "/responses", "body": body}]

    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        """Call gpt-5 (twice at most) and return the script as a JSON artefact."""
        inputs = Gpt5ScriptInputs.model_validate(dict(request.inputs))
        body = self.request_body(inputs)
        usage = TokenUsage()
        searches = 0
        ids: list[str] = []
        for attempt in (1, 2):
            reading = await self.client.create(request, body)
            usage += reading.usage
            searches += reading.web_search_calls
            cost = price_usage(
                self.card.price,
                usage,
                web_search_calls=searches,
                web_search_offered=inputs.web_search,
            )
            if reading.id:
                ids.append(reading.id)
            try:
                raise_for_outcome(
                    reading,
                    model=self.model,
                    max_output_tokens=inputs.max_output_tokens,
                    spent_usd=cost.amount_usd,
                )
                script = parse_structured(
                    reading.output_text, Script, provider=PROVIDER, model_name=self.model
                )
                check_segment_count(script, inputs.segments, provider=PROVIDER, model=self.model)
            except ProviderError as exc:
                exc.details.setdefault("response_id", reading.id)
                exc.details["response_ids"] = list(ids)
                exc.details["cost_usd"] = cost.amount_usd
                # Paid for already: neither the retry nor the fallback middleware should
                # re-send blindly, and a budget counts it as spent.
                exc.request_sent = exc.request_sent or reading.billed
                if attempt == 1 and "written" in exc.details:
                    continue  # a wrong segment count: one more answer, then give up
                raise
            break
        script, notes = self._finish(script, reading, inputs)
        if len(ids) > 1:
            notes.append("the first answer had the wrong number of segments; asked again")
        metadata = self._metadata(reading, cost, inputs, script, notes, usage, searches)
        return ProducerResult(
            artefacts=[
                Artefact(
                    name="script",
                    kind=ProducerKind.SCRIPT,
                    mime="application/json",
                    data=script.model_dump(mode="json"),
                )
            ],
            provider=metadata.model_copy(update={"response_ids": ids}),
        )

    def _finish(
        self, script: Script, reading: ResponseReading, inputs: Gpt5ScriptInputs
    ) -> tuple[Script, list[str]]:
        """Strip inline citation marks, merge the sources and number the segments 0, 1, 2…"""
        notes: list[str] = []
        script, refs = strip_markers_from(script)
        if refs:
            notes.append(f"removed {len(refs)} inline citation marks from the text")
        cited = cited_search_sources(refs, reading.search_sources)
        sources = merge_sources(script.sources, reading.citations, cited, reading.search_sources)
        segments = script.segments
        if [s.index for s in segments] != list(range(len(segments))):
            notes.append("segments were renumbered 0..n-1 in the order the model wrote them")
            segments = [s.model_copy(update={"index": i}) for i, s in enumerate(segments)]
        return script.model_copy(update={"sources": sources, "segments": segments}), notes

    def _metadata(
        self,
        reading: ResponseReading,
        cost: Cost,
        inputs: Gpt5ScriptInputs,
        script: Script,
        notes: list[str],
        usage: TokenUsage,
        searches: int,
    ) -> ProviderMetadata:
        return ProviderMetadata(
            provider=PROVIDER,
            model=self.model,
            environment=self.environment,
            model_version=reading.model,
            response_ids=[reading.id] if reading.id else [],
            cost=cost,
            usage=usage.as_metadata(),
            extra={
                "web_search_calls": searches,
                "researched": inputs.web_search,
                "reasoning_effort": inputs.reasoning_effort,
                "sources": {
                    "total": len(script.sources),
                    "citations": len(reading.citations),
                    "searched": len(reading.search_sources),
                },
                "notes": notes,
            },
        )


__all__ = ["SCRIPT_FORMAT", "SEARCH_SOURCES_INCLUDE", "ScriptHandler"]
