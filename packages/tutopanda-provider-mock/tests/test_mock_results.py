"""Mock results have the live shape: mocked, free with the live estimate beside, validated first."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tutopanda_provider_mock.handler import MockHandler
from tutopanda_providers import Descriptor, ProducerResult, ProviderRegistry
from tutopanda_providers.contracts import InvalidInputError, PromptSet, Script

SEGMENT = {
    "index": 0,
    "title": "Tides",
    "narration": "The moon pulls the sea.",
    "visual_ideas": ["the moon over a beach"],
    "duration_seconds": 5,
}


async def test_result_is_marked_mocked_and_costs_nothing_beside_the_live_estimate(
    invoke: Callable[..., Any],
) -> None:
    result = await invoke("replicate/google/nano-banana", {"prompt": "a leaf"})
    cost = result.provider.cost
    assert result.meta.mocked is True
    assert (cost.status, cost.amount_usd, cost.source) == ("known", 0.0, "mock")
    assert cost.estimated_live is not None
    assert cost.estimated_live.amount_usd == pytest.approx(0.039)
    assert cost.estimated_live.status == "estimated"
    assert result.provider.provider == "replicate"
    assert result.provider.model == "google/nano-banana"
    assert result.provider.remote_job_id and result.provider.remote_job_id.startswith("mock-")


async def test_a_model_without_a_known_price_says_the_live_cost_is_unknown(
    invoke: Callable[..., Any],
) -> None:
    result = await invoke("replicate/google/imagen-4", {"prompt": "a leaf"})
    assert result.provider.cost.amount_usd == 0.0
    assert result.provider.cost.estimated_live is not None
    assert result.provider.cost.estimated_live.status == "unknown"


async def test_veo_refuses_a_ten_second_video_in_mock_mode_as_it_would_live(
    registry: ProviderRegistry, blob_root: Path
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await registry.invoke(
            Descriptor.parse("replicate/google/veo-3-fast"), {"prompt": "a fox", "duration": 10}
        )
    assert "duration" in str(caught.value)
    assert not any(p.is_file() for p in blob_root.rglob("*.mp4")), "a file was made anyway"


async def test_a_field_the_model_does_not_have_is_refused(registry: ProviderRegistry) -> None:
    with pytest.raises(InvalidInputError, match="seconds_total"):
        await registry.invoke(
            Descriptor.parse("replicate/bytedance/seedance-1-lite"),
            {"prompt": "a fox", "seconds_total": 5},
        )


def test_the_wildcard_serves_another_plugins_model_with_that_models_card(
    registry: ProviderRegistry,
) -> None:
    descriptor = Descriptor.parse("replicate/google/veo-3-fast")
    resolved = registry.resolve(descriptor)
    assert resolved.mode == "mock"
    assert isinstance(resolved.handler, MockHandler)
    assert resolved.handler.card is registry.card(descriptor)
    assert registry.implementations_for(descriptor, "mock")[0][0] == "mock"


async def test_same_request_gives_byte_identical_files_for_every_media_kind(
    invoke: Callable[..., Any], read_blob: Callable[[ProducerResult], bytes]
) -> None:
    requests = [
        ("replicate/google/imagen-4", {"prompt": "a leaf", "output_format": "png"}),
        ("replicate/bytedance/seedream-4", {"prompt": "a leaf", "size": "1K"}),
        ("replicate/tencent/hunyuan-image-3", {"prompt": "a leaf"}),
        ("replicate/minimax/speech-02-hd", {"text": "The same words twice."}),
        ("mock/audio", {"text": "The same words twice."}),
        ("replicate/stability-ai/stable-audio-2.5", {"prompt": "calm", "duration": 3}),
        ("replicate/google/veo-3-fast", {"prompt": "rain", "duration": 4, "resolution": "720p"}),
    ]
    for ref, inputs in requests:
        first = await invoke(ref, inputs, job_id="job-7")
        again = await invoke(ref, inputs, job_id="job-7")
        assert read_blob(first) == read_blob(again), f"{ref} is not deterministic"
        assert first.artefacts[0].blob == again.artefacts[0].blob


async def test_a_different_input_or_job_gives_a_different_file(
    invoke: Callable[..., Any],
) -> None:
    def sha(result: ProducerResult) -> str:
        blob = result.artefacts[0].blob
        assert blob is not None
        return blob.sha256

    ref = "replicate/bytedance/seedance-1-pro-fast"
    base = {"prompt": "waves", "duration": 2, "resolution": "480p"}
    one = await invoke(ref, base, job_id="job-1")
    other_prompt = await invoke(ref, {**base, "prompt": "waves at night"}, job_id="job-1")
    other_seed = await invoke(ref, {**base, "seed": 42}, job_id="job-1")
    other_job = await invoke(ref, base, job_id="job-2")
    assert len({sha(one), sha(other_prompt), sha(other_seed), sha(other_job)}) == 4
    voice_a = await invoke("replicate/elevenlabs/v3", {"prompt": "hello there", "voice": "Drew"})
    voice_b = await invoke("replicate/elevenlabs/v3", {"prompt": "hello there", "voice": "Aria"})
    assert sha(voice_a) != sha(voice_b)


async def test_script_follows_topic_segments_and_duration(invoke: Callable[..., Any]) -> None:
    result = await invoke(
        "openai/gpt-5",
        {"topic": "volcanoes", "audience": "ten-year-olds", "segments": 4, "duration_seconds": 80},
    )
    artefact = result.artefacts[0]
    script = Script.model_validate(artefact.data)
    assert artefact.mime == "application/json"
    assert artefact.text is not None and Script.model_validate_json(artefact.text) == script
    assert "volcanoes" in script.title.lower()
    assert script.audience == "ten-year-olds"
    assert [s.index for s in script.segments] == [0, 1, 2, 3]
    assert sum(s.duration_seconds for s in script.segments) == pytest.approx(80)
    for segment in script.segments:
        words = len(segment.narration.split())
        assert 40 <= words <= 70  # 20 s at 150 words per minute is 50 words
        assert segment.visual_ideas
    assert script.sources and all(s.url.startswith("https://example.org/") for s in script.sources)


async def test_prompts_fit_each_targets_constraints(invoke: Callable[..., Any]) -> None:
    targets = [
        {"target": "image", "aspect_ratios": ["9:16", "1:1"], "max_prompt_chars": 60},
        {"target": "video", "aspect_ratios": ["16:9"], "durations_seconds": [4, 6, 8]},
        {"target": "narration"},
    ]
    result = await invoke(
        "openai/gpt-5-mini",
        {
            "segments": [SEGMENT, {**SEGMENT, "index": 1, "duration_seconds": 7.5}],
            "targets": targets,
        },
    )
    prompts = PromptSet.model_validate(result.artefacts[0].data).prompts
    assert [(p.segment_index, p.target) for p in prompts] == [
        (0, "image"),
        (0, "video"),
        (0, "narration"),
        (1, "image"),
        (1, "video"),
        (1, "narration"),
    ]
    images = [p for p in prompts if p.target == "image"]
    videos = [p for p in prompts if p.target == "video"]
    assert all(p.aspect_ratio == "1:1" and len(p.prompt) <= 60 for p in images)
    assert [p.duration_seconds for p in videos] == [4, 8]
    assert all(p.aspect_ratio == "16:9" for p in videos)
    assert prompts[2].prompt == SEGMENT["narration"]


async def test_demo_models_run_a_job_with_only_core_and_mock(
    registry: ProviderRegistry,
) -> None:
    kinds = {
        card.ref: card.kind.value for card in registry.list_models() if card.provider == "mock"
    }
    assert kinds == {
        "mock/script": "script",
        "mock/prompt": "prompt",
        "mock/audio": "audio",
        "mock/image": "image",
        "mock/video": "video",
        "mock/music": "music",
    }
    result = await registry.invoke(Descriptor.parse("mock/script"), {"topic": "rainbows"})
    assert Script.model_validate(result.artefacts[0].data).segments


async def test_warm_start_reports_the_mock_ready(registry: ProviderRegistry) -> None:
    reports = await registry.warm_start([Descriptor.parse("mock/video")], timeout=30)
    assert [(r.status, r.mode) for r in reports] == [("ready", "mock")]


async def test_files_are_identical_across_processes(
    invoke: Callable[..., Any], tmp_path: Path
) -> None:
    # A fresh interpreter (new hash seed, fresh caches, other thread timing) makes the same bytes.
    requests = [
        ("mock/video", {"prompt": "lava", "duration_seconds": 1, "generate_audio": True}),
        ("mock/image", {"prompt": "lava", "width": 320, "height": 180}),
        ("mock/audio", {"text": "Lava flows downhill."}),
    ]
    here = []
    for ref, inputs in requests:
        blob = (await invoke(ref, inputs, job_id="job-x")).artefacts[0].blob
        assert blob is not None
        here.append(blob.sha256)
    code = textwrap.dedent(
        f"""
        import asyncio, tutopanda_provider_mock.plugin as plugin
        from tutopanda_providers import (
            Descriptor,
            JobInfo,
            RegistryOptions,
            create_provider_registry,
        )
        from tutopanda_providers.storage import BlobStore

        async def main():
            registry = create_provider_registry(RegistryOptions(
                plugins=[("mock", plugin)], entry_points=False, storage=BlobStore({str(tmp_path)!r})))
            for ref, inputs in {requests!r}:
                d = Descriptor.parse(ref)
                job = JobInfo(id="job-x", producer="TestProducer", kind=registry.card(d).kind)
                result = await registry.resolve(d).invoke(registry.new_request(d, inputs, job=job))
                print(result.artefacts[0].blob.sha256)

        asyncio.run(main())
        """
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == here
