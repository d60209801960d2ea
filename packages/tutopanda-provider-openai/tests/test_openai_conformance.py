"""The OpenAI plugin passes the tutopanda conformance suite, live against the fake server."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from tutopanda_providers_testing.conformance import ModelCase, ProviderConformance

pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]

SEGMENT = {
    "index": 0,
    "title": "What a volcano is",
    "narration": "A volcano is an opening in the crust.",
    "visual_ideas": ["a cross-section of a volcano"],
    "duration_seconds": 5.0,
}


SCRIPT_CASE = ModelCase(
    "openai/gpt-5",
    {"topic": "how volcanoes form", "segments": 2, "reasoning_effort": "low"},
    invalid={"topic": "volcanoes", "temperature": 0.2},
)
# The fake's schema-made answer holds a narration prompt for segment 0.
PROMPT_CASE = ModelCase(
    "openai/gpt-5-mini",
    {"segments": [SEGMENT], "targets": [{"target": "narration"}]},
    invalid={"segments": [SEGMENT, SEGMENT]},
)


class TestOpenAIConformance(ProviderConformance):
    """Both models; the fault table runs on the script model (the suite's first case)."""

    plugin_name = "openai"
    plugin_module = "tutopanda_provider_openai.plugin"
    mode = "live"
    uses_server = "openai"
    cases: ClassVar[Sequence[ModelCase]] = (SCRIPT_CASE, PROMPT_CASE)


class TestOpenAIPromptFaultsConformance(TestOpenAIConformance):
    """The fault table again, on the prompt model."""

    cases = (PROMPT_CASE,)
