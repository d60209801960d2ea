"""Shared fixtures and cases of the reliability tests (cross-package).

The test kit's fixtures (fake servers, network guard, blob store, event sink, registry factory)
are imported by name, which makes them fixtures of this folder without ``pytest_plugins`` in a
non-root conftest.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tutopanda_providers_testing.pytest_plugin import (  # noqa: F401  (fixtures by import)
    blob_store,
    fake_fal,
    fake_openai,
    fake_replicate,
    network_guard,
    provider_registry,
    telemetry_events,
)

pytest.importorskip("tutopanda_provider_openai")
pytest.importorskip("tutopanda_provider_replicate")
pytest.importorskip("tutopanda_provider_mock")
pytest.importorskip("tutopanda_provider_fal")


def pytest_configure(config: pytest.Config) -> None:
    """Register the test kit's ``allow_network`` marker (its plugin is not loaded here)."""
    config.addinivalue_line("markers", "allow_network: lift the tutopanda network guard")


REPO = Path(__file__).resolve().parents[2]

SEGMENT = {
    "index": 0,
    "title": "What a volcano is",
    "narration": "A volcano is an opening in the crust.",
    "visual_ideas": ["a cross-section of a volcano"],
    "duration_seconds": 5.0,
}

#: Valid inputs of every live model (producer-level names where the model takes them).
LIVE_CASES: dict[str, dict[str, Any]] = {
    "replicate/google/veo-3-fast": {"prompt": "a bee", "duration_seconds": 4},
    "replicate/google/gemini-2.5-flash": {"topic": "how bees make honey", "segments": 2},
    "replicate/minimax/speech-02-hd": {"text": "Bees make honey."},
    "replicate/elevenlabs/v3": {"text": "Bees make honey."},
    "replicate/elevenlabs/turbo-v2.5": {"text": "Bees make honey."},
    "replicate/bytedance/seedream-4": {"prompt": "a bee"},
    "replicate/google/imagen-4": {"prompt": "a bee"},
    "replicate/google/nano-banana": {"prompt": "a bee"},
    "replicate/tencent/hunyuan-image-3": {"prompt": "a bee"},
    "replicate/bytedance/seedance-1-pro-fast": {"prompt": "a bee", "duration_seconds": 3},
    "replicate/bytedance/seedance-1-lite": {"prompt": "a bee", "duration_seconds": 2},
    "replicate/stability-ai/stable-audio-2.5": {"prompt": "calm piano", "duration_seconds": 20},
    "openai/gpt-5": {"topic": "how volcanoes form", "segments": 2, "reasoning_effort": "low"},
    "openai/gpt-5-mini": {"segments": [SEGMENT], "targets": [{"target": "narration"}]},
}

#: An input image for FAL's edit and image-to-video endpoints (the fake FAL never fetches it).
FAL_IMAGE_URL = "https://example.test/bee.png"

