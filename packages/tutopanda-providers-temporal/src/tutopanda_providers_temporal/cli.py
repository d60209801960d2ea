"""The commands this package adds to ``tutopanda-providers``: ``worker``, ``submit``, ``cancel``.

Registered through the ``tutopanda.cli_commands`` entry point; this module imports only Typer
(``--help`` stays fast), each command imports its work when it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from tutopanda_providers_temporal.models import DEFAULT_TASK_QUEUE

TaskQueue = Annotated[
    str, typer.Option("--task-queue", help="The Temporal task queue of the lesson workers.")
]
Address = Annotated[
    str,
    typer.Option("--address", help="The Temporal server (host:port).", envvar="TEMPORAL_ADDRESS"),
]
Namespace = Annotated[
    str, typer.Option("--namespace", help="The Temporal namespace.", envvar="TEMPORAL_NAMESPACE")
]
Settings = Annotated[
    Optional[Path],  # noqa: UP045 - Typer reads the annotation at run time
    typer.Option(
        "--settings",
        help="Settings file (TOML) laid over the shipped defaults. "
        "Default: $TUTOPANDA_SETTINGS, then ./tutopanda.toml.",
    ),
]
UseMock = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--use-mock", help="Producers or kinds kept on mock: ScriptProducer,music."),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def worker(
    settings: Settings = None,
    task_queue: TaskQueue = DEFAULT_TASK_QUEUE,
    address: Address = "localhost:7233",
    namespace: Namespace = "default",
    live: Annotated[
        bool, typer.Option("--live", help="Run live jobs (spends money): warms the live handlers.")
    ] = False,
    use_mock: UseMock = None,
    max_jobs: Annotated[
        int, typer.Option("--max-jobs", min=1, max=1024, help="Jobs this worker runs at once.")
    ] = 16,
    warm_timeout: Annotated[
        float, typer.Option("--warm-timeout", min=0.1, max=600, help="Seconds for the warm start.")
    ] = 30.0,
    drain: Annotated[
        float,
        typer.Option("--drain", min=0, max=86_400, help="On SIGTERM, seconds running jobs get."),
    ] = 30.0,
    identity: Annotated[
        str, typer.Option("--identity", help="The worker's name (default host:pid).")
    ] = "",
    rate_limit: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--rate-limit",
            help="KEY=REQUESTS/SECONDS, e.g. replicate=10/1 (repeatable): shared by every worker "
            "through the settings' runner.redis_url.",
        ),
    ] = None,
) -> None:
    """Serve lessons from a Temporal task queue: warm start first (exit 4 if it fails, taking
    no work), then run the lesson workflows and their jobs until SIGTERM or Ctrl-C."""
    import asyncio

    from tutopanda_providers.cli.render import failures_to_exit_codes

    from tutopanda_providers_temporal.worker import (
        WorkerConfig,
        parse_rate_limits,
        serve,
        split_names,
    )

    with failures_to_exit_codes(False):
        limits = parse_rate_limits(rate_limit or [])
    config = WorkerConfig(
        settings_path=settings,
        task_queue=task_queue,
        address=address,
        namespace=namespace,
        live=live,
        use_mock=split_names(use_mock or []),
        max_jobs=max_jobs,
        warm_timeout=warm_timeout,
        drain_seconds=drain,
        identity=identity,
        rate_limits=limits,
    )
    with failures_to_exit_codes(False):
        asyncio.run(serve(config))


def submit(
    plan: Annotated[Path, typer.Argument(help="The lesson plan (TOML).")],
    movie: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--movie",
            help="The movie: a folder or URL (s3://bucket/movies/<name>); its name is its id "
            "(default: out/<plan name>).",
        ),
    ] = None,
    live: Annotated[
        bool, typer.Option("--live", help="Run jobs live (spends money); never implied.")
    ] = False,
    use_mock: UseMock = None,
    override: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--override", help="Producer=provider/model (repeatable; remembered)."),
    ] = None,
    clear_overrides: Annotated[
        bool, typer.Option("--clear-overrides", help="Forget the movie's remembered overrides.")
    ] = False,
    max_cost: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(
            "--max-cost", min=0, max=1_000_000, help="Refuse a live lesson over this (USD)."
        ),
    ] = None,
    allow_unknown_cost: Annotated[
        bool,
        typer.Option("--allow-unknown-cost", help="With --max-cost, accept jobs of unknown cost."),
    ] = False,
    settings: Settings = None,
    storage: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--storage", help="Blobs: folder or URL (default <movie>/blobs)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Re-run jobs even when their artefacts are up to date.")
    ] = False,
    task_queue: TaskQueue = DEFAULT_TASK_QUEUE,
    address: Address = "localhost:7233",
    namespace: Namespace = "default",
    heartbeat_timeout: Annotated[
        float,
        typer.Option(
            "--heartbeat-timeout",
            min=1,
            max=3600,
            help="Seconds without news from a job's worker before another worker takes it over.",
        ),
    ] = 10.0,
    detach: Annotated[
        bool, typer.Option("--detach", help="Return once the lesson started; do not follow it.")
    ] = False,
    json_out: JsonOut = False,
) -> None:
    """Run a lesson on the Temporal workers: the same preview, --max-cost check, overrides and
    mixed modes as `run`, then one workflow per movie; follow it and print the same summary."""
    import asyncio

    from tutopanda_providers.cli import exitcodes
    from tutopanda_providers.cli.render import failures_to_exit_codes, print_json
    from tutopanda_providers.runner import RunOptions, parse_overrides

    from tutopanda_providers_temporal.submit import SubmitOptions, say
    from tutopanda_providers_temporal.submit import submit as submit_lesson
    from tutopanda_providers_temporal.worker import split_names

    def progress(outcome: Any) -> None:
        if not json_out:
            status = outcome.get("status")
            where = f" on {outcome['worker']}" if outcome.get("worker") else ""
            tries = f" (attempt {outcome['attempt']})" if outcome.get("attempt", 1) > 1 else ""
            say(f"{outcome['job_id']:<18} {status}{where}{tries}")

    with failures_to_exit_codes(json_out):
        options = RunOptions(
            live=live,
            use_mock=split_names(use_mock or []),
            overrides=parse_overrides(override or []),
            clear_overrides=clear_overrides,
            max_cost=max_cost,
            allow_unknown_cost=allow_unknown_cost,
            storage=storage,
            force=force,
        )
        how = SubmitOptions(
            task_queue=task_queue,
            address=address,
            namespace=namespace,
            heartbeat_timeout=heartbeat_timeout,
            follow=not detach,
        )
        done = asyncio.run(
            submit_lesson(
                plan,
                movie or str(Path("out") / plan.stem),
                options,
                how,
                settings_path=settings,
                on_progress=progress,
            )
        )
    if detach:
        if json_out:
            print_json({"movie": done.movie_id, "run_id": done.run_id, "exit_code": 0})
        else:
            say(f"submitted {done.movie_id} (workflow run {done.run_id}) to {task_queue}")
        raise typer.Exit(exitcodes.OK)
    report = done.report
    code = exitcodes.JOBS_FAILED if report.failed or done.canceled else exitcodes.OK
    if json_out:
        data = report.to_dict()
        data.update({"exit_code": code, "engine": "temporal", "canceled": done.canceled})
        print_json(data)
    else:
        from tutopanda_providers.cli.running import _print_summary

        _print_summary(report)
        if done.canceled:
            say(f"the lesson {done.movie_id} was canceled")
    raise typer.Exit(code)


def cancel(
    movie: Annotated[str, typer.Argument(help="The movie: its id, folder or URL.")],
    address: Address = "localhost:7233",
    namespace: Namespace = "default",
) -> None:
    """Cancel a submitted lesson: its running jobs cancel their remote jobs (no more spending)."""
    import asyncio

    from tutopanda_providers.cli.render import failures_to_exit_codes

    from tutopanda_providers_temporal.submit import cancel as cancel_lesson
    from tutopanda_providers_temporal.submit import say

    with failures_to_exit_codes(False):
        movie_id = asyncio.run(cancel_lesson(movie, address, namespace))
    say(f"cancel requested for {movie_id}")


def _examples(*lines: str) -> str:
    # "\b" stops click from re-wrapping the paragraph, so each example keeps its own line.
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


_WORKER_EXAMPLES = _examples(
    "tutopanda-providers worker --live --address 127.0.0.1:7233",
    "tutopanda-providers worker --task-queue lessons-mock --max-jobs 8",
)
_SUBMIT_EXAMPLES = _examples(
    "tutopanda-providers submit lesson.toml --movie s3://bucket/movies/lesson --live --max-cost 5",
    "tutopanda-providers submit lesson.toml --detach --json",
)
_CANCEL_EXAMPLES = _examples("tutopanda-providers cancel out/lesson")


def register(app: typer.Typer) -> None:
    """Add ``worker``, ``submit`` and ``cancel`` to the ``tutopanda-providers`` app."""
    app.command("worker", epilog=_WORKER_EXAMPLES)(worker)
    app.command("submit", epilog=_SUBMIT_EXAMPLES)(submit)
    app.command("cancel", epilog=_CANCEL_EXAMPLES)(cancel)


__all__ = ["cancel", "register", "submit", "worker"]
