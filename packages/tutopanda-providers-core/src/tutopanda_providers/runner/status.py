"""What a movie holds and what a run would do to it (``status``), and clearing blobs no job
refers to any more (``prune``).

A job is, against the plan and the settings as they stand now (with the movie's remembered
overrides):

* ``kept``: its artefacts exist and were made from the same model and inputs; a run skips it;
* ``stale``: it has artefacts, but the model, its inputs or an upstream artefact changed;
* ``missing``: it never succeeded, or its stored files are gone;
* ``failed``: its last attempt failed (the event log says why).

A job that is kept itself but depends on a job that runs again is shown ``stale`` (its input
will be made anew). Every state but ``kept`` runs again on the next run; the live cost of those
jobs is what the next live run would cost (at most: a re-made upstream artefact that comes out
the same leaves its dependents kept).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tutopanda_providers.contracts import ConfigurationError, Cost, failover_text
from tutopanda_providers.runner import movie as log
from tutopanda_providers.runner.movie import MovieStore
from tutopanda_providers.runner.recording import artefacts_from, matches_record
from tutopanda_providers.runner.reports import CostSummary, JobPreview

JobState = Literal["kept", "stale", "missing", "failed"]


@dataclass
class MovieJob:
    """One job's state in a movie (see the module docs)."""

    job: str
    producer: str
    model: str
    mode: str
    state: JobState
    reason: str
    next_cost: Cost
    #: ``served by B after A failed: ...`` when the artefacts kept were made after a failover.
    failover: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {
            "job": self.job,
            "producer": self.producer,
            "model": self.model,
            "mode": self.mode,
            "state": self.state,
            "reason": self.reason,
            "next_cost": self.next_cost.model_dump(mode="json", exclude_none=True),
            "failover": self.failover,
        }


@dataclass
class MovieStatus:
    """The state of every job of a plan in a movie, the overrides in force and the live cost
    of the next run (the jobs that are not kept)."""

    movie: str
    plan: str
    overrides: dict[str, str]
    jobs: list[MovieJob] = field(default_factory=list)

    def next_run(self) -> CostSummary:
        """The live cost of the jobs the next run would make."""
        total = CostSummary()
        for j in self.jobs:
            if j.state != "kept":
                total.add(j.job, j.next_cost)
        return total

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {
            "movie": self.movie,
            "plan": self.plan,
            "overrides": self.overrides,
            "jobs": [j.to_dict() for j in self.jobs],
            "next_run_live_cost": self.next_run().to_dict(),
        }


def last_failures(movie: MovieStore) -> dict[str, str]:
    """Jobs whose last attempt failed, with the reason (a later success clears it)."""
    failed: dict[str, str] = {}
    for event in movie.events():
        if event.get("type") == log.RUN_FINISHED:
            # Jobs that could not be prepared or were blocked have no job event of their own.
            for name in event.get("failed") or []:
                failed.setdefault(str(name), "failed in the last run")
            continue
        job = event.get("job_id")
        if not isinstance(job, str):
            continue
        if event.get("type") == log.JOB_FAILED:
            error = event.get("error")
            failed[job] = str(error.get("message", "failed") if isinstance(error, dict) else error)
        elif event.get("type") in (log.ARTEFACT_PRODUCED, log.JOB_SKIPPED):
            failed.pop(job, None)
    return failed


def job_state(
    preview: JobPreview, record: Mapping[str, Any] | None, failure: str | None, blobs_ok: bool
) -> tuple[JobState, str]:
    """The state of one prepared job and why, from its manifest record and last failure."""
    if preview.up_to_date:
        return "kept", "same model and inputs"
    if failure is not None:
        return "failed", "; ".join(preview.problems) or failure
    if not record or record.get("status") != "succeeded":
        return "missing", "never made"
    if not blobs_ok:
        return "missing", "its stored files are gone"
    if record.get("model") != str(preview.descriptor):
        return "stale", f"made by {record.get('model')}, now served by {preview.descriptor}"
    if preview.uses_samples:
        return "stale", "an upstream job will be made again first"
    if preview.fingerprint is not None and not matches_record(record, preview):
        return "stale", "its inputs or an upstream artefact changed"
    return "stale", "; ".join(preview.problems) or "will be made again"


