"""Executing a plan: layer by layer, at most ``concurrency`` jobs in flight, each job run
from its prepared form through :meth:`ProviderRegistry.new_request` and its handler.

A job is skipped when the manifest holds artefacts made from its fingerprint and they still
exist; prepared again only when an upstream job's outputs differ from those it was prepared
with; blocked when an upstream job failed. A remote job whose id was logged but whose result
never was (the run died) is resumed: its request carries ``resume={"remote_job_id": ...}``.
A live job whose start was logged but whose remote job id never was (the run died while the
create was in flight) is sent with ``resume={"adopt_since": <time the start was logged>,
"claimed_remote_job_ids": [...]}``: the handler first looks for what that create may have made.

When the run is canceled (the CLI cancels it on SIGINT and SIGTERM), each job in flight is
canceled with it (the handler cancels its remote job on the way out), recorded as
``job.canceled`` and reported with status ``canceled``; :attr:`Execution.outcomes` keeps what
had finished, so the runner can say what to resume.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import Artefact, Cost, Descriptor, JobInfo, ProviderError
from tutopanda_providers.handler import model_inputs
from tutopanda_providers.pricing import estimate_cost
from tutopanda_providers.runner.recording import RunRecorder, artefacts_from, resume_of
from tutopanda_providers.runner.reports import JobOutcome, JobPreview, JobStatus, RunListener

if TYPE_CHECKING:
    from tutopanda_providers.registry import ProviderRegistry
    from tutopanda_providers.runner.plan import Plan
    from tutopanda_providers.runner.preview import JobPreparer
    from tutopanda_providers.storage import BlobStore


def outcome_of(prepared: JobPreview, status: JobStatus) -> JobOutcome:
    """A fresh outcome of ``prepared`` with ``status``."""
    return JobOutcome(
        job_id=prepared.job.id,
        producer=prepared.job.producer,
        kind=prepared.entry.kind,
        model=str(prepared.descriptor),
        mode=prepared.mode,
        status=status,
        estimated_live=prepared.estimate,
    )


def _fail(outcome: JobOutcome, error: Mapping[str, Any], started: float) -> JobOutcome:
    outcome.status = "failed"
    outcome.error = dict(error)
    outcome.duration_ms = (time.perf_counter() - started) * 1000
    return outcome


def _skipped(outcome: JobOutcome, record: Mapping[str, Any], prepared: JobPreview) -> JobOutcome:
    outcome.status = "skipped"
    outcome.model = str(record.get("model", prepared.descriptor))
    outcome.artefacts = list(record.get("artefacts", []))
    outcome.mocked = bool(record.get("mocked"))
    failures = record.get("failures")
    outcome.failures = list(failures) if isinstance(failures, list) else []
    outcome.cost = Cost(status="known", amount_usd=0.0, unit="skipped", source="manifest")
    outcome.estimated_live = Cost.model_validate(
        record.get("estimated_live") or {"status": "unknown"}
    )
    return outcome


@dataclass
class Execution:
    """Runs prepared jobs for one run and records them.

    Attributes:
        registry: builds each job's request.
        preparer: prepares a job again when its upstream outputs changed.
        recorder: the event log and manifest of the movie.
        store: where blobs go.
        listener: told when jobs start and end.
        movie_id: tags every job.
        concurrency: jobs in flight at once.
        timeout: seconds per job, or ``None``.
        force: run jobs that are up to date.
    """

    registry: ProviderRegistry
    preparer: JobPreparer
    recorder: RunRecorder
    store: BlobStore
    listener: RunListener
    movie_id: str | None
    concurrency: int
    timeout: float | None
    force: bool
    #: Every job's outcome so far, by job id (read it after a canceled :meth:`run`).
    outcomes: dict[str, JobOutcome] = field(default_factory=dict)

    async def run(self, plan: Plan, previews: list[JobPreview]) -> list[JobOutcome]:
        """Run every job of ``plan``, layer by layer; the outcomes in the order of ``previews``.

        Raises:
            asyncio.CancelledError: the run was canceled; the jobs in flight were canceled and
                recorded (``job.canceled``), and :attr:`outcomes` holds every job that ended.
        """
        by_id = {p.job.id: p for p in previews}
        outputs: dict[str, list[Artefact]] = {}
        outcomes = self.outcomes
        in_flight = self.recorder.movie.in_flight()
        # Every remote job this movie ever reported: never adopted for another job.
        self.recorder.claimed.update(self.recorder.movie.remote_job_ids())
        semaphore = asyncio.Semaphore(self.concurrency)

        async def one(job_id: str) -> None:
            prepared = by_id[job_id]
            bad = [
                d
                for d in prepared.job.depends_on
                if outcomes[d].status in ("failed", "blocked", "canceled")
            ]
            if bad:
                outcome = outcome_of(prepared, "blocked")
                outcome.error = {"message": f"not run: upstream {', '.join(bad)} did not succeed"}
            else:
                started = time.perf_counter()
                try:
                    async with semaphore:
                        outcome = await self.run_job(prepared, outputs, in_flight.get(job_id))
                except asyncio.CancelledError:
                    outcomes[job_id] = self._canceled(prepared, started)
                    self.listener.job_finished(outcomes[job_id])
                    raise
            outcomes[job_id] = outcome
            self.listener.job_finished(outcome)

        try:
            for layer in plan.layers:
                tasks = [asyncio.ensure_future(one(job_id)) for job_id in layer]
                try:
                    await asyncio.gather(*tasks)
                except asyncio.CancelledError:
                    # gather gives up at the first canceled job; the others are still on their
                    # way out (canceling their remote jobs): wait for every one to record itself.
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
                    raise
        finally:
            self.recorder.flush()
        return [outcomes[p.job.id] for p in previews]

    async def run_job(
        self,
        prepared: JobPreview,
        outputs: dict[str, list[Artefact]],
        pending: Mapping[str, Any] | None,
    ) -> JobOutcome:
        """Run one job (or skip it) and record it; ``outputs`` gets its artefacts."""
        started = time.perf_counter()
        if not self.preparer.still_current(prepared, outputs):
            prepared = self.preparer.prepare(prepared.job, outputs)
        outcome = outcome_of(prepared, "failed")
        record = self.recorder.manifest["jobs"].get(prepared.job.id)
        if record is not None and not self.force and self.preparer.up_to_date(prepared, record):
            outputs[prepared.job.id] = artefacts_from(record)
            self.recorder.job_skipped(prepared.job.id)
            return _skipped(outcome, record, prepared)
        self.listener.job_started(prepared)
        handler = prepared.handler
        if prepared.failure is not None or handler is None or prepared.payload is None:
            return _fail(outcome, prepared.failure or {"kind": "unexpected"}, started)
        resume = resume_of(pending, prepared, self.recorder.claimed)
        info = JobInfo(
            id=prepared.job.id,
            producer=prepared.job.producer,
            kind=prepared.entry.kind,
            movie_id=self.movie_id,
        )
        self.recorder.job_started(prepared, resume)
        request = self.registry.new_request(
            prepared.descriptor,
            prepared.payload,
            job=info,
            timeout=self.timeout,
            upstream=prepared.upstream,
            resume=resume,
            storage=self.store,
            on_remote_job=self.recorder.remote_job_callback(prepared),
            producer_inputs=prepared.producer_inputs,
            model_defaults=prepared.entry.model_defaults,
            validated=True,
        )
        try:
            result = await handler.invoke(request)
        except Exception as exc:  # a handler bug must not take the whole run down
            error: dict[str, Any]
            if isinstance(exc, ProviderError):
                error = exc.to_dict()
                outcome.tried = list(exc.details.get("tried", [str(prepared.descriptor)]))
            else:
                error = {"kind": "unexpected", "message": f"{type(exc).__name__}: {exc}"}
                outcome.tried = [str(prepared.descriptor)]
            self.recorder.job_failed(
                prepared.job.id, str(prepared.descriptor), error, tried=outcome.tried
            )
            return _fail(outcome, error, started)
        served = Descriptor(
            provider=result.provider.provider,
            model=result.provider.model,
            environment=prepared.descriptor.environment,
        )
        estimate = prepared.estimate
        if result.meta.fell_back and served != prepared.descriptor:
            estimate = self._fallback_estimate(prepared, served)
        outcome.tried = list(result.meta.tried) or [str(prepared.descriptor)]
        outcome.failures = [f.model_dump(mode="json") for f in result.meta.failures]
        await self.recorder.produced(outcome, result, prepared, info, served, estimate)
        outputs[prepared.job.id] = result.artefacts
        outcome.duration_ms = (time.perf_counter() - started) * 1000
        return outcome

    def _canceled(self, prepared: JobPreview, started: float) -> JobOutcome:
        """The outcome of a job the run's cancellation stopped, recorded when it had started."""
        outcome = outcome_of(prepared, "canceled")
        remote = self.recorder.remote_ids.get(prepared.job.id)
        if self.recorder.started(prepared.job.id):
            outcome.duration_ms = (time.perf_counter() - started) * 1000
            outcome.error = {
                "kind": "canceled",
                "message": "canceled: the run was stopped"
                + (f"; remote job {remote} was canceled too" if remote else ""),
            }
            self.recorder.job_canceled(prepared.job.id, str(prepared.descriptor), remote)
        else:
            outcome.error = {"kind": "canceled", "message": "not started: the run was stopped"}
        return outcome

    def _fallback_estimate(self, prepared: JobPreview, served: Descriptor) -> Cost:
        try:
            inputs = model_inputs(
                prepared.entry.model_defaults, str(served), prepared.producer_inputs
            )
            return estimate_cost(self.registry.card(served), inputs)
        except ProviderError:
            return Cost.unknown(f"cannot estimate the fallback {served}")


__all__ = ["Execution", "outcome_of"]
