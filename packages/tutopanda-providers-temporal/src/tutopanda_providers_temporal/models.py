"""What the lesson workflow and its activities exchange: plain dataclasses of JSON values.

Temporal's data converter serialises these as JSON, and the workflow sandbox re-imports this
module, so it imports nothing but the standard library (no core, no side effects).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The task queue workers serve and submitters use unless told otherwise.
DEFAULT_TASK_QUEUE = "tutopanda-lessons"
#: The workflow's registered name (``workflow.defn(name=...)``).
LESSON_WORKFLOW = "LessonWorkflow"
#: The activities' registered names.
RUN_JOB = "tutopanda.run_job"
WRITE_RECORDS = "tutopanda.write_records"
FINISH_MOVIE = "tutopanda.finish_movie"
#: The ``ApplicationError.type`` of a job failure that retrying cannot fix.
NOT_RETRYABLE = "TutopandaNotRetryable"


@dataclass
class LessonSpec:
    """How every job of one lesson runs: enough for any worker to prepare any of its jobs.

    Attributes:
        movie_id: the movie's id (also the workflow id).
        movie_url: where the movie's records live (folder or fsspec URL, e.g. ``s3://b/movies/m``).
        storage: where blobs go (folder or fsspec URL).
        plan_source / plan_text: the plan's file name and its TOML text (parsed by the worker).
        live: run the jobs not in ``use_mock`` live (spends money).
        use_mock: producer names or kinds kept on mock.
        overrides: producer -> ``provider/model`` for this movie (remembered ones included).
        force: run jobs even when their artefacts are up to date.
        max_cost / allow_unknown_cost: the run's budget (USD), checked again by each worker.
        job_timeout: seconds per job, or ``None`` for the worker's settings.
    """

    movie_id: str
    movie_url: str
    storage: str
    plan_source: str
    plan_text: str
    live: bool = False
    use_mock: list[str] = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)
    force: bool = False
    max_cost: float | None = None
    allow_unknown_cost: bool = False
    job_timeout: float | None = None


@dataclass
class LessonInput:
    """The lesson workflow's input.

    Attributes:
        spec: how the jobs run.
        layers: job ids, layer by layer (a job depends only on jobs of earlier layers).
        depends_on: job id -> the jobs it depends on.
        jobs: job id -> its preview (``producer``, ``kind``, ``model``, ``mode``,
            ``estimated_live``), for outcomes of jobs that never ran (blocked, canceled).
        manifest_jobs: the movie's manifest records when the lesson was submitted.
        in_flight: remote jobs an earlier run started and never finished, by job id.
        config: the movie's ``config.json`` for this run (overrides remembered).
        run_started: the ``run.started`` event.
        heartbeat_timeout: seconds without a heartbeat before a job's worker counts as lost
            and the job moves to another worker.
        max_attempts: attempts of a job's activity (only worker loss and storage trouble
            are retried by Temporal; provider errors are retried by the pipeline).
        max_parallel: jobs of this lesson in flight at once.
    """

    spec: LessonSpec
    layers: list[list[str]]
    depends_on: dict[str, list[str]]
    jobs: dict[str, dict[str, Any]]
    manifest_jobs: dict[str, Any] = field(default_factory=dict)
    in_flight: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    run_started: dict[str, Any] = field(default_factory=dict)
    heartbeat_timeout: float = 10.0
    max_attempts: int = 5
    max_parallel: int = 16


@dataclass
class JobInput:
    """One job for the job activity.

    Attributes:
        spec: the lesson's spec.
        job_id: the job.
        upstream: dependency job id -> its artefacts (JSON).
        record: the manifest record of this job when the lesson started, if any.
        pending: the remote job an earlier run left in flight (``remote_job_id``,
            ``fingerprint``, ``fingerprint_scheme``, ``model``), if any.
    """

    spec: LessonSpec
    job_id: str
    upstream: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    record: dict[str, Any] | None = None
    pending: dict[str, Any] | None = None


@dataclass
class JobResult:
    """What the job activity returns; the workflow records it.

    Attributes:
        outcome: the job's outcome (the fields of ``JobOutcome``, JSON).
        events: the events of the movie's log this job made, in order.
        record: its new manifest record, or ``None`` (failed, skipped).
        artefacts: its artefacts (JSON), for the jobs downstream.
        attempt: the activity attempt that finished the job (1 unless a worker was lost).
        worker: the identity of the worker that ran it.
    """

    outcome: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    record: dict[str, Any] | None = None
    artefacts: list[dict[str, Any]] = field(default_factory=list)
    attempt: int = 1
    worker: str = ""


@dataclass
class RecordsWrite:
    """One write of the movie's records (the workflow is their only writer).

    Attributes:
        movie_url: the movie's records location.
        segment: the name of the event-log segment to create (unique per write; empty: none).
        events: the events of that segment.
        manifest: the whole manifest to write, or ``None``.
        config: ``config.json`` to write, or ``None``.
    """

    movie_url: str
    segment: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    config: dict[str, Any] | None = None


@dataclass
class FinishInput:
    """The end of a run: outcomes to sum into ``run.finished`` and ``providers.json``."""

    spec: LessonSpec
    outcomes: list[dict[str, Any]]
    segment: str
    started_at: float
    finished_at: float


@dataclass
class LessonResult:
    """What the lesson workflow returns: every job's outcome, in plan order."""

    movie_id: str
    outcomes: list[dict[str, Any]]
    canceled: bool = False


__all__ = [
    "DEFAULT_TASK_QUEUE",
    "FINISH_MOVIE",
    "LESSON_WORKFLOW",
    "NOT_RETRYABLE",
    "RUN_JOB",
    "WRITE_RECORDS",
    "FinishInput",
    "JobInput",
    "JobResult",
    "LessonInput",
    "LessonResult",
    "LessonSpec",
    "RecordsWrite",
]
