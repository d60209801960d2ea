"""A canary secret through every resolver (environment, ``.env`` file, mapping, a plugin's
resolver) and every live handler, clean and on every fault path of its server — including a
server that echoes the key back in its error text. The canary appears in no event, log record,
exception text, repr or traceback, stored file, result, or any logged URL, body or header of
the fake servers other than the ``Authorization`` header it belongs in. Output files served
from another host are fetched without it.

Each test makes its own canaries (never seen before in this process), so a resolver that
forgets to register its secret for scrubbing cannot hide behind an earlier test's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tutopanda_providers import create_provider_registry, hookimpl
from tutopanda_providers.contracts import Descriptor, ProviderError
from tutopanda_providers.secrets import MappingSecretResolver, Secret
from tutopanda_providers.storage import BlobStore
from tutopanda_providers.telemetry import ListSink
from tutopanda_providers_testing.conformance.checks import exception_texts, files_containing
from tutopanda_providers_testing.conformance.fault_cases import FAULTS_BY_SERVER
from tutopanda_providers_testing.fake_openai import FakeOpenAIServer
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer
from tutopanda_providers_testing.faults import Fault
from tutopanda_providers_testing.pytest_plugin import fake_provider_options

from .conftest import (
    FAST_REPLICATE,
    LIVE_CASES,
    TEXT_MODELS,
    FakeSleep,
    plugins,
    retrying_pipeline,
    server_of,
)

RESOLVERS = ("env", "dotenv", "mapping", "plugin")
NAMES = {"replicate": "REPLICATE_API_TOKEN", "openai": "OPENAI_API_KEY"}


class FileHostReplicate(FakeReplicateServer):
    """A fake Replicate whose output URLs point at another host (``file_origin``)."""

    file_origin: str | None = None

    def _store(self, *args: Any, **kwargs: Any) -> str:
        url = super()._store(*args, **kwargs)
        if self.file_origin and url.startswith(self.origin):
            url = self.file_origin + url[len(self.origin) :]
        return url


@dataclass
class FileHost:
    """A file host on 127.0.0.2 that records every request and serves the fake's files."""

    upstream: str
    seen: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                host.seen.append({"path": self.path, "headers": dict(self.headers.items())})
                with urllib.request.urlopen(host.upstream + self.path, timeout=10) as answer:
                    data = answer.read()
                    mime = answer.headers.get("Content-Type", "application/octet-stream")
                self.send_response(200)
                self.send_header("Content-Type", mime)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.2:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class Canaries:
    replicate: str
    openai: str

    def all(self) -> tuple[str, str]:
        return (self.replicate, self.openai)


@pytest.fixture
def canaries() -> Canaries:
    tag = uuid.uuid4().hex[:10]
    return Canaries(f"r8_CANARY-{tag}", f"sk-test-canary-{tag}")


@pytest.fixture
def servers(canaries: Canaries) -> Iterator[tuple[FileHostReplicate, FakeOpenAIServer, FileHost]]:
    with (
        FileHostReplicate(api_key=canaries.replicate) as replicate,
        FakeOpenAIServer(api_key=canaries.openai) as openai,
    ):
        files = FileHost(replicate.origin)
        replicate.file_origin = files.start()
        try:
            yield replicate, openai, files
        finally:
            files.stop()


class _VaultResolver:
    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    def resolve(self, name: str) -> Secret | None:
        value = self._values.get(name)
        return Secret(name, value) if value else None


class _VaultPlugin:
    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    @hookimpl
    def tutopanda_register_secret_resolvers(self, register: Any) -> None:
        register(_VaultResolver(self._values))


