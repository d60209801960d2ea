"""Fixtures: a fake Replicate server on loopback and registries wired to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from tutopanda_provider_replicate import plugin
from tutopanda_provider_replicate.handler import ReplicateHandler
from tutopanda_providers import Descriptor, ProviderRegistry
from tutopanda_providers.handler import ProducerRequest
from tutopanda_providers.telemetry import ListSink
from tutopanda_providers_testing import FakeReplicateServer, fake_server_registry

#: A clearly fake token; tests assert it never appears in anything emitted.
CANARY = "r8_CANARY-test-secret-42"

FAST = {"poll_initial": 0.005, "poll_max": 0.02, "adopt_grace": 0.0, "cancel_timeout": 5.0}


@pytest.fixture
def fake() -> Iterator[FakeReplicateServer]:
    with FakeReplicateServer(api_key=CANARY) as server:
        yield server


@pytest.fixture
def sink() -> ListSink:
    return ListSink()


@pytest.fixture
def make_registry(
    fake: FakeReplicateServer, sink: ListSink, tmp_path: Path
) -> Callable[..., ProviderRegistry]:
    def build(
        *, token: str | None = CANARY, options: Mapping[str, Any] | None = None, retries: int = 1
    ) -> ProviderRegistry:
        return fake_server_registry(
            replicate=fake,
            storage=tmp_path / "blobs",
            plugins=[("replicate", plugin)],
            secrets={"REPLICATE_API_TOKEN": token} if token else {},
            provider_options={"replicate": {**FAST, **(options or {})}},
            retries=retries,
            telemetry=sink,
        )

    return build


@pytest.fixture
def registry(make_registry: Callable[..., ProviderRegistry]) -> ProviderRegistry:
    return make_registry()


@pytest.fixture
def canary() -> str:
    return CANARY


@pytest.fixture
def direct(
    registry: ProviderRegistry,
) -> Callable[..., tuple[ReplicateHandler, ProducerRequest]]:
    """``direct(model, inputs, timeout=, resume=)``: the bare handler and a request."""

    def build(
        model: str,
        inputs: Mapping[str, Any],
        *,
        timeout: float | None = None,
        resume: Mapping[str, Any] | None = None,
    ) -> tuple[ReplicateHandler, ProducerRequest]:
        return handler_and_request(registry, model, inputs, timeout=timeout, resume=resume)

    return build


@pytest.fixture
def inputs_for() -> Callable[[str], dict[str, Any]]:
    return sample_inputs


def handler_and_request(
    registry: ProviderRegistry,
    model: str,
    inputs: Mapping[str, Any],
    *,
    timeout: float | None = None,
    resume: Mapping[str, Any] | None = None,
) -> tuple[ReplicateHandler, ProducerRequest]:
    """The bare live handler (no pipeline: no retries) and a request with validated inputs."""
    descriptor = Descriptor(provider="replicate", model=model)
    resolved = registry.resolve(descriptor, mode="live")
    handler = resolved.handler
    assert isinstance(handler, ReplicateHandler)
    validated = resolved.card.validate_inputs(inputs)
    request = registry.new_request(descriptor, validated, timeout=timeout, resume=resume)
    return handler, request


def sample_inputs(kind: str) -> dict[str, Any]:
    """Small valid producer-level inputs for a model of ``kind``."""
    if kind == "script":
        return {"topic": "how bees make honey", "segments": 3, "duration_seconds": 60}
    if kind == "audio":
        return {"text": "Bees make honey from nectar."}
    if kind == "music":
        return {"prompt": "calm piano", "duration_seconds": 30}
    return {"prompt": "a bee on a flower"}
