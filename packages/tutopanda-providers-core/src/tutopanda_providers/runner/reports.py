"""What a run is told and what it reports: options, job previews, outcomes, cost sums, the
report, and the listener the CLI draws progress from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from tutopanda_providers.contracts import (
    Artefact,
    Cost,
    Descriptor,
    Mode,
    ProducerKind,
    failover_text,
)
from tutopanda_providers.runner.catalog import CatalogEntry
from tutopanda_providers.runner.plan import Job

if TYPE_CHECKING:
    from tutopanda_providers.registry import ResolvedHandler

#: ``canceled``: the run was stopped (a signal) while the job was in flight or before it
#: started; its remote job, if any, was canceled too.
JobStatus = Literal["succeeded", "skipped", "failed", "blocked", "planned", "canceled"]


@dataclass
class RunOptions:
    """How to run a plan.

    Attributes:
        live: spend money: jobs not listed in ``use_mock`` run live. Never implied.
        use_mock: producer names or kinds forced to mock in a live run.
        overrides: producer → ``provider/model`` for this movie (persisted, replayed later).
        clear_overrides: forget the movie's persisted overrides first.
        dry_run: preview only; call nothing, write nothing.
        max_cost: refuse a live run whose estimate exceeds this many US dollars.
        allow_unknown_cost: with ``max_cost``, accept live jobs whose cost is unknown.
        concurrency: jobs in flight at once (default: the settings' value).
        storage: blob storage root or fsspec URL (default: settings, else ``<movie>/blobs``).
        force: run every job even when its artefacts are up to date.
        warm_start: warm the live handlers before the first job (a missing key fails early).
        provider_options: per-provider options for handlers (``base_url`` ...).
        lock_timeout: seconds to wait for another run of the same movie.
    """

    live: bool = False
    use_mock: frozenset[str] = frozenset()
    overrides: Mapping[str, str] = field(default_factory=dict)
    clear_overrides: bool = False
    dry_run: bool = False
    max_cost: float | None = None
    allow_unknown_cost: bool = False
    concurrency: int | None = None
    storage: str | None = None
    force: bool = False
    warm_start: bool = True
    provider_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    lock_timeout: float = 0.0


@dataclass
class JobPreview:
    """A job prepared once, before calling anything; execution reuses it.

    Attributes:
        job / entry / descriptor / mode: the job, its producer's catalog entry, its model and
            ``live`` or ``mock``.
        inputs: the inputs for the model: its defaults under the producer's under the job's.
        payload: ``inputs`` validated against the model's card (``None``: they do not fit,
            see ``problems``).
        estimate: the live cost estimate of ``payload``.
        problems: why the job cannot run as it stands, in words.
        uses_samples: an upstream job has no artefacts yet, so its stand-ins were used.
        up_to_date: the manifest holds this job's artefacts, made from the same fingerprint,
            and they still exist.
        producer_inputs: producer-level inputs (before model defaults): a fallback model is
            validated from these.
        upstream: the upstream artefacts the job was prepared with, by name.
        handler: the resolved handler (``None`` when it cannot be resolved; running the job
            then fails with the reason).
        fingerprint: :func:`~tutopanda_providers.handler.request_fingerprint` of the job
            (what decides its output), with upstream blobs by hash, not path (the movie can
            move).
        upstream_outputs: the outputs of its dependencies the job was prepared from; when
            execution finds other ones (an upstream job ran), it prepares the job again.
        failure: the error a run records for this job when preparing it failed (a bad
            reference, inputs the model refuses, no handler); ``None`` when it is ready.
        requests: for a live job whose handler can preview them, the requests its call
            would send first, exactly as sent (``[{"method", "path", "body"}]``; see
            :class:`~tutopanda_providers.handler.RequestPreviewer`); ``None`` otherwise.
    """

    job: Job
    entry: CatalogEntry
    descriptor: Descriptor
    mode: Mode
    inputs: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] | None = None
    estimate: Cost = field(default_factory=lambda: Cost.unknown("not estimated"))
    problems: list[str] = field(default_factory=list)
    uses_samples: bool = False
    up_to_date: bool = False
    producer_inputs: dict[str, Any] = field(default_factory=dict)
    upstream: dict[str, Artefact] = field(default_factory=dict)
    handler: ResolvedHandler | None = None
    fingerprint: str | None = None
    #: Scheme-2 fingerprints (upstream blob paths in the inputs): as the job is now, and as
    #: it was before the movie moved; records of older runs are matched against these.
    located_fingerprints: list[str] = field(default_factory=list)
    upstream_outputs: dict[str, list[Artefact]] = field(default_factory=dict)
    failure: dict[str, Any] | None = None
    requests: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The preview as JSON."""
        return {
            "job": self.job.id,
            "producer": self.job.producer,
            "kind": self.entry.kind.value,
            "model": str(self.descriptor),
            "mode": self.mode,
            "payload": self.payload,
            "estimate": self.estimate.model_dump(mode="json", exclude_none=True),
            "problems": self.problems,
            "uses_samples": self.uses_samples,
            "up_to_date": self.up_to_date,
            "requests": self.requests,
        }


