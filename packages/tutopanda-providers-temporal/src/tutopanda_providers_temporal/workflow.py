"""The lesson workflow: one per movie (its workflow id is the movie's id), one activity per job.

Deterministic and free of import side effects (Temporal's sandbox re-imports this module):
it imports only Temporal's workflow API and :mod:`.models`. The workflow is the only writer of
the movie's records: jobs return their events and manifest records to it, and it writes them
through the ``write_records`` activity in event-log segments it names itself (one new object
per write, never appended to), so several workers never lose or duplicate an entry and a
retried write puts the same bytes under the same name.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from tutopanda_providers_temporal.models import (
    FINISH_MOVIE,
    LESSON_WORKFLOW,
    NOT_RETRYABLE,
    RUN_JOB,
    WRITE_RECORDS,
    FinishInput,
    JobInput,
    JobResult,
    LessonInput,
    LessonResult,
    RecordsWrite,
)

#: Writing records retries until the storage answers (writes are idempotent).
_RECORDS_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=0,
)
_RECORDS_TIMEOUT = timedelta(minutes=2)


def _error_of(exc: BaseException) -> dict[str, Any]:
    """The job error an activity failure stands for (its innermost cause's message)."""
    cause: BaseException = exc
    while isinstance(cause, ActivityError) and cause.cause is not None:
        cause = cause.cause
    if isinstance(cause, ApplicationError) and cause.details:
        detail = cause.details[0]
        if isinstance(detail, dict):
            return dict(detail)
    kind = "not_retryable" if getattr(cause, "type", None) == NOT_RETRYABLE else "worker_lost"
    message = getattr(cause, "message", None) or str(cause)
    return {"kind": kind, "message": f"the job's activity failed: {message}"}


@workflow.defn(name=LESSON_WORKFLOW)
class LessonWorkflow:
    """Runs one lesson: layer by layer, each job one activity on any worker of the queue."""

    def __init__(self) -> None:
        self._outcomes: dict[str, dict[str, Any]] = {}
        self._running: set[str] = set()
        self._events: list[dict[str, Any]] = []
        self._segments = 0
        self._prefix = ""
        self._manifest: dict[str, Any] = {}

    @workflow.query
    def progress(self) -> dict[str, Any]:
        """The jobs running now and the outcomes so far (what ``submit`` shows)."""
        return {"running": sorted(self._running), "finished": list(self._outcomes.values())}

    @workflow.run
    async def run(self, lesson: LessonInput) -> LessonResult:
        """Run every job of ``lesson``; return their outcomes in plan order.

        A job whose dependency failed is blocked. Canceling the workflow cancels the jobs in
        flight (their handlers cancel the remote jobs), records what happened, then ends the
        workflow as canceled.
        """
        started = workflow.now()
        self._prefix = f"{started:%Y%m%dT%H%M%S%f}-{workflow.info().run_id[:8]}"
        self._manifest = {
            "version": 1,
            "movie": lesson.spec.movie_id,
            "jobs": dict(lesson.manifest_jobs),
        }
        self._log(lesson.run_started)
        await self._write(lesson, config=lesson.config)
        outputs: dict[str, list[dict[str, Any]]] = {}
        order = [job for layer in lesson.layers for job in layer]
        try:
            for layer in lesson.layers:
                await self._run_layer(lesson, layer, outputs)
                await self._write(lesson)
        except asyncio.CancelledError:
            for job_id in order:
                if job_id not in self._outcomes:
                    self._finish(lesson, job_id, "canceled", {"kind": "canceled"})
            await self._write(lesson)
            raise
        outcomes = [self._outcomes[job_id] for job_id in order]
        await workflow.execute_activity(
            FINISH_MOVIE,
            FinishInput(
                spec=lesson.spec,
                outcomes=outcomes,
                segment=self._segment_name(),
                started_at=started.timestamp(),
                finished_at=workflow.now().timestamp(),
            ),
            start_to_close_timeout=_RECORDS_TIMEOUT,
            retry_policy=_RECORDS_RETRY,
        )
        return LessonResult(movie_id=lesson.spec.movie_id, outcomes=outcomes)

    async def _run_layer(
        self, lesson: LessonInput, layer: list[str], outputs: dict[str, list[dict[str, Any]]]
    ) -> None:
        gate = asyncio.Semaphore(max(1, lesson.max_parallel))

        async def one(job_id: str) -> None:
            deps = lesson.depends_on.get(job_id, [])
            bad = [d for d in deps if self._outcomes[d]["status"] in ("failed", "blocked")]
            if bad:
                message = f"not run: upstream {', '.join(bad)} did not succeed"
                self._finish(lesson, job_id, "blocked", {"message": message})
                return
            async with gate:
                await self._run_job(lesson, job_id, outputs)

        await asyncio.gather(*(one(job_id) for job_id in layer))

    async def _run_job(
        self, lesson: LessonInput, job_id: str, outputs: dict[str, list[dict[str, Any]]]
    ) -> None:
        deps = lesson.depends_on.get(job_id, [])
        job = JobInput(
            spec=lesson.spec,
            job_id=job_id,
            upstream={d: outputs.get(d, []) for d in deps},
            record=self._manifest["jobs"].get(job_id),
            pending=lesson.in_flight.get(job_id),
        )
        timeout = lesson.spec.job_timeout or 3600.0
        self._running.add(job_id)
        try:
            result = await workflow.execute_activity(
                RUN_JOB,
                job,
                result_type=JobResult,
                # The job's own deadline plus room to store its artefacts.
                start_to_close_timeout=timedelta(seconds=timeout + 120),
                heartbeat_timeout=timedelta(seconds=lesson.heartbeat_timeout),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=1),
                    maximum_interval=timedelta(seconds=30),
                    maximum_attempts=max(1, lesson.max_attempts),
                    non_retryable_error_types=[NOT_RETRYABLE],
                ),
                cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            )
        except ActivityError as exc:
            self._running.discard(job_id)
            error = _error_of(exc)
            self._log({"type": "job.failed", "job_id": job_id, "error": error})
            self._finish(lesson, job_id, "failed", error)
            return
        except asyncio.CancelledError:
            self._running.discard(job_id)
            self._log({"type": "job.failed", "job_id": job_id, "error": {"kind": "canceled"}})
            self._finish(lesson, job_id, "canceled", {"kind": "canceled"})
            raise
        self._running.discard(job_id)
        for event in result.events:
            self._events.append(event)
        if result.record is not None:
            self._manifest["jobs"][job_id] = result.record
        outputs[job_id] = result.artefacts
        outcome = dict(result.outcome)
        outcome["attempt"] = result.attempt
        outcome["worker"] = result.worker
        self._outcomes[job_id] = outcome

    def _finish(self, lesson: LessonInput, job_id: str, status: str, error: dict[str, Any]) -> None:
        preview = lesson.jobs.get(job_id, {})
        self._outcomes[job_id] = {
            "job_id": job_id,
            "producer": preview.get("producer", ""),
            "kind": preview.get("kind", "script"),
            "model": preview.get("model", ""),
            "mode": preview.get("mode", "mock"),
            "status": "failed" if status == "canceled" else status,
            "estimated_live": preview.get("estimated_live") or {"status": "unknown"},
            "error": {"message": status, **error},
        }

    def _log(self, event: dict[str, Any]) -> None:
        self._events.append({"ts": workflow.now().timestamp(), **event})

    def _segment_name(self) -> str:
        self._segments += 1
        return f"{self._prefix}-{self._segments:05d}"

    async def _write(self, lesson: LessonInput, *, config: dict[str, Any] | None = None) -> None:
        events, self._events = self._events, []
        await workflow.execute_activity(
            WRITE_RECORDS,
            RecordsWrite(
                movie_url=lesson.spec.movie_url,
                segment=self._segment_name() if events else "",
                events=events,
                manifest=self._manifest,
                config=config,
            ),
            start_to_close_timeout=_RECORDS_TIMEOUT,
            retry_policy=_RECORDS_RETRY,
        )


__all__ = ["LessonWorkflow"]
