"""The conformance suite itself: a reference live plugin passes it against both fakes."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from tutopanda_providers.contracts import ErrorKind
from tutopanda_providers_testing import FakeReplicateServer, Fault
from tutopanda_providers_testing.conformance import (
    FaultCase,
    ModelCase,
    ProviderConformance,
    SuiteContext,
)
from tutopanda_providers_testing.keys import CANARY_REPLICATE_TOKEN

# The reference plugins talk to the fakes with httpx (a test dependency, via the SDKs).
pytest.importorskip("httpx")
# The reference plugins live beside this file; the suite imports them by module name.
sys.path.insert(0, str(Path(__file__).parent))

pytest_plugins = ["tutopanda_providers_testing.pytest_plugin", "pytester"]


class TestReferenceReplicateConformance(ProviderConformance):
    plugin_name = "reference"
    plugin_module = "reference_live_plugin"
    mode = "live"
    uses_server = "replicate"
    supports_cancel = True
    cases = (ModelCase("replicate/google/imagen-4", {"prompt": "a cat"}, invalid={"prompt": ""}),)


class TestReferenceOpenAIConformance(ProviderConformance):
    plugin_name = "reference"
    plugin_module = "reference_live_plugin"
    mode = "live"
    uses_server = "openai"
    cases = (ModelCase("openai/gpt-5", {"topic": "volcanoes"}, invalid={"topic": "x"}),)


class TestOwnFakeAndFaultTableConformance(ProviderConformance):
    """How a third-party plugin plugs in its own fake, options and fault table."""

    plugin_name = "reference"
    plugin_module = "reference_live_plugin"
    uses_server = "replicate"
    supports_cancel = True
    fault_cases = (
        FaultCase("submit-503", "create", Fault.status(503), frozenset({ErrorKind.TRANSIENT})),
        FaultCase(
            "job-fails",
            "create",
            Fault.prediction_fails("NSFW"),
            frozenset({ErrorKind.PROVIDER_FAILED}),
        ),
    )
    cases = (ModelCase("replicate/google/imagen-4", {"prompt": "a cat"}),)

    @pytest.fixture
    def fake_replicate(self) -> Iterator[FakeReplicateServer]:
        with FakeReplicateServer(api_key=CANARY_REPLICATE_TOKEN, polls_to_finish=4) as server:
            yield server

    def registry_options(self, suite: SuiteContext) -> Mapping[str, Mapping[str, Any]]:
        return {"replicate": {"base_url": suite.replicate.base_url}}

    def test_the_overridden_fake_served_the_suite(self, suite: SuiteContext) -> None:
        assert suite.replicate.polls_to_finish == 4


def test_the_suite_fails_a_plugin_that_breaks_the_rules(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]
        """
    )
    pytester.makepyfile(
        test_broken="""
        from tutopanda_providers_testing.conformance import ModelCase, ProviderConformance

        class TestBroken(ProviderConformance):
            plugin_name = "broken"
            plugin_module = "broken_live_plugin"
            uses_server = "replicate"
            supports_cancel = True
            cases = (ModelCase("replicate/google/imagen-4", {"prompt": "a cat"},
                               invalid={"prompt": ""}),)
        """
    )
    chosen = (
        "artefacts or facts or cost or cancellation or secret or create-500 or never or invalid"
    )
    result = pytester.inline_run("-p", "no:cacheprovider", "-o", "asyncio_mode=auto", "-k", chosen)
    reports = result.getreports("pytest_runtest_logreport")
    failed = {r.nodeid.split("::")[-1] for r in reports if r.failed}
    expected = {
        "test_result_has_artefacts_of_the_models_kind[replicate/google/imagen-4]",
        "test_media_facts_are_read_from_the_file[replicate/google/imagen-4]",
        "test_cost_is_a_number_or_explicitly_unknown[replicate/google/imagen-4]",
        "test_cancellation_reaches_the_server[replicate/google/imagen-4]",
        "test_no_secret_in_events_logs_errors_or_files[replicate/google/imagen-4]",
        "test_injected_fault_is_classified_without_sdk_retries[replicate/google/imagen-4-create-500]",
        "test_injected_fault_is_classified_without_sdk_retries"
        "[replicate/google/imagen-4-prediction-never-finishes]",
    }
    assert expected <= failed, sorted(expected - failed)
    passed = {r.nodeid.split("::")[-1] for r in reports if r.passed and r.when == "call"}
    assert "test_invalid_inputs_are_refused_before_any_request[replicate/google/imagen-4]" in passed
