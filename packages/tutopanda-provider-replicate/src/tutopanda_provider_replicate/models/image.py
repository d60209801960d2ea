"""Image models: bytedance/seedream-4, google/imagen-4, google/nano-banana, tencent/hunyuan-image-3."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field
from tutopanda_providers.contracts import GenericInputs, OutputSpec, Price, PriceRate, ProducerKind

from tutopanda_provider_replicate.adapters import InputMapping
from tutopanda_provider_replicate.models._base import ReplicateInputs, replicate_card, url_list
from tutopanda_provider_replicate.pricing import IMAGE, per_image

_PROMPT = {GenericInputs.PROMPT: "prompt", GenericInputs.ASPECT_RATIO: "aspect_ratio"}
_PROMPT_SEED = {**_PROMPT, GenericInputs.SEED: "seed"}


class Seedream4Inputs(ReplicateInputs):
    """Inputs of bytedance/seedream-4. The size field is ``size`` (there is no ``output_size``)."""

    prompt: str = Field(min_length=1)
    image_input: list[str] | None = url_list(10, "1-10 reference images for image-to-image.")
    size: Literal["1K", "2K", "4K", "custom"] = "2K"
    aspect_ratio: Literal[
        "match_input_image", "1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "21:9"
    ] = Field(default="match_input_image", description="Ignored when size is custom.")
    width: int = Field(default=2048, ge=1024, le=4096, description="Only with size=custom.")
    height: int = Field(default=2048, ge=1024, le=4096, description="Only with size=custom.")
    sequential_image_generation: Literal["disabled", "auto"] = "disabled"
    max_images: int = Field(
        default=1, ge=1, le=15, description="Only with sequential_image_generation=auto."
    )
    enhance_prompt: bool = True


def _seedream_images(inputs: Mapping[str, Any]) -> int:
    # With sequential generation the model returns up to max_images; price the most it may
    # bill, and the handler prices what actually came back.
    if inputs.get("sequential_image_generation") == "auto":
        return int(inputs.get("max_images", 1))
    return 1


class Imagen4Inputs(ReplicateInputs):
    """Inputs of google/imagen-4."""

    prompt: str = Field(min_length=1)
    aspect_ratio: Literal["1:1", "9:16", "16:9", "3:4", "4:3"] = "1:1"
    image_size: Literal["1K", "2K"] | None = Field(
        default=None, description="Replicate's default is 1K on imagen-4-ultra; unconfirmed here."
    )
    safety_filter_level: Literal[
        "block_low_and_above", "block_medium_and_above", "block_only_high"
    ] = "block_only_high"
    output_format: Literal["jpg", "png"] = "jpg"


class NanoBananaInputs(ReplicateInputs):
    """Inputs of google/nano-banana."""

    prompt: str = Field(min_length=1)
    image_input: list[str] | None = Field(
        default=None, description="Reference images (maximum not documented)."
    )
    aspect_ratio: Literal[
        "match_input_image",
        "1:1",
        "2:3",
        "3:2",
        "3:4",
        "4:3",
        "4:5",
        "5:4",
        "9:16",
        "16:9",
        "21:9",
    ] = "match_input_image"
    output_format: Literal["jpg", "png"] = "jpg"


class HunyuanImage3Inputs(ReplicateInputs):
    """Inputs of tencent/hunyuan-image-3. Replicate's defaults are unknown: unset fields are
    not sent, so the model applies its own."""

    prompt: str = Field(min_length=1)
    aspect_ratio: (
        Literal["1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21"]
        | None
    ) = None
    seed: int | None = None
    go_fast: bool | None = None
    output_format: Literal["webp", "jpg", "png"] | None = None
    output_quality: int | None = Field(default=None, description="Range unknown.")
    disable_safety_checker: bool | None = None


SEEDREAM_4 = replicate_card(
    "bytedance/seedream-4",
    ProducerKind.IMAGE,
    Seedream4Inputs,
    OutputSpec(type="image", mime="image/jpeg"),
    Price(
        rates=(PriceRate(name=IMAGE, unit="image", usd=0.03),),
        source="Replicate model page (tutopanda copy, Nov 2025) and llm-stats.com",
        confidence="medium",
    ),
    input_adapter=InputMapping("bytedance/seedream-4", _PROMPT, image_list="image_input"),
    cost_estimator=per_image(_seedream_images),
    capabilities={"image_input", "multiple_outputs"},
    description="ByteDance Seedream 4 text/image-to-image, up to 4K",
    unknowns=("output MIME: jpeg is likely, not confirmed",),
)

IMAGEN_4 = replicate_card(
    "google/imagen-4",
    ProducerKind.IMAGE,
    Imagen4Inputs,
    OutputSpec(type="image", mime="image/jpeg"),
    Price(
        rates=(PriceRate(name=IMAGE, unit="image", usd=None),),
        source="not confirmed: a third-party table says $0.03, commonly cited $0.04",
        confidence="unknown",
    ),
    input_adapter=InputMapping("google/imagen-4", _PROMPT),
    cost_estimator=per_image(),
    description="Google Imagen 4 text-to-image",
    unknowns=(
        "image_size: enum and default taken from imagen-4-ultra; not sent unless given",
        "price: not confirmed",
    ),
)

NANO_BANANA = replicate_card(
    "google/nano-banana",
    ProducerKind.IMAGE,
    NanoBananaInputs,
    OutputSpec(type="image", mime="image/jpeg"),
    Price(
        rates=(PriceRate(name=IMAGE, unit="image", usd=0.039),),
        source="Replicate model page (tutopanda copy, Nov 2025) and a public pricing registry",
        confidence="high",
    ),
    input_adapter=InputMapping("google/nano-banana", _PROMPT, image_list="image_input"),
    cost_estimator=per_image(),
    capabilities={"image_input"},
    description="Google Nano Banana (Gemini 2.5 Flash Image) generation and editing",
    unknowns=("image_input: the maximum number of images is not documented",),
)

HUNYUAN_IMAGE_3 = replicate_card(
    "tencent/hunyuan-image-3",
    ProducerKind.IMAGE,
    HunyuanImage3Inputs,
    OutputSpec(type="image", mime="image/webp"),
    Price(
        rates=(PriceRate(name=IMAGE, unit="image", usd=None),),
        source="not confirmed: code tables say $0.064 or $0.08",
        confidence="unknown",
    ),
    input_adapter=InputMapping("tencent/hunyuan-image-3", _PROMPT_SEED),
    cost_estimator=per_image(),
    description="Tencent HunyuanImage 3 text-to-image",
    unknowns=(
        "defaults of every field but prompt: unset fields are not sent",
        "output_quality: range unknown, any integer accepted",
        "price: not confirmed",
    ),
)

CARDS = (SEEDREAM_4, IMAGEN_4, NANO_BANANA, HUNYUAN_IMAGE_3)

__all__ = [
    "CARDS",
    "HUNYUAN_IMAGE_3",
    "IMAGEN_4",
    "NANO_BANANA",
    "SEEDREAM_4",
    "HunyuanImage3Inputs",
    "Imagen4Inputs",
    "NanoBananaInputs",
    "Seedream4Inputs",
]
