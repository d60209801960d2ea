"""``invoke``, ``run`` and ``estimate``: calling models and running plans from the shell."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tutopanda_providers.cli import exitcodes
from tutopanda_providers.cli.render import console, cost_text, failures_to_exit_codes, print_json

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from tutopanda_providers.contracts import Artefact, ProducerResult
    from tutopanda_providers.runner import JobOutcome, JobPreview, RunReport


# -- invoke ------------------------------------------------------------------------------
def parse_inputs(items: Sequence[str], inputs_file: Path | None) -> dict[str, Any]:
    """``key=value`` items (JSON values when they parse) over an optional JSON/TOML file."""
    from tutopanda_providers.contracts import ConfigurationError

    inputs: dict[str, Any] = {}
    if inputs_file is not None:
        try:
            text = inputs_file.read_text(encoding="utf-8-sig")  # a BOM (Notepad) is fine
        except OSError as exc:
            raise ConfigurationError(
                f"--inputs-file {inputs_file}: {exc.strerror or exc}; check the path"
            ) from None
        except UnicodeDecodeError as exc:
            raise ConfigurationError(
                f"--inputs-file {inputs_file}: byte {exc.start} is not UTF-8 text; give a JSON "
                "or TOML text file saved as UTF-8"
            ) from None
        try:
            loaded = tomllib.loads(text) if inputs_file.suffix == ".toml" else json.loads(text)
        except ValueError as exc:
            raise ConfigurationError(
                f"--inputs-file {inputs_file} is not valid {'TOML' if inputs_file.suffix == '.toml' else 'JSON'}: {exc}"
            ) from exc
        if not isinstance(loaded, dict):
            raise ConfigurationError(f"--inputs-file {inputs_file} must hold a table of inputs")
        inputs.update(loaded)
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(
                f"--input {item!r}: write it as key=value, e.g. prompt='a red fox'"
            )
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        inputs[key.strip()] = value
    return inputs


def artefact_facts(artefact: Artefact, store: Any = None) -> dict[str, Any]:
    """An artefact's facts for display: where it is, its size and media facts."""
    facts = artefact.facts.model_dump(exclude_none=True)
    where = None
    if artefact.blob is not None:
        path = store.local_path(artefact.blob) if store is not None else None
        where = str(path) if path is not None else artefact.blob.uri
    elif artefact.text is not None:
        where = "(inline text)"
    elif artefact.data is not None:
        where = "(inline JSON)"
    return {
        "name": artefact.name,
        "kind": artefact.kind.value,
        "mime": artefact.mime,
        "where": where,
        "size": artefact.blob.size if artefact.blob else None,
        "sha256": artefact.blob.sha256 if artefact.blob else None,
        **facts,
    }


def _facts_text(row: dict[str, Any]) -> str:
    parts = []
    if row.get("width") and row.get("height"):
        parts.append(f"{row['width']}x{row['height']}")
    if row.get("duration_seconds") is not None:
        parts.append(f"{row['duration_seconds']:.2f}s")
    if row.get("fps"):
        parts.append(f"{row['fps']:g} fps")
    if row.get("sample_rate"):
        parts.append(f"{row['sample_rate']} Hz")
    if row.get("size"):
        parts.append(f"{row['size']:,} B")
    return ", ".join(parts)


