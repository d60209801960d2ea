"""Submitting a lesson to the workers: the local runner's preview and checks, then one
workflow per movie, followed until it ends.

The preview is the local runner's (:meth:`Runner.preview`: models, overrides remembered by the
movie, mixed modes, validation, estimates, up-to-date jobs), and so is the ``--max-cost``
refusal: nothing starts when the estimate is over the budget. The workflow's id is the movie's
id, so a movie has one run at a time across every machine: a second submit while it runs is
refused (exit 5) and says how to follow or cancel the running one.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutopanda_providers import ProviderError
from tutopanda_providers.runner import (
    BudgetRefusedError,
    Catalog,
    CostSummary,
    JobPreview,
    MovieBusyError,
    Runner,
    RunOptions,
    RunReport,
    load_plan,
    load_settings,
)
from tutopanda_providers.runner import movie as log

from tutopanda_providers_temporal.models import (
    DEFAULT_TASK_QUEUE,
    LESSON_WORKFLOW,
    LessonInput,
    LessonResult,
    LessonSpec,
)
from tutopanda_providers_temporal.outcomes import run_report
from tutopanda_providers_temporal.records import ObjectMovie

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowHandle


@dataclass
class SubmitOptions:
    """Where and how to submit (the run options are the local runner's :class:`RunOptions`).

    Attributes:
        task_queue / address / namespace: the Temporal queue the workers serve.
        heartbeat_timeout: seconds without a heartbeat before a job's worker counts as lost.
        max_attempts: attempts of a job when workers are lost.
        follow: wait for the lesson and report it (else return once it started).
    """

    task_queue: str = DEFAULT_TASK_QUEUE
    address: str = "localhost:7233"
    namespace: str = "default"
    heartbeat_timeout: float = 10.0
    max_attempts: int = 5
    follow: bool = True


@dataclass
class Submitted:
    """A submitted lesson: its workflow, and its report once followed to the end."""

    movie_id: str
    run_id: str
    report: RunReport
    canceled: bool = False
    previews: list[JobPreview] = field(default_factory=list)


def refuse_over_budget(previews: list[JobPreview], options: RunOptions) -> None:
    """Refuse a live lesson whose estimate exceeds ``max_cost`` (the local runner's rule:
    the live jobs that will run, unknown costs only with ``allow_unknown_cost``).

    Raises:
        BudgetRefusedError: over the budget, or a cost is unknown; nothing was started.
    """
    if options.max_cost is None or not options.live:
        return
    total = CostSummary()
    for p in previews:
        if p.mode == "live" and (options.force or not p.up_to_date):
            total.add(p.job.id, p.estimate)
    if total.known_usd > options.max_cost:
        raise BudgetRefusedError(
            f"the live jobs of this lesson are estimated at ${total.known_usd:.4f}, over "
            f"--max-cost ${options.max_cost:.4f}; nothing was submitted. Raise --max-cost, "
            "or mock some producers with --use-mock."
        )
    if total.unknown and not options.allow_unknown_cost:
        raise BudgetRefusedError(
            f"the cost of {', '.join(total.unknown)} is unknown, so --max-cost "
            f"${options.max_cost:.4f} cannot be guaranteed; nothing was submitted. "
            "Pass --allow-unknown-cost to submit anyway."
        )


def lesson_input(
    runner: Runner, movie: ObjectMovie, previews: list[JobPreview], how: SubmitOptions
) -> LessonInput:
    """The workflow input of a previewed lesson."""
    plan, options = runner.plan, runner.options
    text = plan.text if plan.text is not None else Path(plan.source).read_text(encoding="utf-8")
    overrides = runner.effective_overrides()
    spec = LessonSpec(
        movie_id=movie.movie_id,
        movie_url=movie.url,
        storage=runner.blobs_root,
        plan_source=plan.source,
        plan_text=text,
        live=options.live,
        use_mock=sorted(options.use_mock),
        overrides=dict(overrides),
        force=options.force,
        max_cost=options.max_cost,
        allow_unknown_cost=options.allow_unknown_cost,
        job_timeout=runner.timeout,
    )
    return LessonInput(
        spec=spec,
        layers=[list(layer) for layer in plan.layers],
        depends_on={job.id: list(job.depends_on) for job in plan.ordered()},
        jobs={
            p.job.id: {
                "producer": p.job.producer,
                "kind": p.entry.kind.value,
                "model": str(p.descriptor),
                "mode": p.mode,
                "estimated_live": p.estimate.model_dump(mode="json", exclude_none=True),
            }
            for p in previews
        },
        manifest_jobs=dict(movie.manifest()["jobs"]),
        in_flight=movie.in_flight(),
        config={
            "overrides": dict(overrides),
            "plan": plan.source,
            "live": options.live,
            "use_mock": sorted(options.use_mock),
            "storage": runner.blobs_root,
            "updated_at": time.time(),
        },
        run_started={
            "type": log.RUN_STARTED,
            "plan": plan.source,
            "live": options.live,
            "use_mock": sorted(options.use_mock),
            "overrides": dict(overrides),
            "jobs": len(previews),
            "engine": "temporal",
        },
        heartbeat_timeout=how.heartbeat_timeout,
        max_attempts=how.max_attempts,
        max_parallel=runner.concurrency,
    )


async def connect(address: str, namespace: str) -> Client:
    """A Temporal client, or a :class:`ProviderError` saying what to start."""
    from temporalio.client import Client

    try:
        return await Client.connect(address, namespace=namespace)
    except Exception as exc:
        raise ProviderError(
            f"cannot reach the Temporal server at {address} (namespace {namespace}): {exc}; "
            "start it (`temporal server start-dev`) or pass --address"
        ) from None


async def submit(
    plan_path: Path,
    movie_url: str,
    options: RunOptions,
    how: SubmitOptions,
    *,
    settings_path: Path | None = None,
    on_progress: Callable[[Mapping[str, Any]], None] | None = None,
) -> Submitted:
    """Preview ``plan_path`` for the movie at ``movie_url``, start its workflow and (with
    ``how.follow``) wait for it; ``on_progress`` gets each job's outcome as it finishes.

    Raises:
        FileProblemError: the plan or settings do not fit.
        BudgetRefusedError: the live estimate is over ``options.max_cost``.
        MovieBusyError: the movie's workflow is running already.
        ProviderError: the Temporal server cannot be reached.
    """
    from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
    from temporalio.exceptions import WorkflowAlreadyStartedError

    settings = load_settings(settings_path)
    catalog = Catalog.from_settings(settings)
    plan = load_plan(plan_path, catalog.entries)
    movie = ObjectMovie(movie_url)
    runner = Runner(plan, catalog, movie, options)
    try:
        previews = runner.preview()
        refuse_over_budget(previews, options)
        lesson = lesson_input(runner, movie, previews, how)
    finally:
        await runner.registry().aclose()
    client = await connect(how.address, how.namespace)
    try:
        handle = await client.start_workflow(
            LESSON_WORKFLOW,
            lesson,
            id=movie.movie_id,
            task_queue=how.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            result_type=LessonResult,
        )
    except WorkflowAlreadyStartedError:
        raise MovieBusyError(
            f"the movie {movie.movie_id} is being made by its workflow on {how.address} "
            f"(namespace {how.namespace}); wait for it, or stop it with "
            f"`tutopanda-providers cancel {movie.movie_id}`"
        ) from None
    report = RunReport(
        movie=movie.url, plan=plan.source, dry_run=False, live=options.live, blobs=runner.blobs_root
    )
    report.previews = previews
    submitted = Submitted(movie.movie_id, handle.result_run_id or "", report, previews=previews)
    if not how.follow:
        return submitted
    started = time.perf_counter()
    outcomes, canceled = await follow(handle, on_progress)
    followed = run_report(
        outcomes, movie=movie.url, plan=plan.source, live=options.live, blobs=runner.blobs_root
    )
    report.outcomes = followed.outcomes
    report.duration_ms = (time.perf_counter() - started) * 1000
    submitted.canceled = canceled
    return submitted


async def follow(
    handle: WorkflowHandle[Any, LessonResult],
    on_progress: Callable[[Mapping[str, Any]], None] | None = None,
    poll: float = 0.5,
) -> tuple[list[dict[str, Any]], bool]:
    """Wait for the lesson's workflow; tell ``on_progress`` of each finished job.

    Returns:
        The outcomes (JSON) in plan order, and whether the lesson was canceled.
    """
    from temporalio.client import WorkflowFailureError
    from temporalio.exceptions import CancelledError

    seen: set[str] = set()
    last: list[dict[str, Any]] = []

    async def report_progress() -> None:
        nonlocal last
        try:
            state = await handle.query("progress", rpc_timeout=timedelta(seconds=5))
        except Exception:  # no worker has the workflow yet: ask again next time
            return
        last = list(state.get("finished", []))
        for outcome in last:
            if outcome["job_id"] not in seen:
                seen.add(outcome["job_id"])
                if on_progress is not None:
                    on_progress(outcome)

    result_task = asyncio.ensure_future(handle.result())
    while not result_task.done():
        await asyncio.wait({result_task}, timeout=poll)
        if not result_task.done():
            await report_progress()
    try:
        result = result_task.result()
    except WorkflowFailureError as exc:
        if isinstance(exc.cause, CancelledError):
            await report_progress()
            return last, True
        raise ProviderError(f"the lesson's workflow failed: {exc.cause or exc}") from None
    for outcome in result.outcomes:
        if outcome["job_id"] not in seen and on_progress is not None:
            seen.add(outcome["job_id"])
            on_progress(outcome)
    return result.outcomes, result.canceled


async def cancel(movie: str, address: str, namespace: str) -> str:
    """Cancel the running workflow of ``movie`` (its id, folder or URL); its jobs cancel their
    remote jobs. Returns the movie id.

    Raises:
        ProviderError: no such workflow is running, or the server cannot be reached.
    """
    from temporalio.service import RPCError

    from tutopanda_providers_temporal.records import movie_id_of

    movie_id = movie_id_of(movie)
    client = await connect(address, namespace)
    try:
        await client.get_workflow_handle(movie_id).cancel()
    except RPCError as exc:
        raise ProviderError(
            f"cannot cancel the movie {movie_id} on {address}/{namespace}: {exc.message}"
        ) from None
    return movie_id


def say(message: str) -> None:
    """One line of progress on stderr."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


__all__ = [
    "SubmitOptions",
    "Submitted",
    "cancel",
    "connect",
    "follow",
    "lesson_input",
    "refuse_over_budget",
    "submit",
]
