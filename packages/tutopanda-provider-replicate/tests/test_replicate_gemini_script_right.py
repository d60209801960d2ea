"""gemini-2.5-flash scripts that are right: the asked segment count (asked and checked), no
citation marks, and a result that says it was not researched — live, against the fake."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from tutopanda_provider_replicate.models.script import GEMINI_2_5_FLASH
from tutopanda_provider_replicate.script_prompt import parse_script, replicate_input
from tutopanda_providers import Descriptor, ProviderRegistry
from tutopanda_providers.contracts import ProviderError, ProviderFailedError, Script
from tutopanda_providers_testing import FakeReplicateServer
from tutopanda_providers_testing.lesson_answers import script_answer

GEMINI = Descriptor.parse("replicate/google/gemini-2.5-flash")
LESSON = {"topic": "how bees make honey", "segments": 3, "duration_seconds": 45}


def test_the_system_instruction_pins_the_segment_count_in_the_schema() -> None:
    payload = replicate_input(LESSON)
    schema = json.loads(payload["system_instruction"].split("JSON Schema: ", 1)[1])
    segments = schema["properties"]["segments"]
    assert segments["minItems"] == segments["maxItems"] == 3
    assert "cannot search the web" in payload["prompt"]


def test_the_card_has_no_web_search() -> None:
    assert "web_search" not in GEMINI_2_5_FLASH.capabilities


def test_parse_refuses_another_segment_count() -> None:
    text = json.dumps(script_answer(None, "exactly 2 segments"))
    with pytest.raises(ProviderFailedError, match="wrote 2 segments where 3 were asked"):
        parse_script(text, segments=3)


def test_parse_strips_citation_marks_from_every_text_field() -> None:
    data = script_answer(None, "exactly 1 segments")
    data["segments"][0]["narration"] = "Bees dance \ue200cite\ue202turn0search0\ue201."
    data["title"] = "Bees \ue200cite\ue201"
    script = parse_script(json.dumps(data), segments=1)
    assert script.segments[0].narration == "Bees dance."
    assert script.title == "Bees"


async def test_live_the_fake_answers_the_asked_segments_and_the_result_is_unresearched(
    registry: ProviderRegistry,
) -> None:
    result = await registry.invoke(GEMINI, LESSON)
    script = Script.model_validate(result.artefacts[0].data)
    assert len(script.segments) == 3
    assert sum(s.duration_seconds for s in script.segments) == pytest.approx(45, abs=0.1)
    assert result.provider.extra["researched"] is False


async def test_live_a_short_script_fails_the_job(
    fake: FakeReplicateServer, make_registry: Callable[..., ProviderRegistry]
) -> None:
    def short(model: str, values: dict[str, Any]) -> str:
        return json.dumps(script_answer(None, "exactly 2 segments"))

    fake.text_output = short
    with pytest.raises(ProviderError, match="wrote 2 segments where 3 were asked"):
        await make_registry().invoke(GEMINI, LESSON)
