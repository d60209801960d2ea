"""The fakes answer tutopanda's own requests by their meaning, not only their schema."""

from __future__ import annotations

import json

import openai
import pytest
from tutopanda_provider_openai.instructions import prompt_input, prompt_instructions
from tutopanda_provider_openai.structured import strict_text_format
from tutopanda_providers.contracts import (
    PromptSet,
    Script,
    ScriptSegment,
    TargetConstraints,
    script_json_schema,
)
from tutopanda_providers_testing import FakeOpenAIServer
from tutopanda_providers_testing.lesson_answers import (
    is_prompt_request,
    is_script_request,
    prompt_set_answer,
    script_answer,
)

SEGMENTS = [
    ScriptSegment(
        index=i, title=f"Part {i}", narration="Spoken.", visual_ideas=[], duration_seconds=7
    )
    for i in range(3)
]


def test_a_script_answer_has_the_pinned_count_and_the_asked_duration() -> None:
    schema = script_json_schema(5)
    assert is_script_request(schema, "")
    data = script_answer(schema, "durations add up to about 50 seconds. Topic: tides")
    script = Script.model_validate(data)
    assert len(script.segments) == 5 and [s.index for s in script.segments] == list(range(5))
    assert sum(s.duration_seconds for s in script.segments) == pytest.approx(50)


def test_a_prompt_answer_read_from_the_instructions_covers_every_pair_within_constraints() -> None:
    targets = [
        TargetConstraints(target="image", aspect_ratios=["1:1"]),
        TargetConstraints(target="video", durations_seconds=[4, 6, 8], resolutions=["720p"]),
    ]
    # The generic PromptSet schema says nothing of targets: the instructions do.
    schema = strict_text_format(PromptSet)["schema"]
    assert is_prompt_request(schema)
    data = prompt_set_answer(
        schema, prompt_instructions(targets, style="s", language="en"), prompt_input(SEGMENTS)
    )
    prompts = PromptSet.model_validate(data).prompts
    assert {(p.segment_index, p.target) for p in prompts} == {
        (i, t) for i in range(3) for t in ("image", "video")
    }
    assert {p.aspect_ratio for p in prompts if p.target == "image"} == {"1:1"}
    assert {p.duration_seconds for p in prompts if p.target == "video"} == {
        8
    }  # 7 s: a tie, the longer
    assert {p.resolution for p in prompts if p.target == "video"} == {"720p"}


async def test_the_fake_openai_server_answers_a_script_request_by_its_meaning() -> None:
    with FakeOpenAIServer() as server:
        client = openai.AsyncOpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0)
        response = await client.responses.create(
            model="gpt-5",
            instructions="Split the lesson into exactly 4 segments, about 40 seconds.",
            input="Topic: volcanoes",
            tools=[{"type": "web_search"}],
            text={
                "format": {
                    "type": "json_schema",
                    "name": "Script",
                    "schema": script_json_schema(4),
                    "strict": True,
                }
            },
        )
        await client.close()
    script = Script.model_validate(json.loads(response.output_text))
    assert len(script.segments) == 4
    assert script.sources  # the searched pages
    message = next(item for item in response.output if item.type == "message")
    notes = message.content[0].annotations  # type: ignore[union-attr]
    assert notes and all(n.type == "url_citation" for n in notes)
