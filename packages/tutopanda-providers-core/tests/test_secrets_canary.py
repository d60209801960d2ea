"""A canary secret goes through every path of the pipeline and shows up nowhere.

Every event, log record, exception text (with its chained causes), repr and stored file is
scanned for the canary after invokes that succeed, fail, retry, time out, fall back and hit the
cache.
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
from tutopanda_providers import (
    Artefact,
    Descriptor,
    Implementation,
    ProducerRequest,
    ProducerResult,
    ProviderMetadata,
    hookimpl,
)
from tutopanda_providers.contracts import AuthError, Mode, ProviderFailedError, TransientError
from tutopanda_providers.handler import HandlerContext
from tutopanda_providers.pipeline import PipelineOptions
from tutopanda_providers.pipeline.cache import CacheOptions
from tutopanda_providers.pipeline.retry import RetryPolicy
from tutopanda_providers.secrets import (
    CachingSecretResolver,
    EnvSecretResolver,
    MappingSecretResolver,
    Secret,
    SecretScrubFilter,
    require_secret,
)
from tutopanda_providers_testing.fakes import FakePlugin

CANARY = "core-pipeline-canary-77"
PRIMARY = Descriptor.parse("canary/image-a")
BACKUP = Descriptor.parse("canary/image-b")


class LeakyHandler:
    """A handler that does everything wrong with its key, in every way it can fail."""

    def __init__(self, context: HandlerContext, plan: list[str]) -> None:
        self.provider = context.descriptor.provider
        self.model = context.descriptor.model
        self.environment = context.descriptor.environment
        self.mode: Mode = context.mode
        self.key = require_secret(context.secrets, "CANARY_TOKEN", provider=self.provider)
        self.plan = plan

    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        step = self.plan.pop(0) if self.plan else "ok"
        url = f"https://api.example.invalid/v1/predict?key={self.key.reveal()}"
        if step == "transient":
            raise TransientError(f"502 from {url}")
        if step == "bug":
            raise ValueError(f"could not parse the answer of {url}")
        if step == "chained":
            try:
                raise RuntimeError(f"HTTP error for url {url}")
            except RuntimeError as exc:
                raise ProviderFailedError("the prediction failed") from exc
        if step == "hang":
            await asyncio.sleep(3600)
        request.telemetry.emit("canary.request", url=url, key=self.key)
        ref = request.storage.write_bytes(b"\x89PNG fake image", mime="image/png", suffix=".png")
        return ProducerResult(
            artefacts=[Artefact(kind=request.job.kind, mime="image/png", blob=ref)],
            provider=ProviderMetadata(
                provider=self.provider, model=self.model, extra={"request_url": url}
            ),
        )


def canary_plugin(plans: dict[str, list[str]], fakes) -> object:
    def factory_for(model: str) -> Callable[[HandlerContext], LeakyHandler]:
        return lambda context: LeakyHandler(context, plans[model])

    return FakePlugin(
        *(
            Implementation.for_card(
                fakes.make_card("canary", model, secret_names=("CANARY_TOKEN",)),
                factory_for(model),
                mode="live",
            )
            for model in ("image-a", "image-b")
        )
    )


def _texts_of(exc: BaseException) -> list[str]:
    return [str(exc), repr(exc), "".join(traceback.format_exception(exc))]


async def test_a_canary_secret_never_leaks_through_any_path(kit, fakes, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    plans = {"image-a": [], "image-b": []}

    async def no_sleep(_: float) -> None:
        return None

    registry = kit.build(
        [],
        PipelineOptions(
            retry=RetryPolicy(max_attempts=4, attempts_per_model=2, base_backoff=0, jitter=0),
            sleep=no_sleep,
            cache=CacheOptions(enabled=True, directory=tmp_path / "cache"),
            fallbacks={"canary/image-a": ["canary/image-b"]},
        ),
        plugins=[("canary", canary_plugin(plans, fakes))],
        secrets=MappingSecretResolver({"CANARY_TOKEN": CANARY}),
    )
    texts: list[str] = []

    async def run(descriptor: Descriptor, prompt: str, **kw) -> None:
        try:
            result = await registry.invoke(descriptor, {"prompt": prompt}, **kw)
        except BaseException as exc:  # every failure path is part of the scan
            texts.extend(_texts_of(exc))
        else:
            texts.append(result.model_dump_json())
            texts.append(repr(result))
            texts.append(
                json.dumps(
                    result.event_payload(registry.new_request(descriptor, {"prompt": prompt}).job)
                )
            )

    plans["image-a"][:] = ["ok"]
    await run(PRIMARY, "success")
    await run(PRIMARY, "success")  # a cache hit
    plans["image-a"][:] = ["transient", "transient"]
    plans["image-b"][:] = ["transient", "transient"]
    await run(PRIMARY, "retries then fallback, all exhausted")
    plans["image-a"][:] = ["bug"]
    plans["image-b"][:] = ["ok"]
    await run(PRIMARY, "an unexpected error, then a fallback")
    plans["image-b"][:] = ["chained"]
    await run(BACKUP, "a chained cause holding the key")
    plans["image-b"][:] = ["hang"]
    await run(BACKUP, "past its deadline", timeout=0.05)

    # the scenario really went through every path
    names = set(kit.sink.names())
    assert {
        "provider.invoke.retry",
        "provider.invoke.fallback",
        "provider.cache.hit",
        "provider.invoke.error",
        "provider.invoke.end",
        "canary.request",
    } <= names

    texts.extend(json.dumps(e.to_dict(), default=str) for e in kit.sink.events)
    texts.extend(repr(e) for e in kit.sink.events)
    texts.extend(r.getMessage() for r in caplog.records)
    texts.extend(
        logging.Formatter().formatException(r.exc_info) for r in caplog.records if r.exc_info
    )
    texts.append(caplog.text)
    texts.append(repr(registry.secrets))
    texts.append(repr(registry.resolve(PRIMARY).handler.key))
    for path in Path(tmp_path).rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", "replace"))

    leaks = [t for t in texts if CANARY in t]
    assert leaks == []
    assert any("***" in t for t in texts)  # it was there, and it was masked


def test_a_missing_secret_fails_with_the_variable_name_not_a_value():
    with pytest.raises(AuthError, match="set the environment variable CANARY_TOKEN"):
        require_secret(EnvSecretResolver(environ={}), "CANARY_TOKEN", provider="canary")


def test_a_secret_masks_itself_and_refuses_to_be_pickled():
    import pickle

    secret = Secret("CANARY_TOKEN", CANARY)
    assert CANARY not in repr(secret) and CANARY not in str(secret) and CANARY not in f"{secret}"
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert secret.reveal() == CANARY


def test_resolvers_chain_and_a_caching_resolver_fetches_once():
    calls: list[str] = []

    class Vault:
        def resolve(self, name: str) -> Secret | None:
            calls.append(name)
            return Secret(name, CANARY) if name == "VAULT_KEY" else None

    from tutopanda_providers.secrets import ChainSecretResolver

    chain = CachingSecretResolver(
        ChainSecretResolver([Vault(), MappingSecretResolver({"OTHER": "core-pipeline-other-77"})])
    )
    assert chain.resolve("VAULT_KEY").reveal() == CANARY
    assert chain.resolve("VAULT_KEY").reveal() == CANARY
    assert chain.resolve("OTHER").reveal() == "core-pipeline-other-77"
    assert chain.resolve("NOPE") is None
    assert calls == ["VAULT_KEY", "OTHER", "NOPE"]


def test_plugin_secret_resolvers_are_asked_through_the_hook(kit, fakes):
    seen: list[str] = []

    class VaultPlugin:
        @hookimpl
        def tutopanda_register_secret_resolvers(self, register) -> None:
            class Vault:
                def resolve(self, name: str) -> Secret | None:
                    seen.append(name)
                    return Secret(name, CANARY) if name == "CANARY_TOKEN" else None

            register(Vault())

    registry = kit.build(
        [],
        plugins=[("canary", canary_plugin({"image-a": []}, fakes)), ("vault", VaultPlugin())],
    )

    handler = registry.resolve(PRIMARY).handler
    registry.resolve(PRIMARY)  # the client is created once, so the key is fetched once

    assert handler.key.reveal() == CANARY
    assert seen == ["CANARY_TOKEN"]


def test_the_log_filter_scrubs_lines_written_by_other_code():
    import io

    MappingSecretResolver({"CANARY_TOKEN": CANARY})
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretScrubFilter())
    log = logging.getLogger("some.sdk")
    log.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"GET /v1?key={CANARY} failed")
        except RuntimeError:
            log.error("request to %s failed", f"https://x.invalid/?key={CANARY}", exc_info=True)
    finally:
        log.removeHandler(handler)  # loggers and pytest's capture handler outlive this test

    assert CANARY not in stream.getvalue()
    assert "***" in stream.getvalue()
    assert "RuntimeError" in stream.getvalue()
