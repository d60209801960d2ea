"""Shared fixtures of the core tests: a real redis-server, and small fake models for the pipeline."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tutopanda_providers import (
    Artefact,
    Descriptor,
    Implementation,
    ModelCard,
    OutputSpec,
    Price,
    PriceRate,
    ProducerKind,
    ProducerRequest,
    ProducerResult,
    ProviderMetadata,
    ProviderRegistry,
    RegistryOptions,
    ResultMeta,
    create_provider_registry,
    hookimpl,
)
from tutopanda_providers.contracts import Cost, InputModel, Mode
from tutopanda_providers.handler import HandlerContext
from tutopanda_providers.pipeline import PipelineOptions
from tutopanda_providers.storage import BlobStore
from tutopanda_providers.telemetry import ListSink


# -- redis ------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[str]:
    """A private redis-server on a free loopback port, in a tmp dir; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/ensure-redis.sh installs it)")
    port = _free_port()
    workdir = tmp_path / "redis"
    workdir.mkdir()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- fake models ------------------------------------------------------------------------------
class PromptInputs(InputModel):
    prompt: str
    steps: int = 4


def make_card(
    provider: str = "fake",
    model: str = "image-a",
    *,
    kind: str = "image",
    usd: float | None = 0.04,
    input_model: type[InputModel] = PromptInputs,
    rate_key: str | None = None,
    input_adapter: Callable[[Any], dict[str, Any]] | None = None,
) -> ModelCard:
    """A small card: one price per image (or an unknown price when ``usd`` is None)."""
    return ModelCard(
        provider=provider,
        model=model,
        kind=ProducerKind(kind),
        input_model=input_model,
        output=OutputSpec(type="text", mime="text/plain"),
        price=Price(rates=(PriceRate(name="image", unit="image", usd=usd),), source="test"),
        rate_key=rate_key,
        input_adapter=input_adapter,
    )


Outcome = BaseException | Callable[[ProducerRequest], Any] | None


@dataclass
class Script:
    """What a fake model does on each call: raise the exception, await the callable, or answer."""

    outcomes: list[Outcome] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    report_cost: bool = True


class ScriptedHandler:
    """Plays its :class:`Script`; answers with a text artefact naming the model."""

    def __init__(self, context: HandlerContext, script: Script) -> None:
        self.provider = context.descriptor.provider
        self.model = context.descriptor.model
        self.environment = context.descriptor.environment
        self.mode: Mode = context.mode
        self.card = context.card
        self.script = script

    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        self.script.calls.append(dict(request.inputs))
        outcome = self.script.outcomes.pop(0) if self.script.outcomes else None
        if isinstance(outcome, BaseException):
            raise outcome
        if callable(outcome):
            await outcome(request)
        cost = self.card.estimate_cost(request.inputs)
        if not self.script.report_cost:
            cost = Cost.unknown("the fake did not say")
        elif cost.status == "estimated":
            cost = cost.model_copy(update={"status": "known"})
        return ProducerResult(
            artefacts=[Artefact(kind=request.job.kind, mime="text/plain", text=self.model)],
            provider=ProviderMetadata(provider=self.provider, model=self.model, cost=cost),
            meta=ResultMeta(mocked=self.mode == "mock"),
        )


class Kit:
    """Builds registries of fake models for pipeline tests."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.scripts: dict[str, Script] = {}
        self.sink = ListSink()

    def model(
        self, ref: str, outcomes: Sequence[Outcome] = (), *, version: str = "1", **card: Any
    ) -> tuple[ModelCard, Script, str]:
        provider, _, model = ref.partition("/")
        script = self.scripts.setdefault(ref, Script())
        script.outcomes.extend(outcomes)
        return make_card(provider, model, **card), script, version

    def build(
        self,
        models: Sequence[tuple[ModelCard, Script, str]],
        pipeline: PipelineOptions | None = None,
        *,
        mode: Mode = "live",
        **options: Any,
    ) -> ProviderRegistry:
        class Plugin:
            @hookimpl
            def tutopanda_register_providers(
                self, register: Callable[[Implementation], None]
            ) -> None:
                for card, script, version in models:
                    factory = _factory(script)
                    register(Implementation.for_card(card, factory, mode="live", version=version))
                    register(Implementation.for_card(card, factory, mode="mock", version=version))

        options.setdefault("telemetry", self.sink)
        options.setdefault("storage", BlobStore(self.tmp_path / "blobs"))
        plugins = [("fakes", Plugin()), *options.pop("plugins", [])]
        return create_provider_registry(
            RegistryOptions(
                mode=mode, plugins=plugins, entry_points=False, pipeline=pipeline, **options
            )
        )

    def events(self, name: str) -> list[dict[str, Any]]:
        return [dict(e.attributes) for e in self.sink.events if e.name == name]


def _factory(script: Script) -> Callable[[HandlerContext], ScriptedHandler]:
    def factory(context: HandlerContext) -> ScriptedHandler:
        return ScriptedHandler(context, script)

    return factory


class FakeClock:
    """A monotonic clock that moves only when ``sleep`` is awaited; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def kit(tmp_path: Path) -> Kit:
    return Kit(tmp_path)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fakes() -> SimpleNamespace:
    """The fake classes, for tests that build their own."""
    return SimpleNamespace(
        make_card=make_card,
        PromptInputs=PromptInputs,
        ScriptedHandler=ScriptedHandler,
        Script=Script,
        Descriptor=Descriptor,
    )
