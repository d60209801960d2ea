"""The conformance suite itself: a reference live plugin passes it against both fakes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the reference plugin lives beside this file

from tutopanda_providers_testing.conformance import ModelCase, ProviderConformance

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
