from __future__ import annotations

import json

import pytest
from tutopanda_provider_openai.structured import parse_structured, strict_text_format
from tutopanda_providers.contracts import PromptSet, ProviderFailedError, Script


@pytest.mark.parametrize("model", [Script, PromptSet])
def test_our_format_is_the_one_the_sdk_would_build(model: type) -> None:
    from openai.lib._parsing._responses import type_to_text_format_param

    assert strict_text_format(model) == type_to_text_format_param(model)


def test_every_object_in_the_format_is_closed_and_fully_required() -> None:
    schema = strict_text_format(Script)["schema"]
    objects = [schema, *schema["$defs"].values()]
    for node in objects:
        assert node["additionalProperties"] is False
        assert set(node["required"]) == set(node["properties"])


def test_truncated_json_is_a_provider_failure_naming_the_schema() -> None:
    with pytest.raises(ProviderFailedError, match="Script schema"):
        parse_structured('{"title": "x", "summ', Script, provider="openai", model_name="gpt-5")


def test_json_missing_fields_is_a_provider_failure_naming_them() -> None:
    text = json.dumps({"title": "x", "summary": "y"})
    with pytest.raises(ProviderFailedError) as info:
        parse_structured(text, Script, provider="openai", model_name="gpt-5")
    assert "segments" in info.value.message
    assert text not in info.value.message


def test_empty_output_is_a_provider_failure() -> None:
    with pytest.raises(ProviderFailedError, match="no structured output"):
        parse_structured("  ", PromptSet, provider="openai", model_name="gpt-5-mini")


def test_valid_json_becomes_the_model() -> None:
    parsed = parse_structured('{"prompts": []}', PromptSet, provider="openai", model_name="x")
    assert parsed == PromptSet(prompts=[])
