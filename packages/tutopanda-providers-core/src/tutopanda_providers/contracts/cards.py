"""Model cards: what a plugin says about a model, as data.

A card names the model, its kind, its input schema (a pydantic model with the model's own field
names), its output, its price and its capabilities. Cards are cheap to build: building one must
not import a vendor SDK. The registry validates inputs against ``card.input_model`` before any
handler runs, in live and mock mode alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from tutopanda_providers.contracts.data import Cost, CostItem, ProducerKind
from tutopanda_providers.contracts.errors import InvalidInputError


class InputModel(BaseModel):
    """Base class for a card's input schema.

    Its pydantic schema is built on first use, not when the class is defined: a plugin that
    declares dozens of input models stays cheap to load (building the first schema in a process
    costs about 50 ms here). Subclass it instead of ``BaseModel`` for ``ModelCard.input_model``.
    """

    model_config = ConfigDict(defer_build=True)


# Price, PriceRate and OutputSpec are frozen dataclasses rather than pydantic models: plugins
# build hundreds of them while loading, and the first pydantic model instantiated in a process
# pays for building the whole schema machinery. Their constructors take the same keywords.
@dataclass(frozen=True)
class PriceRate:
    """One price: US dollars per unit, or ``None`` when the price is not known."""

    name: str
    unit: str
    usd: float | None

    def to_dict(self) -> dict[str, Any]:
        """The rate as a JSON-able dict."""
        return {"name": self.name, "unit": self.unit, "usd": self.usd}


@dataclass(frozen=True)
class Price:
    """A model's price list with where it came from.

    ``rates`` holds one line per billed quantity (input tokens, output tokens, seconds of
    video, images, web-search calls). ``source`` names where the numbers were read.
    """

    rates: tuple[PriceRate, ...]
    source: str
    confidence: str = "medium"
    notes: str | None = None

    def __post_init__(self) -> None:
        # Accept a list for convenience; store a tuple so the price stays hashable.
        object.__setattr__(self, "rates", tuple(self.rates))

    @property
    def unit(self) -> str:
        """The unit of the main rate (the first), e.g. ``image`` or ``second``."""
        return self.rates[0].unit if self.rates else "unknown"

    def rate(self, name: str) -> PriceRate | None:
        """The rate called ``name``, or ``None``."""
        return next((r for r in self.rates if r.name == name), None)

    def cost(
        self,
        quantities: Mapping[str, float],
        *,
        status: Any = "known",
    ) -> Cost:
        """Price ``quantities`` (rate name → quantity); unknown if any rate lacks a price."""
        items: list[CostItem] = []
        for name, quantity in quantities.items():
            rate = self.rate(name)
            if rate is None or rate.usd is None:
                return Cost.unknown(f"no known price for {name!r} ({self.source})")
            items.append(
                CostItem(name=name, unit=rate.unit, quantity=quantity, usd_per_unit=rate.usd)
            )
        if not items:
            return Cost.unknown(f"nothing to price ({self.source})")
        return Cost.from_items(items, source=self.source, status=status)

    def to_dict(self) -> dict[str, Any]:
        """The price as a JSON-able dict."""
        return {
            "rates": [r.to_dict() for r in self.rates],
            "source": self.source,
            "confidence": self.confidence,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class OutputSpec:
    """What the model returns: ``json``, ``text``, ``audio``, ``image`` or ``video``, and its MIME."""

    type: str
    mime: str
    count: int = 1

    def to_dict(self) -> dict[str, Any]:
        """The output spec as a JSON-able dict."""
        return {"type": self.type, "mime": self.mime, "count": self.count}


CostEstimator = Callable[["ModelCard", Mapping[str, Any]], Cost]
InputAdapter = Callable[[Mapping[str, Any]], dict[str, Any]]


class GenericInputs:
    """Names of the producer-level inputs a runner may pass to any model of a kind.

    A card's ``input_adapter`` maps these onto the model's own fields (``prompt`` may become
    ``text`` for a narration model; ``duration_seconds`` may become ``duration``).
    """

    PROMPT = "prompt"
    TEXT = "text"
    DURATION_SECONDS = "duration_seconds"
    ASPECT_RATIO = "aspect_ratio"
    IMAGE_URLS = "image_urls"
    VOICE = "voice"
    NEGATIVE_PROMPT = "negative_prompt"
    SEED = "seed"


@dataclass(frozen=True)
class ModelCard:
    """Everything known about one (provider, model) that does not need its SDK.

    Attributes:
        provider: provider name, e.g. ``replicate``.
        model: the provider's model name, e.g. ``google/imagen-4``.
        kind: the :class:`ProducerKind` it serves.
        input_model: pydantic model of the model's own inputs, with defaults, enums and ranges.
        output: what it returns.
        price: its price list and source.
        capabilities: free-form flags such as ``web_search``, ``reasoning``, ``image_input``,
            ``generates_audio``.
        secret_names: the secrets its live handler needs (e.g. ``REPLICATE_API_TOKEN``).
        rate_key: the key of the rate-limit bucket its calls share (default: the provider).
        rate_limit: requests per minute the provider documents for that key, if any.
        input_adapter: maps producer-level inputs (:class:`GenericInputs`) to the model's fields.
        cost_estimator: estimates a call's cost from its validated inputs.
        description: one line for listings.
        unknowns: facts the card could not confirm (fields whose range is unknown, etc.).
        passthrough: when true, unknown input fields are passed on instead of refused.
        canonical_model: the provider-neutral name of the model the card serves, as its maker
            publishes it (``google/veo-3-fast``, ``minimax/speech-02-hd``). Cards of different
            providers with the same ``canonical_model`` serve one model, so settings can name it
            once with an order of providers and fail over between them. Several cards of one
            provider may share it when they are variants of one model (text-to-video and
            image-to-video endpoints). ``None``: the card is the only one known to serve it.
    """

    provider: str
    model: str
    kind: ProducerKind
    input_model: type[BaseModel]
    output: OutputSpec
    price: Price
    capabilities: frozenset[str] = frozenset()
    secret_names: tuple[str, ...] = ()
    rate_key: str | None = None
    rate_limit: float | None = None
    input_adapter: InputAdapter | None = None
    cost_estimator: CostEstimator | None = None
    description: str = ""
    unknowns: tuple[str, ...] = ()
    passthrough: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
    canonical_model: str | None = None

    def __post_init__(self) -> None:
        # A card is data read by every registry: refuse a malformed one where it is declared,
        # so the plugin that built it is named in the error (the registry reports it).
        object.__setattr__(self, "kind", ProducerKind(self.kind))
        if not self.provider or not self.model:
            raise ValueError(f"a model card needs a provider and a model, got {self.ref!r}")
        if not (isinstance(self.input_model, type) and issubclass(self.input_model, BaseModel)):
            raise TypeError(
                f"the input_model of {self.ref} must be a pydantic model class, "
                f"got {self.input_model!r}"
            )
        object.__setattr__(self, "capabilities", frozenset(self.capabilities))
        object.__setattr__(self, "secret_names", tuple(self.secret_names))

    @property
    def ref(self) -> str:
        """``provider/model``."""
        return f"{self.provider}/{self.model}"

    @property
    def effective_rate_key(self) -> str:
        """The rate key, defaulting to the provider name."""
        return self.rate_key or self.provider

    def adapt_inputs(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Map producer-level inputs onto this model's fields (identity without an adapter)."""
        return self.input_adapter(inputs) if self.input_adapter else dict(inputs)

    def validate_inputs(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Validate ``inputs`` against the card's schema and return them with defaults applied.

        Raises:
            InvalidInputError: naming every bad field, the value given and what is allowed.
        """
        adapted = self.adapt_inputs(inputs)
        extra = (
            [] if self.passthrough else sorted(set(adapted) - set(self.input_model.model_fields))
        )
        errors: list[dict[str, Any]] = []
        for name in extra:
            allowed = ", ".join(sorted(self.input_model.model_fields)) or "none"
            errors.append(
                {
                    "field": name,
                    "value": _short(adapted[name]),
                    "problem": f"is not an input of {self.ref}; its inputs are: {allowed}",
                }
            )
        validated: BaseModel | None = None
        try:
            validated = self.input_model.model_validate(
                {k: v for k, v in adapted.items() if k not in extra}
            )
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = ".".join(str(p) for p in err["loc"]) or "(inputs)"
                errors.append(
                    {"field": loc, "value": _short(err.get("input")), "problem": err["msg"]}
                )
        if errors or validated is None:
            lines = "; ".join(f"{e['field']}={e['value']}: {e['problem']}" for e in errors)
            raise InvalidInputError(
                f"invalid inputs for {self.ref}: {lines}. Fix these fields and try again.",
                provider=self.provider,
                model=self.model,
                details={"errors": errors},
            )
        result = validated.model_dump(mode="json", exclude_none=True)
        if self.passthrough:
            result.update({k: v for k, v in adapted.items() if k not in result})
        return result

    def to_dict(self) -> dict[str, Any]:
        """The card's facts as a JSON-able dict (the input schema by field name, not built)."""
        return {
            "provider": self.provider,
            "model": self.model,
            "kind": self.kind.value,
            "inputs": sorted(self.input_model.model_fields),
            "output": self.output.to_dict(),
            "price": self.price.to_dict(),
            "capabilities": sorted(self.capabilities),
            "secret_names": list(self.secret_names),
            "description": self.description,
            "unknowns": list(self.unknowns),
            "canonical_model": self.canonical_model,
        }

    def estimate_cost(self, inputs: Mapping[str, Any]) -> Cost:
        """Estimate a live call's cost from validated inputs; unknown when it cannot be told."""
        if self.cost_estimator is not None:
            return self.cost_estimator(self, inputs)
        rates = self.price.rates
        if len(rates) == 1 and rates[0].unit in {"image", "file", "call", "run", "output"}:
            return self.price.cost({rates[0].name: float(self.output.count)}, status="estimated")
        return Cost.unknown(f"{self.ref} has no estimator for unit {self.price.unit!r}")


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = [
    "CostEstimator",
    "GenericInputs",
    "InputAdapter",
    "InputModel",
    "ModelCard",
    "OutputSpec",
    "Price",
    "PriceRate",
]
