"""What wires a registry to the kit's fake servers: the ``provider_options`` that point the
Replicate and OpenAI plugins at them, and the canary keys they accept.

Its own module so that :mod:`~tutopanda_providers_testing.fakes` and the pytest plugin (whose
fixture calls :func:`~tutopanda_providers_testing.fakes.fake_server_registry`) both import
it rather than each other. Imports neither pytest nor the servers at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tutopanda_providers_testing.keys import (
    CANARY_OPENAI_KEY,
    CANARY_REPLICATE_TOKEN,
    SECRET_NAMES,
    canary_for,
)

if TYPE_CHECKING:
    from tutopanda_providers_testing.fake_fal import FakeFal
    from tutopanda_providers_testing.fake_openai import FakeOpenAIServer
    from tutopanda_providers_testing.fake_replicate import FakeReplicateServer

#: Options the Replicate plugin reads to poll the fake quickly (unknown keys are ignored).
FAST_REPLICATE_OPTIONS: dict[str, Any] = {"poll_initial": 0.005, "poll_max": 0.02}


#: Options the FAL plugin reads to poll the fake quickly (unknown keys are ignored).
FAST_FAL_OPTIONS: dict[str, Any] = {"poll_interval": 0.005, "poll_max": 0.02}


def fake_provider_options(
    replicate: FakeReplicateServer | None,
    openai: FakeOpenAIServer | None,
    fal: FakeFal | None = None,
) -> dict[str, dict[str, Any]]:
    """``provider_options`` that point the Replicate, OpenAI and FAL plugins at the fakes."""
    options: dict[str, dict[str, Any]] = {}
    if fal is not None:
        options["fal"] = {"base_url": fal.base_url, **FAST_FAL_OPTIONS}
    if replicate is not None:
        options["replicate"] = {"base_url": replicate.base_url, **FAST_REPLICATE_OPTIONS}
    if openai is not None:
        options["openai"] = {"base_url": openai.base_url}
    return options


def canary_secrets() -> dict[str, str]:
    """The canary keys under the names the providers read them from."""
    return {
        SECRET_NAMES["replicate"]: CANARY_REPLICATE_TOKEN,
        SECRET_NAMES["openai"]: CANARY_OPENAI_KEY,
        # The FAL plugin's key: what the fake FAL of the pytest plugin accepts.
        "FAL_KEY": canary_for("FAL_KEY"),
    }


__all__ = ["FAST_FAL_OPTIONS", "FAST_REPLICATE_OPTIONS", "canary_secrets", "fake_provider_options"]
