"""Warm start: every handler at once, one time budget, a report per handler."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tutopanda_providers import (
    Descriptor,
    Implementation,
    ModelCard,
    OutputSpec,
    ProviderRegistry,
    RegistryOptions,
    WarmStartContext,
    create_provider_registry,
)
from tutopanda_providers.contracts import AuthError, InputModel
from tutopanda_providers.handler import HandlerContext
from tutopanda_providers.secrets import MappingSecretResolver
from tutopanda_providers.storage import BlobStore
from tutopanda_providers.telemetry import WARM_START, ListSink
from tutopanda_providers_testing import fakes
from tutopanda_providers_testing.fakes import FakeHandler, FakePlugin

TOKEN = "TUTOPANDA_TEST_WARM_TOKEN"


class Inputs(InputModel):
    prompt: str


def make_card(model: str, secrets: tuple[str, ...] = ()) -> ModelCard:
    return fakes.make_card(
        "acme",
        model,
        input_model=Inputs,
        output=OutputSpec(type="image", mime="image/png"),
        usd=None,
        secret_names=secrets,
    )


class Handler(FakeHandler):
    """The kit's fake handler, counting its warm starts."""

    def __init__(self, context: HandlerContext) -> None:
        super().__init__(context)
        self.warm_calls = 0


class ReadyHandler(Handler):
    async def warm_start(self, context: WarmStartContext) -> None:
        self.warm_calls += 1
        context.telemetry.emit("test.warmed", budget=context.timeout)


class FailingHandler(Handler):
    async def warm_start(self, context: WarmStartContext) -> None:
        raise AuthError("the token was refused (401)")


class CrashingHandler(Handler):
    async def warm_start(self, context: WarmStartContext) -> None:
        raise RuntimeError("socket closed")


class SlowHandler(Handler):
    cancelled = False

    async def warm_start(self, context: WarmStartContext) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            SlowHandler.cancelled = True
            raise


class StubbornHandler(Handler):
    """Swallows the first cancellation: the budget must hold anyway."""

    async def warm_start(self, context: WarmStartContext) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await asyncio.sleep(3600)


class NoWarmStart(Handler):
    pass


def broken_factory(context: HandlerContext) -> Handler:
    raise ImportError("No module named 'acme_sdk'")


def acme_plugin() -> FakePlugin:
    """Each warm-start behaviour as a live model (served in mock mode without a warm start)."""
    implementations = []
    for name, factory in [
        ("ready", ReadyHandler),
        ("failing", FailingHandler),
        ("crashing", CrashingHandler),
        ("slow", SlowHandler),
        ("stubborn", StubbornHandler),
        ("plain", NoWarmStart),
        ("broken", broken_factory),
    ]:
        implementations.append(Implementation.for_card(make_card(name), factory, mode="live"))
        implementations.append(Implementation.for_card(make_card(name), NoWarmStart, mode="mock"))
    keyed = make_card("keyed", (TOKEN,))
    implementations.append(Implementation.for_card(keyed, NoWarmStart, mode="live"))
    implementations.append(Implementation.for_card(keyed, NoWarmStart, mode="mock"))
    return FakePlugin(*implementations)


def d(model: str) -> Descriptor:
    return Descriptor(provider="acme", model=model)


@pytest.fixture
def sink() -> ListSink:
    return ListSink()


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sink: ListSink) -> ProviderRegistry:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv(TOKEN, raising=False)
    monkeypatch.delenv("TUTOPANDA_PLUGINS", raising=False)
    monkeypatch.delenv("TUTOPANDA_DISABLE_PLUGINS", raising=False)
    return create_provider_registry(
        RegistryOptions(
            mode="live",
            plugins=[("acme", acme_plugin())],
            entry_points=False,
            storage=BlobStore(tmp_path / "blobs"),
            telemetry=sink,
        )
    )


async def test_warm_start_reports_ready_failed_and_skipped_per_handler(
    registry: ProviderRegistry,
) -> None:
    reports = await registry.warm_start(
        [d("ready"), d("failing"), d("crashing"), d("plain"), d("broken")], timeout=30
    )
    assert [(r.descriptor.model, r.status) for r in reports] == [
        ("ready", "ready"),
        ("failing", "failed"),
        ("crashing", "failed"),
        ("plain", "skipped"),
        ("broken", "failed"),
    ]
    by_model = {r.descriptor.model: r for r in reports}
    assert by_model["ready"].error is None
    assert by_model["failing"].error == "the token was refused (401)"
    assert by_model["crashing"].error == "RuntimeError: socket closed"
    assert "failed to create the live handler" in (by_model["broken"].error or "")
    assert "acme_sdk" in (by_model["broken"].error or "")
    assert all(r.mode == "live" for r in reports)


