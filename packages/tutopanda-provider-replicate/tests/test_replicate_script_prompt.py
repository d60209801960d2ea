"""The gemini script prompt asks for the shared Script schema; its answer is validated whole."""

from __future__ import annotations

import json

import pytest
from tutopanda_provider_replicate.script_prompt import (
    join_chunks,
    parse_script,
    replicate_input,
)
from tutopanda_providers.contracts import ProviderFailedError, Script

SCRIPT = {
    "title": "Bees",
    "summary": "How bees make honey.",
    "audience": "kids",
    "language": "en",
    "segments": [
        {
            "index": 0,
            "title": "Nectar",
            "narration": "Bees collect nectar.",
            "visual_ideas": ["a bee on a flower"],
            "duration_seconds": 30,
        }
    ],
    "sources": [],
}


def test_the_prediction_input_carries_the_lesson_and_the_script_schema() -> None:
    payload = replicate_input(
        {"topic": "bees", "segments": 4, "duration_seconds": 90, "temperature": 0.3}
    )
    assert "bees" in payload["prompt"] and "exactly 4" in payload["prompt"]
    assert '"segments"' in payload["system_instruction"]
    assert payload["temperature"] == 0.3
    assert "topic" not in payload


def test_chunks_are_joined_with_nothing_between_them() -> None:
    assert join_chunks(['{"a"', ": 1", "}"]) == '{"a": 1}'
    assert join_chunks(None) == ""


def test_a_complete_answer_becomes_a_script() -> None:
    text = json.dumps(SCRIPT)
    chunks = [text[i : i + 7] for i in range(0, len(text), 7)]
    assert parse_script(join_chunks(chunks)) == Script.model_validate(SCRIPT)


def test_an_answer_in_a_code_fence_is_accepted() -> None:
    assert parse_script(f"```json\n{json.dumps(SCRIPT)}\n```").title == "Bees"


def test_a_truncated_answer_is_a_provider_failure_never_a_partial_script() -> None:
    text = json.dumps(SCRIPT)[:-20]
    with pytest.raises(ProviderFailedError, match="not complete, valid JSON"):
        parse_script(text)


def test_an_answer_missing_a_field_names_it() -> None:
    broken = {k: v for k, v in SCRIPT.items() if k != "summary"}
    with pytest.raises(ProviderFailedError, match="summary"):
        parse_script(json.dumps(broken))


def test_an_empty_answer_is_a_provider_failure() -> None:
    with pytest.raises(ProviderFailedError, match="no text"):
        parse_script("  ")
