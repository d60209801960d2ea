"""The reusable conformance suite a provider package subclasses (like ``langchain-tests``).

    pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]   # in the root conftest.py

    class TestMyProviderConformance(ProviderConformance):
        plugin_name = "fal"
        plugin_module = "tutopanda_provider_fal.plugin"
        mode = "live"
        cases = (ModelCase("fal/flux-dev", {"prompt": "a cat"}, invalid={"prompt": ""}),)

Each test reads as the rule it checks. Capability flags say what a handler supports; a test
that does not apply to the class's flags is skipped with the reason. See ``docs/conformance.md``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar

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
from tutopanda_providers_testing.keys import CANARY_OPENAI_KEY, CANARY_REPLICATE_TOKEN

if TYPE_CHECKING:
    from tutopanda_providers import ProviderRegistry

    from tutopanda_providers_testing._server import FakeServer

MEDIA_KINDS = frozenset(
    {ProducerKind.AUDIO, ProducerKind.IMAGE, ProducerKind.VIDEO, ProducerKind.MUSIC}
)
CANARIES = (CANARY_REPLICATE_TOKEN, CANARY_OPENAI_KEY)
SUITE_FIXTURES = ("provider_registry", "fake_replicate", "fake_openai", "telemetry_events")


@dataclass(frozen=True)
class ModelCase:
    """One model the suite runs, with inputs that must work and inputs that must be refused.

    Attributes:
        descriptor: ``provider/model``, e.g. ``replicate/google/imagen-4``.
        inputs: valid inputs (producer-level or the model's own names).
        invalid: inputs the card must refuse before any request; ``None`` skips that test.
        server: the fake server the model talks to (``replicate``, ``openai``) or ``None``;
            by default the class's ``uses_server``.
        environment: the descriptor's environment.
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
        uses_server: ``replicate`` or ``openai`` when live handlers talk to that fake.
        supports_cancel: the handler cancels the remote job on cancellation and deadlines.
        fault_cases: the fault table (default: the table of ``uses_server``).
        skip_faults: fault ids to skip, mapped to the reason.
        expected_kinds: fault id → accepted kinds, replacing the table's.
        provider_options: extra ``provider_options`` for the registry.
        secret_names: names of the secrets live handlers need (default: from the cards).
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

    # -- parametrisation -------------------------------------------------------------------
    def registry_options(self, suite: SuiteContext) -> Mapping[str, Mapping[str, Any]]:
        """``provider_options`` for the registry; override to point your own provider at a
        fake (``{"fal": {"base_url": suite.replicate.base_url}}``)."""
        return self.provider_options

    @property
    def live(self) -> bool:
        """Whether the handlers under test are live."""
        return self.mode == "live"

    def server_of(self, case: ModelCase) -> str | None:
        """The fake server a case talks to (``None`` for mock handlers)."""
        if not self.live:
            return None
        return case.server or self.uses_server

    def _fault_table(self) -> list[tuple[ModelCase, FaultCase]]:
        pairs: list[tuple[ModelCase, FaultCase]] = []
        served = [c for c in self.cases if self.server_of(c)]
        if not served:
            return pairs
        by_server: dict[str, list[ModelCase]] = {}
        for case in served:
            by_server.setdefault(self.server_of(case) or "", []).append(case)
        for server, cases in by_server.items():
            table = (
                self.fault_cases
                if self.fault_cases is not None
                else FAULTS_BY_SERVER.get(server, ())
            )
            file_case = next((c for c in cases if _is_media(c, self)), None)
            for fault in table:
                target = file_case if fault.needs_file else cases[0]
                if target is not None:
                    pairs.append((target, fault))
        return pairs

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Parametrise ``case`` over :attr:`cases` and ``fault_case`` over the fault table."""
        if "fault_case" in metafunc.fixturenames:
            pairs = self._fault_table()
            metafunc.parametrize(
                ("case", "fault_case"),
                pairs
                or [
                    pytest.param(None, None, marks=pytest.mark.skip(reason="no live server cases"))
                ],
                ids=[f"{c.id}-{f.id}" for c, f in pairs] or ["none"],
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
        values: dict[str, Any] = {}
        for name in (*SUITE_FIXTURES, "blob_store"):
            try:
                values[name] = request.getfixturevalue(name)
            except pytest.FixtureLookupError:
                pytest.fail(
                    "the conformance suite needs the test kit's pytest plugin: add "
                    'pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"] to your '
                    f"root conftest.py (fixture {name!r} is missing)",
                    pytrace=False,
                )
        if not self.plugin_name or not self.plugin_module:
            pytest.fail(
                f"{type(self).__name__} must set plugin_name and plugin_module", pytrace=False
            )
        return SuiteContext(
            owner=self,
            factory=values["provider_registry"],
            replicate=values["fake_replicate"],
            openai=values["fake_openai"],
            events=values["telemetry_events"],
            store=values["blob_store"],
        )

    # -- the rules -------------------------------------------------------------------------
    def test_plugin_loads_without_importing_vendor_sdks(self, suite: SuiteContext) -> None:
        """Loading the plugin and listing its models imports neither ``openai`` nor
        ``replicate`` (fresh interpreter)."""
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
            loaded = sorted(m for m in ("openai", "replicate") if m in sys.modules)
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
        if fault_case.id in self.skip_faults:
            pytest.skip(self.skip_faults[fault_case.id])
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
                lambda: bool(server.log.for_route("cancel")),
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
        server.faults.add("create", Fault.never_finishes())
        task = asyncio.ensure_future(suite.registry().invoke(case.parse(), case.inputs))
        await _eventually(lambda: bool(server.log.for_route("create")), "the job never started")
        await _eventually(lambda: bool(server.log.for_route("get")), "the job was never polled")
        task.cancel()
        with pytest.raises((asyncio.CancelledError, ProviderError)):
            await task
        await _eventually(
            lambda: bool(server.log.for_route("cancel")),
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
        server_name = self.server_of(case)
        if server_name:
            server = suite.server(server_name)
            secret = CANARY_REPLICATE_TOKEN if server_name == "replicate" else CANARY_OPENAI_KEY
            route = "create" if server_name == "replicate" else "responses"
            server.faults.add(
                route, Fault.status(401, message=f"Incorrect API key provided: {secret}")
            )
            server.faults.add(route, Fault.status(500, message=f"upstream failed for key {secret}"))
            for _ in range(2):
                try:
                    await registry.invoke(case.parse(), case.inputs)
                except ProviderError as exc:
                    texts += exception_texts(exc)
        texts += [as_text(e.to_dict()) for e in suite.events.events]
        texts += [r.getMessage() for r in caplog.records]
        texts += [caplog.text]
        for canary in CANARIES:
            assert not find_secret(canary, texts), find_secret(canary, texts)
            assert not files_containing(suite.store_root, canary)


@dataclass
class SuiteContext:
    """What one conformance test works with."""

    owner: ProviderConformance
    factory: Any
    replicate: Any
    openai: Any
    events: Any
    store: Any

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
        raise ValueError(f"no fake server called {name!r}")

    def requests(self) -> list[Any]:
        """Every request either fake server received."""
        return [*self.replicate.log.requests, *self.openai.log.requests]


def _is_media(case: ModelCase, owner: ProviderConformance) -> bool:
    # Without building a registry: a case is a media case when the tags say so or its model
    # is known to the fake Replicate server as a media model.
    if "media" in case.tags:
        return True
    from tutopanda_providers_testing.model_schemas import replicate_models

    spec = replicate_models().get(case.parse().model)
    return spec is not None and spec.kind in {k.value for k in MEDIA_KINDS}


def _job_of(registry: ProviderRegistry, case: ModelCase) -> Any:
    return registry.new_request(case.parse(), case.inputs).job


async def _eventually(check: Any, message: str, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not check():
        if loop.time() > end:
            raise AssertionError(message)
        await asyncio.sleep(0.01)
