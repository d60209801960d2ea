"""Cost estimates use each model's own unit; unknown prices stay unknown, never 0."""

from __future__ import annotations

import pytest
from tutopanda_provider_replicate.cards import card_for


def _estimate(model: str, inputs: dict[str, object]) -> tuple[str, float | None, str | None]:
    card = card_for(model)
    cost = card.estimate_cost(card.validate_inputs(inputs))
    return cost.status, cost.amount_usd, cost.unit


@pytest.mark.parametrize(("resolution", "usd"), [("480p", 0.075), ("720p", 0.125), ("1080p", 0.30)])
def test_seedance_pro_fast_is_priced_per_second_at_its_resolution(
    resolution: str, usd: float
) -> None:
    status, amount, _ = _estimate(
        "bytedance/seedance-1-pro-fast", {"prompt": "b", "duration": 5, "resolution": resolution}
    )
    assert status == "estimated" and amount == pytest.approx(usd)


@pytest.mark.parametrize(("audio", "usd"), [(True, 0.60), (False, 0.40)])
def test_veo_is_priced_per_second_with_or_without_audio(audio: bool, usd: float) -> None:
    _, amount, unit = _estimate(
        "google/veo-3-fast", {"prompt": "b", "duration": 4, "generate_audio": audio}
    )
    assert amount == pytest.approx(usd)
    assert unit is not None and unit.startswith("second")


def test_narration_is_priced_per_thousand_characters() -> None:
    _, amount, unit = _estimate("minimax/speech-02-hd", {"text": "a" * 2500})
    assert amount == pytest.approx(0.25) and unit == "1K characters"


def test_music_is_priced_per_file_whatever_its_length() -> None:
    assert _estimate("stability-ai/stable-audio-2.5", {"prompt": "p", "duration": 10})[1] == 0.2
    assert _estimate("stability-ai/stable-audio-2.5", {"prompt": "p", "duration": 190})[1] == 0.2


def test_seedream_sequential_generation_estimates_its_maximum_images() -> None:
    _, amount, _ = _estimate(
        "bytedance/seedream-4",
        {"prompt": "b", "sequential_image_generation": "auto", "max_images": 3},
    )
    assert amount == pytest.approx(0.09)


@pytest.mark.parametrize(
    "model", ["google/imagen-4", "tencent/hunyuan-image-3", "elevenlabs/turbo-v2.5"]
)
def test_unconfirmed_prices_are_unknown_with_a_reason(model: str) -> None:
    card = card_for(model)
    key = "text" if card.kind == "audio" else "prompt"
    cost = card.estimate_cost(card.validate_inputs({key: "bee"}))
    assert cost.status == "unknown" and cost.amount_usd is None and cost.reason


def test_gemini_cost_is_unknown_and_says_how_many_prompt_tokens() -> None:
    card = card_for("google/gemini-2.5-flash")
    cost = card.estimate_cost(card.validate_inputs({"topic": "bees"}))
    assert cost.status == "unknown" and cost.amount_usd is None
    assert cost.reason is not None and "input tokens" in cost.reason
