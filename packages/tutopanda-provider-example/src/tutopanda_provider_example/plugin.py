"""The ``acme`` plugin: the card of Acme's image model and the hook that registers it.

Loading this module imports no HTTP client: :func:`create_handler` imports the handler (and
``httpx``) only when the registry first needs a handler, so ``models`` and ``doctor`` stay
fast and a broken optional dependency cannot break discovery.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import Field
from tutopanda_providers import (
    Implementation,
    InputModel,
    ModelCard,
    OutputSpec,
    Price,
    PriceRate,
    ProducerKind,
    hookimpl,
)

from tutopanda_provider_example.names import SECRET_NAME

if TYPE_CHECKING:
    from tutopanda_providers.handler import HandlerContext, ProducerHandler

#: The hook-contract major version this plugin was written for. A literal on purpose: core
#: refuses a plugin whose number differs from its own, which importing core's value defeats.
TUTOPANDA_HOOK_CONTRACT = 1
#: Bump when the handler's outputs change for the same inputs (part of cache keys).
HANDLER_VERSION = "1"


class PixelInputs(InputModel):
    """What ``acme/pixel-1`` takes: the API's own field names, ranges and defaults."""

    prompt: str = Field(min_length=1, max_length=2000, description="What to draw")
    aspect_ratio: Literal["1:1", "16:9", "9:16", "4:3", "3:4"] = "16:9"
    output_format: Literal["png", "jpeg"] = "png"
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)


PIXEL_1 = ModelCard(
    provider="acme",
    model="pixel-1",
    kind=ProducerKind.IMAGE,
    input_model=PixelInputs,
    output=OutputSpec(type="image", mime="image/png"),
    price=Price(rates=(PriceRate(name="image", unit="image", usd=0.03),), source="acme pricing"),
    secret_names=(SECRET_NAME,),
    description="Acme Pixel 1: a made-up text-to-image model (the plugin template)",
)

CARDS = (PIXEL_1,)


def create_handler(context: HandlerContext) -> ProducerHandler:
    """Build the live handler for ``context.descriptor`` (imports ``httpx``)."""
    from tutopanda_provider_example.handler import AcmeHandler

    return AcmeHandler(context)


@hookimpl
def tutopanda_register_providers(register: Callable[[Implementation], None]) -> None:
    """Register the live implementation of each Acme model (mock mode is the mock plugin's)."""
    for card in CARDS:
        register(
            Implementation.for_card(card, create_handler, mode="live", version=HANDLER_VERSION)
        )
