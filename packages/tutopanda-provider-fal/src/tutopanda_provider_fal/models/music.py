"""Music: fal-ai/stable-audio-25/text-to-audio.

Its length is ``seconds_total`` (whole seconds, 1-190); the producer-level ``duration_seconds``
maps onto it exactly (``30.0`` → ``30``, ``7.5`` refused).
"""

from __future__ import annotations

from pydantic import Field
from tutopanda_providers.contracts import GenericInputs, OutputSpec, Price, PriceRate, ProducerKind

from tutopanda_provider_fal.adapters import FalMapping
from tutopanda_provider_fal.models._base import FalInputs, fal_card
from tutopanda_provider_fal.pricing import GENERATION


class StableAudio25Inputs(FalInputs):
    """Inputs of fal-ai/stable-audio-25/text-to-audio."""

    prompt: str
    seconds_total: int = Field(default=190, ge=1, le=190, description="Seconds of music.")
    num_inference_steps: int = Field(default=8, ge=4, le=8, description="Replicate: steps.")
    guidance_scale: int = Field(default=1, ge=1, le=25, description="Replicate: cfg_scale.")
    seed: int | None = None
    sync_mode: bool = Field(
        default=False, description="true: the audio comes back as a data URI, not kept."
    )


STABLE_AUDIO_2_5 = fal_card(
    "fal-ai/stable-audio-25/text-to-audio",
    ProducerKind.MUSIC,
    StableAudio25Inputs,
    OutputSpec(type="audio", mime="audio/wav"),
    Price(
        rates=(PriceRate(name=GENERATION, unit="generation", usd=0.2),),
        source="third-party KB citing fal's model page: $0.20 per generation, matching "
        "Stability's own price (fal-models.json)",
        confidence="low",
    ),
    canonical_model="stability-ai/stable-audio-2.5",
    result_key="audio",
    billing="generation",
    input_adapter=FalMapping(
        "fal-ai/stable-audio-25/text-to-audio",
        {GenericInputs.PROMPT: "prompt", GenericInputs.SEED: "seed"},
        duration=("seconds_total", "integer"),
    ),
    description="Stability AI Stable Audio 2.5 on FAL, up to 190 s of music",
    unknowns=(
        "price: $0.20 per generation from a third-party source, unconfirmed",
        "output container: not confirmed (fal-js borrows a 'WAV, 44.1kHz mono' description); "
        "the stored MIME is read from the file",
    ),
)

CARDS = (STABLE_AUDIO_2_5,)

__all__ = ["CARDS", "STABLE_AUDIO_2_5", "StableAudio25Inputs"]
