"""Recording a run: the movie's event log and manifest records, job by job.

The event log (``events.jsonl``) is the source of truth: every job's start, remote job id,
result, skip or failure is appended as it happens (a remote job id durably, so a re-run after a
crash resumes it). The manifest is the log folded into each job's current record; it is
rewritten at most once a second during a run and always at the end.

A record made before fingerprints covered the environment and the upstream artefacts (no
``fingerprint_scheme``) still counts as up to date when it matches the old fingerprint and was
made in the same environment, so old movies are not paid for again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import Artefact, Cost, Descriptor, JobInfo, Mode, ProducerResult
from tutopanda_providers.runner import movie as log
from tutopanda_providers.runner.delivered import held_against_asked
from tutopanda_providers.runner.movie import MovieStore

if TYPE_CHECKING:
    from tutopanda_providers.handler import RemoteJob
    from tutopanda_providers.runner.reports import JobOutcome, JobPreview

#: Seconds between rewrites of ``manifest.json`` during a run (always written at the end).
MANIFEST_WRITE_INTERVAL = 1.0
#: The fingerprint of records and events: 3 is :func:`request_fingerprint` of the inputs with
#: upstream blobs by hash (the movie can move); 2 had their paths (matched against
#: ``JobPreview.located_fingerprints``); records without it have the scheme-1 fingerprint.
FINGERPRINT_SCHEME = 3


def legacy_fingerprint(
    descriptor: Descriptor, mode: Mode, payload: Mapping[str, Any], version: str
) -> str:
    """The scheme-1 fingerprint older movies recorded (no environment, no upstream)."""
    blob = json.dumps(
        {"model": str(descriptor), "mode": mode, "inputs": payload, "version": version},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _matches(fingerprint: Any, scheme: Any, prepared: JobPreview, environment: Any) -> bool:
    if not fingerprint or prepared.fingerprint is None:
        return False
    if scheme == 2:
        return fingerprint in prepared.located_fingerprints
    if scheme is not None:
        return bool(fingerprint == prepared.fingerprint)
    if environment not in (None, prepared.descriptor.environment):
        return False  # scheme 1 left the environment out: a moved job is not up to date
    if prepared.handler is None or prepared.payload is None:
        return False
    old = legacy_fingerprint(
        prepared.descriptor, prepared.mode, prepared.payload, prepared.handler.version
    )
    return bool(fingerprint == old)


def matches_record(record: Mapping[str, Any], prepared: JobPreview) -> bool:
    """True when a manifest record was made from the prepared job's fingerprint."""
    provider = record.get("provider")
    environment = provider.get("environment", "local") if isinstance(provider, Mapping) else None
    return _matches(
        record.get("fingerprint"), record.get("fingerprint_scheme"), prepared, environment
    )


