"""The mock provider passes the tutopanda conformance suite (mock mode, no server)."""

from __future__ import annotations

from tutopanda_providers_testing.conformance import ModelCase, ProviderConformance

pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]

SEGMENT = {
    "index": 0,
    "title": "What a volcano is",
    "narration": "A volcano is an opening in the crust.",
    "visual_ideas": ["a cross-section of a volcano"],
    "duration_seconds": 5.0,
}


class TestMockConformance(ProviderConformance):
    plugin_name = "mock"
    plugin_module = "tutopanda_provider_mock.plugin"
    mode = "mock"
    cases = (
        ModelCase("mock/script", {"topic": "volcanoes", "segments": 2}, invalid={"topic": "x"}),
        ModelCase("mock/prompt", {"segments": [SEGMENT]}, invalid={"segments": []}),
        ModelCase("mock/audio", {"text": "Hello there, learner."}, invalid={"text": ""}),
        ModelCase(
            "mock/image",
            {"prompt": "a red volcano", "aspect_ratio": "1:1"},
            invalid={"prompt": "x", "aspect_ratio": "5:7"},
        ),
        ModelCase(
            "mock/video",
            {"prompt": "lava", "duration_seconds": 1.0},
            invalid={"prompt": "lava", "duration_seconds": -1},
        ),
        ModelCase(
            "mock/music",
            {"prompt": "calm", "duration_seconds": 2.0},
            invalid={"prompt": "calm", "duration_seconds": 0},
        ),
    )
