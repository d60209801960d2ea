"""The runner: executes a plan layer by layer through the registry and records the results.

Handlers only return results; the runner records them: blobs go to the movie's
:class:`~tutopanda_providers.storage.BlobStore`, every step to the append-only event log, and
the movie's current artefacts to the manifest (with ``mocked`` per artefact).

Before the first call the runner previews every job (:meth:`Runner.preview`): it resolves the
model and mode, merges default inputs, resolves references (with stand-ins for jobs that have
not run), validates the inputs against the model's card and estimates the live cost. A dry run
stops there; a live run stops there too when the estimate exceeds ``max_cost``.

A job is skipped when the manifest holds artefacts made from the same model, mode and inputs
and those artefacts still exist. A remote job whose id was logged but whose result never was
(the run died) is resumed: the handler gets ``resume={"prediction_id": ...}``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from tutopanda_providers.contracts import (
    Artefact,
    ConfigurationError,
    Cost,
    Descriptor,
    Event,
    EventEmitter,
    JobInfo,
    Mode,
    ProducerKind,
    ProducerResult,
    ProviderError,
    TelemetrySink,
)
from tutopanda_providers.pricing import estimate_cost
from tutopanda_providers.runner import movie as log
from tutopanda_providers.runner.catalog import Catalog, CatalogEntry, ModelDefaultsMiddleware
from tutopanda_providers.runner.errors import BudgetRefusedError, FileProblemError
from tutopanda_providers.runner.locate import where
from tutopanda_providers.runner.movie import MovieStore
from tutopanda_providers.runner.plan import Job, Plan
from tutopanda_providers.runner.references import BadReferenceError, resolve_inputs
from tutopanda_providers.runner.samples import sample_artefacts

#: Seconds between rewrites of ``manifest.json`` during a run (always written at the end).
MANIFEST_WRITE_INTERVAL = 1.0

if TYPE_CHECKING:
    from tutopanda_providers.registry import ProviderRegistry, RegistryOptions
    from tutopanda_providers.storage import BlobStore

JobStatus = Literal["succeeded", "skipped", "failed", "blocked", "planned"]


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
    """A job as the runner sees it before calling anything."""

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

    @property
    def failed(self) -> list[JobOutcome]:
        """Jobs that failed or could not start because an upstream job failed."""
        return [o for o in self.outcomes if o.status in ("failed", "blocked")]

    @property
    def problems(self) -> list[str]:
        """Every preview problem, prefixed with its job."""
        return [f"{p.job.id}: {msg}" for p in self.previews for msg in p.problems]

    def spent(self) -> CostSummary:
        """What the run spent (mocked jobs cost 0)."""
        total = CostSummary()
        for o in self.outcomes:
            if o.status == "succeeded":
                total.add(o.job_id, o.cost)
        return total

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
            "duration_ms": round(self.duration_ms, 2),
            "jobs": [o.to_dict() for o in self.outcomes],
            "previews": [p.to_dict() for p in self.previews],
            "spent": self.spent().to_dict(),
            "live_estimate": self.live_estimate().to_dict(),
            "problems": self.problems,
        }


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


class _RemoteJobSink:
    """Forwards events and logs remote job ids (``prediction_id``) as soon as they exist."""

    def __init__(
        self, inner: TelemetrySink, movie: MovieStore, job_id: str, fingerprint: str
    ) -> None:
        self.inner = inner
        self.movie = movie
        self.job_id = job_id
        self.fingerprint = fingerprint

    def emit(self, event: Event) -> None:
        prediction = event.attributes.get("prediction_id")
        if prediction and event.name.endswith(".created"):
            self.movie.append_event(
                {
                    "type": log.JOB_REMOTE,
                    "job_id": self.job_id,
                    "event": event.name,
                    "prediction_id": prediction,
                    "fingerprint": self.fingerprint,
                    "model": f"{event.attributes.get('provider')}/{event.attributes.get('model')}",
                },
                durable=True,
            )
        self.inner.emit(event)


def fingerprint(
    descriptor: Descriptor, mode: Mode, payload: Mapping[str, Any], version: str
) -> str:
    """A hash of what decides a job's output: model, mode, validated inputs, handler version."""
    blob = json.dumps(
        {"model": str(descriptor), "mode": mode, "inputs": payload, "version": version},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _artefact_record(artefact: Artefact, mocked: bool) -> dict[str, Any]:
    record = artefact.model_dump(mode="json", exclude_none=True)
    record["mocked"] = mocked
    return record


def _artefacts_from(record: Mapping[str, Any]) -> list[Artefact]:
    return [
        Artefact.model_validate({k: v for k, v in a.items() if k != "mocked"})
        for a in record.get("artefacts", [])
    ]


class Runner:
    """Runs one plan on one movie.

    Args:
        plan: the loaded plan.
        catalog: producer → model, from the settings (the movie's overrides are applied here).
        movie: the movie folder.
        options: how to run.
        registry_options: options for the registry the runner builds (plugins, secrets,
            telemetry); the runner sets its mode, storage, fallbacks and budget.
        listener: told of job progress.
        timeout: seconds per job (default: the settings' ``timeout_seconds``).
    """

    def __init__(
        self,
        plan: Plan,
        catalog: Catalog,
        movie: str | Path | MovieStore,
        options: RunOptions | None = None,
        *,
        registry_options: RegistryOptions | None = None,
        listener: RunListener | None = None,
        timeout: float | None = None,
    ) -> None:
        self.plan = plan
        self.base_catalog = catalog
        self.movie = movie if isinstance(movie, MovieStore) else MovieStore(movie)
        self.options = options or RunOptions()
        self.listener: RunListener = listener or _NoListener()
        settings_runner = catalog.settings.runner if catalog.settings is not None else None
        self.timeout = timeout or (settings_runner.timeout_seconds if settings_runner else None)
        self.concurrency = self.options.concurrency or (
            settings_runner.concurrency if settings_runner else 4
        )
        root = self.options.storage or (settings_runner.storage if settings_runner else None)
        self.blobs_root = root or self.movie.blobs_root
        self._registry: ProviderRegistry | None = None
        self._registry_options = registry_options
        self.catalog = catalog
        self._store: BlobStore | None = None
        self._manifest_dirty = False
        self._manifest_written = 0.0

    # -- setup ----------------------------------------------------------------------------
    @property
    def store(self) -> BlobStore:
        """Where blobs go."""
        if self._store is None:
            from tutopanda_providers.storage import BlobStore

            self._store = BlobStore(self.blobs_root)
        return self._store

    def registry(self) -> ProviderRegistry:
        """The registry, built on first use for this run.

        Its mode and ``use_mock`` come from the options; its pipeline gets the producers'
        fallbacks (the pipeline tries them, sharing the job's attempt budget), the run's
        budget (live calls are refused once ``max_cost`` would be passed), the settings'
        Redis URL for shared rate limits, and the middleware that lays each model's default
        inputs under the job's.
        """
        if self._registry is None:
            from dataclasses import replace

            from tutopanda_providers.pipeline import PipelineOptions, default_middleware
            from tutopanda_providers.pipeline.budget import Budget
            from tutopanda_providers.registry import RegistryOptions, create_provider_registry

            base = self._registry_options or RegistryOptions()
            pipeline = replace(
                base.pipeline or PipelineOptions(),
                fallbacks={
                    name: chain
                    for name, chain in self.catalog.pipeline_fallbacks().items()
                    if name in self.plan.producers()
                },
            )
            if self.options.live and self.options.max_cost is not None:
                pipeline.budget = Budget(
                    self.options.max_cost, allow_unknown_cost=self.options.allow_unknown_cost
                )
            settings_runner = self.catalog.settings.runner if self.catalog.settings else None
            if settings_runner is not None and settings_runner.redis_url:
                pipeline.rate_limit_backend = settings_runner.redis_url
            options = replace(
                base,
                mode="live" if self.options.live else "mock",
                use_mock=frozenset(self.options.use_mock) | frozenset(base.use_mock),
                storage=self.store,
                provider_options={**base.provider_options, **self.options.provider_options},
                pipeline=pipeline,
                middleware=[*default_middleware(pipeline), ModelDefaultsMiddleware(self.catalog)],
            )
            try:
                self._registry = create_provider_registry(options)
            except ConfigurationError as exc:
                # The fallbacks were refused; say where, with the catalog's own check.
                plain = create_provider_registry(
                    replace(options, pipeline=replace(pipeline, fallbacks={}), middleware=None)
                )
                problems = self.catalog.check(plain, self.plan.producers()) or [exc.message]
                raise FileProblemError(self._settings_source(), problems) from exc
        return self._registry

    def effective_overrides(self) -> dict[str, str]:
        """The movie's persisted overrides (unless cleared) updated with this run's."""
        stored = {} if self.options.clear_overrides else dict(self.movie.config()["overrides"])
        stored.update(self.options.overrides)
        return stored

    def _build_catalog(self) -> Catalog:
        catalog = Catalog(dict(self.base_catalog.entries), self.base_catalog.settings)
        for producer, ref in self.effective_overrides().items():
            catalog.override(producer, ref)
        return catalog

    def mode_for(self, job: Job, entry: CatalogEntry) -> Mode:
        """The job's mode: mock unless live, and not forced to mock by ``use_mock``."""
        return self.registry().mode_for(job.producer, entry.kind)

    def _descriptor(self, job: Job, entry: CatalogEntry) -> Descriptor:
        return Descriptor.parse(job.model, entry.model.environment) if job.model else entry.model

    def _check_use_mock(self) -> None:
        """A misspelt ``--use-mock`` name would silently run that producer live: refuse it."""
        import difflib

        known = sorted({*self.catalog.entries, *(k.value for k in ProducerKind)})
        unknown = sorted(set(self.options.use_mock) - set(known))
        if unknown:
            hints = []
            for name in unknown:
                close = difflib.get_close_matches(name, known, n=1)
                hints.append(f"{name!r}" + (f" (did you mean {close[0]}?)" if close else ""))
            raise ConfigurationError(
                f"--use-mock names {', '.join(hints)}, which is neither a producer of the settings "
                f"nor a kind; use producer names ({', '.join(sorted(self.catalog.entries))}) or "
                f"kinds ({', '.join(k.value for k in ProducerKind)})"
            )

    def _check(self) -> None:
        self._check_use_mock()
        registry = self.registry()
        problems = self.catalog.check(registry, self.plan.producers())
        for job in self.plan.ordered():
            if job.model is None:
                continue
            entry = self.catalog.entry(job.producer)
            place = where(self.plan.source, self.plan.text, ("jobs", job.id, "model"))
            try:
                card = registry.card(job.model)
            except ProviderError as exc:
                problems.append(f"{place}: jobs.{job.id}.model: {exc.message}")
                continue
            if card.kind != entry.kind:
                problems.append(
                    f"{place}: jobs.{job.id}.model {job.model} makes {card.kind.value}, but "
                    f"{job.producer} makes {entry.kind.value}; pin a model of kind {entry.kind.value} "
                    "or use another producer"
                )
        if not problems:
            try:
                _ = registry.middleware  # binds the fallbacks: checks they can do the job
            except ConfigurationError as exc:
                problems.append(exc.message)
        if problems:
            raise FileProblemError(self._settings_source(), problems)

    def _settings_source(self) -> str:
        return self.catalog.settings.sources[-1] if self.catalog.settings else "settings"

    # -- preview --------------------------------------------------------------------------
    def preview(self, *, live_estimate_for_all: bool = True) -> list[JobPreview]:
        """Resolve, validate and estimate every job without calling anything.

        Upstream outputs come from the manifest when they exist, else from stand-ins of the
        right shape (see :mod:`~tutopanda_providers.runner.samples`).
        """
        self.catalog = self._build_catalog()
        self._check()
        registry = self.registry()
        manifest = self.movie.manifest()["jobs"]
        outputs: dict[str, list[Artefact]] = {}
        sampled: set[str] = set()
        previews: list[JobPreview] = []
        for job in self.plan.ordered():
            entry = self.catalog.entry(job.producer)
            descriptor = self._descriptor(job, entry)
            preview = JobPreview(job, entry, descriptor, self.mode_for(job, entry))
            preview.uses_samples = bool(sampled.intersection(job.depends_on))
            card = registry.card(descriptor)
            try:
                resolved = resolve_inputs(job.inputs, outputs)
                preview.inputs = entry.inputs_for(descriptor, resolved)
                preview.payload = card.validate_inputs(preview.inputs)
                preview.estimate = estimate_cost(card, preview.payload, validated=True)
            except (BadReferenceError, ProviderError) as exc:
                preview.problems.append(exc.message if isinstance(exc, ProviderError) else str(exc))
            record = manifest.get(job.id)
            if (
                record
                and preview.payload is not None
                and not preview.uses_samples
                and record.get("status") == "succeeded"
            ):
                version = self._version(descriptor, preview.mode)
                same = record.get("fingerprint") == fingerprint(
                    descriptor, preview.mode, preview.payload, version
                )
                artefacts = _artefacts_from(record)
                preview.up_to_date = same and self._exist(artefacts)
            if record and record.get("status") == "succeeded" and not preview.uses_samples:
                outputs[job.id] = _artefacts_from(record)
            else:
                outputs[job.id] = sample_artefacts(
                    job.id, entry.kind, preview.payload or preview.inputs
                )
                sampled.add(job.id)
            previews.append(preview)
        return previews

    def _version(self, descriptor: Descriptor, mode: Mode) -> str:
        try:
            return self.registry().resolve(descriptor, mode=mode).version
        except ProviderError:
            return "1"

    def _exist(self, artefacts: list[Artefact]) -> bool:
        return all(a.blob is None or self.store.exists(a.blob) for a in artefacts)

    def _refuse_over_budget(self, previews: list[JobPreview]) -> None:
        if self.options.max_cost is None or not self.options.live:
            return
        paying = [
            p for p in previews if p.mode == "live" and (self.options.force or not p.up_to_date)
        ]
        total = CostSummary()
        for p in paying:
            total.add(p.job.id, p.estimate)
        if total.known_usd > self.options.max_cost:
            raise BudgetRefusedError(
                f"the live jobs of this run are estimated at ${total.known_usd:.4f}, over "
                f"--max-cost ${self.options.max_cost:.4f}; nothing was called. Raise --max-cost, "
                "or mock some producers with --use-mock."
            )
        if total.unknown and not self.options.allow_unknown_cost:
            raise BudgetRefusedError(
                f"the cost of {', '.join(total.unknown)} is unknown, so --max-cost "
                f"${self.options.max_cost:.4f} cannot be guaranteed; nothing was called. "
                "Pass --allow-unknown-cost to run anyway."
            )

    # -- run ------------------------------------------------------------------------------
    async def run(self) -> RunReport:
        """Run the plan (or preview it when ``dry_run``) and return the report.

        Raises:
            FileProblemError: the settings or overrides name models that do not fit.
            BudgetRefusedError: the live estimate exceeds ``max_cost``.
            MovieBusyError: another run holds the movie.
        """
        started = time.perf_counter()
        report = RunReport(
            movie=str(self.movie.folder),
            plan=self.plan.source,
            dry_run=self.options.dry_run,
            live=self.options.live,
            blobs=self.blobs_root,
        )
        if self.options.dry_run:
            report.previews = self.preview()
            report.duration_ms = (time.perf_counter() - started) * 1000
            return report
        try:
            with self.movie.locked(self.options.lock_timeout):
                return await self._run_locked(report, started)
        finally:
            if self._registry is not None:
                await self._registry.aclose()

    async def _run_locked(self, report: RunReport, started: float) -> RunReport:
        """The body of :meth:`run`, with the movie locked."""
        previews = self.preview()
        report.previews = previews
        self._refuse_over_budget(previews)
        if self.options.live and self.options.warm_start:
            await self._warm_start(previews)
        overrides = self.effective_overrides()
        self.movie.write_config(
            {
                "overrides": overrides,
                "plan": self.plan.source,
                "live": self.options.live,
                "use_mock": sorted(self.options.use_mock),
                "storage": self.blobs_root,
                "updated_at": time.time(),
            }
        )
        self.movie.append_event(
            {
                "type": log.RUN_STARTED,
                "plan": self.plan.source,
                "live": self.options.live,
                "use_mock": sorted(self.options.use_mock),
                "overrides": overrides,
                "jobs": len(previews),
            }
        )
        report.outcomes = await self._execute(previews)
        self.movie.write_providers(self._selections(report.outcomes))
        report.duration_ms = (time.perf_counter() - started) * 1000
        self.movie.append_event(
            {
                "type": log.RUN_FINISHED,
                "failed": [o.job_id for o in report.failed],
                "spent": report.spent().to_dict(),
                "live_estimate": report.live_estimate().to_dict(),
                "duration_ms": round(report.duration_ms, 2),
            }
        )
        return report

    def _selections(self, outcomes: list[JobOutcome]) -> dict[str, Any]:
        selections = self.catalog.selections()
        for o in outcomes:
            if o.status in ("succeeded", "skipped") and o.producer in selections:
                selections[o.producer].setdefault("served_by", {})[o.job_id] = o.model
        return selections

    async def _warm_start(self, previews: list[JobPreview]) -> None:
        live = list(
            dict.fromkeys(p.descriptor for p in previews if p.mode == "live" and not p.up_to_date)
        )
        if not live:
            return
        reports = await self.registry().warm_start(live, timeout=30.0, mode="live")
        failed = [r for r in reports if r.status == "failed"]
        if failed:
            lines = "; ".join(f"{r.descriptor}: {r.error}" for r in failed)
            raise ProviderError(
                f"live handlers are not ready, nothing was called: {lines}. "
                "Run `tutopanda-providers doctor` for details."
            )

    async def _execute(self, previews: list[JobPreview]) -> list[JobOutcome]:
        by_id = {p.job.id: p for p in previews}
        outputs: dict[str, list[Artefact]] = {}
        outcomes: dict[str, JobOutcome] = {}
        manifest = self.movie.manifest()
        in_flight = self.movie.in_flight()
        manifest_lock = asyncio.Lock()
        semaphore = asyncio.Semaphore(self.concurrency)

        async def one(job_id: str) -> None:
            preview = by_id[job_id]
            job = preview.job
            bad = [d for d in job.depends_on if outcomes[d].status in ("failed", "blocked")]
            if bad:
                outcome = self._outcome(preview, "blocked")
                outcome.error = {"message": f"not run: upstream {', '.join(bad)} did not succeed"}
            else:
                async with semaphore:
                    outcome = await self._run_job(
                        preview, outputs, manifest, manifest_lock, in_flight
                    )
            outcomes[job_id] = outcome
            self.listener.job_finished(outcome)

        try:
            for layer in self.plan.layers:
                await asyncio.gather(*(one(job_id) for job_id in layer))
        finally:
            self._flush_manifest(manifest)
        return [outcomes[p.job.id] for p in previews]

    def _outcome(self, preview: JobPreview, status: JobStatus) -> JobOutcome:
        return JobOutcome(
            job_id=preview.job.id,
            producer=preview.job.producer,
            kind=preview.entry.kind,
            model=str(preview.descriptor),
            mode=preview.mode,
            status=status,
            estimated_live=preview.estimate,
        )

    async def _run_job(
        self,
        preview: JobPreview,
        outputs: dict[str, list[Artefact]],
        manifest: dict[str, Any],
        manifest_lock: asyncio.Lock,
        in_flight: Mapping[str, Mapping[str, Any]],
    ) -> JobOutcome:
        job, entry = preview.job, preview.entry
        registry = self.registry()
        started = time.perf_counter()
        outcome = self._outcome(preview, "failed")
        try:
            resolved_inputs = resolve_inputs(job.inputs, outputs)
        except BadReferenceError as exc:
            return self._fail(outcome, {"kind": "invalid_input", "message": str(exc)}, started)
        descriptor = self._descriptor(job, entry)
        record = manifest["jobs"].get(job.id)
        if record and record.get("status") == "succeeded" and not self.options.force:
            skipped = self._up_to_date(outcome, record, job, entry, descriptor, resolved_inputs)
            if skipped:
                outputs[job.id] = _artefacts_from(record)
                self.movie.append_event(
                    {"type": log.JOB_SKIPPED, "job_id": job.id, "reason": "up to date"}
                )
                return outcome

        self.listener.job_started(preview)
        try:
            handler = registry.resolve(descriptor, producer=job.producer, kind=entry.kind)
            payload = handler.card.validate_inputs(entry.inputs_for(descriptor, resolved_inputs))
        except ProviderError as exc:
            return self._fail(outcome, exc.to_dict(), started)
        estimate = estimate_cost(handler.card, payload, validated=True)
        fp = fingerprint(descriptor, handler.mode, payload, handler.version)
        resume: dict[str, Any] = {}
        pending = in_flight.get(job.id)
        if (
            pending
            and pending.get("fingerprint") == fp
            and pending.get("prediction_id")
            and pending.get("model") in (None, str(descriptor))
        ):
            resume = {"prediction_id": pending["prediction_id"]}
        info = JobInfo(
            id=job.id, producer=job.producer, kind=entry.kind, movie_id=self.movie.movie_id
        )
        self.movie.append_event(
            {
                "type": log.JOB_STARTED,
                "job_id": job.id,
                "producer": job.producer,
                "model": str(descriptor),
                "mode": handler.mode,
                "fingerprint": fp,
                "resume": resume,
            }
        )
        upstream = {
            f"{dep}:{a.name}" if i else dep: a
            for dep in job.depends_on
            for i, a in enumerate(outputs.get(dep, []))
        }
        # Producer-level inputs only: the pipeline adds each model's defaults (fallbacks too).
        request = registry.new_request(
            descriptor,
            {**dict(entry.inputs), **resolved_inputs},
            job=info,
            timeout=self.timeout,
            upstream=upstream,
            resume=resume,
        )
        request.storage = self.store
        request.telemetry = EventEmitter(
            _RemoteJobSink(request.telemetry.sink, self.movie, job.id, fp),
            request.telemetry.attributes,
        )
        try:
            result = await handler.invoke(request)
        except Exception as exc:  # a handler bug must not take the whole run down
            error: dict[str, Any]
            if isinstance(exc, ProviderError):
                error = exc.to_dict()
                outcome.tried = list(exc.details.get("tried", [str(descriptor)]))
            else:
                error = {"kind": "unexpected", "message": f"{type(exc).__name__}: {exc}"}
                outcome.tried = [str(descriptor)]
            self.movie.append_event(
                {"type": log.JOB_FAILED, "job_id": job.id, "model": str(descriptor), "error": error}
            )
            return self._fail(outcome, error, started)
        served = Descriptor(
            provider=result.provider.provider,
            model=result.provider.model,
            environment=descriptor.environment,
        )
        if result.meta.fell_back and served != descriptor:
            try:
                estimate = estimate_cost(
                    registry.card(served), entry.inputs_for(served, resolved_inputs)
                )
            except ProviderError:
                estimate = Cost.unknown(f"cannot estimate the fallback {served}")
        outcome.tried = list(result.meta.tried) or [str(descriptor)]
        await self._record(
            outcome, result, job, info, served, handler.mode, fp, estimate, manifest, manifest_lock
        )
        outputs[job.id] = result.artefacts
        outcome.duration_ms = (time.perf_counter() - started) * 1000
        return outcome

    def _up_to_date(
        self,
        outcome: JobOutcome,
        record: Mapping[str, Any],
        job: Job,
        entry: CatalogEntry,
        descriptor: Descriptor,
        resolved_inputs: Mapping[str, Any],
    ) -> bool:
        """True (and ``outcome`` filled in) when the manifest's artefacts are still current:
        made for the same model, mode, inputs and handler version, and still stored."""
        registry = self.registry()
        try:
            card = registry.card(descriptor)
            payload = card.validate_inputs(entry.inputs_for(descriptor, resolved_inputs))
        except ProviderError:
            return False
        mode = registry.mode_for(job.producer, entry.kind)
        same = record.get("fingerprint") == fingerprint(
            descriptor, mode, payload, self._version(descriptor, mode)
        )
        if not same or not self._exist(_artefacts_from(record)):
            return False
        outcome.status = "skipped"
        outcome.model = str(record.get("model", descriptor))
        outcome.artefacts = list(record.get("artefacts", []))
        outcome.mocked = bool(record.get("mocked"))
        outcome.cost = Cost(status="known", amount_usd=0.0, unit="skipped", source="manifest")
        outcome.estimated_live = Cost.model_validate(
            record.get("estimated_live") or {"status": "unknown"}
        )
        return True

    def _fail(self, outcome: JobOutcome, error: dict[str, Any], started: float) -> JobOutcome:
        outcome.status = "failed"
        outcome.error = error
        outcome.duration_ms = (time.perf_counter() - started) * 1000
        return outcome

    async def _record(
        self,
        outcome: JobOutcome,
        result: ProducerResult,
        job: Job,
        info: JobInfo,
        descriptor: Descriptor,
        mode: Mode,
        fp: str,
        estimate: Cost,
        manifest: dict[str, Any],
        manifest_lock: asyncio.Lock,
    ) -> None:
        mocked = result.meta.mocked
        records = [_artefact_record(a, mocked) for a in result.artefacts]
        cost = result.provider.cost
        live_estimate = cost.estimated_live if mocked and cost.estimated_live else estimate
        if not mocked and cost.amount_usd is not None:
            live_estimate = cost
        outcome.status = "succeeded"
        outcome.model = str(descriptor)
        outcome.mode = mode
        outcome.artefacts = records
        outcome.mocked = mocked
        outcome.cost = cost
        outcome.estimated_live = live_estimate
        record = {
            "producer": job.producer,
            "kind": info.kind.value,
            "model": str(descriptor),
            "mode": mode,
            "status": "succeeded",
            "mocked": mocked,
            "fingerprint": fp,
            "artefacts": records,
            "cost": cost.model_dump(mode="json", exclude_none=True),
            "estimated_live": live_estimate.model_dump(mode="json", exclude_none=True),
            "provider": result.provider.model_dump(mode="json", exclude_none=True),
            "fell_back": result.meta.fell_back,
            "finished_at": time.time(),
        }
        payload = result.event_payload(info)
        payload.update(
            {"job_id": job.id, "fingerprint": fp, "mocked": mocked, "manifest_record": record}
        )
        # The event log is the source of truth (MovieStore.manifest folds it in), so the
        # manifest file is rewritten at most once a second, not once per job: rewriting it
        # whole after every job made a 1,000-job run quadratic.
        self.movie.append_event(payload)
        async with manifest_lock:
            manifest["jobs"][job.id] = record
            self._manifest_dirty = True
            if time.monotonic() - self._manifest_written >= MANIFEST_WRITE_INTERVAL:
                self._flush_manifest(manifest)

    def _flush_manifest(self, manifest: dict[str, Any]) -> None:
        if self._manifest_dirty:
            self.movie.write_manifest(manifest)
            self._manifest_dirty = False
            self._manifest_written = time.monotonic()


__all__ = [
    "CostSummary",
    "JobOutcome",
    "JobPreview",
    "RunListener",
    "RunOptions",
    "RunReport",
    "Runner",
    "fingerprint",
]
