"""The project's conformance suite on the Acme plugin, against its fake (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from tutopanda_providers_testing.conformance import ModelCase, ProviderConformance, queue_faults

pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]


class TestAcmeConformance(ProviderConformance):
    plugin_name = "acme"
    plugin_module = "tutopanda_provider_example.plugin"
    mode = "live"
    cases = (
        ModelCase("acme/pixel-1", {"prompt": "a red panda"}, invalid={"prompt": ""}),
        ModelCase(
            "acme/pixel-1",
            {"prompt": "a red panda", "aspect_ratio": "1:1", "output_format": "jpeg"},
            invalid={"prompt": "a red panda", "aspect_ratio": "2:1"},
        ),
    )
    # The fake: the fixture of tests/conftest.py, under the name the cases use.
    uses_server = "acme"
    server_fixtures: ClassVar[Mapping[str, str]] = {"acme": "fake_acme"}
    # Its route names, and the queue API's fault table on them.
    submit_route = "submit"
    poll_route = "status"
    cancel_route = "cancel"
    fault_cases = queue_faults(submit="submit", poll="status", file="file")
    supports_cancel = True
    # The SDK-like modules that loading the plugin must not import.
    vendor_modules = ("httpx",)
    # Poll the fake quickly (base_url is set by the suite from the fake).
    provider_options: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "acme": {"poll_interval": 0.005, "poll_max": 0.02}
    }
