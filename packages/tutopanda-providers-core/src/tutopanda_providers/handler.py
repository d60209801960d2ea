"""The handler contract: what a handler receives (a request, a factory context) and what it is.

Above the contracts layer because a request carries live services: the blob store to write to,
the telemetry emitter and (for a factory) the secret resolver.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from tutopanda_providers.contracts import (
    Artefact,
    Descriptor,
    Environment,
    JobInfo,
    Mode,
    ModelCard,
    ProducerResult,
)

if TYPE_CHECKING:
    from tutopanda_providers.contracts import EventEmitter, TelemetrySink
    from tutopanda_providers.secrets import SecretResolver
    from tutopanda_providers.storage import BlobStore


@dataclass
class ProducerRequest:
    """Everything a handler needs for one invoke.

    Attributes:
        job: the runner's job metadata.
        descriptor: the model this request is for.
        inputs: the model's own input fields, validated against its card before ``invoke``.
        upstream: artefacts of upstream jobs, by name.
        storage: where to write blobs.
        telemetry: emits events tagged with this job.
        deadline: ``time.monotonic()`` value after which the job is abandoned, or ``None``.
        resume: facts from an earlier run of the same job (e.g. ``prediction_id``) so a handler
            can pick up a remote job instead of paying for a new one.
    """

    job: JobInfo
    descriptor: Descriptor
    inputs: Mapping[str, Any]
    storage: BlobStore
    telemetry: EventEmitter
    upstream: Mapping[str, Artefact] = field(default_factory=dict)
    deadline: float | None = None
    resume: Mapping[str, Any] = field(default_factory=dict)

    def remaining(self) -> float | None:
        """Seconds left before the deadline, or ``None`` when there is none."""
        return None if self.deadline is None else self.deadline - time.monotonic()


@dataclass
class WarmStartContext:
    """Handed to ``warm_start``: a time budget and somewhere to report to."""

    telemetry: EventEmitter
    timeout: float


@dataclass
class HandlerContext:
    """Handed to a factory when the registry creates a handler.

    Attributes:
        descriptor: the model being served.
        mode: ``live`` or ``mock``.
        card: the model's card (for a wildcard implementation, the card of the model it serves).
        secrets: the registry's secret resolver.
        telemetry: the registry's telemetry sink.
        options: per-provider options from the caller (base URLs, timeouts, organisation).
    """

    descriptor: Descriptor
    mode: Mode
    card: ModelCard
    secrets: SecretResolver
    telemetry: TelemetrySink
    options: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class ProducerHandler(Protocol):
    """A live or mock implementation of one model.

    ``warm_start(context)`` is optional: when a handler defines it the registry calls it from
    :meth:`ProviderRegistry.warm_start` to check readiness (a missing key fails there).
    ``check_credentials()`` is optional too: a free authenticated request that raises
    ``AuthError`` when the provider refuses the key (``doctor --live``; docs/hooks.md).
    """

    provider: str
    model: str
    environment: Environment
    mode: Mode

    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        """Run the job and return its result, or raise a :class:`ProviderError`."""
        ...


__all__ = ["HandlerContext", "ProducerHandler", "ProducerRequest", "WarmStartContext"]
