"""What every Replicate card shares: the input base class, the secret, the rate limit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from tutopanda_providers.contracts import (
    CostEstimator,
    InputAdapter,
    ModelCard,
    OutputSpec,
    Price,
    ProducerKind,
)

#: The provider name of every card in this package.
PROVIDER = "replicate"
#: The secret a live Replicate handler needs.
SECRET_NAMES = ("REPLICATE_API_TOKEN",)
#: The rate-limit bucket shared by every Replicate model (the limit is per account).
RATE_KEY = "replicate"
#: Replicate's documented limit on creating predictions, per minute.
CREATE_RATE_LIMIT = 600.0
#: Where this package's facts come from (see models.json's per-model sources).
MODELS_JSON = "shared/reference/models.json"


class ReplicateInputs(BaseModel):
    """Base of every model's input schema: unknown fields are refused.

    The schema is built on first validation (``defer_build``) so loading the plugin stays cheap.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)


def url_list(max_items: int, description: str) -> Any:
    """A list of file URLs (``https:`` or ``data:``) of at most ``max_items``."""
    return Field(default=None, max_length=max_items, description=description)


def replicate_card(
    model: str,
    kind: ProducerKind,
    input_model: type[BaseModel],
    output: OutputSpec,
    price: Price,
    *,
    input_adapter: InputAdapter,
    cost_estimator: CostEstimator,
    description: str,
    capabilities: Iterable[str] = (),
    unknowns: tuple[str, ...] = (),
    cost_from_inputs: bool = False,
    rate_key: str = RATE_KEY,
) -> ModelCard:
    """A :class:`ModelCard` with what every Replicate model shares filled in.

    Args:
        cost_from_inputs: the billed quantity is fully determined by the inputs (seconds of
            video asked for, characters of text), so the estimate is the cost once the
            prediction succeeded.
        rate_key: the rate-limit bucket; Replicate limits creations per account, so every
            model shares ``replicate`` unless a deployment is given its own.
    """
    return ModelCard(
        provider=PROVIDER,
        model=model,
        kind=kind,
        input_model=input_model,
        output=output,
        price=price,
        capabilities=frozenset(capabilities),
        secret_names=SECRET_NAMES,
        rate_key=rate_key,
        rate_limit=CREATE_RATE_LIMIT,
        input_adapter=input_adapter,
        cost_estimator=cost_estimator,
        description=description,
        unknowns=unknowns,
        extra={"cost_from_inputs": cost_from_inputs},
        # Replicate names each model as its maker publishes it: the card's model name is the
        # provider-neutral name other providers' cards of the same model carry too.
        canonical_model=model,
    )


__all__ = [
    "replicate_card",
    "CREATE_RATE_LIMIT",
    "MODELS_JSON",
    "PROVIDER",
    "RATE_KEY",
    "SECRET_NAMES",
    "ReplicateInputs",
    "url_list",
]
