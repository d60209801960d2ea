"""Image endpoints: seedream v4 (text-to-image, edit), imagen4 preview (standard, fast, ultra),
nano-banana (generate, edit), hunyuan-image v3.

Field names, types, enums, ranges and defaults are FAL's own (fal-models.json). Seedream and
hunyuan take an ``image_size`` (a preset name or ``{"width", "height"}``) where the others take
an ``aspect_ratio``; the producer-level ``aspect_ratio`` becomes the preset of that shape.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from tutopanda_providers.contracts import GenericInputs, OutputSpec, Price, PriceRate, ProducerKind

from tutopanda_provider_fal.adapters import FalMapping
from tutopanda_provider_fal.models._base import (
    FalInputs,
    ImageDims,
    ImagePreset,
    SafetyTolerance,
    SeedreamDims,
    SeedreamPreset,
    fal_card,
)
from tutopanda_provider_fal.pricing import IMAGE, MEGAPIXEL

ImageFormat = Literal["jpeg", "png", "webp"]
ImagenAspect = Literal["1:1", "16:9", "9:16", "4:3", "3:4"]
NanoAspect = Literal["21:9", "16:9", "3:2", "4:3", "5:4", "1:1", "4:5", "3:4", "2:3", "9:16"]
NanoEditAspect = Literal[
    "auto", "21:9", "16:9", "3:2", "4:3", "5:4", "1:1", "4:5", "3:4", "2:3", "9:16"
]

_SYNC = "true: the image comes back as a data URI and is not kept in the request history."
_MIME_NOT_STATED = "output MIME: not stated (no output_format field); read from each file"
_MAYBE_DELISTED = (
    "availability: absent from fal-js types 2026-08-02 (present 2026-04-07), possibly "
    "delisted; check FAL's models API before relying on it"
)


class SeedreamTextToImageInputs(FalInputs):
    """Inputs of fal-ai/bytedance/seedream/v4/text-to-image."""

    prompt: str
    image_size: SeedreamPreset | SeedreamDims = Field(
        default={"width": 2048, "height": 2048},
        validate_default=True,
        description="Preset name or {width, height}; total pixels 960x960 to 4096x4096.",
    )
    num_images: int = Field(default=1, ge=1, le=6, description="Separate generations.")
    max_images: int = Field(
        default=1, ge=1, le=6, description=">1: up to this many images per generation."
    )
    seed: int | None = None
    sync_mode: bool = Field(default=False, description=_SYNC)
    enable_safety_checker: bool = True
    enhance_prompt_mode: Literal["standard", "fast"] = "standard"


class SeedreamEditInputs(FalInputs):
    """Inputs of fal-ai/bytedance/seedream/v4/edit. ``image_size`` has no stated default: it is
    not sent unless given."""

    prompt: str = Field(description="The edit instruction.")
    image_urls: list[str] = Field(
        description="Input image URLs or data URIs; the last 10 are used; inputs plus outputs "
        "must not exceed 15 images."
    )
    image_size: SeedreamPreset | ImageDims | None = Field(
        default=None, description="Preset or {width, height}; at least 921600 px (else scaled up)."
    )
    num_images: int = Field(default=1, ge=1, le=6, description="Separate generations.")
    max_images: int = Field(
        default=1, ge=1, le=6, description=">1: up to this many images per generation."
    )
    seed: int | None = None
    sync_mode: bool = Field(default=False, description=_SYNC)
    enable_safety_checker: bool = True
    enhance_prompt_mode: Literal["standard", "fast"] = "standard"


class Imagen4FastInputs(FalInputs):
    """Inputs of fal-ai/imagen4/preview/fast (no ``resolution``)."""

    prompt: str = Field(min_length=3, max_length=5000)
    num_images: int = Field(default=1, ge=1, le=4)
    aspect_ratio: ImagenAspect = "1:1"
    output_format: ImageFormat = "png"
    sync_mode: bool = Field(default=False, description=_SYNC)
    seed: int | None = None
    safety_tolerance: SafetyTolerance = Field(default="4", description="1 strictest, 6 least.")


class Imagen4Inputs(Imagen4FastInputs):
    """Inputs of fal-ai/imagen4/preview and fal-ai/imagen4/preview/ultra."""

    resolution: Literal["1K", "2K"] = "1K"


class NanoBananaInputs(FalInputs):
    """Inputs of fal-ai/nano-banana."""

    prompt: str = Field(min_length=3, max_length=50000)
    aspect_ratio: NanoAspect = "1:1"
    num_images: int = Field(default=1, ge=1, le=4)
    output_format: ImageFormat = "png"
    sync_mode: bool = Field(default=False, description=_SYNC)
    limit_generations: bool = Field(
        default=False, description="Experimental: one image per prompting round."
    )
    seed: int | None = None
    safety_tolerance: SafetyTolerance = Field(default="4", description="1 strictest, 6 least.")


class NanoBananaEditInputs(FalInputs):
    """Inputs of fal-ai/nano-banana/edit."""

    prompt: str = Field(min_length=3, max_length=50000)
    image_urls: list[str] = Field(description="Reference or edit images (maximum not stated).")
    aspect_ratio: NanoEditAspect = "auto"
    num_images: int = Field(default=1, ge=1, le=4)
    output_format: ImageFormat = "png"
    sync_mode: bool = Field(default=False, description=_SYNC)
    limit_generations: bool = Field(
        default=False, description="Experimental: one image per prompting round."
    )
    seed: int | None = None
    safety_tolerance: SafetyTolerance = Field(default="4", description="1 strictest, 6 least.")


class HunyuanImage3Inputs(FalInputs):
    """Inputs of fal-ai/hunyuan-image/v3/text-to-image."""

    prompt: str
    negative_prompt: str = ""
    image_size: ImagePreset | ImageDims = Field(
        default="square_hd", description="Preset or {width, height}."
    )
    num_images: int = Field(default=1, ge=1, le=4)
    num_inference_steps: int = Field(default=28, ge=1, le=50)
    guidance_scale: float = Field(default=7.5, ge=1, le=20)
    seed: int | None = None
    enable_safety_checker: bool = True
    sync_mode: bool = Field(default=False, description=_SYNC)
    output_format: Literal["jpeg", "png"] = "png"
    enable_prompt_expansion: bool = Field(default=False, description="LLM prompt expansion.")


_PROMPT_SEED = {GenericInputs.PROMPT: "prompt", GenericInputs.SEED: "seed"}
_WITH_RATIO = {**_PROMPT_SEED, GenericInputs.ASPECT_RATIO: "aspect_ratio"}


def _per_image(usd: float, source: str, confidence: str) -> Price:
    return Price(
        rates=(PriceRate(name=IMAGE, unit="image", usd=usd),), source=source, confidence=confidence
    )


_PNG = OutputSpec(type="image", mime="image/png")

SEEDREAM_4_T2I = fal_card(
    "fal-ai/bytedance/seedream/v4/text-to-image",
    ProducerKind.IMAGE,
    SeedreamTextToImageInputs,
    _PNG,
    _per_image(0.03, "fal llms.txt of the endpoint: '$0.03 per images' (fal-models.json)", "high"),
    canonical_model="bytedance/seedream-4",
    result_key="images",
    billing="images",
    input_adapter=FalMapping(
        "fal-ai/bytedance/seedream/v4/text-to-image",
        _PROMPT_SEED,
        size_presets=True,
        extra_presets={"auto": "auto"},
    ),
    capabilities={"multiple_outputs"},
    description="ByteDance Seedream 4 text-to-image on FAL, up to 4K",
    unknowns=(_MIME_NOT_STATED,),
)

SEEDREAM_4_EDIT = fal_card(
    "fal-ai/bytedance/seedream/v4/edit",
    ProducerKind.IMAGE,
    SeedreamEditInputs,
    _PNG,
    _per_image(
        0.03,
        "'$0.03 per image' from third-party code quoting fal's edit page (fal-models.json)",
        "medium",
    ),
    canonical_model="bytedance/seedream-4",
    result_key="images",
    billing="images",
    input_adapter=FalMapping(
        "fal-ai/bytedance/seedream/v4/edit",
        _PROMPT_SEED,
        image_list="image_urls",
        size_presets=True,
        extra_presets={"auto": "auto"},
    ),
    capabilities={"image_input", "multiple_outputs"},
    description="ByteDance Seedream 4 image editing on FAL (1-10 input images)",
    unknowns=(
        "image_size: default not stated (text-to-image uses 2048x2048); not sent unless given",
        _MIME_NOT_STATED,
    ),
)

_IMAGEN_UNKNOWNS = (
    "seed, safety_tolerance: in fal-js types 2026-04-07, not in the Jan-2026 OpenAPI",
    _MAYBE_DELISTED,
)

IMAGEN_4 = fal_card(
    "fal-ai/imagen4/preview",
    ProducerKind.IMAGE,
    Imagen4Inputs,
    _PNG,
    _per_image(0.04, "fal llms.txt of the endpoint: '$0.04 per images' (fal-models.json)", "high"),
    canonical_model="google/imagen-4",
    result_key="images",
    billing="images",
    input_adapter=FalMapping("fal-ai/imagen4/preview", _WITH_RATIO),
    capabilities={"multiple_outputs"},
    description="Google Imagen 4 (preview) text-to-image on FAL, 1K or 2K",
    unknowns=("price at resolution 2K: not stated whether it costs more", *_IMAGEN_UNKNOWNS),
)

IMAGEN_4_FAST = fal_card(
    "fal-ai/imagen4/preview/fast",
    ProducerKind.IMAGE,
    Imagen4FastInputs,
    _PNG,
    _per_image(
        0.02,
        "two third-party price tables; fal's own page not found (fal-models.json)",
        "low",
    ),
    canonical_model="google/imagen-4-fast",
    result_key="images",
    billing="images",
    input_adapter=FalMapping("fal-ai/imagen4/preview/fast", _WITH_RATIO),
    capabilities={"multiple_outputs"},
    description="Google Imagen 4 Fast (preview) text-to-image on FAL",
    unknowns=("price: $0.02 from third-party tables only, unconfirmed", *_IMAGEN_UNKNOWNS),
)

IMAGEN_4_ULTRA = fal_card(
    "fal-ai/imagen4/preview/ultra",
    ProducerKind.IMAGE,
    Imagen4Inputs,
    _PNG,
    _per_image(
        0.06,
        "third-party price tables and code; fal's own page not found (fal-models.json)",
        "low",
    ),
    canonical_model="google/imagen-4-ultra",
    result_key="images",
    billing="images",
    input_adapter=FalMapping("fal-ai/imagen4/preview/ultra", _WITH_RATIO),
    capabilities={"multiple_outputs"},
    description="Google Imagen 4 Ultra (preview) text-to-image on FAL, 1K or 2K",
    unknowns=("price: $0.06 from third-party tables only, unconfirmed", *_IMAGEN_UNKNOWNS),
)

NANO_BANANA = fal_card(
    "fal-ai/nano-banana",
    ProducerKind.IMAGE,
    NanoBananaInputs,
    _PNG,
    _per_image(
        0.039, "fal catalog pricing, Jan 2026: '$0.039 per image' (fal-models.json)", "high"
    ),
    canonical_model="google/nano-banana",
    result_key="images",
    billing="images",
    input_adapter=FalMapping("fal-ai/nano-banana", _WITH_RATIO),
    capabilities={"multiple_outputs"},
    description="Google Nano Banana (Gemini 2.5 Flash Image) generation on FAL",
)

NANO_BANANA_EDIT = fal_card(
    "fal-ai/nano-banana/edit",
    ProducerKind.IMAGE,
    NanoBananaEditInputs,
    _PNG,
    _per_image(
        0.039, "fal catalog pricing, Jan 2026: '$0.039 per image' (fal-models.json)", "high"
    ),
    canonical_model="google/nano-banana",
    result_key="images",
    billing="images",
    input_adapter=FalMapping("fal-ai/nano-banana/edit", _WITH_RATIO, image_list="image_urls"),
    capabilities={"image_input", "multiple_outputs"},
    description="Google Nano Banana (Gemini 2.5 Flash Image) editing on FAL",
    unknowns=("image_urls: the maximum number of images is not stated",),
)

HUNYUAN_IMAGE_3 = fal_card(
    "fal-ai/hunyuan-image/v3/text-to-image",
    ProducerKind.IMAGE,
    HunyuanImage3Inputs,
    _PNG,
    Price(
        rates=(PriceRate(name=MEGAPIXEL, unit="megapixel", usd=0.1),),
        source="fal llms.txt of the endpoint: '$0.1 per megapixels' (fal-models.json)",
        confidence="high",
        notes="a square_hd (1024x1024) image is about 1.05 MP, so about $0.105",
    ),
    canonical_model="tencent/hunyuan-image-3",
    result_key="images",
    billing="megapixels",
    input_adapter=FalMapping(
        "fal-ai/hunyuan-image/v3/text-to-image",
        {**_PROMPT_SEED, GenericInputs.NEGATIVE_PROMPT: "negative_prompt"},
        size_presets=True,
    ),
    capabilities={"negative_prompt", "multiple_outputs"},
    description="Tencent HunyuanImage 3 text-to-image on FAL",
    unknowns=(
        "image_size: the pixels of each preset (square_hd 1024x1024 ...) are fal's usual ones, "
        "not stated in the reference; estimates use them",
        "image_size {width, height}: bounds not stated",
        "megapixel billing: how fal rounds the megapixels of an image is not stated",
    ),
)

CARDS = (
    SEEDREAM_4_T2I,
    SEEDREAM_4_EDIT,
    IMAGEN_4,
    IMAGEN_4_FAST,
    IMAGEN_4_ULTRA,
    NANO_BANANA,
    NANO_BANANA_EDIT,
    HUNYUAN_IMAGE_3,
)

__all__ = [
    "CARDS",
    "HUNYUAN_IMAGE_3",
    "IMAGEN_4",
    "IMAGEN_4_FAST",
    "IMAGEN_4_ULTRA",
    "NANO_BANANA",
    "NANO_BANANA_EDIT",
    "SEEDREAM_4_EDIT",
    "SEEDREAM_4_T2I",
    "HunyuanImage3Inputs",
    "Imagen4FastInputs",
    "Imagen4Inputs",
    "NanoBananaEditInputs",
    "NanoBananaInputs",
    "SeedreamEditInputs",
    "SeedreamTextToImageInputs",
]