def invoke(
    model: str,
    inputs: Sequence[str],
    inputs_file: Path | None,
    live: bool,
    producer: str,
    storage: str,
    timeout: float,
    json_out: bool,
) -> None:
    """The ``invoke`` command."""
    from tutopanda_providers.contracts import ConfigurationError, Descriptor
    from tutopanda_providers.registry import create_provider_registry
    from tutopanda_providers.storage import BlobStore

    with failures_to_exit_codes(json_out):
        try:
            descriptor = Descriptor.parse(model)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from exc
        values = parse_inputs(inputs, inputs_file)
        store = BlobStore(storage)
        registry = create_provider_registry(mode="live" if live else "mock", storage=store)
        card = registry.card(descriptor)
        estimate = registry.estimate(descriptor, values)  # validates the inputs first

        async def invoke_once() -> ProducerResult:
            try:
                return await registry.invoke(
                    descriptor, values, producer=producer, kind=card.kind, timeout=timeout
                )
            finally:
                await registry.aclose()

        result = asyncio.run(invoke_once())
    rows = [artefact_facts(a, store) for a in result.artefacts]
    cost = result.provider.cost
    live_estimate = cost.estimated_live if result.meta.mocked and cost.estimated_live else estimate
    if json_out:
        print_json(
            {
                "model": str(descriptor),
                "mode": "live" if live else "mock",
                "mocked": result.meta.mocked,
                "artefacts": rows,
                "outputs": [a.model_dump(mode="json", exclude_none=True) for a in result.artefacts],
                "cost": cost.model_dump(mode="json", exclude_none=True),
                "estimated_live": live_estimate.model_dump(mode="json", exclude_none=True),
                "provider": result.provider.model_dump(mode="json", exclude_none=True),
            }
        )
        return
    from rich.table import Table

    table = Table(title=f"{descriptor} ({'mocked' if result.meta.mocked else 'live'})")
    for column in ("artefact", "mime", "facts", "where"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["name"], row["mime"], _facts_text(row), row["where"] or "")
    out = console()
    out.print(table)
    for a in result.artefacts:
        if a.text is not None:
            out.print(a.text[:2000], markup=False)
        elif a.data is not None:
            out.print(json.dumps(a.data, indent=2)[:2000], markup=False)
    out.print(f"cost: {cost_text(cost)}; live: {cost_text(live_estimate)}", markup=False)


# -- run and estimate --------------------------------------------------------------------
def _setup(
    plan_path: Path, settings_path: Path | None, overrides: Sequence[str]
) -> tuple[Any, Any, dict[str, str]]:
    from tutopanda_providers.runner import Catalog, load_plan, load_settings, parse_overrides

    settings = load_settings(settings_path)
    catalog = Catalog.from_settings(settings)
    plan = load_plan(plan_path, catalog.entries)
    return plan, catalog, parse_overrides(overrides)


def _split(items: Sequence[str]) -> frozenset[str]:
    return frozenset(p.strip() for item in items for p in item.split(",") if p.strip())


def _status_label(outcome: JobOutcome) -> str:
    if outcome.status == "succeeded":
        return "done (mocked)" if outcome.mocked else "done (live)"
    return outcome.status


class _ProgressListener:
    """One progress bar per job, driven by the runner's callbacks (stderr is a terminal)."""

    def __init__(self, progress: Progress, previews: Sequence[str]) -> None:
        self.progress = progress
        self.jobs = list(previews)
        self.tasks: dict[str, TaskID] = {}

    def _task(self, job_id: str) -> TaskID:
        """The bar of ``job_id``; the first call draws every job's (the run was accepted).

        Bars are drawn only once a job starts or finishes, so a run refused by its checks
        (a bad --override, a movie path that is a file, over budget) draws none.
        """
        from tutopanda_providers.cli.render import text

        if not self.tasks:
            self.tasks = {
                # Job ids come from the plan: never read as markup.
                job: self.progress.add_task(
                    text(job).markup, total=1, status="waiting", start=False
                )
                for job in self.jobs
            }
        return self.tasks[job_id]

    def job_started(self, preview: JobPreview) -> None:
        task = self._task(preview.job.id)
        self.progress.start_task(task)
        self.progress.update(task, status=_escape(f"{preview.mode} {preview.descriptor}"))

    def job_finished(self, outcome: JobOutcome) -> None:
        task = self._task(outcome.job_id)
        self.progress.start_task(task)
        self.progress.update(task, completed=1, status=_escape(_status_label(outcome)))

    def waiting_for_lock(self, timeout: float) -> None:
        _say_waiting(timeout)


def _escape(value: str) -> str:
    from rich.markup import escape

    return escape(value)


def _say_waiting(timeout: float) -> None:
    import sys

    sys.stderr.write(
        f"waiting up to {timeout:g}s for another run of this movie to finish (--wait)\n"
    )
    sys.stderr.flush()