#: Valid inputs of every FAL endpoint (producer-level names: the plugin's adapters write them
#: the endpoint's way, ``duration_seconds: 4`` → veo3's ``duration: "4s"``). They run on the
#: fake FAL; LIVE_CASES stays the 14 Replicate and OpenAI models the fault matrix and the
#: secrets test are sized for.
FAL_CASES: dict[str, dict[str, Any]] = {
    "fal/fal-ai/minimax/speech-02-hd": {"text": "Bees make honey."},
    "fal/fal-ai/elevenlabs/tts/eleven-v3": {"text": "Bees make honey."},
    "fal/fal-ai/elevenlabs/tts/turbo-v2.5": {"text": "Bees make honey."},
    "fal/fal-ai/bytedance/seedream/v4/text-to-image": {"prompt": "a bee", "aspect_ratio": "1:1"},
    "fal/fal-ai/bytedance/seedream/v4/edit": {
        "prompt": "a blue bee",
        "image_urls": [FAL_IMAGE_URL],
    },
    "fal/fal-ai/imagen4/preview": {"prompt": "a bee"},
    "fal/fal-ai/imagen4/preview/fast": {"prompt": "a bee"},
    "fal/fal-ai/imagen4/preview/ultra": {"prompt": "a bee"},
    "fal/fal-ai/nano-banana": {"prompt": "a bee"},
    "fal/fal-ai/nano-banana/edit": {"prompt": "a blue bee", "image_urls": [FAL_IMAGE_URL]},
    "fal/fal-ai/hunyuan-image/v3/text-to-image": {"prompt": "a bee"},
    "fal/fal-ai/bytedance/seedance/v1/pro/fast/text-to-video": {
        "prompt": "a bee",
        "duration_seconds": 3,
    },
    "fal/fal-ai/bytedance/seedance/v1/pro/fast/image-to-video": {
        "prompt": "the bee flies",
        "image_urls": [FAL_IMAGE_URL],
        "duration_seconds": 2,
    },
    "fal/fal-ai/bytedance/seedance/v1/lite/text-to-video": {
        "prompt": "a bee",
        "duration_seconds": 2,
    },
    "fal/fal-ai/bytedance/seedance/v1/lite/image-to-video": {
        "prompt": "the bee flies",
        "image_urls": [FAL_IMAGE_URL],
        "duration_seconds": 2,
    },
    "fal/fal-ai/veo3/fast": {"prompt": "a bee", "duration_seconds": 4},
    "fal/fal-ai/veo3/fast/image-to-video": {
        "prompt": "the bee flies",
        "image_urls": [FAL_IMAGE_URL],
        "duration_seconds": 4,
    },
    "fal/fal-ai/stable-audio-25/text-to-audio": {"prompt": "calm piano", "duration_seconds": 20},
}

#: Replicate models whose output is a file the fake serves (the rest answer text).
TEXT_MODELS = frozenset({"replicate/google/gemini-2.5-flash", "openai/gpt-5", "openai/gpt-5-mini"})

#: Options that make the Replicate handler poll the fake quickly and adopt at once.
FAST_REPLICATE = {"poll_initial": 0.005, "poll_max": 0.02, "adopt_grace": 0.0}

_BLOB_NAME = re.compile(r"^[0-9a-f]{64}(\.[A-Za-z0-9]+)?$")


def server_of(ref: str) -> str:
    """The fake server a live model talks to."""
    return ref.split("/", 1)[0]


def plugins() -> list[tuple[str, object]]:
    """The two live plugins, registered directly."""
    from tutopanda_provider_openai import plugin as openai_plugin
    from tutopanda_provider_replicate import plugin as replicate_plugin

    return [("openai", openai_plugin), ("replicate", replicate_plugin)]


class FakeSleep:
    """An injectable ``sleep`` that records the delays asked for and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def retrying_pipeline(sleep: Callable[[float], Awaitable[None]], attempts: int = 4) -> Any:
    """Pipeline options with retries on, no jitter, and backoff through ``sleep``."""
    from tutopanda_providers.pipeline import PipelineOptions
    from tutopanda_providers.pipeline.retry import RetryPolicy

    return PipelineOptions(
        retry=RetryPolicy(
            max_attempts=attempts, attempts_per_model=attempts, base_backoff=0.01, jitter=0.0
        ),
        sleep=sleep,
    )


@dataclass
class StorageScan:
    """What a blob folder holds."""

    blobs: list[Path]
    strays: list[Path]


def scan_storage(root: Path) -> StorageScan:
    """Every file under ``root``: complete content-addressed blobs (name = sha256 of the bytes,
    in the ``<sha[:2]>/`` folder) and anything else (strays)."""
    blobs: list[Path] = []
    strays: list[Path] = []
    if not root.exists():
        return StorageScan(blobs, strays)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        match = _BLOB_NAME.match(path.name)
        if match is None:
            strays.append(path)
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if path.name[:64] != digest or path.parent.name != digest[:2]:
            strays.append(path)
        else:
            blobs.append(path)
    return StorageScan(blobs, strays)


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without provider keys, base URLs or tutopanda settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "REPLICATE_", "FAL_", "TUTOPANDA_"))
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def cli_command(*args: str) -> list[str]:
    """The ``tutopanda-providers`` command run by this interpreter."""
    return [sys.executable, "-m", "tutopanda_providers.cli", *args]


def events_of(sink: Any, name: str) -> list[Mapping[str, Any]]:
    """The attributes of every event called ``name`` in a ``ListSink``."""
    return [e.to_dict() for e in sink.events if e.name == name]
