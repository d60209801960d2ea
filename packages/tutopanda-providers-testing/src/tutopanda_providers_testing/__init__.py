"""Test kit for tutopanda provider plugins.

- :class:`FakeReplicateServer` and :class:`FakeOpenAIServer`: real HTTP servers on 127.0.0.1
  that the official SDKs talk to, with scripted faults (:class:`Fault`) and a request log.
- :mod:`.fakeserver`: the public toolkit they are built on, for a fake of any HTTP API
  (routes of any method, auth schemes, a job queue, hosted files).
- Fake models (:mod:`.fakes`): :func:`make_card`, :class:`FakeHandler`, :class:`FakeFactory`,
  :class:`FakePlugin`, :func:`fake_registry`, and :func:`fake_server_registry` (a registry on
  the fake servers): the helpers every package's tests share.
- ``tutopanda_providers_testing.pytest_plugin``: opt-in fixtures and a network guard.
- ``tutopanda_providers_testing.conformance``: the suite every provider package runs.

Importing this package never imports ``openai`` or ``replicate``.
"""

from __future__ import annotations

from tutopanda_providers_testing.fake_openai import FakeOpenAIServer
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer, Prediction
from tutopanda_providers_testing.fakes import (
    FakeFactory,
    FakeHandler,
    FakeInputs,
    FakePlugin,
    Outcome,
    Script,
    fake_registry,
    fake_server_registry,
    make_card,
)
from tutopanda_providers_testing.faults import Fault, FaultKind, FaultPlan, FaultRule
from tutopanda_providers_testing.requestlog import RecordedRequest, RequestLog

__all__ = [
    "FakeFactory",
    "FakeHandler",
    "FakeInputs",
    "FakePlugin",
    "Outcome",
    "Script",
    "fake_registry",
    "fake_server_registry",
    "make_card",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "FaultRule",
    "FakeOpenAIServer",
    "FakeReplicateServer",
    "Prediction",
    "RecordedRequest",
    "RequestLog",
]
