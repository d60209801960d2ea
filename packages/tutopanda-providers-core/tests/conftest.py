"""Shared fixtures of the core tests: a real redis-server, and small fake models for the pipeline."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tutopanda_providers import Implementation, ModelCard, ProviderRegistry
from tutopanda_providers.contracts import Mode
from tutopanda_providers.pipeline import PipelineOptions
from tutopanda_providers.storage import BlobStore
from tutopanda_providers.telemetry import ListSink
from tutopanda_providers_testing.fakes import (
    FakeFactory,
    FakePlugin,
    Outcome,
    Script,
    fake_registry,
    make_card,
)


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


# -- fake models: the testing kit's (tutopanda_providers_testing.fakes) ---------------------
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
        implementations = []
        for card, script, version in models:
            factory = FakeFactory(script)  # one per model: live and mock share its handlers' script
            for each in ("live", "mock"):
                implementations.append(
                    Implementation.for_card(card, factory, mode=each, version=version)
                )
        options.setdefault("telemetry", self.sink)
        storage = options.pop("storage", BlobStore(self.tmp_path / "blobs"))
        plugins = [("fakes", FakePlugin(*implementations)), *options.pop("plugins", [])]
        return fake_registry(plugins, storage=storage, mode=mode, pipeline=pipeline, **options)

    def events(self, name: str) -> list[dict[str, Any]]:
        return [dict(e.attributes) for e in self.sink.events if e.name == name]


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
    """The testing kit's card builder, for tests that register their own plugins."""
    return SimpleNamespace(make_card=make_card)