class LineListener:
    """One plain line on stderr per job state change, as it happens (stderr is not a
    terminal: a CI log, a file); nothing is redrawn, so every line stays readable.

    Lines look like ``12:04:31 narration_0 started live replicate/minimax/speech-02-hd`` and
    ``12:04:39 narration_0 succeeded 8.1s $0.0120``; ``verbose`` adds each job's inputs and the
    full error; ``quiet`` prints none of them.
    """

    def __init__(self, *, verbose: bool = False, quiet: bool = False, stream: Any = None) -> None:
        import sys

        self.verbose = verbose
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr

    def _line(self, text: str) -> None:
        if self.quiet:
            return
        import time

        self.stream.write(f"{time.strftime('%H:%M:%S')} {text}\n")
        self.stream.flush()

    def job_started(self, preview: JobPreview) -> None:
        self._line(f"{preview.job.id} started {preview.mode} {preview.descriptor}")
        if self.verbose and preview.payload is not None:
            inputs = json.dumps(preview.payload, sort_keys=True, default=str)
            self._line(f"{preview.job.id} inputs {inputs[:500]}")

    def job_finished(self, outcome: JobOutcome) -> None:
        seconds = f"{outcome.duration_ms / 1000:.1f}s"
        if outcome.status == "succeeded":
            spent = "$0 (mocked)" if outcome.mocked else cost_text(outcome.cost).split(" (")[0]
            self._line(f"{outcome.job_id} succeeded {seconds} {spent} {outcome.model}")
            if outcome.failover:
                self._line(f"{outcome.job_id} {outcome.failover}")
        elif outcome.status == "skipped":
            self._line(f"{outcome.job_id} skipped (up to date, kept) $0")
        else:
            message = str((outcome.error or {}).get("message", ""))
            if not self.verbose and len(message) > 160:
                message = message[:157] + "..."
            self._line(f"{outcome.job_id} {outcome.status} {seconds}: {message}")

    def waiting_for_lock(self, timeout: float) -> None:
        _say_waiting(timeout)


def _listener(json_out: bool, verbose: bool, quiet: bool) -> LineListener | None:
    """Plain lines when stderr is not a terminal (or with ``-v`` and ``--json``); ``None``
    when Rich progress bars should be drawn instead."""
    import sys

    if json_out:
        return LineListener(verbose=verbose, quiet=not verbose)
    if quiet or not sys.stderr.isatty():
        return LineListener(verbose=verbose, quiet=quiet)
    return None


def run(
    plan_path: Path,
    movie: Path | None,
    live: bool,
    use_mock: Sequence[str],
    overrides: Sequence[str],
    clear_overrides: bool,
    dry_run: bool,
    max_cost: float | None,
    allow_unknown_cost: bool,
    concurrency: int | None,
    settings_path: Path | None,
    storage: str | None,
    force: bool,
    json_out: bool,
    wait: float = 0.0,
    verbose: bool = False,
    quiet: bool = False,
) -> None:
    """The ``run`` command.

    SIGINT (Ctrl-C) and SIGTERM stop a run alike: the jobs in flight are canceled with their
    remote jobs, the stop is logged, a summary says what finished, what was canceled and how
    to resume (one JSON document with ``--json``), and the exit code is 130 or 143.
    """
    from tutopanda_providers.runner import Runner, RunOptions

    movie_dir = movie or Path("out") / plan_path.stem
    stopped: list[int] = []
    with failures_to_exit_codes(json_out):
        plan, catalog, parsed_overrides = _setup(plan_path, settings_path, overrides)
        options = RunOptions(
            live=live,
            use_mock=_split(use_mock),
            overrides=parsed_overrides,
            clear_overrides=clear_overrides,
            dry_run=dry_run,
            max_cost=max_cost,
            allow_unknown_cost=allow_unknown_cost,
            concurrency=concurrency,
            storage=storage,
            force=force,
            lock_timeout=wait,
        )
        listener = _listener(json_out, verbose, quiet)
        if dry_run:
            report = asyncio.run(Runner(plan, catalog, movie_dir, options).run())
        elif listener is not None:
            runner = Runner(plan, catalog, movie_dir, options, listener=listener)
            report = run_until_stopped(runner, stopped, json_out)
        else:
            report = _run_with_progress(plan, catalog, movie_dir, options, stopped)
    if dry_run:
        _print_dry_run(report, json_out)
        raise typer.Exit(exitcodes.USAGE if report.problems else exitcodes.OK)
    resume = _resume_command(
        plan_path,
        movie_dir,
        live,
        settings_path=settings_path,
        use_mock=use_mock,
        max_cost=max_cost,
        allow_unknown_cost=allow_unknown_cost,
        concurrency=concurrency,
        storage=storage,
    )
    if stopped:
        code = exitcodes.TERMINATED if stopped[0] == _SIGTERM else exitcodes.INTERRUPTED
    else:
        code = exitcodes.JOBS_FAILED if report.failed else exitcodes.OK
    if json_out:
        data = report.to_dict()
        if stopped and data.get("interrupted") is not None:
            data["interrupted"] = {
                **data["interrupted"],
                "signal": _signal_name(stopped[0]),
                "resume": resume,
            }
        data["exit_code"] = code
        print_json(data)
    else:
        _print_summary(report)
        if stopped:
            _print_interruption(report, stopped[0], resume)
    raise typer.Exit(code)


