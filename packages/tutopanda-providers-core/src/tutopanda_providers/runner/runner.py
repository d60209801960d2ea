"""The runner: a thin coordinator that prepares each job once, executes them and records them.

The work is split by job:

* :mod:`~tutopanda_providers.runner.preview`: each job prepared once (model, mode, inputs
  with model defaults, validation, estimate, fingerprint), with stand-ins for upstream jobs
  that have not run; a dry run stops there; a live run stops there too when the estimate
  exceeds ``max_cost``;
* :mod:`~tutopanda_providers.runner.execution`: layers, concurrency, skip / resume, invoke;
* :mod:`~tutopanda_providers.runner.recording`: the event log and the manifest records;
* :mod:`~tutopanda_providers.runner.movie`: the movie folder itself.

Handlers only return results; the runner records them: blobs go to the movie's
:class:`~tutopanda_providers.storage.BlobStore`, every step to the append-only event log, and
the movie's current artefacts to the manifest (with ``mocked`` per artefact).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import ConfigurationError, ProducerKind, ProviderError
from tutopanda_providers.runner import movie as log
from tutopanda_providers.runner.catalog import Catalog
from tutopanda_providers.runner.checks import check_fallbacks, plan_problems
from tutopanda_providers.runner.errors import BudgetRefusedError, FileProblemError
from tutopanda_providers.runner.execution import Execution, outcome_of
from tutopanda_providers.runner.locate import where
from tutopanda_providers.runner.movie import MovieStore
from tutopanda_providers.runner.page import write_human_view
from tutopanda_providers.runner.plan import Plan
from tutopanda_providers.runner.preview import JobPreparer, preview
from tutopanda_providers.runner.recording import MANIFEST_WRITE_INTERVAL, RunRecorder
from tutopanda_providers.runner.reports import (
    CostSummary,
    JobOutcome,
    JobPreview,
    JobStatus,
    RunListener,
    RunOptions,
    RunReport,
    _NoListener,
)

if TYPE_CHECKING:
    from tutopanda_providers.pipeline import PipelineOptions
    from tutopanda_providers.registry import ProviderRegistry, RegistryOptions
    from tutopanda_providers.registry.warm import WarmStartReport
    from tutopanda_providers.storage import BlobStore


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
        self._pipeline_options: PipelineOptions | None = None
        self._said: set[str] = set()  # expansion notes logged already
        self.catalog = catalog
        self._store: BlobStore | None = None
        self._execution: Execution | None = None
        #: The report of the last run, also when it was stopped (a canceled :meth:`run`).
        self.report: RunReport | None = None

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
        budget (live calls are refused once ``max_cost`` would be passed) and the settings'
        Redis URL for shared rate limits. Its fallbacks are checked by :meth:`preview` (with
        the catalog's own check first, so a problem names its line), not here: one registry
        serves the whole run, even when the settings have a problem to report.
        """
        if self._registry is None:
            from dataclasses import replace

            from tutopanda_providers.pipeline import PipelineOptions
            from tutopanda_providers.pipeline.budget import Budget
            from tutopanda_providers.registry import RegistryOptions, create_provider_registry

            base = self._registry_options or RegistryOptions()
            # Its fallbacks are set from the catalog once it is expanded against this
            # registry's cards (below), before the pipeline is first assembled.
            pipeline = replace(base.pipeline or PipelineOptions(), fallbacks={})
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
                middleware=None,
            )
            self._registry = create_provider_registry(options, check_fallbacks=False)
            self._pipeline_options = pipeline
            self.catalog = self.catalog.expanded(self._registry, self._said)
            self._set_fallbacks()
        return self._registry

    def _set_fallbacks(self) -> None:
        """Hand the (expanded) catalog's fallbacks of the plan's producers to the pipeline."""
        if self._pipeline_options is not None:
            self._pipeline_options.fallbacks = {
                name: chain
                for name, chain in self.catalog.pipeline_fallbacks().items()
                if name in self.plan.producers()
            }

    def effective_overrides(self) -> dict[str, str]:
        """The movie's persisted overrides (unless cleared) updated with this run's."""
        stored = {} if self.options.clear_overrides else dict(self.movie.config()["overrides"])
        stored.update(self.options.overrides)
        return stored

    def _build_catalog(self) -> Catalog:
        catalog = Catalog(dict(self.base_catalog.entries), self.base_catalog.settings)
        for producer, ref in self.effective_overrides().items():
            catalog.override(producer, ref)
        return catalog.expanded(self.registry(), self._said)

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
                registry.check_fallbacks()  # each fallback can do its primary's job
            except ConfigurationError as exc:
                problems.append(exc.message)
        # A model given with --override (or kept from an earlier run's) is a command-line
        # mistake: name the option, never the settings file that had nothing to do with it.
        given = self.effective_overrides()
        flagged = [p for p in problems if p.startswith("override of ")]
        if flagged:
            raise FileProblemError(
                "--override", [self._override_problem(p, given) for p in flagged]
            )
        if problems:
            raise FileProblemError(self._settings_source(), problems)

    def _override_problem(self, problem: str, given: Mapping[str, str]) -> str:
        """``override of P: ...`` as ``--override P=ref: ...`` (saying if the movie kept it)."""
        head, _, rest = problem.removeprefix("override of ").partition(": ")
        ref = given.get(head, "?")
        kept = head not in self.options.overrides
        note = (
            " (kept from an earlier run of this movie; --clear-overrides drops it)" if kept else ""
        )
        rest = rest.removeprefix(f"{head} model {ref}: ")  # the option already says both
        return f"--override {head}={ref}{note}: {rest}"

    def _settings_source(self) -> str:
        return self.catalog.settings.sources[-1] if self.catalog.settings else "settings"

    # -- preview --------------------------------------------------------------------------
    def preview(self, *, live_estimate_for_all: bool = True) -> list[JobPreview]:
        """Prepare every job once without calling anything: model, mode, inputs (model
        defaults merged in), validation, estimate, fingerprint, up to date or not.

        Upstream outputs come from the manifest when they exist, else from stand-ins of the
        right shape (see :mod:`~tutopanda_providers.runner.samples`). Execution reuses these
        prepared jobs.

        Raises:
            FileProblemError: the settings, overrides or plan name models that do not fit.
            ConfigurationError: ``use_mock`` names neither a producer nor a kind.
        """
        self.catalog = self._build_catalog()
        self._set_fallbacks()
        self._check()
        manifest = self.movie.manifest()  # first: it finds where a moved movie's blobs are
        previews = preview(self.plan, self._preparer(), manifest)
        check_fallbacks(previews, self.registry(), self.catalog)
        return previews

    def _preparer(self) -> JobPreparer:
        preparer = JobPreparer(self.registry(), self.catalog, self.store, self.plan)
        preparer.relocations = self.movie.relocations
        return preparer

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
            FileProblemError: the settings or overrides name models that do not fit, or a job
                whose inputs are known before the run (no upstream output in them) has inputs
                its model or one of its fallbacks refuses: nothing was called.
            BudgetRefusedError: the live estimate exceeds ``max_cost``.
            MovieBusyError: another run holds the movie.
            asyncio.CancelledError: the run was canceled (the CLI does it on SIGINT and
                SIGTERM): the jobs in flight were canceled with their remote jobs,
                ``job.canceled`` and ``run.interrupted`` were logged, and :attr:`report` holds
                the report with ``interrupted`` set.
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
            on_wait = getattr(self.listener, "waiting_for_lock", None)
            with self.movie.locked(self.options.lock_timeout, on_wait):
                return await self._run_locked(report, started)
        finally:
            if self._registry is not None:
                await self._registry.aclose()

    async def _run_locked(self, report: RunReport, started: float) -> RunReport:
        """The body of :meth:`run`, with the movie locked."""
        previews = self.preview()
        report.previews = previews
        problems = plan_problems(self.plan, previews)
        if problems:  # known now: refuse before the first (paid) job, not half-way through
            raise FileProblemError(self.plan.source, problems)
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
        try:
            report.outcomes = await self._execute(previews)
        except asyncio.CancelledError:
            self._record_interruption(report, previews, started)
            raise
        self.movie.write_providers(self._selections(report.outcomes))
        report.page = write_human_view(self.movie, self.store, self.plan, report.outcomes)
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

    def _record_interruption(
        self, report: RunReport, previews: list[JobPreview], started: float
    ) -> None:
        """Fill ``report`` with what a stopped run did and log ``run.interrupted``.

        Jobs that never started are reported ``canceled`` with "not started"; the report is
        kept in :attr:`report` (the caller that stopped the run reads it there).
        """
        done = self._execution.outcomes if self._execution is not None else {}
        outcomes = []
        for p in previews:
            outcome = done.get(p.job.id)
            if outcome is None:
                outcome = outcome_of(p, "canceled")
                outcome.error = {"kind": "canceled", "message": "not started: the run was stopped"}
            outcomes.append(outcome)
        report.outcomes = outcomes
        report.duration_ms = (time.perf_counter() - started) * 1000
        finished = [o.job_id for o in outcomes if o.status in ("succeeded", "skipped")]
        canceled = [
            o.job_id
            for o in outcomes
            if o.status == "canceled" and "not started" not in str((o.error or {}).get("message"))
        ]
        report.interrupted = {
            "finished": finished,
            "canceled": canceled,
            "not_started": [
                o.job_id for o in outcomes if o.status == "canceled" and o.job_id not in canceled
            ],
            "failed": [o.job_id for o in outcomes if o.status in ("failed", "blocked")],
        }
        self.report = report
        # A movie that cannot be written: the report still says it all.
        with contextlib.suppress(ProviderError):
            self.movie.append_event(
                {
                    "type": log.RUN_INTERRUPTED,
                    **report.interrupted,
                    "spent": report.spent().to_dict(),
                    "duration_ms": round(report.duration_ms, 2),
                },
                durable=True,
            )

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
            raise ProviderError(not_ready_message(failed))

    async def _execute(self, previews: list[JobPreview]) -> list[JobOutcome]:
        self._execution = execution = Execution(
            registry=self.registry(),
            preparer=self._preparer(),
            recorder=RunRecorder(self.movie, self.movie.manifest()),
            store=self.store,
            listener=self.listener,
            movie_id=self.movie.movie_id,
            concurrency=self.concurrency,
            timeout=self.timeout,
            force=self.options.force,
        )
        return await execution.run(self.plan, previews)


def not_ready_message(failed: Sequence[WarmStartReport]) -> str:
    """Why live handlers failed their warm start: each distinct problem once, with its models.

    One bad key fails every model of its provider with the same sentence; saying it once per
    model buries it. Problems keep the order in which they were first met.
    """
    by_problem: dict[str, list[str]] = {}
    for report in failed:
        by_problem.setdefault(report.error or "failed to start", []).append(str(report.descriptor))
    lines = [
        f"  {problem}\n    ({'model' if len(models) == 1 else 'models'}: {', '.join(models)})"
        for problem, models in by_problem.items()
    ]
    return (
        "live handlers are not ready, nothing was called:\n"
        + "\n".join(lines)
        + "\nRun `tutopanda-providers doctor --live` to check each provider's key with its server."
    )


__all__ = [
    "MANIFEST_WRITE_INTERVAL",
    "CostSummary",
    "JobOutcome",
    "JobPreview",
    "JobStatus",
    "RunListener",
    "RunOptions",
    "RunReport",
    "Runner",
]
