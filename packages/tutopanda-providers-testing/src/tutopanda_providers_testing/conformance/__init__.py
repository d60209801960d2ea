"""The conformance suite for tutopanda provider packages.

Subclass :class:`ProviderConformance` in your package's tests, declare your plugin, your
models (:class:`ModelCase`) and your capability flags; see ``docs/conformance.md``.
"""

from __future__ import annotations

from tutopanda_providers_testing.conformance.fault_cases import (
    FAULTS_BY_SERVER,
    OPENAI_FAULTS,
    REPLICATE_FAULTS,
    FaultCase,
    queue_faults,
)
from tutopanda_providers_testing.conformance.suite import (
    ModelCase,
    ProviderConformance,
    SuiteContext,
    override_standard_test,
)

__all__ = [
    "FAULTS_BY_SERVER",
    "OPENAI_FAULTS",
    "REPLICATE_FAULTS",
    "FaultCase",
    "ModelCase",
    "ProviderConformance",
    "SuiteContext",
    "override_standard_test",
    "queue_faults",
]
