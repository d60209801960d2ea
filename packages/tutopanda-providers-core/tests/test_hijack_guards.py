"""No plugin can take over another provider's models, mock mode, or another provider's keys."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from tutopanda_providers import Descriptor, Implementation, Match, ProviderRegistry
from tutopanda_providers.contracts import Mode
from tutopanda_providers.handler import HandlerContext
from tutopanda_providers.secrets import MappingSecretResolver, ScopedSecretResolver
from tutopanda_providers_testing import fakes
from tutopanda_providers_testing.fakes import FakeFactory, FakeHandler, FakePlugin, fake_registry

FLUX = Descriptor(provider="replicate", model="black-forest-labs/flux")
CARD = fakes.make_card("replicate", "black-forest-labs/flux", secret_names=("REPLICATE_API_TOKEN",))
KEYS = MappingSecretResolver({"REPLICATE_API_TOKEN": "r8_real", "OPENAI_API_KEY": "sk-real"})


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TUTOPANDA_PLUGINS", raising=False)
    monkeypatch.delenv("TUTOPANDA_DISABLE_PLUGINS", raising=False)
    monkeypatch.chdir(tmp_path)


def impl(match: Match, label: str, mode: Mode, card: Any = None) -> Implementation:
    return Implementation(match=match, mode=mode, factory=FakeFactory(label=label), card=card)


def build(tmp_path: Path, plugins: Iterable[tuple[str, object]], mode: Mode) -> ProviderRegistry:
    return fake_registry(plugins, storage=tmp_path / "blobs", mode=mode, secrets=KEYS)


def served_by(registry: ProviderRegistry, mode: Mode) -> str:
    handler = registry.resolve(FLUX, mode=mode).handler
    assert isinstance(handler, FakeHandler)
    return handler.label


def test_a_third_party_wildcard_mock_named_first_does_not_take_over_mock_mode(
    tmp_path: Path,
) -> None:
    registry = build(
        tmp_path,
        [
            ("aaa-mock", FakePlugin(impl(Match(), "hijack", "mock"))),
            ("mock", FakePlugin(impl(Match(), "the mock", "mock"))),
            ("replicate", FakePlugin(impl(Match("replicate", FLUX.model), "real", "live", CARD))),
        ],
        mode="mock",
    )
    assert served_by(registry, "mock") == "the mock"


def test_a_more_specific_third_party_match_does_not_beat_the_providers_plugin(
    tmp_path: Path,
) -> None:
    hijack = impl(Match("replicate", FLUX.model, "local"), "hijack", "live")
    registry = build(
        tmp_path,
        [
            ("aaa", FakePlugin(hijack)),
            ("replicate", FakePlugin(impl(Match("replicate", FLUX.model), "real", "live", CARD))),
        ],
        mode="live",
    )
    assert served_by(registry, "live") == "real"
    assert any("'replicate' serves it, not 'aaa'" in w for w in registry.warnings)


def test_a_third_party_plugin_still_serves_what_no_trusted_plugin_serves(tmp_path: Path) -> None:
    # The replicate plugin serves this model only in mock: a third-party live one is welcome.
    registry = build(
        tmp_path,
        [
            ("extras", FakePlugin(impl(Match("replicate", "*"), "extras", "live"))),
            ("replicate", FakePlugin(impl(Match("replicate", FLUX.model), "real", "mock", CARD))),
        ],
        mode="live",
    )
    assert served_by(registry, "live") == "extras"


def test_a_factory_receives_only_the_secrets_its_card_names(tmp_path: Path) -> None:
    seen: dict[str, str | None] = {}

    def nosy(context: HandlerContext) -> FakeHandler:
        for name in ("REPLICATE_API_TOKEN", "OPENAI_API_KEY"):
            secret = context.secrets.resolve(name)
            seen[name] = secret.reveal() if secret is not None else None
        return FakeHandler(context)

    registry = build(
        tmp_path,
        [("replicate", FakePlugin(Implementation.for_card(CARD, nosy, mode="live")))],
        mode="live",
    )
    registry.resolve(FLUX, mode="live")
    assert seen == {"REPLICATE_API_TOKEN": "r8_real", "OPENAI_API_KEY": None}


def test_a_mock_factory_gets_no_key_its_card_does_not_name(tmp_path: Path) -> None:
    seen: list[object] = []

    def nosy(context: HandlerContext) -> FakeHandler:
        seen.append(context.secrets.resolve("OPENAI_API_KEY"))
        return FakeHandler(context)

    registry = build(
        tmp_path,
        [
            ("mock", FakePlugin(Implementation(match=Match(), mode="mock", factory=nosy))),
            ("replicate", FakePlugin(impl(Match("replicate", FLUX.model), "real", "live", CARD))),
        ],
        mode="mock",
    )
    registry.resolve(FLUX, mode="mock")
    assert seen == [None]


def test_scoped_resolver_answers_only_in_scope() -> None:
    scoped = ScopedSecretResolver(KEYS, ["OPENAI_API_KEY"])
    assert scoped.resolve("REPLICATE_API_TOKEN") is None
    found = scoped.resolve("OPENAI_API_KEY")
    assert found is not None and found.reveal() == "sk-real"
    assert "sk-real" not in repr(scoped)
