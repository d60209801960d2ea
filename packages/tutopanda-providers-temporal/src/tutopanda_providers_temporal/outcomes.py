"""Job outcomes as JSON and back, so they cross the workflow (which imports no core)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tutopanda_providers.contracts import Cost, ProducerKind
from tutopanda_providers.runner import JobOutcome, RunReport


def outcome_to_json(outcome: JobOutcome) -> dict[str, Any]:
    """Every field of ``outcome`` as JSON values (the inverse of :func:`outcome_from_json`)."""
    return {
        "job_id": outcome.job_id,
        "producer": outcome.producer,
        "kind": outcome.kind.value,
        "model": outcome.model,
        "mode": outcome.mode,
        "status": outcome.status,
        "artefacts": list(outcome.artefacts),
        "mocked": outcome.mocked,
        "cost": outcome.cost.model_dump(mode="json", exclude_none=True),
        "estimated_live": outcome.estimated_live.model_dump(mode="json", exclude_none=True),
        "duration_ms": outcome.duration_ms,
        "error": outcome.error,
        "tried": list(outcome.tried),
    }


def outcome_from_json(data: Mapping[str, Any]) -> JobOutcome:
    """A :class:`JobOutcome` from :func:`outcome_to_json`'s JSON (or the workflow's own
    outcomes of jobs that never ran: blocked, canceled, lost)."""
    return JobOutcome(
        job_id=str(data["job_id"]),
        producer=str(data.get("producer", "")),
        kind=ProducerKind(data.get("kind", "script")),
        model=str(data.get("model", "")),
        mode="live" if data.get("mode") == "live" else "mock",
        status=data.get("status", "failed"),
        artefacts=list(data.get("artefacts") or []),
        mocked=bool(data.get("mocked")),
        cost=Cost.model_validate(data.get("cost") or {"status": "unknown", "reason": "not run"}),
        estimated_live=Cost.model_validate(data.get("estimated_live") or {"status": "unknown"}),
        duration_ms=float(data.get("duration_ms") or 0.0),
        error=data.get("error"),
        tried=list(data.get("tried") or []),
    )


def run_report(
    outcomes: Iterable[Mapping[str, Any]], *, movie: str, plan: str, live: bool, blobs: str
) -> RunReport:
    """The :class:`RunReport` of a lesson from its outcomes' JSON (what a local run reports)."""
    report = RunReport(movie=movie, plan=plan, dry_run=False, live=live, blobs=blobs)
    report.outcomes = [outcome_from_json(o) for o in outcomes]
    return report


__all__ = ["outcome_from_json", "outcome_to_json", "run_report"]
