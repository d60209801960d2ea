"""The activities a worker serves: run one job, write the movie's records, finish a run.

A job runs exactly as in the local runner (the runner's :class:`JobPreparer` and
:class:`Execution` with the worker's registry: fallbacks, budget, shared Redis rate limits,
the pipeline's own retries), with two differences:

* its events and manifest record are returned to the workflow, which writes them;
* its remote job id is sent with ``activity.heartbeat`` as soon as the provider has one. When
  the worker is lost, Temporal retries the activity on another worker after the heartbeat
  timeout; that attempt reads the id from ``activity.info().heartbeat_details`` and resumes the
  remote job (``ProducerRequest.resume``) instead of creating a second one.

A provider error ends the job as ``failed`` (the pipeline already retried what was worth
retrying), so Temporal's attempts never multiply the pipeline's. Only what the worker itself
could not do (its storage, its plan) raises: retryable when the error kind is, otherwise as
:data:`~tutopanda_providers_temporal.models.NOT_RETRYABLE`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from temporalio import activity
from temporalio.exceptions import ApplicationError
from tutopanda_providers import (
    Artefact,
    ConfigurationError,
    Descriptor,
    ProviderError,
    RegistryOptions,
    create_provider_registry,
)
from tutopanda_providers.runner import (
    Catalog,
    JobOutcome,
    JobPreview,
    MovieStore,
    Plan,
    Runner,
    RunOptions,
    Settings,
    parse_plan,
)
from tutopanda_providers.runner import movie as log
from tutopanda_providers.runner.execution import Execution
from tutopanda_providers.runner.preview import JobPreparer
from tutopanda_providers.runner.recording import FINGERPRINT_SCHEME, RunRecorder

from tutopanda_providers_temporal.models import (
    FINISH_MOVIE,
    NOT_RETRYABLE,
    RUN_JOB,
    WRITE_RECORDS,
    FinishInput,
    JobInput,
    JobResult,
    LessonSpec,
    RecordsWrite,
)
from tutopanda_providers_temporal.outcomes import outcome_to_json, run_report
from tutopanda_providers_temporal.records import ObjectMovie

if TYPE_CHECKING:
    from tutopanda_providers import ProviderRegistry, WarmStartReport
    from tutopanda_providers.handler import RemoteJob

#: Lessons whose registry a worker keeps (each holds its handlers and HTTP clients).
LESSON_CACHE_SIZE = 32


class EventCollector(MovieStore):
    """A movie that keeps the events a job makes in memory, for the workflow to write."""

    def __init__(self, movie_id: str) -> None:
        super().__init__(Path(movie_id))
        self.movie_id = movie_id
        self.collected: list[dict[str, Any]] = []

    def append_event(self, event: Mapping[str, Any], *, durable: bool = False) -> None:
        """Keep ``event`` (stamped with the time, as the local log does)."""
        self.collected.append(json.loads(json.dumps({"ts": time.time(), **event}, default=str)))

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        """Nothing: the workflow writes the manifest from the records jobs return."""


class Heartbeat:
    """Heartbeats the job's details (its remote job, once there is one) every ``interval``
    seconds and at once when they change; the heartbeat is also how a cancel reaches the job."""

    def __init__(self, details: dict[str, Any] | None, interval: float) -> None:
        self.details = details
        self.interval = interval

    def remote(self, details: dict[str, Any]) -> None:
        """A remote job exists: heartbeat its id now, before anything else can go wrong."""
        self.details = details
        activity.heartbeat(details)

    def beat(self) -> None:
        """One heartbeat with the current details."""
        if self.details is None:
            activity.heartbeat()
        else:
            activity.heartbeat(self.details)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Heartbeat in the background while the body runs."""

        async def loop() -> None:
            # The first heartbeat waits one interval: Temporal sends an activity's first
            # heartbeat at once and throttles the next ones, so the remote job id (usually
            # known within that interval) is what goes out first, with no delay.
            while True:
                await asyncio.sleep(self.interval)
                self.beat()

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class _HeartbeatRecorder(RunRecorder):
    """The runner's recorder, also heartbeating each remote job id as it is reported."""

    def __init__(self, movie: EventCollector, manifest: dict[str, Any], heartbeat: Heartbeat):
        super().__init__(movie, manifest)
        self.heartbeat = heartbeat

    def remote_job_callback(self, prepared: JobPreview) -> Any:
        """Log the remote job (as the runner does) and heartbeat it to Temporal."""
        log_it = super().remote_job_callback(prepared)

        def record(remote: RemoteJob) -> None:
            self.heartbeat.remote(
                {
                    "remote_job_id": remote.id,
                    "fingerprint": prepared.fingerprint,
                    "fingerprint_scheme": FINGERPRINT_SCHEME,
                    "model": f"{remote.provider}/{remote.model}",
                }
            )
            log_it(remote)

        return record


