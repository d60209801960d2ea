"""A queue-style job lifecycle for fake APIs that submit work and are polled for it.

    queue = JobQueue(queue_seconds=0.05, run_seconds=0.1, make_output=lambda job: {...})
    job = queue.submit({"prompt": "a cat"}, fault=fault)   # status: submitted
    queue.get(job.id)                                       # running, then succeeded

A job is ``submitted`` for ``queue_seconds``, then ``running`` for ``run_seconds``, then ends
as its outcome says: ``succeeded`` (with ``make_output(job)``), ``failed`` (with an error), or
never (it stays ``running`` until canceled). ``canceled`` ends it at any time before. Time is
``time.monotonic()``; the status is brought up to date whenever a job is read, so with both
timings at 0 the first poll already sees the end.

Faults on the submitting route shape the job: ``Fault.prediction_fails(text)`` makes it fail
with ``text`` and ``Fault.never_finishes()`` keeps it running.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from tutopanda_providers_testing.faults import Fault, FaultKind


class JobStatus(StrEnum):
    """Where a job is in its life."""

    SUBMITTED = "submitted"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def terminal(self) -> bool:
        """Whether the job has ended."""
        return self in {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED}


Outcome = Literal["succeed", "fail", "never"]


@dataclass
class Job:
    """One job a fake holds.

    Attributes:
        id: the job id (``job_`` and 24 hex characters).
        input: what was submitted.
        status: where it is now (read it through :meth:`JobQueue.get` to bring it up to date).
        outcome: how it ends: ``succeed``, ``fail`` or ``never``.
        error: the error text of a failed job.
        output: what ``make_output`` made for a succeeded job.
        submitted_at / started_at / finished_at: ``time.monotonic()`` stamps (``None`` until
            the job gets there).
        polls: how many times the job was read.
        extra: anything the fake wants to keep with the job.
    """

    id: str
    input: Mapping[str, Any]
    submitted_at: float
    queue_seconds: float
    run_seconds: float
    status: JobStatus = JobStatus.SUBMITTED
    outcome: Outcome = "succeed"
    error: str | None = None
    output: Any = None
    started_at: float | None = None
    finished_at: float | None = None
    polls: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class JobQueue:
    """The jobs of one fake API, with the timing of each phase. Thread-safe.

    Args:
        queue_seconds: how long a job stays ``submitted``.
        run_seconds: how long it then stays ``running``.
        make_output: builds a succeeded job's output (for example, hosts a file and returns
            its URL); called once, under the queue's lock.
        fail_message: the error of a job told to fail without a text.
    """

    def __init__(
        self,
        *,
        queue_seconds: float = 0.0,
        run_seconds: float = 0.0,
        make_output: Callable[[Job], Any] | None = None,
        fail_message: str = "the job failed",
    ) -> None:
        self.queue_seconds = queue_seconds
        self.run_seconds = run_seconds
        self.make_output = make_output
        self.fail_message = fail_message
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def submit(
        self,
        input: Mapping[str, Any],
        *,
        fault: Fault | None = None,
        outcome: Outcome = "succeed",
        error: str | None = None,
    ) -> Job:
        """Queue a job (status ``submitted``) and return it. A ``prediction_fails`` fault makes
        it fail with the fault's message, ``never_finishes`` keeps it running."""
        if fault is not None and fault.kind is FaultKind.PREDICTION_FAILS:
            outcome, error = "fail", fault.message
        elif fault is not None and fault.kind is FaultKind.NEVER_FINISHES:
            outcome = "never"
        job = Job(
            id=f"job_{secrets.token_hex(12)}",
            input=dict(input),
            submitted_at=time.monotonic(),
            queue_seconds=self.queue_seconds,
            run_seconds=self.run_seconds,
            outcome=outcome,
            error=error,
        )
        with self._lock:
            self._jobs[job.id] = job
        return job

    def get(self, job_id: str, *, poll: bool = True) -> Job | None:
        """The job, brought up to date (``None`` when unknown); ``poll`` counts the read."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                job.polls += poll
                self._advance(job)
            return job

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a job that has not ended (an ended one is left as it is); ``None`` when
        unknown."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            self._advance(job)
            if not job.status.terminal:
                job.status = JobStatus.CANCELED
                job.finished_at = time.monotonic()
            return job

    def finish(self, job_id: str) -> Job:
        """End a job now as its outcome says (a ``never`` job succeeds)."""
        with self._lock:
            job = self._jobs[job_id]
            if job.outcome == "never":
                job.outcome = "succeed"
            job.queue_seconds = job.run_seconds = 0.0
            self._advance(job)
            return job

    @property
    def jobs(self) -> list[Job]:
        """Every job, oldest first (a snapshot, not brought up to date)."""
        with self._lock:
            return list(self._jobs.values())

    def _advance(self, job: Job) -> None:
        if job.status.terminal:
            return
        now = time.monotonic()
        started = job.submitted_at + job.queue_seconds
        if now < started:
            return
        if job.started_at is None:
            job.started_at = started
        job.status = JobStatus.RUNNING
        if job.outcome == "never" or now < started + job.run_seconds:
            return
        job.finished_at = now
        if job.outcome == "fail":
            job.status = JobStatus.FAILED
            job.error = job.error or self.fail_message
            return
        job.output = self.make_output(job) if self.make_output is not None else None
        job.status = JobStatus.SUCCEEDED