def movie_status(
    movie: MovieStore,
    previews: list[JobPreview],
    overrides: Mapping[str, str],
    blob_exists: Any,
) -> MovieStatus:
    """Each job's state (see the module docs).

    Args:
        movie: the movie.
        previews: the plan's jobs prepared against the movie (``Runner.preview()``).
        overrides: the overrides in force.
        blob_exists: ``BlobRef -> bool`` (the store's ``exists``).
    """
    records = movie.manifest()["jobs"]
    failures = last_failures(movie)
    status = MovieStatus(str(movie.folder), "", dict(overrides))
    redone: set[str] = set()
    for p in previews:
        record = records.get(p.job.id)
        blobs_ok = all(a.blob is None or blob_exists(a.blob) for a in artefacts_from(record))
        state, reason = job_state(p, record, failures.get(p.job.id), blobs_ok)
        waits_on = [d for d in p.job.depends_on if d in redone]
        if state == "kept" and waits_on:
            # Its upstream job runs again first; a new artefact there makes this one stale.
            state, reason = "stale", f"after {', '.join(waits_on)}, which runs again"
        if state != "kept":
            redone.add(p.job.id)
        made = MovieJob(
            p.job.id, p.job.producer, str(p.descriptor), p.mode, state, reason, p.estimate
        )
        if state == "kept" and record:
            made.model = str(record.get("model") or made.model)  # the one that served it
            left = record.get("failures")
            made.failover = failover_text(made.model, left if isinstance(left, list) else [])
            if made.failover and isinstance(left, list):
                # The table says who failed and how in a few words; the whole record is in
                # ``failover`` (``--json``) and the manifest.
                failed = ", ".join(
                    f"{f.get('model')} ({f.get('kind')})" for f in left if isinstance(f, dict)
                )
                made.reason = f"{reason}; failed over after {failed}"
        status.jobs.append(made)
    return status


# -- prune --------------------------------------------------------------------------------------
@dataclass
class PruneReport:
    """Blobs no job of the manifest refers to: found, and removed unless it was a dry run."""

    root: str
    unreferenced: list[Path] = field(default_factory=list)
    bytes: int = 0
    removed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {
            "blobs": self.root,
            "unreferenced": [str(p) for p in self.unreferenced],
            "bytes": self.bytes,
            "removed": self.removed,
        }


def referenced_blobs(manifest: Mapping[str, Any]) -> set[str]:
    """The sha256 of every blob a job of ``manifest`` refers to (any status)."""
    return {
        a.blob.sha256
        for record in manifest.get("jobs", {}).values()
        if isinstance(record, Mapping)
        for a in artefacts_from(record)
        if a.blob is not None
    }


def prune_blobs(movie: MovieStore, blobs_root: str, *, remove: bool) -> PruneReport:
    """Find (and with ``remove``, delete) the blobs under ``blobs_root`` that no job of the
    movie's manifest refers to. Partial writes in ``.tmp`` are left to the blob store.

    Call it with the movie locked: a run in progress may be storing a blob its manifest does
    not name yet.

    Raises:
        ConfigurationError: the blobs are not in a local folder.
    """
    if "://" in blobs_root and not blobs_root.startswith("file://"):
        raise ConfigurationError(
            f"prune works on a local blob folder; this movie's blobs are in {blobs_root}: "
            "clear them with that storage's own tools"
        )
    root = Path(blobs_root.removeprefix("file://"))
    keep = referenced_blobs(movie.manifest())
    report = PruneReport(str(root))
    if not root.is_dir():
        return report
    for path in sorted(root.glob("??/*")):
        if not path.is_file() or path.name.split(".")[0] in keep:
            continue
        report.unreferenced.append(path)
        report.bytes += path.stat().st_size
    if remove:
        for path in report.unreferenced:
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # only when empty
        report.removed = True
    return report


__all__ = [
    "JobState",
    "MovieJob",
    "MovieStatus",
    "PruneReport",
    "job_state",
    "last_failures",
    "movie_status",
    "prune_blobs",
    "referenced_blobs",
]