def _registry(
    resolver: str,
    canaries: Canaries,
    replicate: FakeReplicateServer,
    openai: FakeOpenAIServer,
    sink: ListSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    for name in (*NAMES.values(), "REPLICATE_BASE_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    values = {NAMES["replicate"]: canaries.replicate, NAMES["openai"]: canaries.openai}
    extra: dict[str, Any] = {}
    found_plugins: list[tuple[str, object]] = plugins()
    if resolver == "env":
        for name, value in values.items():
            monkeypatch.setenv(name, value)
    elif resolver == "dotenv":
        (work / ".env").write_text("".join(f'{k}="{v}"\n' for k, v in values.items()))
    elif resolver == "mapping":
        extra["secrets"] = MappingSecretResolver(values)
    else:
        found_plugins.append(("vault", _VaultPlugin(values)))
    options = fake_provider_options(replicate, openai)
    options["replicate"] = {**options["replicate"], **FAST_REPLICATE}
    return create_provider_registry(
        mode="live",
        plugins=found_plugins,
        entry_points=False,
        provider_options=options,
        storage=BlobStore(tmp_path / "blobs"),
        telemetry=sink,
        pipeline=retrying_pipeline(FakeSleep(), attempts=2),
        **extra,
    )


def _fault_paths(ref: str, secret: str) -> list[tuple[str, Fault]]:
    server = server_of(ref)
    rows = [
        (c.route, c.fault)
        for c in FAULTS_BY_SERVER[server]
        if not c.timeout and not (c.needs_file and ref in TEXT_MODELS)
    ]
    route = "create" if server == "replicate" else "responses"
    rows += [
        (route, Fault.status(401, message=f"Incorrect API key provided: {secret}")),
        (route, Fault.status(500, message=f"upstream failed for key {secret}")),
        (route, Fault.status(400, message=f"bad request from {secret}")),
        (route, Fault.prediction_fails(f"Prediction failed: token {secret} is revoked")),
    ]
    return rows


@pytest.mark.parametrize("ref", sorted(LIVE_CASES))
@pytest.mark.parametrize("resolver", RESOLVERS)
def test_canary_never_leaks(
    resolver: str,
    ref: str,
    canaries: Canaries,
    servers: tuple[FileHostReplicate, FakeOpenAIServer, FileHost],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    replicate, openai, files = servers
    caplog.set_level(logging.DEBUG)
    sink = ListSink()
    registry = _registry(resolver, canaries, replicate, openai, sink, tmp_path, monkeypatch)
    descriptor = Descriptor.parse(ref)
    server = replicate if server_of(ref) == "replicate" else openai
    secret = canaries.replicate if server is replicate else canaries.openai
    texts: list[str] = []
    loop = asyncio.new_event_loop()
    paths = [(None, None), *_fault_paths(ref, secret)]
    outcomes: list[str] = []
    try:
        for route, fault in paths:
            server.faults.clear()
            if fault is not None:
                server.faults.add(route, fault)
            try:
                result = loop.run_until_complete(registry.invoke(descriptor, LIVE_CASES[ref]))
                texts.append(result.model_dump_json())
                outcomes.append("ok")
            except ProviderError as exc:
                texts += exception_texts(exc)
                outcomes.append(exc.kind.value)
    finally:
        loop.close()
    assert outcomes[0] == "ok", "the clean call failed"
    assert "auth" in outcomes, outcomes

    texts += [json.dumps(e.to_dict(), default=repr) for e in sink.events]
    texts += [r.getMessage() for r in caplog.records]
    texts.append(caplog.text)
    texts += [repr(registry.secrets), repr(registry.secrets.resolve(NAMES[server_of(ref)]))]
    for canary in canaries.all():
        leaks = [t[:200] for t in texts if canary in t]
        assert not leaks, f"{resolver}: canary leaked: {leaks}"
        assert not files_containing(tmp_path / "blobs", canary)

    # On the wire: only in the Authorization header, and only to the provider's API host.
    sent_with_key = 0
    for fake in (replicate, openai):
        for request in fake.log.requests:
            for name, value in request.headers.items():
                if name != "authorization":
                    assert not any(c in value for c in canaries.all()), (name, request.path)
            assert not any(c in request.path + json.dumps(request.query) for c in canaries.all())
            assert not any(c.encode() in request.body for c in canaries.all())
            if request.route == "file":
                assert request.header("authorization") is None
            elif request.bearer_token == secret:
                sent_with_key += 1
    assert sent_with_key > 0, "the key never reached the provider"
    other = canaries.openai if secret == canaries.replicate else canaries.replicate
    other_server = openai if server is replicate else replicate
    assert all(r.bearer_token != other for r in server.log.requests)
    assert all(r.bearer_token != secret for r in other_server.log.requests)
    if ref not in TEXT_MODELS:
        assert files.seen, "no output file was fetched from the file host"
    for request in files.seen:
        lowered = {k.lower(): v for k, v in request["headers"].items()}
        assert "authorization" not in lowered, "the key was sent to the file host"
        assert not any(c in json.dumps(request) for c in canaries.all())
