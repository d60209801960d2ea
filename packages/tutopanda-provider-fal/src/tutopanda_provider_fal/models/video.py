"""Video endpoints: seedance v1 pro fast and lite (text-to-video, image-to-video), veo3 fast
(text-to-video, image-to-video).

Durations are strings on FAL: seedance takes ``"2"`` .. ``"12"`` (seconds), veo3 ``"4s"``,
``"6s"`` or ``"8s"``. The producer-level ``duration_seconds`` is written that way when it is a
whole number of seconds (``8.0`` → ``"8s"``); any other value is refused with the allowed ones,
never rounded. Seedance is priced per video token (width x height x fps x seconds / 1024), veo3
per second with or without audio.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from tutopanda_providers.contracts import GenericInputs, OutputSpec, Price, PriceRate, ProducerKind

from tutopanda_provider_fal.adapters import FalMapping
from tutopanda_provider_fal.models._base import FalInputs, SafetyTolerance, fal_card
from tutopanda_provider_fal.pricing import SECOND_WITH_AUDIO, SECOND_WITHOUT_AUDIO, VIDEO_TOKENS

SeedanceDuration = Literal["2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]
SeedanceResolution = Literal["480p", "720p", "1080p"]
SeedanceProAspect = Literal["21:9", "16:9", "4:3", "1:1", "3:4", "9:16"]
SeedanceLiteAspect = Literal["21:9", "16:9", "4:3", "1:1", "3:4", "9:16", "9:21"]
SeedanceImageAspect = Literal["21:9", "16:9", "4:3", "1:1", "3:4", "9:16", "auto"]
VeoDuration = Literal["4s", "6s", "8s"]

_NUM_FRAMES = "Overrides duration when given."


class SeedanceProFastTextInputs(FalInputs):
    """Inputs of fal-ai/bytedance/seedance/v1/pro/fast/text-to-video."""

    prompt: str
    aspect_ratio: SeedanceProAspect = "16:9"
    resolution: SeedanceResolution = "1080p"
    duration: SeedanceDuration = Field(default="5", description="Seconds, as a string.")
    camera_fixed: bool = False
    seed: int | None = Field(default=None, description="-1: random.")
    enable_safety_checker: bool = True
    num_frames: int | None = Field(default=None, description=_NUM_FRAMES)


class SeedanceProFastImageInputs(FalInputs):
    """Inputs of fal-ai/bytedance/seedance/v1/pro/fast/image-to-video."""

    prompt: str
    image_url: str = Field(description="The start frame.")
    aspect_ratio: SeedanceImageAspect = "auto"
    resolution: SeedanceResolution = "1080p"
    duration: SeedanceDuration = Field(default="5", description="Seconds, as a string.")
    camera_fixed: bool = False
    seed: int | None = Field(default=None, description="-1: random.")
    enable_safety_checker: bool = True
    num_frames: int | None = Field(default=None, description=_NUM_FRAMES)


class SeedanceLiteTextInputs(SeedanceProFastTextInputs):
    """Inputs of fal-ai/bytedance/seedance/v1/lite/text-to-video."""

    aspect_ratio: SeedanceLiteAspect = "16:9"  # type: ignore[assignment]
    resolution: SeedanceResolution = "720p"


class SeedanceLiteImageInputs(SeedanceProFastImageInputs):
    """Inputs of fal-ai/bytedance/seedance/v1/lite/image-to-video."""

    end_image_url: str | None = Field(default=None, description="Optional last frame.")
    resolution: SeedanceResolution = "720p"


class Veo3FastInputs(FalInputs):
    """Inputs of fal-ai/veo3/fast."""

    prompt: str = Field(max_length=20000)
    aspect_ratio: Literal["16:9", "9:16"] = "16:9"
    duration: VeoDuration = Field(default="8s", description="Seconds with an 's' suffix.")
    negative_prompt: str | None = None
    resolution: Literal["720p", "1080p"] = "720p"
    generate_audio: bool = Field(default=True, description="The price depends on it.")
    seed: int | None = None
    auto_fix: bool = Field(default=True, description="Rewrite prompts that fail content policy.")
    safety_tolerance: SafetyTolerance = Field(default="4", description="1 strictest, 6 least.")


class Veo3FastImageInputs(FalInputs):
    """Inputs of fal-ai/veo3/fast/image-to-video."""

    prompt: str = Field(max_length=20000, description="How to animate the image.")
    image_url: str = Field(description="A 720p+ image, 16:9 or 9:16 (else cropped).")
    aspect_ratio: Literal["auto", "16:9", "9:16"] = "auto"
    duration: VeoDuration = Field(default="8s", description="Seconds with an 's' suffix.")
    resolution: Literal["720p", "1080p"] = "720p"
    generate_audio: bool = Field(default=True, description="The price depends on it.")
    auto_fix: bool = False
    negative_prompt: str | None = None
    seed: int | None = None
    safety_tolerance: SafetyTolerance = Field(default="4", description="1 strictest, 6 least.")


_VIDEO = {
    GenericInputs.PROMPT: "prompt",
    GenericInputs.ASPECT_RATIO: "aspect_ratio",
    GenericInputs.SEED: "seed",
}
_VEO = {**_VIDEO, GenericInputs.NEGATIVE_PROMPT: "negative_prompt"}
_MP4 = OutputSpec(type="video", mime="video/mp4")
_MP4_USUAL = "output MIME: video/mp4 is usual but not stated in the schema"
_NUM_FRAMES_UNKNOWN = (
    "num_frames: in fal-js types 2026-04/08 only, not in the Jan-2026 OpenAPI; range not stated"
)
_FPS_UNKNOWN = (
    "fps: not stated; the video-token price counts 24 fps (it reproduces fal's $0.245 example)"
)
_LITE_DELISTED = "availability: absent from fal-js types 2026-08-02, possibly delisted"


def _tokens_price(usd: float, example: str) -> Price:
    return Price(
        rates=(PriceRate(name=VIDEO_TOKENS, unit="1M video tokens", usd=usd),),
        source="fal catalog pricing, Jan 2026 (fal-models.json): "
        f"'{example}; for other resolutions, 1 million video tokens costs ${usd:g}'",
        confidence="high",
        notes="tokens = height x width x fps x seconds / 1024",
    )


def _seedance(model: str, image: bool) -> FalMapping:
    return FalMapping(
        model,
        _VIDEO,
        single_image="image_url" if image else None,
        duration=("duration", "string"),
    )


def _veo(model: str, image: bool) -> FalMapping:
    return FalMapping(
        model,
        _VEO,
        single_image="image_url" if image else None,
        duration=("duration", "suffix_s"),
    )


_PRO_FAST_PRICE = _tokens_price(1.0, "each 1080p 5 second video costs roughly $0.245")
_LITE_PRICE = _tokens_price(1.8, "each 720p 5 second video costs $0.18")
_VEO_PRICE = Price(
    rates=(
        PriceRate(name=SECOND_WITH_AUDIO, unit="second of video with audio", usd=0.15),
        PriceRate(name=SECOND_WITHOUT_AUDIO, unit="second of video", usd=0.10),
    ),
    source="fal llms.txt of the endpoint: '$0.10 (audio off) or $0.15 (audio on)' per second "
    "(fal-models.json)",
    confidence="high",
)

SEEDANCE_PRO_FAST_T2V = fal_card(
    "fal-ai/bytedance/seedance/v1/pro/fast/text-to-video",
    ProducerKind.VIDEO,
    SeedanceProFastTextInputs,
    _MP4,
    _PRO_FAST_PRICE,
    canonical_model="bytedance/seedance-1-pro-fast",
    result_key="video",
    billing="video_tokens",
    input_adapter=_seedance("fal-ai/bytedance/seedance/v1/pro/fast/text-to-video", False),
    description="ByteDance Seedance 1 Pro Fast text-to-video on FAL, 2-12 s up to 1080p",
    unknowns=(_FPS_UNKNOWN, _NUM_FRAMES_UNKNOWN, _MP4_USUAL),
)

SEEDANCE_PRO_FAST_I2V = fal_card(
    "fal-ai/bytedance/seedance/v1/pro/fast/image-to-video",
    ProducerKind.VIDEO,
    SeedanceProFastImageInputs,
    _MP4,
    _PRO_FAST_PRICE,
    canonical_model="bytedance/seedance-1-pro-fast",
    result_key="video",
    billing="video_tokens",
    input_adapter=_seedance("fal-ai/bytedance/seedance/v1/pro/fast/image-to-video", True),
    capabilities={"image_input"},
    description="ByteDance Seedance 1 Pro Fast image-to-video on FAL, 2-12 s up to 1080p",
    unknowns=(
        _FPS_UNKNOWN,
        "aspect_ratio auto: the frame follows the image, so an estimate cannot count tokens",
        _NUM_FRAMES_UNKNOWN,
        _MP4_USUAL,
    ),
)

SEEDANCE_LITE_T2V = fal_card(
    "fal-ai/bytedance/seedance/v1/lite/text-to-video",
    ProducerKind.VIDEO,
    SeedanceLiteTextInputs,
    _MP4,
    _LITE_PRICE,
    canonical_model="bytedance/seedance-1-lite",
    result_key="video",
    billing="video_tokens",
    input_adapter=_seedance("fal-ai/bytedance/seedance/v1/lite/text-to-video", False),
    description="ByteDance Seedance 1 Lite text-to-video on FAL, 2-12 s",
    unknowns=(_FPS_UNKNOWN, _NUM_FRAMES_UNKNOWN, _LITE_DELISTED, _MP4_USUAL),
)

SEEDANCE_LITE_I2V = fal_card(
    "fal-ai/bytedance/seedance/v1/lite/image-to-video",
    ProducerKind.VIDEO,
    SeedanceLiteImageInputs,
    _MP4,
    _LITE_PRICE,
    canonical_model="bytedance/seedance-1-lite",
    result_key="video",
    billing="video_tokens",
    input_adapter=_seedance("fal-ai/bytedance/seedance/v1/lite/image-to-video", True),
    capabilities={"image_input", "last_frame"},
    description="ByteDance Seedance 1 Lite image-to-video on FAL, first and last frame",
    unknowns=(
        _FPS_UNKNOWN,
        "aspect_ratio auto: the frame follows the image, so an estimate cannot count tokens",
        _NUM_FRAMES_UNKNOWN,
        _LITE_DELISTED,
        _MP4_USUAL,
    ),
)

VEO_3_FAST = fal_card(
    "fal-ai/veo3/fast",
    ProducerKind.VIDEO,
    Veo3FastInputs,
    _MP4,
    _VEO_PRICE,
    canonical_model="google/veo-3-fast",
    result_key="video",
    billing="video_seconds",
    input_adapter=_veo("fal-ai/veo3/fast", False),
    capabilities={"generates_audio", "negative_prompt"},
    description="Google Veo 3 Fast text-to-video on FAL, 4/6/8 s at 720p or 1080p, with sound",
    unknowns=(
        "safety_tolerance: in fal-js types 2026-04-07, not in the Jan-2026 OpenAPI",
        "availability: absent from fal-js types 2026-08-02 (still priced 2026-10-01); "
        "fal-ai/veo3.1/fast is the successor",
        _MP4_USUAL,
    ),
)

VEO_3_FAST_I2V = fal_card(
    "fal-ai/veo3/fast/image-to-video",
    ProducerKind.VIDEO,
    Veo3FastImageInputs,
    _MP4,
    _VEO_PRICE,
    canonical_model="google/veo-3-fast",
    result_key="video",
    billing="video_seconds",
    input_adapter=_veo("fal-ai/veo3/fast/image-to-video", True),
    capabilities={"image_input", "generates_audio", "negative_prompt"},
    description="Google Veo 3 Fast image-to-video on FAL, 4/6/8 s at 720p or 1080p, with sound",
    unknowns=(
        "negative_prompt, seed, safety_tolerance: in fal-js types 2026-04-07 only, unconfirmed",
        "availability: absent from fal-js types 2026-08-02",
        _MP4_USUAL,
    ),
)

CARDS = (
    SEEDANCE_PRO_FAST_T2V,
    SEEDANCE_PRO_FAST_I2V,
    SEEDANCE_LITE_T2V,
    SEEDANCE_LITE_I2V,
    VEO_3_FAST,
    VEO_3_FAST_I2V,
)

__all__ = [
    "CARDS",
    "SEEDANCE_LITE_I2V",
    "SEEDANCE_LITE_T2V",
    "SEEDANCE_PRO_FAST_I2V",
    "SEEDANCE_PRO_FAST_T2V",
    "VEO_3_FAST",
    "VEO_3_FAST_I2V",
    "SeedanceLiteImageInputs",
    "SeedanceLiteTextInputs",
    "SeedanceProFastImageInputs",
    "SeedanceProFastTextInputs",
    "Veo3FastImageInputs",
    "Veo3FastInputs",
]