class _Quiet:
    def job_started(self, preview: JobPreview) -> None:
        """Nothing: the workflow tells the submitter."""

    def job_finished(self, outcome: JobOutcome) -> None:
        """Nothing: the workflow tells the submitter."""


@dataclass
class Lesson:
    """One lesson as a worker runs it: its plan, catalog, runner (registry, store) and
    preparer, built on its first job and kept for the next ones."""

    plan: Plan
    catalog: Catalog
    runner: Runner
    preparer: JobPreparer


def _application_error(exc: ProviderError) -> ApplicationError:
    detail = {"kind": exc.kind.value if hasattr(exc.kind, "value") else str(exc.kind)}
    detail["message"] = exc.message
    if exc.retryable:
        return ApplicationError(exc.message, detail, type=f"ProviderError.{detail['kind']}")
    return ApplicationError(exc.message, detail, type=NOT_RETRYABLE, non_retryable=True)


@dataclass
class WorkerState:
    """What one worker process holds: its settings, mode and the lessons it has seen.

    Attributes:
        settings: the worker's settings (producers, ``runner.redis_url`` for shared limits).
        live: the worker runs live jobs (it warmed the live handlers); a worker without it
            refuses live lessons, so keep live and mock workers on separate task queues.
        registry_options: options for every registry it builds (plugins, secrets ...).
        identity: the worker's name in results (``host:pid`` by default).
        heartbeat_interval: seconds between heartbeats of a running job.
    """

    settings: Settings
    live: bool = False
    registry_options: RegistryOptions = field(default_factory=RegistryOptions)
    identity: str = ""
    heartbeat_interval: float = 1.0
    _lessons: OrderedDict[str, Lesson] = field(default_factory=OrderedDict)
    _catalog: Catalog | None = field(default=None, init=False, repr=False)

    # -- boot -----------------------------------------------------------------------------
    def descriptors(self, *, primaries_only: bool = False) -> list[Descriptor]:
        """Every model the settings' producers may use (their models and fallbacks; only their
        models with ``primaries_only``), but for the producers and kinds the worker keeps on
        mock (``registry_options.use_mock``)."""
        if self._catalog is None:
            options = replace(self.registry_options, mode="live" if self.live else "mock")
            # Producers naming a model once over providers expand to the cards of each
            # provider: every card a job may fail over to is warmed, not only the first's.
            # Built once (it loads the plugins): the warm start asks twice.
            self._catalog = Catalog.from_settings(self.settings).expanded(
                create_provider_registry(options)
            )
        catalog = self._catalog
        mocked = self.registry_options.use_mock
        found = [
            d
            for entry in catalog.entries.values()
            if entry.producer not in mocked and entry.kind.value not in mocked
            for d in (entry.candidates()[:1] if primaries_only else entry.candidates())
        ]
        return list(dict.fromkeys(found))

    async def warm_start(self, timeout: float) -> list[WarmStartReport]:
        """Warm every handler the settings name, in the worker's mode (a missing key or a
        handler that cannot start fails here, before the worker takes any work)."""
        options = replace(self.registry_options, mode="live" if self.live else "mock")
        registry: ProviderRegistry = create_provider_registry(options)
        try:
            return await registry.warm_start(self.descriptors(), timeout=timeout)
        finally:
            await registry.aclose()

    async def aclose(self) -> None:
        """Close every lesson's registry (HTTP clients, rate-limit connections)."""
        while self._lessons:
            _, lesson = self._lessons.popitem()
            with contextlib.suppress(Exception):
                await lesson.runner.registry().aclose()

    # -- lessons --------------------------------------------------------------------------
    async def lesson(self, spec: LessonSpec) -> Lesson:
        """The lesson of ``spec``, built on first use (LRU of :data:`LESSON_CACHE_SIZE`).

        Raises:
            ConfigurationError: a live lesson on a worker started without ``--live``.
            FileProblemError: the plan does not fit this worker's settings.
        """
        if spec.live and not self.live:
            raise ConfigurationError(
                f"lesson {spec.movie_id} runs live but this worker ({self.identity}) was started "
                "without --live; start live workers with --live (keep live and mock workers on "
                "separate --task-queue names)"
            )
        key = hashlib.sha256(json.dumps(asdict(spec), sort_keys=True).encode()).hexdigest()
        found = self._lessons.get(key)
        if found is not None:
            self._lessons.move_to_end(key)
            return found
        base = Catalog.from_settings(self.settings)
        plan = parse_plan(spec.plan_text, spec.plan_source, base.entries)
        catalog = Catalog(dict(base.entries), base.settings)
        for producer, ref in spec.overrides.items():
            catalog.override(producer, ref)
        options = RunOptions(
            live=spec.live,
            use_mock=frozenset(spec.use_mock),
            max_cost=spec.max_cost,
            allow_unknown_cost=spec.allow_unknown_cost,
            storage=spec.storage,
            force=spec.force,
            warm_start=False,
        )
        runner = Runner(
            plan,
            catalog,
            ObjectMovie(spec.movie_url),
            options,
            registry_options=self.registry_options,
            timeout=spec.job_timeout,
        )
        registry = runner.registry()  # expands the runner's catalog over its providers
        lesson = Lesson(
            plan, runner.catalog, runner, JobPreparer(registry, runner.catalog, runner.store)
        )
        self._lessons[key] = lesson
        while len(self._lessons) > LESSON_CACHE_SIZE:
            _, old = self._lessons.popitem(last=False)
            await old.runner.registry().aclose()
        return lesson

    # -- activities -----------------------------------------------------------------------
    @activity.defn(name=RUN_JOB)
    async def run_job(self, job: JobInput) -> JobResult:
        """Run one job of a lesson (or find it up to date) and return what to record.

        Raises:
            ApplicationError: the worker could not run the job (its plan or storage);
                non-retryable when retrying cannot help.
            asyncio.CancelledError: the workflow was canceled; the handler canceled its
                remote job first.
        """
        info = activity.info()
        try:
            return await self._run_job(job, info)
        except ProviderError as exc:
            raise _application_error(exc) from exc

    async def _run_job(self, job: JobInput, info: activity.Info) -> JobResult:
        lesson = await self.lesson(job.spec)
        if job.job_id not in lesson.plan.jobs:
            raise ConfigurationError(f"the plan of {job.spec.movie_id} has no job {job.job_id!r}")
        outputs = {
            dep: [Artefact.model_validate(a) for a in artefacts]
            for dep, artefacts in job.upstream.items()
        }
        prepared = lesson.preparer.prepare(lesson.plan.jobs[job.job_id], outputs)
        pending = job.pending
        if info.heartbeat_details:  # an earlier attempt's worker was lost: resume its job
            last = info.heartbeat_details[-1]
            if isinstance(last, dict) and last.get("remote_job_id"):
                pending = last
        heartbeat = Heartbeat(pending, self.heartbeat_interval)
        collector = EventCollector(job.spec.movie_id)
        manifest: dict[str, Any] = {"jobs": {job.job_id: job.record} if job.record else {}}
        recorder = _HeartbeatRecorder(collector, manifest, heartbeat)
        execution = Execution(
            registry=lesson.runner.registry(),
            preparer=lesson.preparer,
            recorder=recorder,
            store=lesson.runner.store,
            listener=_Quiet(),
            movie_id=job.spec.movie_id,
            concurrency=1,
            timeout=lesson.runner.timeout,
            force=job.spec.force,
        )
        async with heartbeat.running():
            outcome = await execution.run_job(prepared, outputs, pending)
        produced = outcome.status == "succeeded"
        return JobResult(
            outcome=outcome_to_json(outcome),
            events=collector.collected,
            record=manifest["jobs"].get(job.job_id) if produced else None,
            artefacts=[
                a.model_dump(mode="json", exclude_none=True) for a in outputs.get(job.job_id, [])
            ],
            attempt=info.attempt,
            worker=self.identity,
        )

    @activity.defn(name=WRITE_RECORDS)
    async def write_records(self, write: RecordsWrite) -> None:
        """Write one batch of the movie's records (idempotent: same name, same bytes)."""
        await asyncio.to_thread(_write_records, write)

    @activity.defn(name=FINISH_MOVIE)
    async def finish_movie(self, finish: FinishInput) -> None:
        """Log ``run.finished`` and write ``providers.json``, as a local run does."""
        lesson = await self.lesson(finish.spec)
        report = run_report(
            finish.outcomes,
            movie=finish.spec.movie_url,
            plan=finish.spec.plan_source,
            live=finish.spec.live,
            blobs=finish.spec.storage,
        )
        selections = lesson.catalog.selections()
        for o in report.outcomes:
            if o.status in ("succeeded", "skipped") and o.producer in selections:
                selections[o.producer].setdefault("served_by", {})[o.job_id] = o.model
        event = {
            "ts": finish.finished_at,
            "type": log.RUN_FINISHED,
            "failed": [o.job_id for o in report.failed],
            "spent": report.spent().to_dict(),
            "live_estimate": report.live_estimate().to_dict(),
            "duration_ms": round((finish.finished_at - finish.started_at) * 1000, 2),
        }
        movie = ObjectMovie(finish.spec.movie_url)

        def write() -> None:
            movie.write_segment(finish.segment, [event])
            movie.write_providers(selections)

        await asyncio.to_thread(write)

    def activities(self) -> list[Any]:
        """The activities to register on a Temporal worker."""
        return [self.run_job, self.write_records, self.finish_movie]


def _write_records(write: RecordsWrite) -> None:
    movie = ObjectMovie(write.movie_url)
    if write.config is not None:
        movie.write_config(write.config)
    if write.segment and write.events:
        movie.write_segment(write.segment, write.events)
    if write.manifest is not None:
        movie.write_manifest(write.manifest)


__all__ = ["LESSON_CACHE_SIZE", "EventCollector", "Heartbeat", "Lesson", "WorkerState"]
