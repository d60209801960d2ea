"""The handler contract: what a handler receives (a request, a factory context) and what it is.

Above the contracts layer because a request carries live services: the blob store to write to,
the telemetry emitter and (for a factory) the secret resolver.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
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


#: The key of :attr:`ProducerRequest.resume` naming the remote job to pick up.
RESUME_REMOTE_JOB = "remote_job_id"
#: What event logs written before the remote-job callback called it (Replicate's word).
_LEGACY_RESUME_KEY = "prediction_id"


@dataclass(frozen=True)
class RemoteJob:
    """A job a provider runs on its side (a Replicate prediction, an OpenAI background response).

    Reported through :meth:`ProducerRequest.report_remote_job` as soon as it exists, so a
    runner can log its id durably and a re-run after a crash resumes it instead of paying twice.

    Attributes:
        id: the provider's id of the remote job.
        provider / model: the model it runs (``provider/model`` as in the descriptor).
        resumed: True when the handler picked up an existing remote job instead of creating one.
        status: the provider's status word when reported (``starting``), if known.
    """

    id: str
    provider: str
    model: str
    resumed: bool = False
    status: str | None = None


def model_inputs(
    model_defaults: Mapping[str, Mapping[str, Any]], ref: str, inputs: Mapping[str, Any]
) -> dict[str, Any]:
    """The inputs for the model ``ref``: its defaults (``model_defaults[ref]``) under ``inputs``.

    THE one place model defaults are merged: the runner uses it to prepare a job, the
    validation middleware for a fallback model (which gets its own defaults, never the
    primary's).
    """
    defaults = model_defaults.get(ref)
    return {**defaults, **inputs} if defaults else dict(inputs)


def request_fingerprint(
    descriptor: Descriptor,
    mode: Mode,
    handler_version: str,
    inputs: Mapping[str, Any],
    upstream: Mapping[str, Any] | None = None,
) -> str:
    """The sha256 (64 hex digits) of everything that decides an invoke's output.

    Provider, model, environment, mode, handler version, the validated inputs (model defaults
    merged in) and the upstream artefacts (blob hash, else text, else data) as canonical JSON.
    The runner's fingerprint (is a job up to date, may a remote job be resumed) and the result
    cache's key are both this function, so they cannot disagree about what changed.
    """
    upstream_facts = {
        name: (a.blob.sha256 if a.blob is not None else a.text if a.text is not None else a.data)
        for name, a in sorted((upstream or {}).items())
        if isinstance(a, Artefact)
    }
    payload = [
        descriptor.provider,
        descriptor.model,
        descriptor.environment,
        mode,
        handler_version,
        inputs,
        upstream_facts,
    ]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ProducerRequest:
    """Everything a handler needs for one invoke.

    Build one with :meth:`ProviderRegistry.new_request`; a runner never changes it afterwards.

    Attributes:
        job: the runner's job metadata.
        descriptor: the model this request is for.
        inputs: the model's own input fields, validated against its card before ``invoke``.
        upstream: artefacts of upstream jobs, by name.
        storage: where to write blobs.
        telemetry: emits events tagged with this job.
        deadline: ``time.monotonic()`` value after which the job is abandoned, or ``None``.
        resume: facts from an earlier run of the same job (``{"remote_job_id": ...}``) so a
            handler can pick up a remote job instead of paying for a new one; read it with
            :attr:`resume_remote_job_id`.
        producer_inputs: the producer-level inputs before model defaults and validation; a
            fallback model is validated from these (``None``: ``inputs`` are producer-level).
        model_defaults: default inputs per ``provider/model``, laid under the inputs of
            whichever model runs (see :func:`model_inputs`).
        validated: ``inputs`` are already validated against this descriptor's card (with its
            defaults): the pipeline does not validate them again.
        on_remote_job: called with a :class:`RemoteJob` as soon as the provider has one.
    """

    job: JobInfo
    descriptor: Descriptor
    inputs: Mapping[str, Any]
    storage: BlobStore
    telemetry: EventEmitter
    upstream: Mapping[str, Artefact] = field(default_factory=dict)
    deadline: float | None = None
    resume: Mapping[str, Any] = field(default_factory=dict)
    producer_inputs: Mapping[str, Any] | None = None
    model_defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    validated: bool = False
    on_remote_job: Callable[[RemoteJob], None] | None = None

    def remaining(self) -> float | None:
        """Seconds left before the deadline, or ``None`` when there is none."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    @property
    def resume_remote_job_id(self) -> str | None:
        """The remote job an earlier run of this job started, or ``None``.

        Also read under ``prediction_id``, the key event logs used before ``remote_job_id``.
        """
        found = self.resume.get(RESUME_REMOTE_JOB) or self.resume.get(_LEGACY_RESUME_KEY)
        return str(found) if found else None

    def report_remote_job(
        self, remote_job_id: str, *, resumed: bool = False, status: str | None = None
    ) -> None:
        """Tell the caller a remote job exists for this request (call it as soon as it does).

        A callback that raises is not the handler's failure: the error is reported as a
        ``remote_job.report_failed`` event and the job goes on.
        """
        if self.on_remote_job is None:
            return
        remote = RemoteJob(
            id=remote_job_id,
            provider=self.descriptor.provider,
            model=self.descriptor.model,
            resumed=resumed,
            status=status,
        )
        try:
            self.on_remote_job(remote)
        except Exception as exc:
            self.telemetry.emit(
                "remote_job.report_failed",
                remote_job_id=remote_job_id,
                error=f"{type(exc).__name__}: {exc}",
            )

    def inputs_for_model(self, ref: str) -> dict[str, Any]:
        """Producer-level inputs for the model ``ref``, its own defaults laid under them."""
        base = self.inputs if self.producer_inputs is None else self.producer_inputs
        return model_inputs(self.model_defaults, ref, base)


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
        secrets: the registry's secret resolver, scoped to the card's ``secret_names``: any
            other name resolves to ``None``.
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
    ``preview_request(inputs)`` is optional as well: see :class:`RequestPreviewer`.
    """

    provider: str
    model: str
    environment: Environment
    mode: Mode

    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        """Run the job and return its result, or raise a :class:`ProviderError`."""
        ...


@runtime_checkable
class RequestPreviewer(Protocol):
    """A handler that can show what it would send, without sending it (optional).

    ``run --live --dry-run`` shows, for each live job, what ``preview_request`` returns for the
    job's validated inputs. The handler must build the bodies it sends in ``invoke`` with the
    same code, so what the dry run shows is what the call sends. Nothing may be called, no
    key read and no blob written.
    """

    def preview_request(self, inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The requests ``invoke`` would send first for ``inputs`` (the model's own fields,
        validated against its card), in order: each ``{"method": "POST", "path":
        "/v1/responses", "body": {...}}`` (``path`` relative to the provider's base URL;
        ``body`` the JSON body, exactly as sent). Follow-up calls that depend on an answer
        (polls, a retry for a left-out pair) are not included.

        Raises:
            ProviderError: the inputs cannot be turned into a request (the same error
                ``invoke`` would raise before sending anything).
        """
        ...


def preview_requests(handler: object, inputs: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """``handler.preview_request(inputs)`` when the handler has it, else ``None``."""
    if isinstance(handler, RequestPreviewer):
        return handler.preview_request(inputs)
    return None


__all__ = [
    "RESUME_REMOTE_JOB",
    "RequestPreviewer",
    "preview_requests",
    "HandlerContext",
    "ProducerHandler",
    "ProducerRequest",
    "RemoteJob",
    "WarmStartContext",
    "model_inputs",
    "request_fingerprint",
]