_SIGTERM = 15


def _signal_name(signum: int) -> str:
    import signal

    return signal.Signals(signum).name


def _resume_command(
    plan_path: Path,
    movie_dir: Path,
    live: bool,
    *,
    settings_path: Path | None = None,
    use_mock: Sequence[str] = (),
    max_cost: float | None = None,
    allow_unknown_cost: bool = False,
    concurrency: int | None = None,
    storage: str | None = None,
) -> str:
    """The command that goes on with the same choices: the settings, the budget, the forced
    mocks and storage (overrides are remembered by the movie; ``--force`` is left out, or
    the resumed run would pay again for what finished)."""
    import shlex

    words = ["tutopanda-providers", "run", str(plan_path), "--movie", str(movie_dir)]
    if live:
        words.append("--live")
    if settings_path is not None:
        words += ["--settings", str(settings_path)]
    for name in use_mock:
        words += ["--use-mock", name]
    if max_cost is not None:
        words += ["--max-cost", f"{max_cost:g}"]
    if allow_unknown_cost:
        words.append("--allow-unknown-cost")
    if concurrency is not None:
        words += ["--concurrency", str(concurrency)]
    if storage is not None:
        words += ["--storage", storage]
    return shlex.join(words)


def run_until_stopped(runner: Any, stopped: list[int], json_out: bool = False) -> RunReport:
    """Run ``runner`` until it ends or SIGINT / SIGTERM arrives; the first signal cancels it.

    The runner's cancel path cancels every job in flight (each handler cancels its remote job,
    shielded, on the way out) and logs the stop; the report it kept is returned, with
    ``interrupted`` set, and the signal's number is appended to ``stopped``. A second signal
    while that is under way is ignored (the cancels are bounded by each handler's timeout).

    Raises:
        typer.Exit: a signal came before any job was started: nothing was called; said on
            stderr (one JSON document with ``json_out``), exit 130 or 143.
    """
    import signal

    async def main() -> RunReport | None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def stop(signum: int) -> None:
            if not stopped:
                stopped.append(signum)
                task.cancel()

        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop, int(sig))
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
                pass
        try:
            report: RunReport = await runner.run()
            return report
        except asyncio.CancelledError:
            if not stopped:
                raise
            task.uncancel()
            result: RunReport | None = runner.report
            return result
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)

    report = asyncio.run(main())
    if report is None:  # stopped before any job started (preview, warm start)
        name = _signal_name(stopped[0])
        code = exitcodes.TERMINATED if stopped[0] == _SIGTERM else exitcodes.INTERRUPTED
        message = f"stopped by {name} before any job started; nothing was called"
        if json_out:
            print_json({"error": {"kind": "interrupted", "message": message}, "exit_code": code})
        else:
            import sys

            sys.stderr.write(message + "\n")
        raise typer.Exit(code)
    return report


def _run_with_progress(
    plan: Any, catalog: Any, movie_dir: Path, options: Any, stopped: list[int]
) -> RunReport:
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from tutopanda_providers.runner import Runner

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<18}"),
        BarColumn(bar_width=20),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=False,
    ) as progress:
        listener = _ProgressListener(progress, [job.id for job in plan.ordered()])
        runner = Runner(plan, catalog, movie_dir, options, listener=listener)
        return run_until_stopped(runner, stopped)


def _short_facts(record: dict[str, Any]) -> str:
    facts = record.get("facts") or {}
    mime = str(record.get("mime", ""))
    parts = [mime.split("/")[-1] if "/" in mime else mime]
    if facts.get("width") and facts.get("height"):
        parts.append(f"{facts['width']}x{facts['height']}")
    if facts.get("duration_seconds") is not None:
        parts.append(f"{facts['duration_seconds']:.1f}s")
    return " ".join(parts)


