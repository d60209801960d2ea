"""What every FAL card shares: the input base class, image sizes, the secret and the card maker."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from tutopanda_providers.contracts import (
    InputAdapter,
    ModelCard,
    OutputSpec,
    Price,
    ProducerKind,
)

from tutopanda_provider_fal.names import PROVIDER, SECRET_NAME
from tutopanda_provider_fal.pricing import Billing, estimate

#: The secret a live FAL handler needs.
SECRET_NAMES = (SECRET_NAME,)
#: The rate-limit bucket shared by every FAL endpoint. FAL limits concurrent requests per
#: account (a request over the limit waits in the queue), not requests per minute, so the cards
#: carry no ``rate_limit``.
RATE_KEY = PROVIDER
#: Where this package's facts come from.
FAL_MODELS_JSON = "shared/reference/fal-models.json"

#: Where the result JSON holds the output files.
ResultKey = Literal["images", "video", "audio"]

#: FAL's ``image_size`` presets (fal-models.json; seedream adds ``auto``, ``auto_2K``, ``auto_4K``).
ImagePreset = Literal[
    "square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9"
]
SeedreamPreset = Literal[
    "square_hd",
    "square",
    "portrait_4_3",
    "portrait_16_9",
    "landscape_4_3",
    "landscape_16_9",
    "auto",
    "auto_2K",
    "auto_4K",
]
#: ``safety_tolerance``: 1 strictest .. 6 least strict, as strings.
SafetyTolerance = Literal["1", "2", "3", "4", "5", "6"]


class FalInputs(BaseModel):
    """Base of every endpoint's input schema: unknown fields are refused.

    The schema is built on first validation (``defer_build``) so loading the plugin stays cheap.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)


class ImageDims(FalInputs):
    """An explicit ``image_size``: ``{"width": W, "height": H}`` in pixels."""

    width: int = Field(gt=0)
    height: int = Field(gt=0)


class SeedreamDims(FalInputs):
    """Seedream's explicit ``image_size``: each side 1-14142 px, total area between 960x960
    and 4096x4096 (fal-models.json)."""

    width: int = Field(gt=0, le=14142)
    height: int = Field(gt=0, le=14142)

    @model_validator(mode="after")
    def _area(self) -> SeedreamDims:
        area = self.width * self.height
        if not 960 * 960 <= area <= 4096 * 4096:
            raise ValueError(
                f"{self.width}x{self.height} is {area} pixels; seedream needs between "
                f"{960 * 960} (960x960) and {4096 * 4096} (4096x4096)"
            )
        return self


def fal_card(
    model: str,
    kind: ProducerKind,
    input_model: type[BaseModel],
    output: OutputSpec,
    price: Price,
    *,
    canonical_model: str,
    result_key: ResultKey,
    billing: Billing,
    input_adapter: InputAdapter,
    description: str,
    capabilities: Iterable[str] = (),
    unknowns: tuple[str, ...] = (),
) -> ModelCard:
    """A :class:`ModelCard` with what every FAL endpoint shares filled in.

    Args:
        model: the endpoint id exactly as FAL names it (``fal-ai/veo3/fast``).
        canonical_model: the provider-neutral model name (the Replicate card's model).
        result_key: where the result JSON holds the output files.
        billing: how :mod:`tutopanda_provider_fal.pricing` prices it.
    """
    extra: dict[str, Any] = {"result_key": result_key, "billing": billing}
    return ModelCard(
        provider=PROVIDER,
        model=model,
        kind=kind,
        input_model=input_model,
        output=output,
        price=price,
        capabilities=frozenset(capabilities),
        secret_names=SECRET_NAMES,
        rate_key=RATE_KEY,
        input_adapter=input_adapter,
        cost_estimator=estimate,
        description=description,
        unknowns=unknowns,
        extra=extra,
        canonical_model=canonical_model,
    )


__all__ = [
    "FAL_MODELS_JSON",
    "RATE_KEY",
    "SECRET_NAMES",
    "FalInputs",
    "ImageDims",
    "ImagePreset",
    "ResultKey",
    "SafetyTolerance",
    "SeedreamDims",
    "SeedreamPreset",
    "fal_card",
]
