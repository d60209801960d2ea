"""Test kit for tutopanda provider plugins.

- :class:`FakeReplicateServer` and :class:`FakeOpenAIServer`: real HTTP servers on 127.0.0.1
  that the official SDKs talk to, with scripted faults (:class:`Fault`) and a request log.
- ``tutopanda_providers_testing.pytest_plugin``: opt-in fixtures and a network guard.
- ``tutopanda_providers_testing.conformance``: the suite every provider package runs.

Importing this package never imports ``openai`` or ``replicate``.
"""

from __future__ import annotations

from tutopanda_providers_testing.fake_openai import FakeOpenAIServer
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer, Prediction
from tutopanda_providers_testing.faults import Fault, FaultKind, FaultPlan, FaultRule
from tutopanda_providers_testing.requestlog import RecordedRequest, RequestLog

__all__ = [
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
