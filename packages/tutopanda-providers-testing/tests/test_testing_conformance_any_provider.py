"""The conformance suite on a provider the kit knows nothing about (``zeta``): its keys come
from its card, the leak test plants and looks for them, vendor modules are its own, rows that
cannot run are skipped with a reason, and standard tests cannot be dropped silently."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pytest
from tutopanda_providers_testing.conformance import (
    ModelCase,
    ProviderConformance,
    override_standard_test,
)
from tutopanda_providers_testing.keys import CANARY_REPLICATE_TOKEN, canary_for

pytest_plugins = ["pytester"]

PLUGIN = """
import logging
import xml.dom.minidom  # stands for a vendor SDK imported at load time
from pydantic import Field
from tutopanda_providers import (
    Artefact, AuthError, Cost, Implementation, InputModel, MediaFacts, ModelCard, OutputSpec,
    Price, PriceRate, ProducerKind, ProducerResult, ProviderMetadata, ResultMeta, hookimpl,
)
from tutopanda_providers_testing.keys import canary_for
from tutopanda_providers_testing.media import make_image

LEAK = {leak}
TUTOPANDA_HOOK_CONTRACT = 1


class ZetaInputs(InputModel):
    prompt: str = Field(min_length=1)


CARD = ModelCard(
    provider="zeta", model="zeta-1", kind=ProducerKind.IMAGE, input_model=ZetaInputs,
    output=OutputSpec(type="image", mime="image/png"),
    price=Price(rates=(PriceRate(name="image", unit="image", usd=None),), source="test"),
    secret_names=("ZETA_TOKEN",),
)


class Zeta:
    provider = "zeta"
    model = "zeta-1"
    environment = "local"
    mode = "live"

    def __init__(self, context):
        self.secret = context.secrets.resolve("ZETA_TOKEN")

    async def warm_start(self, context):
        if self.secret is None:
            raise AuthError("ZETA_TOKEN is not set", provider="zeta")

    async def invoke(self, request):
        if self.secret is None or self.secret.reveal() != canary_for("ZETA_TOKEN"):
            raise AuthError("ZETA_TOKEN is not the suite's test key", provider="zeta")
        if LEAK:
            logging.getLogger("zeta").warning("calling zeta with %s", self.secret.reveal())
        data = make_image("png", 8, 8, "zeta")
        blob = request.storage.write_bytes(data, mime="image/png", suffix=".png")
        return ProducerResult(
            artefacts=[Artefact(kind=ProducerKind.IMAGE, mime="image/png", blob=blob,
                                facts=MediaFacts(width=8, height=8))],
            provider=ProviderMetadata(provider="zeta", model="zeta-1",
                                      cost=Cost.unknown("zeta has no public price")),
            meta=ResultMeta(mocked=False),
        )


@hookimpl
def tutopanda_register_providers(register):
    register(Implementation.for_card(CARD, Zeta, mode="live"))
"""

SUITE = """
from tutopanda_providers_testing.conformance import ModelCase, ProviderConformance

pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]


class TestZeta(ProviderConformance):
    plugin_name = "zeta"
    plugin_module = "{module}"
    mode = "live"
    vendor_modules = {vendor!r}
    cases = (ModelCase("zeta/zeta-1", {{"prompt": "a cat"}}, invalid={{"prompt": ""}}),)