def _print_summary(report: RunReport) -> None:
    from tutopanda_providers.cli.render import table, text

    out = console()
    summary = table(
        f"{report.plan} -> {report.movie}",
        "job",
        "model",
        "status",
        "artefacts",
        "time",
        "cost",
        "live",
    )
    for o in report.outcomes:
        if o.status in ("succeeded", "skipped"):
            status = ("mocked" if o.mocked else "live") + (
                " (kept)" if o.status == "skipped" else ""
            )
            artefacts = ", ".join(_short_facts(a) for a in o.artefacts) or "-"
        else:
            status = o.status.upper()
            artefacts = str((o.error or {}).get("message", ""))[:160]
        spent = "$0" if o.status == "skipped" or o.mocked else cost_text(o.cost).split(" (")[0]
        summary.add_row(
            text(o.job_id),
            text(o.model),
            text(status),
            text(artefacts),
            text(f"{o.duration_ms / 1000:.1f}s"),
            text(spent if o.status in ("succeeded", "skipped") else "-"),
            text(cost_text(o.estimated_live).split(" (")[0]),
        )
    out.print(summary)
    for o in report.failed:
        message = (o.error or {}).get("message", "")
        out.print(text(f"failed: {o.job_id}: {message}", "red"))
    for warning in (w for o in report.outcomes for w in o.warnings):
        out.print(text(f"warning: {warning}", "yellow"))
    for o in report.outcomes:
        if o.status == "succeeded" and o.failover:  # which provider served it, and why
            out.print(text(f"failover: {o.job_id}: {o.failover}", "yellow"))
    mocked = sum(1 for o in report.outcomes if o.mocked and o.status in ("succeeded", "skipped"))
    out.print(
        f"{len(report.outcomes)} jobs: {mocked} mocked, "
        f"{sum(1 for o in report.outcomes if o.status == 'skipped')} kept from earlier runs, "
        f"{len(report.failed)} failed",
        markup=False,
    )
    out.print(f"artefacts are in {report.blobs}", markup=False)
    out.print(f"manifest: {Path(report.movie) / 'manifest.json'}", markup=False)
    if report.page:
        out.print(f"page: {report.page} (files: {Path(report.movie) / 'files'})", markup=False)
    out.print(report.summary_line(), markup=False)


def _print_interruption(report: RunReport, signum: int, resume: str) -> None:
    """What a stopped run did and how to go on (stderr: stdout keeps the summary)."""
    done = report.interrupted or {}
    finished, canceled = done.get("finished", []), done.get("canceled", [])
    not_started = done.get("not_started", [])
    lines = [
        f"stopped by {_signal_name(signum)}: {len(finished)} job(s) finished and kept, "
        f"{len(canceled)} canceled (their remote jobs canceled too), "
        f"{len(not_started)} not started",
    ]
    if canceled:
        lines.append(f"canceled: {', '.join(canceled)}")
    lines.append(f"to resume (finished jobs are not paid for again): {resume}")
    import sys

    # Plain writes: a wrapped command could not be copied and pasted.
    sys.stderr.write("".join(f"{line}\n" for line in lines))
    sys.stderr.flush()


def _print_dry_run(report: RunReport, json_out: bool) -> None:
    if json_out:
        data = report.to_dict()
        data["exit_code"] = exitcodes.USAGE if report.problems else exitcodes.OK
        print_json(data)
        return
    from tutopanda_providers.cli.render import table as new_table
    from tutopanda_providers.cli.render import text

    out = console()
    table = new_table(
        f"dry run of {report.plan} (nothing called)",
        "job",
        "model",
        "mode",
        "payload",
        "estimate",
        "problems",
    )
    for p in report.previews:
        payload = json.dumps(p.payload, sort_keys=True, default=str) if p.payload else "-"
        if len(payload) > 300:
            payload = payload[:297] + "..."
        table.add_row(
            text(
                p.job.id
                + (" *" if p.uses_samples else "")
                + (" (up to date)" if p.up_to_date else "")
            ),
            text(p.descriptor),
            text(p.mode),
            text(payload),
            text(cost_text(p.estimate)),
            text("; ".join(p.problems) or "ok"),
        )
    out.print(table)
    if any(p.uses_samples for p in report.previews):
        out.print("* inputs built from stand-ins for upstream jobs that have not run", markup=False)
    for p in report.previews:
        for sent in p.requests or []:
            out.print(f"\n{p.job.id} would send {sent['method']} {sent['path']}:", markup=False)
            # soft_wrap: the body stays JSON (no line breaks inserted inside strings).
            body = json.dumps(sent["body"], indent=2, ensure_ascii=False)
            out.print(body, markup=False, soft_wrap=True)
    out.print(f"live estimate: {report.live_estimate().text()}", markup=False)
    if report.problems:
        out.print(f"{len(report.problems)} problem(s); fix them before running", style="bold red")


