"""The reusable conformance suite a provider package subclasses (like ``langchain-tests``).

    pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]   # in the root conftest.py

    class TestMyProviderConformance(ProviderConformance):
        plugin_name = "fal"
        plugin_module = "tutopanda_provider_fal.plugin"
        mode = "live"
        cases = (ModelCase("fal/flux-dev", {"prompt": "a cat"}, invalid={"prompt": ""}),)

Each test reads as the rule it checks. Capability flags say what a handler supports; a test
that does not apply to the class's flags is skipped with the reason. A subclass cannot silently
replace a standard test: redefining one is an error unless it is decorated with
:func:`override_standard_test` and a reason. See ``docs/conformance.md``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import pytest
from tutopanda_providers.contracts import (
    Descriptor,
    ErrorKind,
    Mode,
    ProducerKind,
    ProducerResult,
    ProviderError,
    same_mime,
    sniff_mime,
)

from tutopanda_providers_testing.conformance.checks import (
    as_text,
    check_facts,
    exception_texts,
    files_containing,
    find_secret,
)
from tutopanda_providers_testing.conformance.fault_cases import FAULTS_BY_SERVER, FaultCase
from tutopanda_providers_testing.faults import Fault
from tutopanda_providers_testing.keys import canary_for

if TYPE_CHECKING:
    from tutopanda_providers import ProviderRegistry

    from tutopanda_providers_testing.fakeserver import FakeServer

MEDIA_KINDS = frozenset(
    {ProducerKind.AUDIO, ProducerKind.IMAGE, ProducerKind.VIDEO, ProducerKind.MUSIC}
)
SUITE_FIXTURES = ("provider_registry", "telemetry_events", "blob_store")
#: The fake server fixtures the kit ships, by server name.
DEFAULT_SERVER_FIXTURES: Mapping[str, str] = {
    "replicate": "fake_replicate",
    "openai": "fake_openai",
}
#: The route each shipped fake echoes a key back on in the secret-leak test.
DEFAULT_ECHO_ROUTES: Mapping[str, str] = {"replicate": "create", "openai": "responses"}
_OVERRIDE = "__conformance_override_reason__"
_F = TypeVar("_F", bound=Callable[..., Any])


def override_standard_test(reason: str) -> Callable[[_F], _F]:
    """Mark a subclass's redefinition of a standard test as deliberate, with why.

        @override_standard_test("PyAV is optional here: audio facts are skipped without it")
        async def test_media_facts_are_read_from_the_file(self, suite, case): ...

    Without it, redefining a standard test (or setting it to ``None``) raises ``TypeError``
    when the class is defined, so a rule can never be dropped by accident. The reason is kept
    on the function and shown in the test's report (``user_properties``).

    Raises:
        ValueError: when ``reason`` is empty.
    """
    if not reason or not reason.strip():
        raise ValueError("override_standard_test needs a reason: say why the rule differs here")

    def mark(function: _F) -> _F:
        setattr(function, _OVERRIDE, reason.strip())
        return function

    return mark


@dataclass(frozen=True)
class ModelCase:
    """One model the suite runs, with inputs that must work and inputs that must be refused.

    Attributes:
        descriptor: ``provider/model``, e.g. ``replicate/google/imagen-4``.
        inputs: valid inputs (producer-level or the model's own names).
        invalid: inputs the card must refuse before any request; ``None`` skips that test.
        server: the fake server the model talks to (``replicate``, ``openai``, or a name
            of the class's ``server_fixtures``) or ``None``; by default the class's
            ``uses_server``.
        environment: the descriptor's environment.
        tags: ``media`` marks a case whose output is a file the fake serves (the suite also
            knows it from the card's kind).
    """

    descriptor: str
    inputs: Mapping[str, Any]
    invalid: Mapping[str, Any] | None = None
    server: str | None = None
    environment: str = "local"
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def id(self) -> str:
        """The test id."""
        return self.descriptor

    def parse(self) -> Descriptor:
        """The descriptor."""
        return Descriptor.parse(self.descriptor, environment=self.environment)  # type: ignore[arg-type]


class ProviderConformance:
    """Subclass it, fill in the class attributes, and pytest runs the suite on your plugin.

    Class attributes:
        plugin_name: the plugin's name (its entry-point name).
        plugin_module: import path of the module holding the plugin's hooks.
        mode: ``live`` (handlers talk to a fake server) or ``mock``.
        cases: the :class:`ModelCase` list.
        uses_server: the name of the fake live handlers talk to: ``replicate``, ``openai``,
            or one of ``server_fixtures``.
        server_fixtures: server name → the pytest fixture that yields that fake (yours, e.g.
            ``{"acme": "fake_acme"}``); the kit's ``replicate`` and ``openai`` are built in.
        supports_cancel: the handler cancels the remote job on cancellation and deadlines.
        fault_cases: the fault table (default: the table of ``uses_server``).
        skip_faults: fault ids to skip, mapped to the reason.
        expected_kinds: fault id → accepted kinds, replacing the table's.
        provider_options: extra ``provider_options`` for the registry.
        secrets: secret name → the test key handed to the plugin (and searched for by the
            leak test). Default: every name the cases' cards list in ``secret_names``, each
            with a canary (:func:`tutopanda_providers_testing.keys.canary_for`).
        vendor_modules: modules that loading the plugin must not import (its SDKs).
        secret_echo_route: the route on which the leak test makes the fake echo the key back
            in error answers (default: ``create`` / ``responses`` for the kit's fakes, else the
            first route of the fault table).
        submit_route / poll_route / cancel_route: the fake's route names for creating a job,
            reading it and cancelling it (``create`` / ``get`` / ``cancel``, Replicate's);
            the cancellation rules use them.
    """

    plugin_name: ClassVar[str] = ""
    plugin_module: ClassVar[str] = ""
    mode: ClassVar[Mode] = "live"
    cases: ClassVar[Sequence[ModelCase]] = ()
    uses_server: ClassVar[str | None] = None
    supports_cancel: ClassVar[bool] = False
    fault_cases: ClassVar[Sequence[FaultCase] | None] = None
    skip_faults: ClassVar[Mapping[str, str]] = {}
    expected_kinds: ClassVar[Mapping[str, frozenset[ErrorKind | None]]] = {}
    provider_options: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    server_fixtures: ClassVar[Mapping[str, str]] = {}
    secrets: ClassVar[Mapping[str, str] | None] = None
    vendor_modules: ClassVar[Sequence[str]] = ("openai", "replicate")
    secret_echo_route: ClassVar[str | None] = None
    submit_route: ClassVar[str] = "create"
    poll_route: ClassVar[str] = "get"
    cancel_route: ClassVar[str] = "cancel"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse a subclass that redefines a standard test without
        :func:`override_standard_test`."""
        super().__init_subclass__(**kwargs)
        for name in STANDARD_TESTS:
            if name in cls.__dict__ and not getattr(cls.__dict__[name], _OVERRIDE, None):
                raise TypeError(
                    f"{cls.__name__}.{name} replaces a standard conformance test. Keep the "
                    "rule, or mark the replacement with "
                    "@override_standard_test(reason=...) to say why it differs "
                    "(see docs/conformance.md)."
                )

    # -- parametrisation -------------------------------------------------------------------
    def registry_options(self, suite: SuiteContext) -> Mapping[str, Mapping[str, Any]]:
        """``provider_options`` for the registry: :attr:`provider_options`, and for each case
        served by a fake of :attr:`server_fixtures`, ``{provider: {"base_url":
        server.base_url}}``. Override it when your plugin takes other options."""
        options: dict[str, dict[str, Any]] = {}
        for case in self.cases:
            name = self.server_of(case)
            if name and name not in DEFAULT_SERVER_FIXTURES:
                provider = case.parse().provider
                options.setdefault(provider, {})["base_url"] = suite.server(name).base_url
        for provider, extra in self.provider_options.items():
            options[provider] = {**options.get(provider, {}), **extra}
        return options

    def fixture_of(self, server: str) -> str:
        """The pytest fixture yielding the fake called ``server``."""
        fixtures = {**DEFAULT_SERVER_FIXTURES, **self.server_fixtures}
        if server not in fixtures:
            raise ValueError(
                f"{type(self).__name__}: no fake server called {server!r}; add it to "
                f"server_fixtures (known: {sorted(fixtures)})"
            )
        return fixtures[server]

    @property
    def live(self) -> bool:
        """Whether the handlers under test are live."""
        return self.mode == "live"

    def server_of(self, case: ModelCase) -> str | None:
        """The fake server a case talks to (``None`` for mock handlers)."""
        if not self.live:
            return None
        return case.server or self.uses_server

    def fault_table(self, server: str) -> Sequence[FaultCase]:
        """The fault rows for ``server``: :attr:`fault_cases`, else the kit's table for it."""
        if self.fault_cases is not None:
            return self.fault_cases
        return FAULTS_BY_SERVER.get(server, ())

    def _fault_params(self) -> list[Any]:
        """One param per fault row; a row that cannot run is a skip saying why."""
        params: list[Any] = []
        by_server: dict[str, list[ModelCase]] = {}
        for case in self.cases:
            server = self.server_of(case)
            if server:
                by_server.setdefault(server, []).append(case)
        for server, cases in by_server.items():
            table = self.fault_table(server)
            if not table:
                reason = (
                    f"no fault table for the {server!r} fake: set fault_cases "
                    "(the kit has tables for replicate and openai)"
                )
                params.append(_skipped(cases[0], None, f"{cases[0].id}-no-fault-table", reason))
                continue
            file_case = next((c for c in cases if self._is_media(c)), None)
            for fault in table:
                target = file_case if fault.needs_file else cases[0]
                fault_id = f"{(target or cases[0]).id}-{fault.id}"
                if target is None:
                    reason = (
                        f"{fault.id} needs a case whose output is a file the fake serves: add "
                        "a media model's case (or tag one with tags={'media'})"
                    )
                    params.append(_skipped(cases[0], fault, fault_id, reason))
                elif fault.id in self.skip_faults:
                    params.append(_skipped(target, fault, fault_id, self.skip_faults[fault.id]))
                else:
                    params.append(pytest.param(target, fault, id=fault_id))
        return params

    def _is_media(self, case: ModelCase) -> bool:
        if "media" in case.tags:
            return True
        kind = _card_kinds(self.plugin_name, self.plugin_module, self.mode).get(case.descriptor)
        if kind is not None:
            return kind in MEDIA_KINDS
        from tutopanda_providers_testing.model_schemas import replicate_models

        spec = replicate_models().get(case.parse().model)
        return spec is not None and spec.kind in {k.value for k in MEDIA_KINDS}

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Parametrise ``case`` over :attr:`cases` and ``fault_case`` over the fault table."""
        if "fault_case" in metafunc.fixturenames:
            params = self._fault_params()
            reason = "no live case talks to a fake server (mock mode, or no uses_server/server)"
            metafunc.parametrize(
                ("case", "fault_case"),
                params or [pytest.param(None, None, marks=pytest.mark.skip(reason=reason))],
                ids=None if params else ["none"],
            )
        elif "case" in metafunc.fixturenames:
            cases = list(self.cases)
            metafunc.parametrize(
                "case",
                cases or [pytest.param(None, marks=pytest.mark.skip(reason="no cases declared"))],
                ids=[c.id for c in cases] or ["none"],
            )

    # -- fixtures --------------------------------------------------------------------------
    @pytest.fixture
    def suite(self, request: pytest.FixtureRequest) -> SuiteContext:
        """The fakes, the event sink and a registry builder for this test."""
        if not self.plugin_name or not self.plugin_module:
            pytest.fail(
                f"{type(self).__name__} must set plugin_name and plugin_module", pytrace=False
            )
        values: dict[str, Any] = {}
        wanted = {**DEFAULT_SERVER_FIXTURES}
        for case in self.cases:
            server = self.server_of(case)
            if server:
                wanted[server] = self.fixture_of(server)
        for name in (*SUITE_FIXTURES, *wanted.values()):
            values[name] = _fixture(request, name, kit=name in SUITE_FIXTURES)
        suite = SuiteContext(
            owner=self,
            factory=values["provider_registry"],
            replicate=values["fake_replicate"],
            openai=values["fake_openai"],
            events=values["telemetry_events"],
            store=values["blob_store"],
            servers={server: values[fixture] for server, fixture in wanted.items()},
        )
        suite.secrets = self.plugin_secrets(suite)
        return suite

    def plugin_secrets(self, suite: SuiteContext) -> dict[str, str]:
        """Secret name → test key the plugin gets: :attr:`secrets`, else a canary for every
        name in the cases' cards' ``secret_names``."""
        if self.secrets is not None:
            return dict(self.secrets)
        registry = suite.registry(secrets={})
        names = {n for case in self.cases for n in registry.card(case.parse()).secret_names}
        return {name: canary_for(name) for name in sorted(names)}

    # -- the rules -------------------------------------------------------------------------
    def test_plugin_loads_without_importing_vendor_sdks(self, suite: SuiteContext) -> None:
        """Loading the plugin and listing its models imports none of :attr:`vendor_modules`
        (``openai`` and ``replicate`` by default; fresh interpreter)."""
        if not self.vendor_modules:
            pytest.skip("vendor_modules is empty: the plugin declares no SDK to keep lazy")
        code = textwrap.dedent(
            f"""
            import sys
            from importlib import import_module
            from tutopanda_providers import create_provider_registry
            module = import_module({self.plugin_module!r})
            registry = create_provider_registry(
                mode={self.mode!r}, plugins=[({self.plugin_name!r}, module)], entry_points=False
            )
            registry.list_models()
            loaded = sorted(m for m in {tuple(self.vendor_modules)!r} if m in sys.modules)
            print("LOADED=" + ",".join(loaded))
            """
        )
        # The child sees this process's import path, so plugins importable here (a tests
        # folder pytest put on the path) are importable there.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
        )
        assert run.returncode == 0, run.stderr[-2000:]
        assert "LOADED=\n" in run.stdout + "\n", f"vendor SDKs imported at load: {run.stdout}"

    @pytest.mark.asyncio
    async def test_result_has_artefacts_of_the_models_kind(
        self, suite: SuiteContext, case: ModelCase
    ) -> None:
        """A valid invoke returns artefacts of the card's kind: stored blobs whose bytes,
        hash, size and type are what the artefact says, or inline text/JSON."""
        registry = suite.registry()
        card = registry.card(case.parse())
        result = await registry.invoke(case.parse(), case.inputs)
        assert result.artefacts, "no artefacts"
        for artefact in result.artefacts:
            assert artefact.kind == card.kind
            if card.kind in MEDIA_KINDS:
                assert artefact.blob is not None, f"{artefact.name}: a {card.kind} needs a blob"
                data = suite.store.read_bytes(artefact.blob)
                assert hashlib.sha256(data).hexdigest() == artefact.blob.sha256
                assert len(data) == artefact.blob.size
                assert same_mime(artefact.blob.mime, artefact.mime)
                sniffed = sniff_mime(data)
                assert sniffed is not None, f"{artefact.name}: not a media file"
                assert same_mime(sniffed, artefact.mime), (
                    f"{artefact.name}: {sniffed} labelled {artefact.mime}"
                )
                assert artefact.mime.split("/")[0] == {"music": "audio", "audio": "audio"}.get(
                    card.kind.value, card.kind.value
                )
            else:
                assert (
                    artefact.text is not None
                    or artefact.data is not None
                    or artefact.blob is not None
                )

    @pytest.mark.asyncio
    async def test_media_facts_are_read_from_the_file(
        self, suite: SuiteContext, case: ModelCase
    ) -> None:
        """Media artefacts carry facts (size, duration) that match the file itself."""
        registry = suite.registry()
        if registry.card(case.parse()).kind not in MEDIA_KINDS:
            pytest.skip("not a media model")
        result = await registry.invoke(case.parse(), case.inputs)
        problems: list[str] = []
        for artefact in result.artefacts:
            assert artefact.blob is not None
            problems += check_facts(artefact, suite.store.read_bytes(artefact.blob))
        assert not problems, problems

    @pytest.mark.asyncio
    async def test_mocked_flag_tells_mock_from_live(
        self, suite: SuiteContext, case: ModelCase
    ) -> None:
        """``meta.mocked`` is true exactly when the handler is a mock."""
        result = await suite.registry().invoke(case.parse(), case.inputs)
        assert result.meta.mocked is (self.mode == "mock")

    @pytest.mark.asyncio
    async def test_provider_metadata_names_the_model_and_remote_ids(
        self, suite: SuiteContext, case: ModelCase
    ) -> None:
        """Metadata names the provider and model; a live call records the remote id."""
        descriptor = case.parse()
        result = await suite.registry().invoke(descriptor, case.inputs)
        assert result.provider.provider == descriptor.provider
        assert result.provider.model == descriptor.model
        if self.server_of(case):
            assert result.provider.remote_job_id or result.provider.response_ids

    @pytest.mark.asyncio
    async def test_cost_is_a_number_or_explicitly_unknown(
        self, suite: SuiteContext, case: ModelCase
    ) -> None:
        """Cost is a number with unit and source, or unknown with a reason — never a silent 0."""
        registry = suite.registry()
        card = registry.card(case.parse())
        result = await registry.invoke(case.parse(), case.inputs)
        cost = result.provider.cost
        if cost.status == "unknown":
            assert cost.amount_usd is None and cost.reason, "an unknown cost must say why"
            return
        assert cost.amount_usd is not None and cost.unit and cost.source, cost
        if cost.amount_usd == 0 and not result.meta.mocked:
            assert all(r.usd == 0 for r in card.price.rates), "a zero cost for a priced model"
        if result.meta.mocked:
            assert cost.amount_usd == 0

    @pytest.mark.asyncio
    async def test_invalid_inputs_are_refused_before_any_request(
        self, suite: SuiteContext, case: ModelCase
    ) -> None:
        """Inputs that do not fit the card raise ``invalid_input`` and nothing reaches a server."""
        if case.invalid is None:
            pytest.skip("the case declares no invalid inputs")
        with pytest.raises(ProviderError) as caught:
            await suite.registry().invoke(case.parse(), case.invalid)
        assert caught.value.kind is ErrorKind.INVALID_INPUT, caught.value
        assert suite.requests() == [], "a request reached the server before validation"

    @pytest.mark.asyncio
    async def test_injected_fault_is_classified_without_sdk_retries(
        self, suite: SuiteContext, case: ModelCase, fault_case: FaultCase
    ) -> None:
        """Each fault becomes the right error kind; with the registry's retries off the server
        sees exactly one request on the faulty route (no retry inside the SDK)."""
        server = suite.server(self.server_of(case))
        kinds = self.expected_kinds.get(fault_case.id, fault_case.kinds)
        server.faults.add(fault_case.route, fault_case.fault)
        registry = suite.registry()
        outcome: ErrorKind | None = None
        try:
            await registry.invoke(case.parse(), case.inputs, timeout=fault_case.timeout)
        except ProviderError as exc:
            outcome = exc.kind
        assert outcome in kinds, (
            f"{fault_case.id}: got {outcome}, expected one of {sorted(map(str, kinds))}"
        )
        if fault_case.single_request:
            hits = [r for r in server.log.requests if r.route == fault_case.route]
            assert len(hits) == 1, f"{fault_case.route} was called {len(hits)} times"
        for sent in server.log.requests:
            retry_count = sent.header("x-stainless-retry-count")
            assert retry_count in (None, "0"), "the OpenAI SDK retried on its own"
        if fault_case.expect_cancel and self.supports_cancel:
            await _eventually(
                lambda: bool(server.log.for_route(self.cancel_route)),
                "no cancel reached the server",
                timeout=3.0,
            )

    @pytest.mark.asyncio
    async def test_cancellation_reaches_the_server(
        self, suite: SuiteContext, case: ModelCase
    ) -> None:
        """Cancelling a running job cancels the remote job too."""
        if not self.supports_cancel or not self.server_of(case):
            pytest.skip("the handler does not support cancel (supports_cancel = False)")
        server = suite.server(self.server_of(case))
        server.faults.add(self.submit_route, Fault.never_finishes())
        task = asyncio.ensure_future(suite.registry().invoke(case.parse(), case.inputs))
        await _eventually(
            lambda: bool(server.log.for_route(self.submit_route)), "the job never started"
        )
        await _eventually(
            lambda: bool(server.log.for_route(self.poll_route)), "the job was never polled"
        )
        task.cancel()
        with pytest.raises((asyncio.CancelledError, ProviderError)):
            await task
        await _eventually(
            lambda: bool(server.log.for_route(self.cancel_route)),
            "no cancel reached the server",
            timeout=3.0,
        )

    @pytest.mark.asyncio
    async def test_warm_start_fails_clearly_without_a_key(
        self, suite: SuiteContext, case: ModelCase
    ) -> None:
        """Without its key a live handler's warm start fails, naming the missing secret, and
        sends nothing."""
        if not self.live:
            pytest.skip("mock handlers need no key")
        registry = suite.registry(secrets={})
        names = registry.card(case.parse()).secret_names
        [report] = await registry.warm_start([case.parse()], timeout=10)
        assert report.status == "failed", report
        assert report.error and any(name in report.error for name in names), report.error
        assert suite.requests() == []

    @pytest.mark.asyncio
    async def test_warm_start_succeeds_with_a_key(
        self, suite: SuiteContext, case: ModelCase
    ) -> None:
        """With its key a handler warms up (or has nothing to check)."""
        [report] = await suite.registry().warm_start([case.parse()], timeout=10)
        assert report.status in {"ready", "skipped"}, report

    @pytest.mark.asyncio
    async def test_no_secret_in_events_logs_errors_or_files(
        self, suite: SuiteContext, case: ModelCase, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The key appears in no event, log line, error (message, repr, traceback) or stored
        file — also when the server echoes it back in an error."""
        caplog.set_level(logging.DEBUG)
        registry = suite.registry()
        texts: list[str] = []
        result: ProducerResult = await registry.invoke(case.parse(), case.inputs)
        texts += [result.model_dump_json(), as_text(result.event_payload(_job_of(registry, case)))]
        planted = [value for value in suite.secrets.values() if value]
        server_name = self.server_of(case)
        route = self._echo_route(server_name) if server_name else None
        if server_name and route:
            server = suite.server(server_name)
            keys = " ".join(planted)
            server.faults.add(
                route, Fault.status(401, message=f"Incorrect API key provided: {keys}")
            )
            server.faults.add(route, Fault.status(500, message=f"upstream failed for key {keys}"))
            for _ in range(2):
                try:
                    await registry.invoke(case.parse(), case.inputs)
                except ProviderError as exc:
                    texts += exception_texts(exc)
        texts += [as_text(e.to_dict()) for e in suite.events.events]
        texts += [r.getMessage() for r in caplog.records]
        texts += [caplog.text]
        for canary in planted:
            assert not find_secret(canary, texts), find_secret(canary, texts)
            assert not files_containing(suite.store_root, canary)
        if server_name and not route:
            pytest.skip(
                "checked a successful call only: the keys were not echoed back in errors "
                "because there is no route to fault (set secret_echo_route or fault_cases)"
            )

    def _echo_route(self, server: str) -> str | None:
        if self.secret_echo_route:
            return self.secret_echo_route
        if self.fault_cases is None and server in DEFAULT_ECHO_ROUTES:
            return DEFAULT_ECHO_ROUTES[server]
        table = self.fault_table(server)
        return table[0].route if table else None


@dataclass
class SuiteContext:
    """What one conformance test works with."""

    owner: ProviderConformance
    factory: Any
    replicate: Any
    openai: Any
    events: Any
    store: Any
    #: Every fake this test uses, by server name (``replicate``, ``openai`` and yours).
    servers: dict[str, Any] = field(default_factory=dict)
    #: Secret name → test key handed to the plugin (what the leak test searches for).
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def store_root(self) -> Any:
        """The blob store's folder."""
        from pathlib import Path

        return Path(str(self.store.root))

    def registry(self, **overrides: Any) -> ProviderRegistry:
        """A registry with only the plugin under test, retries off, wired to the fakes."""
        owner = self.owner
        module = import_module(owner.plugin_module)
        overrides.setdefault("provider_options", owner.registry_options(self))
        if "secrets" not in overrides and self.secrets:
            from tutopanda_providers_testing.fake_options import canary_secrets

            overrides["secrets"] = {**canary_secrets(), **self.secrets}
        registry: ProviderRegistry = self.factory(
            mode=owner.mode, plugins=[(owner.plugin_name, module)], retries=False, **overrides
        )
        return registry

    def server(self, name: str | None) -> FakeServer:
        """The fake server called ``name``."""
        if name == "replicate":
            return self.replicate  # type: ignore[no-any-return]
        if name == "openai":
            return self.openai  # type: ignore[no-any-return]
        if name in self.servers:
            return self.servers[name]  # type: ignore[no-any-return]
        raise ValueError(f"no fake server called {name!r} (known: {sorted(self.servers)})")

    def requests(self) -> list[Any]:
        """Every request any fake server of this test received."""
        servers = {id(s): s for s in (self.replicate, self.openai, *self.servers.values())}
        return [r for s in servers.values() for r in s.log.requests]


#: The standard tests: a subclass may not redefine these without override_standard_test.
STANDARD_TESTS = frozenset(n for n in vars(ProviderConformance) if n.startswith("test_"))


def _skipped(case: ModelCase, fault: FaultCase | None, id: str, reason: str) -> Any:
    return pytest.param(case, fault, id=id, marks=pytest.mark.skip(reason=reason))


def _fixture(request: pytest.FixtureRequest, name: str, *, kit: bool) -> Any:
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        if kit or name in DEFAULT_SERVER_FIXTURES.values():
            hint = (
                "the conformance suite needs the test kit's pytest plugin: add "
                'pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"] to your '
                "root conftest.py or the test module"
            )
        else:
            hint = "define that fixture (it yields your running fake server) in a conftest.py"
        pytest.fail(f"fixture {name!r} is missing: {hint}", pytrace=False)


@cache
def _card_kinds(plugin_name: str, plugin_module: str, mode: str) -> dict[str, ProducerKind]:
    """``provider/model`` → kind of the plugin's cards (empty when it cannot be loaded here:
    the tests then report the real error)."""
    try:
        from tutopanda_providers import create_provider_registry

        module = import_module(plugin_module)
        registry = create_provider_registry(
            mode=mode, plugins=[(plugin_name, module)], entry_points=False
        )
        return {card.ref: card.kind for card in registry.list_models()}
    except Exception:
        return {}


def _job_of(registry: ProviderRegistry, case: ModelCase) -> Any:
    return registry.new_request(case.parse(), case.inputs).job


async def _eventually(check: Any, message: str, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not check():
        if loop.time() > end:
            raise AssertionError(message)
        await asyncio.sleep(0.01)
