"""Video models: bytedance/seedance-1-pro-fast, bytedance/seedance-1-lite, google/veo-3-fast.

Durations are the models' ``duration`` fields, in whole seconds. The producer's
``duration_seconds`` maps onto them exactly (``8.0`` → ``8``) and is never rounded or clamped:
veo takes only 4, 6 or 8 seconds, and a 10 s request is refused before anything is paid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, model_validator
from tutopanda_providers.contracts import GenericInputs, OutputSpec, Price, PriceRate, ProducerKind

from tutopanda_provider_replicate.adapters import InputMapping
from tutopanda_provider_replicate.models._base import ReplicateInputs, replicate_card
from tutopanda_provider_replicate.pricing import per_second

SeedanceAspect = Literal["16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "9:21"]
Resolution = Literal["480p", "720p", "1080p"]

_VIDEO = {
    GenericInputs.PROMPT: "prompt",
    GenericInputs.ASPECT_RATIO: "aspect_ratio",
    GenericInputs.DURATION_SECONDS: "duration",
    GenericInputs.SEED: "seed",
}


class SeedanceProFastInputs(ReplicateInputs):
    """Inputs of bytedance/seedance-1-pro-fast."""

    prompt: str = Field(min_length=1)
    image: str | None = Field(default=None, description="First frame for image-to-video.")
    duration: int = Field(default=5, ge=2, le=12, description="Seconds.")
    resolution: Resolution = "1080p"
    aspect_ratio: SeedanceAspect = Field(default="16:9", description="Ignored with an image.")
    fps: Literal[24] = 24
    camera_fixed: bool = False
    seed: int | None = None


class SeedanceLiteInputs(SeedanceProFastInputs):
    """Inputs of bytedance/seedance-1-lite: pro-fast's, plus a last frame and references."""

    resolution: Resolution = "720p"
    last_frame_image: str | None = Field(default=None, description="Only with image.")
    reference_images: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=4,
        description="1-4 images; not with 1080p, nor with a first or last frame.",
    )

    @model_validator(mode="after")
    def _frames_and_references(self) -> SeedanceLiteInputs:
        if self.last_frame_image is not None and self.image is None:
            raise ValueError("last_frame_image needs image (the first frame) as well")
        if self.reference_images:
            if self.resolution == "1080p":
                raise ValueError("reference_images cannot be used with resolution 1080p")
            if self.image is not None or self.last_frame_image is not None:
                raise ValueError("reference_images cannot be combined with image/last_frame_image")
        return self


class Veo3FastInputs(ReplicateInputs):
    """Inputs of google/veo-3-fast: 4, 6 or 8 seconds; 720p or 1080p."""

    prompt: str = Field(min_length=1)
    image: str | None = Field(default=None, description="Start frame, ideally 1280x720.")
    negative_prompt: str | None = None
    seed: int | None = None
    duration: Literal[4, 6, 8] = Field(default=8, description="Seconds.")
    resolution: Literal["720p", "1080p"] = "1080p"
    aspect_ratio: Literal["16:9", "9:16"] = "16:9"
    generate_audio: bool = True


def _by_resolution(inputs: Mapping[str, Any]) -> str:
    return f"second_{inputs.get('resolution')}"


def _by_audio(inputs: Mapping[str, Any]) -> str:
    return "second_with_audio" if inputs.get("generate_audio", True) else "second_without_audio"


def _seedance_price(usd: Mapping[str, float]) -> Price:
    return Price(
        rates=tuple(
            PriceRate(name=f"second_{res}", unit=f"second of {res} video", usd=price)
            for res, price in usd.items()
        ),
        source="Replicate model page (tutopanda copy, Nov 2025)",
        confidence="medium",
    )


SEEDANCE_1_PRO_FAST = replicate_card(
    "bytedance/seedance-1-pro-fast",
    ProducerKind.VIDEO,
    SeedanceProFastInputs,
    OutputSpec(type="video", mime="video/mp4"),
    _seedance_price({"480p": 0.015, "720p": 0.025, "1080p": 0.06}),
    input_adapter=InputMapping(
        "bytedance/seedance-1-pro-fast",
        _VIDEO,
        single_image="image",
        integer_seconds=("duration",),
    ),
    cost_estimator=per_second(_by_resolution, "duration"),
    capabilities={"image_input"},
    description="ByteDance Seedance 1 Pro Fast, 2-12 s up to 1080p",
    cost_from_inputs=True,
)

SEEDANCE_1_LITE = replicate_card(
    "bytedance/seedance-1-lite",
    ProducerKind.VIDEO,
    SeedanceLiteInputs,
    OutputSpec(type="video", mime="video/mp4"),
    _seedance_price({"480p": 0.018, "720p": 0.036, "1080p": 0.072}),
    input_adapter=InputMapping(
        "bytedance/seedance-1-lite",
        _VIDEO,
        single_image="image",
        integer_seconds=("duration",),
    ),
    cost_estimator=per_second(_by_resolution, "duration"),
    capabilities={"image_input", "last_frame", "reference_images"},
    description="ByteDance Seedance 1 Lite, 2-12 s, first/last frame or reference images",
    cost_from_inputs=True,
)

VEO_3_FAST = replicate_card(
    "google/veo-3-fast",
    ProducerKind.VIDEO,
    Veo3FastInputs,
    OutputSpec(type="video", mime="video/mp4"),
    Price(
        rates=(
            PriceRate(name="second_with_audio", unit="second of video with audio", usd=0.15),
            PriceRate(name="second_without_audio", unit="second of video", usd=0.10),
        ),
        source="Replicate billingConfig captured 2026-10-05 in public code",
        confidence="high",
    ),
    input_adapter=InputMapping(
        "google/veo-3-fast",
        {**_VIDEO, GenericInputs.NEGATIVE_PROMPT: "negative_prompt"},
        single_image="image",
        integer_seconds=("duration",),
    ),
    cost_estimator=per_second(_by_audio, "duration"),
    capabilities={"image_input", "generates_audio", "negative_prompt"},
    description="Google Veo 3 Fast, 4/6/8 s at 720p or 1080p, with sound",
    unknowns=("resolution: older versions defaulted to 720p; 1080p is sent explicitly",),
    cost_from_inputs=True,
)

CARDS = (SEEDANCE_1_PRO_FAST, SEEDANCE_1_LITE, VEO_3_FAST)

__all__ = [
    "CARDS",
    "SEEDANCE_1_LITE",
    "SEEDANCE_1_PRO_FAST",
    "VEO_3_FAST",
    "SeedanceLiteInputs",
    "SeedanceProFastInputs",
    "Veo3FastInputs",
]
