"""The project's conformance suite, run on every Replicate model of this plugin."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest
from tutopanda_providers_testing.conformance import (
    ModelCase,
    ProviderConformance,
    SuiteContext,
    override_standard_test,
)

pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]

HAS_AV = importlib.util.find_spec("av") is not None

CASES = (
    ModelCase(
        "replicate/google/veo-3-fast",
        {"prompt": "a bee", "duration_seconds": 4},
        invalid={"prompt": "a bee", "duration": 10},
    ),
    ModelCase(
        "replicate/google/gemini-2.5-flash",
        {"topic": "how bees make honey", "segments": 2},
        invalid={"topic": "x"},
    ),
    ModelCase(
        "replicate/minimax/speech-02-hd", {"text": "Bees make honey."}, invalid={"text": "a" * 5001}
    ),
    ModelCase(
        "replicate/elevenlabs/v3",
        {"text": "Bees make honey."},
        invalid={"text": "hi", "voice": "Nobody"},
    ),
    ModelCase(
        "replicate/elevenlabs/turbo-v2.5",
        {"text": "Bees make honey."},
        invalid={"text": "hi", "speed": 3},
    ),
    ModelCase(
        "replicate/bytedance/seedream-4",
        {"prompt": "a bee"},
        invalid={"prompt": "a bee", "output_size": "4K"},
    ),
    ModelCase(
        "replicate/google/imagen-4",
        {"prompt": "a bee"},
        invalid={"prompt": "a bee", "aspect_ratio": "2:1"},
    ),
    ModelCase(
        "replicate/google/nano-banana",
        {"prompt": "a bee"},
        invalid={"prompt": "a bee", "output_format": "gif"},
    ),
    ModelCase(
        "replicate/tencent/hunyuan-image-3",
        {"prompt": "a bee"},
        invalid={"prompt": "a bee", "aspect_ratio": "7:1"},
    ),
    ModelCase(
        "replicate/bytedance/seedance-1-pro-fast",
        {"prompt": "a bee", "duration_seconds": 3},
        invalid={"prompt": "a bee", "duration": 13},
    ),
    ModelCase(
        "replicate/bytedance/seedance-1-lite",
        {"prompt": "a bee", "duration_seconds": 2},
        invalid={"prompt": "a bee", "resolution": "4k"},
    ),
    ModelCase(
        "replicate/stability-ai/stable-audio-2.5",
        {"prompt": "calm piano", "duration_seconds": 20},
        invalid={"prompt": "calm piano", "duration": 30_000},
    ),
)


class TestReplicateConformance(ProviderConformance):
    plugin_name = "replicate"
    plugin_module = "tutopanda_provider_replicate.plugin"
    mode = "live"
    uses_server = "replicate"
    supports_cancel = True
    cases = CASES
    provider_options: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "replicate": {"adopt_grace": 0.0}
    }

    @override_standard_test(
        "PyAV is optional for this plugin: audio/video facts are skipped without it"
    )
    @pytest.mark.asyncio
    async def test_media_facts_are_read_from_the_file(
        self, suite: SuiteContext, case: ModelCase
    ) -> None:
        """As the suite's rule; audio and video facts need PyAV, which this package only uses
        when it is installed (it is not a dependency)."""
        kind = suite.registry().card(case.parse()).kind.value
        if kind in {"audio", "video", "music"} and not HAS_AV:
            pytest.skip("PyAV is not installed: audio/video facts are not read from the file")
        await super().test_media_facts_are_read_from_the_file(suite, case)