"""


def run_suite(pytester: pytest.Pytester, *, leak: bool, vendor: tuple[str, ...]) -> Any:
    pytester.makepyfile(zeta_plugin=PLUGIN.format(leak=leak))
    pytester.makepyfile(test_zeta=SUITE.format(module="zeta_plugin", vendor=vendor))
    pytester.syspathinsert()
    return pytester.inline_run(
        "-p",
        "no:cacheprovider",
        "-o",
        "asyncio_mode=auto",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
    )


def outcomes(result: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for report in result.getreports("pytest_runtest_logreport"):
        name = report.nodeid.split("::")[-1].split("[")[0]
        if report.failed or report.skipped or (report.when == "call" and report.passed):
            found.setdefault(name, report.outcome)
            if report.failed:
                found[name] = "failed"
    return found


def test_a_provider_the_kit_does_not_know_passes_with_keys_from_its_card(
    pytester: pytest.Pytester,
) -> None:
    result = run_suite(pytester, leak=False, vendor=("zeta_sdk",))
    seen = outcomes(result)
    assert "failed" not in seen.values(), seen
    assert seen["test_no_secret_in_events_logs_errors_or_files"] == "passed"
    assert seen["test_warm_start_fails_clearly_without_a_key"] == "passed"
    assert seen["test_plugin_loads_without_importing_vendor_sdks"] == "passed"
    assert seen["test_injected_fault_is_classified_without_sdk_retries"] == "skipped"


def test_the_leak_test_finds_the_plugins_own_key(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, leak=True, vendor=("zeta_sdk",))
    seen = outcomes(result)
    assert seen["test_no_secret_in_events_logs_errors_or_files"] == "failed"
    assert seen["test_result_has_artefacts_of_the_models_kind"] == "passed"


def test_the_vendor_modules_checked_are_the_plugins_own(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, leak=False, vendor=("xml.dom.minidom",))
    assert outcomes(result)["test_plugin_loads_without_importing_vendor_sdks"] == "failed"


def test_canaries_are_the_kits_own_for_known_names_and_derived_for_others() -> None:
    assert canary_for("REPLICATE_API_TOKEN") == CANARY_REPLICATE_TOKEN
    assert canary_for("ACME_API_KEY") == "canary-acme-api-key-5e3f"


# -- rows that cannot run are skipped, with the reason ----------------------------------------
def _params(cls: type[ProviderConformance]) -> list[Any]:
    return cls()._fault_params()


def _reason(param: Any) -> str | None:
    skips = [m for m in param.marks if m.name == "skip"]
    return skips[0].kwargs["reason"] if skips else None


def test_download_rows_without_a_file_case_are_skipped_saying_why() -> None:
    class TextOnly(ProviderConformance):
        plugin_name = "nothing"
        plugin_module = "no_such_module_here"
        uses_server = "replicate"
        cases = (ModelCase("replicate/google/gemini-2.5-flash", {"topic": "bees"}),)

    params = _params(TextOnly)
    download = [p for p in params if "download" in p.id]
    assert len(download) == 3
    assert all("needs a case whose output is a file" in (_reason(p) or "") for p in download)
    assert all(_reason(p) is None for p in params if p not in download)


def test_skip_faults_rows_are_reported_as_skips_with_the_reason() -> None:
    class Skipping(ProviderConformance):
        plugin_name = "nothing"
        plugin_module = "no_such_module_here"
        uses_server = "replicate"
        skip_faults: ClassVar[Mapping[str, str]] = {"create-401": "this API has no keys"}
        cases = (ModelCase("replicate/google/imagen-4", {"prompt": "a cat"}),)

    [row] = [p for p in _params(Skipping) if p.id.endswith("create-401")]
    assert _reason(row) == "this API has no keys"


def test_a_server_without_a_fault_table_is_one_skip_saying_what_to_set() -> None:
    class Unknown(ProviderConformance):
        plugin_name = "nothing"
        plugin_module = "no_such_module_here"
        uses_server = "zeta"
        server_fixtures: ClassVar[Mapping[str, str]] = {"zeta": "fake_zeta"}
        cases = (ModelCase("zeta/zeta-1", {"prompt": "a cat"}),)

    [row] = _params(Unknown)
    assert "set fault_cases" in (_reason(row) or "")


# -- standard tests cannot be dropped silently --------------------------------------------------
def test_redefining_a_standard_test_without_a_reason_is_refused() -> None:
    with pytest.raises(TypeError, match="override_standard_test"):

        class Quiet(ProviderConformance):
            def test_cost_is_a_number_or_explicitly_unknown(self, suite: Any, case: Any) -> None:
                pass


def test_setting_a_standard_test_to_none_is_refused() -> None:
    with pytest.raises(TypeError, match="test_mocked_flag_tells_mock_from_live"):

        class Dropped(ProviderConformance):
            test_mocked_flag_tells_mock_from_live = None  # type: ignore[assignment]


def test_an_override_with_a_reason_is_accepted_and_keeps_it() -> None:
    class Explicit(ProviderConformance):
        @override_standard_test("this provider prices after the fact")
        def test_cost_is_a_number_or_explicitly_unknown(self, suite: Any, case: Any) -> None:
            pass

    reason = Explicit.test_cost_is_a_number_or_explicitly_unknown.__conformance_override_reason__  # type: ignore[attr-defined]
    assert reason == "this provider prices after the fact"
    with pytest.raises(ValueError, match="reason"):
        override_standard_test("  ")


def test_new_tests_in_a_subclass_are_fine() -> None:
    class Extra(ProviderConformance):
        def test_my_own_rule(self) -> None:
            pass

    assert Extra.test_my_own_rule