async def test_warm_start_reuses_the_cached_handler(registry: ProviderRegistry) -> None:
    await registry.warm_start([d("ready")], timeout=30)
    handler = registry.resolve(d("ready")).handler
    assert isinstance(handler, ReadyHandler)
    assert handler.warm_calls == 1
    await registry.warm_start([d("ready"), d("ready")], timeout=30)
    assert handler.warm_calls == 2  # duplicates in one call are warmed once


async def test_missing_secret_fails_in_warm_start_not_in_the_first_job(
    registry: ProviderRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    (report,) = await registry.warm_start([d("keyed")], timeout=30)
    assert report.status == "failed"
    assert f"missing secret {TOKEN}" in (report.error or "")
    assert "mock mode" in (report.error or "")

    monkeypatch.setenv(TOKEN, "tp-core-warm-fake-4821")
    (report,) = await registry.warm_start([d("keyed")], timeout=30)
    assert report.status == "ready"


async def test_secret_from_the_callers_resolver_satisfies_warm_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(TOKEN, raising=False)
    registry = create_provider_registry(
        mode="live",
        plugins=[("acme", acme_plugin())],
        entry_points=False,
        storage=BlobStore(tmp_path),
        secrets=MappingSecretResolver({TOKEN: "tp-core-warm-fake-4821"}),
    )
    (report,) = await registry.warm_start([d("keyed")], timeout=30)
    assert report.status == "ready"


async def test_mock_handlers_need_no_secret(registry: ProviderRegistry) -> None:
    (report,) = await registry.warm_start([d("keyed")], timeout=30, mode="mock")
    assert (report.status, report.mode) == ("skipped", "mock")


async def test_slow_warm_start_fails_with_a_timeout_and_the_others_still_report(
    registry: ProviderRegistry,
) -> None:
    reports = await registry.warm_start([d("slow"), d("ready"), d("plain")], timeout=0.2)
    assert [r.status for r in reports] == ["failed", "ready", "skipped"]
    assert reports[0].error == "warm start did not finish within the 0.2s budget"
    await asyncio.sleep(0)  # let the cancellation land
    assert SlowHandler.cancelled


async def test_warm_start_returns_within_its_budget_even_if_a_handler_ignores_cancellation(
    registry: ProviderRegistry,
) -> None:
    # The outer wait_for only guards against a hang (the budget is 0.1 s, the guard 60 s).
    reports = await asyncio.wait_for(
        registry.warm_start([d("stubborn"), d("ready")], timeout=0.1), timeout=60
    )
    assert [r.status for r in reports] == ["failed", "ready"]
    assert "0.1s budget" in (reports[0].error or "")


async def test_unknown_model_in_warm_start_is_reported_not_raised(
    registry: ProviderRegistry,
) -> None:
    (report,) = await registry.warm_start([d("nope")], timeout=30)
    assert report.status == "failed"
    assert "unknown model 'nope'" in (report.error or "")


async def test_each_warm_start_report_is_emitted_as_an_event(
    registry: ProviderRegistry, sink: ListSink
) -> None:
    await registry.warm_start([d("ready"), d("failing")], timeout=30)
    warm = [e.attributes for e in sink.events if e.name == WARM_START]
    assert [(a["model"], a["status"]) for a in warm] == [("ready", "ready"), ("failing", "failed")]
    warmed = [e for e in sink.events if e.name == "test.warmed"]
    assert warmed and warmed[0].attributes["model"] == "ready"
    assert 0 < warmed[0].attributes["budget"] <= 30


async def test_warm_start_of_nothing_is_an_empty_report(registry: ProviderRegistry) -> None:
    assert await registry.warm_start([], timeout=1) == []


def test_report_serialises_to_json_friendly_dict() -> None:
    from tutopanda_providers import WarmStartReport

    report = WarmStartReport(d("x"), "live", "failed", "boom", duration_ms=1.23456)
    assert report.to_dict() == {
        "provider": "acme",
        "model": "x",
        "environment": "local",
        "mode": "live",
        "status": "failed",
        "error": "boom",
        "duration_ms": 1.23,
    }
