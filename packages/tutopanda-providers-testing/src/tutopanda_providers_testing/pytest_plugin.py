"""Opt-in pytest fixtures for provider packages. Enable it in a ``conftest.py``::

    pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]

It is not an auto-loaded ``pytest11`` plugin: installing the test kit changes nobody's pytest.

Fixtures:
    fake_replicate: a running :class:`FakeReplicateServer` that accepts only
        :data:`~tutopanda_providers_testing.keys.CANARY_REPLICATE_TOKEN`.
    fake_openai: a running :class:`FakeOpenAIServer` that accepts only
        :data:`~tutopanda_providers_testing.keys.CANARY_OPENAI_KEY`.
    fake_fal: a running :class:`~tutopanda_providers_testing.fake_fal.FakeFal` that accepts
        only :data:`~tutopanda_providers_testing.fake_fal.CANARY_FAL_KEY`.
    blob_store: a :class:`~tutopanda_providers.storage.BlobStore` in a temporary folder.
    telemetry_events: a :class:`~tutopanda_providers.telemetry.ListSink` the registry emits to.
    provider_registry: a factory building a registry wired to the fakes (base URLs in
        ``provider_options``, canary keys in a ``MappingSecretResolver``).
    network_guard: the active :class:`~tutopanda_providers_testing.network_guard.NetworkGuard`.

The network guard is on for every test of a suite that opts into this plugin: any connection
beyond 127.0.0.1 raises and fails the test, even when the code under test swallows the error.
Mark a test ``@pytest.mark.allow_network`` or set ``TUTOPANDA_ALLOW_NETWORK=1`` to lift it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tutopanda_providers_testing.fake_fal import CANARY_FAL_KEY, FakeFal
from tutopanda_providers_testing.fake_openai import FakeOpenAIServer
from tutopanda_providers_testing.fake_options import (
    FAST_REPLICATE_OPTIONS as FAST_REPLICATE_OPTIONS,  # re-exported: public here before
)
from tutopanda_providers_testing.fake_options import canary_secrets as canary_secrets
from tutopanda_providers_testing.fake_options import (
    fake_provider_options as fake_provider_options,
)
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer
from tutopanda_providers_testing.keys import (
    CANARY_OPENAI_KEY,
    CANARY_REPLICATE_TOKEN,
    SECRET_NAMES,
)
from tutopanda_providers_testing.network_guard import NetworkGuard, network_allowed

if TYPE_CHECKING:
    from tutopanda_providers import Mode, ProviderRegistry
    from tutopanda_providers.storage import BlobStore
    from tutopanda_providers.telemetry import ListSink

# The suite's asserts get pytest's detailed failure messages (must precede its import;
# nothing above imports it).
pytest.register_assert_rewrite("tutopanda_providers_testing.conformance")

RegistryFactory = Callable[..., "ProviderRegistry"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``allow_network`` marker."""
    config.addinivalue_line(
        "markers", "allow_network: lift the tutopanda network guard for this test"
    )


@pytest.fixture(autouse=True)
def network_guard(request: pytest.FixtureRequest) -> Iterator[NetworkGuard | None]:
    """Block every non-loopback connection during the test; fail it if one was tried."""
    if network_allowed() or request.node.get_closest_marker("allow_network"):
        yield None
        return
    with NetworkGuard() as guard:
        yield guard
    if guard.violations:
        pytest.fail(
            f"{len(guard.violations)} blocked network call(s):\n" + "\n".join(guard.violations),
            pytrace=False,
        )


@pytest.fixture
def fake_replicate() -> Iterator[FakeReplicateServer]:
    """A fake Replicate API on loopback, for this test."""
    with FakeReplicateServer(api_key=CANARY_REPLICATE_TOKEN) as server:
        yield server


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    """A fake OpenAI API on loopback, for this test."""
    with FakeOpenAIServer(api_key=CANARY_OPENAI_KEY) as server:
        yield server


@pytest.fixture
def fake_fal() -> Iterator[FakeFal]:
    """A fake FAL queue API on loopback, for this test."""
    with FakeFal(api_key=CANARY_FAL_KEY) as server:
        yield server


@pytest.fixture
def blob_store(tmp_path: Path) -> BlobStore:
    """Blob storage in a temporary folder."""
    from tutopanda_providers.storage import BlobStore

    return BlobStore(tmp_path / "blobs")


@pytest.fixture
def telemetry_events() -> ListSink:
    """Every event the registry built by ``provider_registry`` emits."""
    from tutopanda_providers.telemetry import ListSink

    return ListSink()


@pytest.fixture
def provider_registry(
    fake_replicate: FakeReplicateServer,
    fake_openai: FakeOpenAIServer,
    fake_fal: FakeFal,
    blob_store: BlobStore,
    telemetry_events: ListSink,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> RegistryFactory:
    """A factory: ``provider_registry(mode="live", plugins=..., retries=False, ...)``.

    Builds a registry wired to this test's fake servers, storage and event sink, with the
    canary keys. The real environment's keys and base URLs are removed and the test runs in
    its temporary folder (no ``.env`` is read), so a developer's own key is never used.

    Keyword arguments:
        mode: ``live`` (default) or ``mock``.
        plugins: ``(name, module)`` pairs to register directly; when given, installed entry
            points are not loaded unless ``entry_points=True``.
        secrets: a mapping of secret names to values replacing the canaries (``{}`` for none).
        provider_options: merged over the options that point plugins at the fakes.
        retries: ``False`` makes one attempt per job (so the server sees each request once).
        **overrides: any other :class:`~tutopanda_providers.registry.RegistryOptions` field.
    """
    for name in (
        *SECRET_NAMES.values(),
        "FAL_KEY",
        "REPLICATE_BASE_URL",
        "OPENAI_BASE_URL",
        "FAL_QUEUE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    # The registry also reads ./.env: run from an empty folder so a developer's file is unseen.
    monkeypatch.chdir(tmp_path)

    def build(
        *,
        mode: Mode = "live",
        plugins: Sequence[tuple[str, object]] = (),
        secrets: Mapping[str, str] | None = None,
        provider_options: Mapping[str, Mapping[str, Any]] | None = None,
        retries: bool = True,
        **overrides: Any,
    ) -> ProviderRegistry:
        from tutopanda_providers_testing.fakes import fake_server_registry

        return fake_server_registry(
            replicate=fake_replicate,
            openai=fake_openai,
            fal=fake_fal,
            storage=blob_store,
            mode=mode,
            plugins=plugins,
            secrets=secrets,
            provider_options=provider_options,
            retries=retries,
            telemetry=telemetry_events,
            **overrides,
        )

    return build