@dataclass
class JobOutcome:
    """How one job ended."""

    job_id: str
    producer: str
    kind: ProducerKind
    model: str
    mode: Mode
    status: JobStatus
    artefacts: list[dict[str, Any]] = field(default_factory=list)
    mocked: bool = False
    cost: Cost = field(default_factory=lambda: Cost.unknown("not run"))
    estimated_live: Cost = field(default_factory=lambda: Cost.unknown("not estimated"))
    duration_ms: float = 0.0
    error: dict[str, Any] | None = None
    tried: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Why each model before the one that served the job was left (``FailedAttempt`` JSON:
    #: model, kind, message), in order; empty when the first model served it.
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failover(self) -> str | None:
        """``served by B after A failed: transient: ...``, or ``None`` without a failover."""
        return failover_text(self.model, self.failures)

    def to_dict(self) -> dict[str, Any]:
        """The outcome as JSON."""
        return {
            "job": self.job_id,
            "producer": self.producer,
            "kind": self.kind.value,
            "model": self.model,
            "mode": self.mode,
            "status": self.status,
            "mocked": self.mocked,
            "artefacts": self.artefacts,
            "cost": self.cost.model_dump(mode="json", exclude_none=True),
            "estimated_live": self.estimated_live.model_dump(mode="json", exclude_none=True),
            "duration_ms": round(self.duration_ms, 2),
            "error": self.error,
            "tried": self.tried,
            "warnings": self.warnings,
            "failures": self.failures,
            "failover": self.failover,
        }


@dataclass
class CostSummary:
    """A sum of costs that keeps the unknown ones apart."""

    known_usd: float = 0.0
    unknown: list[str] = field(default_factory=list)

    def add(self, name: str, cost: Cost) -> None:
        """Add one job's cost."""
        if cost.amount_usd is None:
            self.unknown.append(name)
        else:
            self.known_usd += cost.amount_usd

    def text(self) -> str:
        """``$0.4200`` or ``$0.4200 + 2 unknown``."""
        base = f"${self.known_usd:.4f}"
        return base if not self.unknown else f"{base} + {len(self.unknown)} unknown"

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {"known_usd": round(self.known_usd, 6), "unknown_jobs": self.unknown}


@dataclass
class RunReport:
    """What a run (or a dry run) did."""

    movie: str
    plan: str
    dry_run: bool
    live: bool
    previews: list[JobPreview] = field(default_factory=list)
    outcomes: list[JobOutcome] = field(default_factory=list)
    blobs: str = ""
    duration_ms: float = 0.0
    #: Set when the run was stopped before its end (a signal): ``{"signal": "SIGTERM", ...}``.
    interrupted: dict[str, Any] | None = None
    page: str | None = None

    @property
    def failed(self) -> list[JobOutcome]:
        """Jobs that failed or could not start because an upstream job failed."""
        return [o for o in self.outcomes if o.status in ("failed", "blocked")]

    @property
    def problems(self) -> list[str]:
        """Every preview problem, prefixed with its job."""
        return [f"{p.job.id}: {msg}" for p in self.previews for msg in p.problems]

    def spent(self) -> CostSummary:
        """What the run spent (mocked jobs cost 0), failed jobs' bills included: a call that
        failed after the provider did the work (a truncated answer, a prediction that failed
        late) is still billed, and its handler puts the amount in the error's
        ``details.cost_usd``."""
        total = CostSummary()
        for o in self.outcomes:
            if o.status == "succeeded":
                total.add(o.job_id, o.cost)
            elif o.status == "failed" and failed_bill(o) is not None:
                total.add(o.job_id, Cost(status="known", amount_usd=failed_bill(o)))
        return total

    def spent_on_failures(self) -> float:
        """The part of :meth:`spent` billed for jobs that failed, in US dollars."""
        return sum(failed_bill(o) or 0.0 for o in self.outcomes if o.status == "failed")

    def summary_line(self) -> str:
        """The run's cost in one line: what was spent (with the failed jobs' part) and, for a
        run that was not wholly live, what the same run would cost live."""
        spent = self.spent()
        line = f"spent {spent.text()}"
        on_failures = self.spent_on_failures()
        if on_failures:
            line += f" (${on_failures:.4f} of it billed for failed jobs)"
        if self.live and all(not o.mocked for o in self.outcomes if o.status == "succeeded"):
            return line
        return f"{line}; the same run live would cost {self.live_estimate().text()}"

    def live_estimate(self) -> CostSummary:
        """What the whole plan would cost live."""
        total = CostSummary()
        if self.outcomes:
            for o in self.outcomes:
                total.add(o.job_id, o.estimated_live)
        else:
            for p in self.previews:
                total.add(p.job.id, p.estimate)
        return total

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "movie": self.movie,
            "plan": self.plan,
            "dry_run": self.dry_run,
            "live": self.live,
            "blobs": self.blobs,
            "page": self.page,
            "duration_ms": round(self.duration_ms, 2),
            "jobs": [o.to_dict() for o in self.outcomes],
            "previews": [p.to_dict() for p in self.previews],
            "spent": self.spent().to_dict(),
            "spent_on_failures_usd": round(self.spent_on_failures(), 6),
            "live_estimate": self.live_estimate().to_dict(),
            "problems": self.problems,
            "interrupted": self.interrupted,
        }


def failed_bill(outcome: JobOutcome) -> float | None:
    """What the provider billed for a failed job (``error.details.cost_usd``), if known."""
    details = (outcome.error or {}).get("details")
    amount = details.get("cost_usd") if isinstance(details, Mapping) else None
    return float(amount) if isinstance(amount, int | float) and amount >= 0 else None


class RunListener(Protocol):
    """Told when jobs start and end (the CLI draws progress bars from this)."""

    def job_started(self, preview: JobPreview) -> None:
        """A job is about to call its model."""

    def job_finished(self, outcome: JobOutcome) -> None:
        """A job succeeded, was skipped, failed or was blocked."""


class _NoListener:
    def job_started(self, preview: JobPreview) -> None:
        return None

    def job_finished(self, outcome: JobOutcome) -> None:
        return None