@contextmanager
def _scratch_movie(movie: Path | None) -> Iterator[Path]:
    if movie is not None:
        yield movie
        return
    folder = Path(tempfile.mkdtemp(prefix="tutopanda-estimate-"))
    try:
        yield folder / "movie"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def estimate(
    plan_path: Path,
    movie: Path | None,
    overrides: Sequence[str],
    settings_path: Path | None,
    json_out: bool,
) -> None:
    """The ``estimate`` command."""
    from tutopanda_providers.cli.same_model import comparison_table
    from tutopanda_providers.runner import CostSummary, Runner, RunOptions
    from tutopanda_providers.runner.compare import compare_jobs

    if movie is None and (Path("out") / plan_path.stem).is_dir():
        # The movie `run` uses by default: its remembered overrides and finished artefacts
        # count here exactly as in `run --dry-run` (read only; nothing is written).
        movie = Path("out") / plan_path.stem
    with failures_to_exit_codes(json_out), _scratch_movie(movie) as movie_dir:
        plan, catalog, parsed = _setup(plan_path, settings_path, overrides)
        runner = Runner(plan, catalog, movie_dir, RunOptions(overrides=parsed, dry_run=True))
        previews = runner.preview()
        comparisons, cheapest_total = compare_jobs(previews, runner.registry())
    compared = {c.job: c for c in comparisons}
    total = CostSummary()
    for p in previews:
        total.add(p.job.id, p.estimate)
    problems = [f"{p.job.id}: {m}" for p in previews for m in p.problems]
    code = exitcodes.USAGE if problems else exitcodes.OK
    if json_out:
        print_json(
            {
                "plan": str(plan_path),
                "jobs": [
                    {
                        "job": p.job.id,
                        "producer": p.job.producer,
                        "model": str(p.descriptor),
                        "estimate": p.estimate.model_dump(mode="json", exclude_none=True),
                        "problems": p.problems,
                        **(compared[p.job.id].to_dict() if p.job.id in compared else {}),
                    }
                    for p in previews
                ],
                "total": total.to_dict(),
                **({"total_on_cheapest": cheapest_total.to_dict()} if comparisons else {}),
                "problems": problems,
                "exit_code": code,
            }
        )
        raise typer.Exit(code)
    from rich.table import Table

    table = Table(title=f"live cost of {plan_path} (nothing called)", title_justify="left")
    table.add_column("job", no_wrap=True)
    table.add_column("model", overflow="fold", max_width=42)
    table.add_column("estimate", justify="right", no_wrap=True)
    table.add_column("basis", overflow="fold")
    for p in previews:
        if p.estimate.items:
            basis = ", ".join(f"{i.quantity:.4g} {i.unit}" for i in p.estimate.items[:2])
            if len(p.estimate.items) > 2:
                basis += ", ..."
        else:
            basis = (p.estimate.reason or p.estimate.source or "")[:80]
        table.add_row(p.job.id, str(p.descriptor), cost_text(p.estimate).split(" (")[0], basis)
    out = console()
    out.print(table)
    out.print(f"total: {total.text()}", markup=False)
    if comparisons:
        out.print(comparison_table(comparisons))
        out.print(f"total on the cheapest providers: {cheapest_total.text()}", markup=False)
    for problem in problems:
        out.print(f"problem: {problem}", markup=False, style="red")
    raise typer.Exit(code)


__all__ = ["artefact_facts", "estimate", "invoke", "parse_inputs", "run"]