def resume_of(
    pending: Mapping[str, Any] | None,
    prepared: JobPreview,
    claimed: set[str] | frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """What to resume for ``prepared`` from the event log's unfinished start (``pending``).

    * ``{"remote_job_id": ...}``: a remote job was reported for the same fingerprint and
      model and never finished: the handler picks it up.
    * ``{"adopt_since": t, "claimed_remote_job_ids": [...]}``: a live start was logged at
      ``t`` (before the create was sent) and no remote job id ever was: the create may have
      reached the provider with its answer lost in the crash. The handler looks for a remote
      job of this model and inputs created at or after ``t`` that is not one of ``claimed``
      (every remote job the movie already knows) and adopts it instead of creating another.
    * ``{}``: nothing to resume.
    """
    if not pending:
        return {}
    if pending.get("model") not in (None, str(prepared.descriptor)):
        return {}
    # A scheme-1 event cannot tell the environment; the model and inputs must still match.
    if not _matches(pending.get("fingerprint"), pending.get("fingerprint_scheme"), prepared, None):
        return {}
    if pending.get("remote_job_id"):
        return {"remote_job_id": pending["remote_job_id"]}
    if pending.get("sent_after") is not None and prepared.mode == "live":
        return {
            "adopt_since": float(pending["sent_after"]),
            "claimed_remote_job_ids": sorted(claimed),
        }
    return {}


def artefact_record(artefact: Artefact, mocked: bool) -> dict[str, Any]:
    """An artefact as the manifest records it: its JSON plus ``mocked``."""
    record = artefact.model_dump(mode="json", exclude_none=True)
    record["mocked"] = mocked
    return record


def artefacts_from(record: Mapping[str, Any] | None) -> list[Artefact]:
    """The artefacts of a manifest record."""
    if not record:
        return []
    return [
        Artefact.model_validate({k: v for k, v in a.items() if k != "mocked"})
        for a in record.get("artefacts", [])
    ]


class RunRecorder:
    """Writes one run's events and manifest records to its movie."""

    def __init__(self, movie: MovieStore, manifest: dict[str, Any]) -> None:
        self.movie = movie
        self.manifest = manifest
        self._lock = asyncio.Lock()
        # A moved movie that an older version recorded with absolute paths: rewrite its
        # manifest (relative paths) even when every job is kept.
        self._dirty = bool(movie.relocations)
        self._written = 0.0
        #: Remote job ids the movie already knows (never adopted for another job).
        self.claimed: set[str] = set()
        #: The remote job of each job of this run, once reported.
        self.remote_ids: dict[str, str] = {}
        self._started: set[str] = set()

    def started(self, job_id: str) -> bool:
        """True when this run logged ``job.started`` for ``job_id``."""
        return job_id in self._started

    def remote_job_callback(self, prepared: JobPreview) -> Any:
        """The ``on_remote_job`` callback of a job's request: logs the id durably at once."""
        job_id, fingerprint = prepared.job.id, prepared.fingerprint

        def record(remote: RemoteJob) -> None:
            self.remote_ids[job_id] = remote.id
            self.claimed.add(remote.id)
            self.movie.append_event(
                {
                    "type": log.JOB_REMOTE,
                    "job_id": job_id,
                    "remote_job_id": remote.id,
                    "resumed": remote.resumed,
                    "fingerprint": fingerprint,
                    "fingerprint_scheme": FINGERPRINT_SCHEME,
                    "model": f"{remote.provider}/{remote.model}",
                },
                durable=True,
            )

        return record

    def job_started(self, prepared: JobPreview, resume: Mapping[str, Any]) -> None:
        """Log that a job is about to call its model.

        A live job's start is written durably (``fsync``) before anything is sent: if the run
        dies while the create is in flight, the next run knows a paid job may exist and since
        when (the event's ``ts``), and looks for it before creating another (see
        :func:`resume_of`).
        """
        self._started.add(prepared.job.id)
        resume = {k: v for k, v in resume.items() if k != "claimed_remote_job_ids"}
        self.movie.append_event(
            {
                "type": log.JOB_STARTED,
                "job_id": prepared.job.id,
                "producer": prepared.job.producer,
                "model": str(prepared.descriptor),
                "mode": prepared.mode,
                "fingerprint": prepared.fingerprint,
                "fingerprint_scheme": FINGERPRINT_SCHEME,
                "resume": dict(resume),
            },
            durable=prepared.mode == "live",
        )

    def job_canceled(self, job_id: str, model: str, remote_job_id: str | None) -> None:
        """Log that a job was canceled because the run was stopped (durably: the next run must
        not resume a remote job that was canceled)."""
        self.movie.append_event(
            {
                "type": log.JOB_CANCELED,
                "job_id": job_id,
                "model": model,
                "remote_job_id": remote_job_id,
            },
            durable=True,
        )

    def job_skipped(self, job_id: str) -> None:
        """Log that a job was up to date."""
        self.movie.append_event({"type": log.JOB_SKIPPED, "job_id": job_id, "reason": "up to date"})

    def job_failed(
        self, job_id: str, model: str, error: Mapping[str, Any], *, tried: list[str] | None = None
    ) -> None:
        """Log that a job's call failed; ``tried`` lists the models tried, primary first."""
        self.movie.append_event(
            {
                "type": log.JOB_FAILED,
                "job_id": job_id,
                "model": model,
                "error": dict(error),
                "tried": list(tried or [model]),
            }
        )

    async def produced(
        self,
        outcome: JobOutcome,
        result: ProducerResult,
        prepared: JobPreview,
        info: JobInfo,
        served: Descriptor,
        estimate: Cost,
    ) -> None:
        """Record a job's result: fill ``outcome``, log the artefacts, update the manifest."""
        mocked = result.meta.mocked
        records = [artefact_record(a, mocked) for a in result.artefacts]
        cost = result.provider.cost
        held = held_against_asked(prepared.job.id, str(served), prepared.producer_inputs, result)
        cost_as_asked = cost if held.cost is not None else None
        cost = held.cost or cost
        live_estimate = cost.estimated_live if mocked and cost.estimated_live else estimate
        if not mocked and cost.amount_usd is not None:
            live_estimate = cost
        outcome.status = "succeeded"
        outcome.model = str(served)
        outcome.mode = prepared.mode
        outcome.artefacts = records
        outcome.mocked = mocked
        outcome.cost = cost
        outcome.estimated_live = live_estimate
        outcome.warnings = held.warnings
        record: dict[str, Any] = {
            "producer": prepared.job.producer,
            "kind": info.kind.value,
            "model": str(served),
            "mode": prepared.mode,
            "status": "succeeded",
            "mocked": mocked,
            "fingerprint": prepared.fingerprint,
            "fingerprint_scheme": FINGERPRINT_SCHEME,
            "artefacts": records,
            "cost": cost.model_dump(mode="json", exclude_none=True),
            "estimated_live": live_estimate.model_dump(mode="json", exclude_none=True),
            "provider": result.provider.model_dump(mode="json", exclude_none=True),
            "fell_back": result.meta.fell_back,
            "tried": list(outcome.tried),
            # Which provider served the job and why the ones before it were left.
            "failures": list(outcome.failures),
            "finished_at": time.time(),
        }
        if held.warnings:  # what came back is not what was asked (runner/checks.py)
            record["warnings"] = held.warnings
        if cost_as_asked is not None:
            record["cost_as_asked"] = cost_as_asked.model_dump(mode="json", exclude_none=True)
        payload = result.event_payload(info)
        payload.update(
            {
                "job_id": prepared.job.id,
                "fingerprint": prepared.fingerprint,
                "mocked": mocked,
                "manifest_record": record,
                "warnings": held.warnings,
            }
        )
        # The event log is the source of truth (MovieStore.manifest folds it in), so the
        # manifest file is rewritten at most once a second, not once per job: rewriting it
        # whole after every job made a 1,000-job run quadratic.
        self.movie.append_event(payload)
        async with self._lock:
            self.manifest["jobs"][prepared.job.id] = record
            self._dirty = True
            if time.monotonic() - self._written >= MANIFEST_WRITE_INTERVAL:
                self.flush()

    def flush(self) -> None:
        """Rewrite ``manifest.json`` when records changed since it was last written."""
        if self._dirty:
            self.movie.write_manifest(self.manifest)
            self._dirty = False
            self._written = time.monotonic()


__all__ = [
    "FINGERPRINT_SCHEME",
    "MANIFEST_WRITE_INTERVAL",
    "RunRecorder",
    "artefact_record",
    "artefacts_from",
    "legacy_fingerprint",
    "matches_record",
    "resume_of",
]
