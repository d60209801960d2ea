"""Fixtures for the mock provider's tests.

``seed_cards`` builds a card for every model of the seed (``data/seed_models.json``, copied
from the reference ``models.json``) with an input model that uses the model's real field
names, enums, ranges and defaults — what the Replicate and OpenAI plugins register — so these
tests prove the mock serves them without depending on those plugins.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import pytest
import tutopanda_provider_mock.plugin as mock_plugin
from pydantic import BaseModel, ConfigDict, Field, create_model
from tutopanda_providers import (
    Descriptor,
    JobInfo,
    ModelCard,
    OutputSpec,
    Price,
    PriceRate,
    ProducerKind,
    ProducerResult,
    ProviderRegistry,
)
from tutopanda_providers.contracts import PromptInputs, ScriptInputs
from tutopanda_providers_testing.fakes import FakePlugin, fake_registry

SEED_MODELS = Path(__file__).parent / "data" / "seed_models.json"
_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "uri": str,
    "array": list[str],
    "array<uri>": list[str],
    "string|array": str | list[Any],
}


def load_seed_models() -> list[dict[str, Any]]:
    models: list[dict[str, Any]] = json.loads(SEED_MODELS.read_text())["models"]
    return models


def _input_model(entry: Mapping[str, Any]) -> type[BaseModel]:
    if entry["kind"] == "script" and entry["provider"] == "openai":
        return ScriptInputs
    if entry["kind"] == "prompt":
        return PromptInputs
    fields: dict[str, Any] = {}
    for spec in entry["inputs"]:
        name = spec["name"]
        if not name.isidentifier():
            continue
        annotation: Any = _TYPES.get(spec["type"], Any)
        if spec["enum"]:
            annotation = Literal[tuple(spec["enum"])]
        constraints = {k: v for k, v in (("ge", spec["min"]), ("le", spec["max"])) if v is not None}
        if spec["required"]:
            fields[name] = (annotation, Field(..., **constraints))
        else:
            fields[name] = (annotation | None, Field(spec["default"], **constraints))
    model_name = "".join(p.capitalize() for p in entry["model"].replace("/", "-").split("-"))
    return create_model(
        f"{model_name}Inputs",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )


def _price(entry: Mapping[str, Any]) -> Price:
    usd = entry["pricing"]["usd"]
    unit = entry["pricing"]["unit"]
    if unit == "output image":
        return Price(rates=(PriceRate(name="image", unit="image", usd=usd),), source="seed")
    if unit == "output audio file":
        return Price(rates=(PriceRate(name="file", unit="file", usd=usd),), source="seed")
    return Price(rates=(PriceRate(name="usage", unit=unit, usd=None),), source="seed")


def seed_card(entry: Mapping[str, Any]) -> ModelCard:
    kind = ProducerKind(entry["kind"])
    mime = entry["output"]["mime"] or "application/octet-stream"
    if kind in (ProducerKind.SCRIPT, ProducerKind.PROMPT):
        mime = "application/json"
    capabilities = (
        frozenset({"generates_audio"}) if entry["model"] == "google/veo-3-fast" else frozenset()
    )
    return ModelCard(
        provider=entry["provider"],
        model=entry["model"],
        kind=kind,
        input_model=_input_model(entry),
        output=OutputSpec(type=kind.value, mime=mime),
        price=_price(entry),
        capabilities=capabilities,
    )


def seed_cards_plugin() -> FakePlugin:
    """A card (and a live factory that must never run) for every seed model."""
    cards = [seed_card(e) for e in load_seed_models()]
    return FakePlugin.for_cards(cards, _no_live_handler, modes=("live",))


def _no_live_handler(context: Any) -> Any:
    raise AssertionError("a live handler was created in a mock test")


@pytest.fixture
def blob_root(tmp_path: Path) -> Path:
    return tmp_path / "blobs"


@pytest.fixture
def registry(blob_root: Path) -> ProviderRegistry:
    return fake_registry(
        [("mock", mock_plugin), ("seed", seed_cards_plugin())], storage=blob_root, mode="mock"
    )


Invoke = Callable[..., Awaitable[ProducerResult]]


@pytest.fixture
def invoke(registry: ProviderRegistry) -> Invoke:
    """``await invoke("replicate/google/veo-3-fast", {...}, job_id="job-1")`` in mock mode."""

    async def run(ref: str, inputs: Mapping[str, Any], *, job_id: str = "job-1") -> ProducerResult:
        descriptor = Descriptor.parse(ref)
        card = registry.card(descriptor)
        handler = registry.resolve(descriptor)
        request = registry.new_request(
            descriptor, inputs, job=JobInfo(id=job_id, producer="TestProducer", kind=card.kind)
        )
        return await handler.invoke(request)

    return run


@pytest.fixture
def read_blob(registry: ProviderRegistry) -> Callable[[ProducerResult], bytes]:
    def read(result: ProducerResult, index: int = 0) -> bytes:
        blob = result.artefacts[index].blob
        assert blob is not None
        return registry.storage.read_bytes(blob)

    return read


@pytest.fixture(scope="session")
def seed_cards() -> dict[str, ModelCard]:
    """Every seed model's card, by ``provider/model``."""
    return {card.ref: card for card in map(seed_card, load_seed_models())}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests that take ``seed_ref`` run once per seed model."""
    if "seed_ref" in metafunc.fixturenames:
        refs = [f"{e['provider']}/{e['model']}" for e in load_seed_models()]
        metafunc.parametrize("seed_ref", refs, ids=refs)
