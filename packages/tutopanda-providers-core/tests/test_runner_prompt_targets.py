"""A prompt job's targets are filled from the cards of the models that will use them."""

from __future__ import annotations

import pytest

pytest.importorskip("tutopanda_provider_replicate")

from tutopanda_providers.registry import RegistryOptions, create_provider_registry
from tutopanda_providers.runner import Catalog, load_settings, parse_plan
from tutopanda_providers.runner.targets import card_constraints, fit_prompt_inputs

PLAN = """
[jobs.script]
producer = "ScriptProducer"
inputs = { topic = "Tides", segments = 1, duration_seconds = 8 }

[jobs.prompts]
producer = "PromptProducer"
inputs.segments = "${script.segments}"
inputs.targets = [{ target = "image" }, { target = "video" }, { target = "video", durations_seconds = [5], model = "mine" }]

[jobs.image_0]
producer = "TextToImageProducer"
inputs.prompt = "${prompts.prompts[segment_index=0,target=image].prompt}"

[jobs.video_0]
producer = "TextToVideoProducer"
inputs.prompt = "${prompts.prompts[segment_index=0,target=video].prompt}"
inputs.duration_seconds = "${prompts.prompts[segment_index=0,target=video].duration_seconds}"
"""


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    return create_provider_registry(RegistryOptions())


def test_a_card_says_durations_ratios_resolutions_and_prompt_length(registry) -> None:  # type: ignore[no-untyped-def]
    veo = card_constraints(registry.card("replicate/google/veo-3-fast"))
    assert veo["durations_seconds"] == [4.0, 6.0, 8.0]
    assert veo["aspect_ratios"] == ["16:9", "9:16"]
    assert veo["resolutions"] == ["720p", "1080p"]
    seedance = card_constraints(registry.card("replicate/bytedance/seedance-1-lite"))
    assert seedance["durations_seconds"] == [float(s) for s in range(2, 13)]  # 2..12 s
    seedream = card_constraints(registry.card("replicate/bytedance/seedream-4"))
    assert "match_input_image" not in seedream["aspect_ratios"]  # not a W:H ratio
    speech = card_constraints(registry.card("replicate/minimax/speech-02-hd"))
    assert speech["max_prompt_chars"] == 5000


def _targets(catalog: Catalog, registry) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    plan = parse_plan(PLAN, "plan.toml", catalog.entries)
    job = plan.jobs["prompts"]
    fitted = fit_prompt_inputs(plan, job, job.inputs, catalog, registry)
    return fitted["targets"]  # type: ignore[no-any-return]


def test_settings_and_override_give_the_same_targets_and_the_plan_wins(registry) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(None)
    # As a run does: the producers naming a model once with providers are expanded to cards.
    image, video, own = _targets(Catalog.from_settings(settings).expanded(registry), registry)
    # The producer's 16:9 default narrows the ratios; seedance-1-lite's 480p default the
    # resolutions; its fallback seedance-1-pro-fast accepts the same durations.
    assert image["aspect_ratios"] == ["16:9"] and image["model"] == "replicate/bytedance/seedream-4"
    assert video["aspect_ratios"] == ["16:9"] and video["resolutions"] == ["480p"]
    assert own["durations_seconds"] == [5] and own["model"] == "mine"
    veo = Catalog.from_settings(
        settings, {"TextToVideoProducer": "replicate/google/veo-3-fast"}
    ).expanded(registry)
    _, video, _ = _targets(veo, registry)
    assert video["durations_seconds"] == [4.0, 6.0, 8.0]
    assert video["model"] == "replicate/google/veo-3-fast"
