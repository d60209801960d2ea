"""Music: stability-ai/stable-audio-2.5.

Its ``duration`` is in **seconds** (1-190; the version page a61ac8ed). An earlier system passed
milliseconds here; the producer's ``duration_seconds`` maps onto it unchanged (``30.0`` → ``30``).
"""

from __future__ import annotations

from pydantic import Field
from tutopanda_providers.contracts import GenericInputs, OutputSpec, Price, PriceRate, ProducerKind

from tutopanda_provider_replicate.adapters import InputMapping
from tutopanda_provider_replicate.models._base import ReplicateInputs, replicate_card
from tutopanda_provider_replicate.pricing import FILE, per_file


class StableAudio25Inputs(ReplicateInputs):
    """Inputs of stability-ai/stable-audio-2.5."""

    prompt: str = Field(min_length=1)
    duration: int = Field(default=190, ge=1, le=190, description="Seconds of music.")
    steps: int = Field(default=8, ge=4, le=8)
    cfg_scale: float = Field(default=1, ge=1, le=25)
    seed: int | None = None


STABLE_AUDIO_2_5 = replicate_card(
    "stability-ai/stable-audio-2.5",
    ProducerKind.MUSIC,
    StableAudio25Inputs,
    OutputSpec(type="audio", mime="audio/mpeg"),
    Price(
        rates=(PriceRate(name=FILE, unit="file", usd=0.20),),
        source="Replicate model page (tutopanda copy, Nov 2025): $0.20 per output file",
        confidence="medium",
    ),
    input_adapter=InputMapping(
        "stability-ai/stable-audio-2.5",
        {
            GenericInputs.PROMPT: "prompt",
            GenericInputs.DURATION_SECONDS: "duration",
            GenericInputs.SEED: "seed",
        },
        integer_seconds=("duration",),
    ),
    cost_estimator=per_file,
    description="Stability AI Stable Audio 2.5, up to 190 s of music",
    unknowns=("output container: not confirmed; the stored MIME is read from the file",),
    cost_from_inputs=True,
)

CARDS = (STABLE_AUDIO_2_5,)

__all__ = ["CARDS", "STABLE_AUDIO_2_5", "StableAudio25Inputs"]
