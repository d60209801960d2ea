"""Scripts and prompts that are right: the asked segment count, no citation marks, prompts that
fit their targets — through the real ``openai`` SDK against the fake server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tutopanda_providers import Descriptor, create_provider_registry
from tutopanda_providers.contracts import (
    ContentPolicyError,
    PromptSet,
    ProviderError,
    ProviderFailedError,
    Script,
)
from tutopanda_providers.registry import ProviderRegistry
from tutopanda_providers.secrets import MappingSecretResolver
from tutopanda_providers_testing import FakeOpenAIServer
from tutopanda_providers_testing.fake_openai import Refusal
from tutopanda_providers_testing.lesson_answers import script_answer

KEY = "sk-test-scripts-right"
SCRIPT = Descriptor.parse("openai/gpt-5")
PROMPT = Descriptor.parse("openai/gpt-5-mini")
TOPIC = {"topic": "how volcanoes form", "segments": 3, "duration_seconds": 60}
MARK = "\ue200cite\ue202turn0search{}\ue201"


def registry_for(server: FakeOpenAIServer, tmp_path: Path) -> ProviderRegistry:
    return create_provider_registry(
        mode="live",
        allow_plugins=["openai"],
        secrets=MappingSecretResolver({"OPENAI_API_KEY": KEY}),
        provider_options={"openai": {"base_url": server.base_url, "timeout": 20}},
        storage_root=tmp_path / "blobs",
    )


async def close(registry: ProviderRegistry) -> None:
    for descriptor in (SCRIPT, PROMPT):
        handler = registry.resolve(descriptor).handler
        closer = getattr(handler, "aclose", None)
        if closer is not None:
            await closer()


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Any]:
    """``await run(descriptor, inputs, **server_options)`` → (result or error, server)."""

    async def go(
        descriptor: Descriptor, inputs: dict[str, Any], **server_options: Any
    ) -> tuple[Any, FakeOpenAIServer]:
        with FakeOpenAIServer(api_key=KEY, **server_options) as server:
            registry = registry_for(server, tmp_path)
            try:
                return await registry.invoke(descriptor, inputs), server
            except ProviderError as exc:
                return exc, server
            finally:
                await close(registry)

    return go


def bodies(server: FakeOpenAIServer) -> list[dict[str, Any]]:
    return [r.json for r in server.log.for_route("responses")]


def with_segments(count: int, *, mark: str = "") -> Callable[[dict[str, Any]], str]:
    """A scripted answer: a script of ``count`` segments, narration ending in ``mark``."""

    def answer(body: dict[str, Any]) -> str:
        data = script_answer(None, f"exactly {count} segments about 60 seconds")
        for segment in data["segments"]:
            if mark:  # as models write them: before the full stop
                segment["narration"] = segment["narration"].rstrip(".") + mark
        return json.dumps(data)

    return answer


# -- segment count ---------------------------------------------------------------------------
async def test_the_asked_segment_count_is_pinned_in_the_output_schema(run: Any) -> None:
    result, server = await run(SCRIPT, TOPIC)
    (body,) = bodies(server)
    segments = body["text"]["format"]["schema"]["properties"]["segments"]
    assert segments["minItems"] == segments["maxItems"] == 3
    script = Script.model_validate(result.artefacts[0].data)
    assert len(script.segments) == 3  # the fake answers what was asked
    assert sum(s.duration_seconds for s in script.segments) == pytest.approx(60, abs=0.1)


async def test_too_few_segments_twice_fails_the_job_with_a_clear_error(run: Any) -> None:
    error, server = await run(SCRIPT, TOPIC, text_output=with_segments(2))
    assert isinstance(error, ProviderFailedError)
    assert "wrote 2 segments where 3 were asked" in str(error)
    assert error.details["asked"] == 3 and error.details["written"] == 2
    assert server.responses_created == 2  # asked once more, then gave up
    assert error.details["cost_usd"] > 0 and len(error.details["response_ids"]) == 2


async def test_too_many_segments_fail_too(run: Any) -> None:
    error, _ = await run(SCRIPT, TOPIC, text_output=with_segments(4))
    assert isinstance(error, ProviderFailedError) and "wrote 4 segments" in str(error)


async def test_a_wrong_count_then_a_right_one_succeeds_and_says_so(run: Any) -> None:
    answers = iter([with_segments(2), with_segments(3)])
    result, server = await run(SCRIPT, TOPIC, text_output=lambda body: next(answers)(body))
    assert server.responses_created == 2
    assert len(result.artefacts[0].data["segments"]) == 3
    assert any("asked again" in n for n in result.provider.extra["notes"])
    assert len(result.provider.response_ids) == 2


# -- citation marks --------------------------------------------------------------------------
async def test_inline_citation_marks_are_stripped_and_become_sources(run: Any) -> None:
    result, _ = await run(
        SCRIPT,
        TOPIC,
        text_output=with_segments(3, mark=" " + MARK.format(1) + "."),
        web_searches=1,
        sources_per_search=3,
    )
    script = Script.model_validate(result.artefacts[0].data)
    text = json.dumps(script.model_dump(mode="json"), ensure_ascii=False)
    assert not any(ch in text for ch in "\ue200\ue201\ue202")
    assert "turn0search" not in text
    assert all(s.narration.endswith("words.") for s in script.segments)
    # turn0search1 is the second page the search read: it is among the sources.
    assert any(s.url.endswith("/2") for s in script.sources)
    assert any("citation marks" in n for n in result.provider.extra["notes"])


async def test_prompts_lose_their_citation_marks_too(run: Any) -> None:
    def answer(body: dict[str, Any]) -> str:
        return json.dumps(
            {
                "prompts": [
                    {
                        "segment_index": 0,
                        "target": "image",
                        "prompt": "A volcano at dusk " + MARK.format(0),
                        "negative_prompt": None,
                        "aspect_ratio": "16:9",
                        "duration_seconds": None,
                        "resolution": None,
                    }
                ]
            }
        )

    segment = {
        "index": 0,
        "title": "Magma",
        "narration": "Magma rises.",
        "visual_ideas": ["magma"],
        "duration_seconds": 5,
    }
    result, _ = await run(
        PROMPT, {"segments": [segment], "targets": [{"target": "image"}]}, text_output=answer
    )
    (prompt,) = PromptSet.model_validate(result.artefacts[0].data).prompts
    assert prompt.prompt == "A volcano at dusk"


async def test_a_scripted_refusal_is_a_content_policy_error(run: Any) -> None:
    error, _ = await run(SCRIPT, TOPIC, text_output=lambda body: Refusal("I can't help."))
    assert isinstance(error, ContentPolicyError)
    assert "refused: I can't help." in str(error)


# -- research --------------------------------------------------------------------------------
async def test_the_script_records_whether_it_was_researched(run: Any) -> None:
    researched, _ = await run(SCRIPT, TOPIC)
    unresearched, _ = await run(SCRIPT, {**TOPIC, "web_search": False})
    assert researched.provider.extra["researched"] is True
    assert unresearched.provider.extra["researched"] is False


# -- prompts that fit their targets ----------------------------------------------------------
SEGMENTS = [
    {
        "index": i,
        "title": f"Part {i}",
        "narration": f"Part {i} is spoken.",
        "visual_ideas": ["a map"],
        "duration_seconds": 10,
    }
    for i in range(2)
]
VEO = {
    "target": "video",
    "model": "google/veo-3-fast",
    "aspect_ratios": ["16:9", "9:16"],
    "durations_seconds": [4, 6, 8],
    "resolutions": ["720p", "1080p"],
    "max_prompt_chars": 300,
}


async def test_target_constraints_are_in_the_instructions_and_the_output_schema(run: Any) -> None:
    result, server = await run(PROMPT, {"segments": SEGMENTS, "targets": [VEO]})
    (body,) = bodies(server)
    assert "`duration_seconds` must be one of 4, 6, 8" in body["instructions"]
    assert "`resolution` must be one of 720p, 1080p" in body["instructions"]
    assert "at most 300 characters" in body["instructions"]
    prompts = body["text"]["format"]["schema"]["properties"]["prompts"]
    assert prompts["minItems"] == prompts["maxItems"] == 2
    item = prompts["items"]["properties"]
    assert item["duration_seconds"]["enum"] == [4, 6, 8]
    assert item["aspect_ratio"]["enum"] == ["16:9", "9:16"]
    assert item["resolution"]["enum"] == ["720p", "1080p"]
    assert item["segment_index"]["enum"] == [0, 1]
    made = PromptSet.model_validate(result.artefacts[0].data).prompts
    assert [p.duration_seconds for p in made] == [8, 8]  # the fake fits 10 s to 8 s
    assert {p.resolution for p in made} <= {"720p", "1080p"}


async def test_a_10_second_prompt_for_a_4_6_8_model_is_corrected_with_the_rule(run: Any) -> None:
    def answer(body: dict[str, Any]) -> str:
        prompt = {
            "target": "video",
            "prompt": "Lava flows " * 40,
            "negative_prompt": None,
            "aspect_ratio": "4:3",
            "duration_seconds": 10,
            "resolution": "4K",
        }
        return json.dumps({"prompts": [{**prompt, "segment_index": i} for i in (0, 1)]})

    result, _ = await run(PROMPT, {"segments": SEGMENTS, "targets": [VEO]}, text_output=answer)
    made = PromptSet.model_validate(result.artefacts[0].data).prompts
    assert all(p.duration_seconds == 8 for p in made)
    assert all(p.aspect_ratio == "16:9" for p in made)
    assert all(p.resolution == "1080p" for p in made)
    assert all(len(p.prompt) <= 300 for p in made)
    rules = {(a["field"], a["reason"]) for a in result.provider.extra["adjustments"]}
    assert ("duration_seconds", "google/veo-3-fast accepts 4, 6, 8 seconds") in rules
    assert ("resolution", "google/veo-3-fast accepts 720p, 1080p") in rules


async def test_missing_pairs_are_still_a_failure_after_asking_again(run: Any) -> None:
    error, server = await run(
        PROMPT,
        {"segments": SEGMENTS, "targets": [VEO]},
        text_output=lambda body: json.dumps({"prompts": []}),
    )
    assert isinstance(error, ProviderFailedError) and "left out prompts" in str(error)
    assert server.responses_created == 2
