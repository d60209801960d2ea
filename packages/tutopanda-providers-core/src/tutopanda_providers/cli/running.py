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
            text = inputs_file.read_text(encoding="utf-8")
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


class _ProgressListener:
    """One progress bar per job, driven by the runner's callbacks."""

    def __init__(self, progress: Progress, previews: Sequence[str]) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {
            job: progress.add_task(job, total=1, status="waiting", start=False) for job in previews
        }

    def job_started(self, preview: JobPreview) -> None:
        task = self.tasks[preview.job.id]
        self.progress.start_task(task)
        self.progress.update(task, status=f"{preview.mode} {preview.descriptor}")

    def job_finished(self, outcome: JobOutcome) -> None:
        task = self.tasks[outcome.job_id]
        self.progress.start_task(task)
        label = (
            outcome.status
            if outcome.status != "succeeded"
            else ("done (mocked)" if outcome.mocked else "done (live)")
        )
        self.progress.update(task, completed=1, status=label)


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
) -> None:
    """The ``run`` command."""
    from tutopanda_providers.runner import Runner, RunOptions

    movie_dir = movie or Path("out") / plan_path.stem
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
        if json_out or dry_run:
            report = asyncio.run(Runner(plan, catalog, movie_dir, options).run())
        else:
            report = _run_with_progress(plan, catalog, movie_dir, options)
    if dry_run:
        _print_dry_run(report, json_out)
        raise typer.Exit(exitcodes.USAGE if report.problems else exitcodes.OK)
    code = exitcodes.JOBS_FAILED if report.failed else exitcodes.OK
    if json_out:
        data = report.to_dict()
        data["exit_code"] = code
        print_json(data)
    else:
        _print_summary(report)
    raise typer.Exit(code)


def _run_with_progress(plan: Any, catalog: Any, movie_dir: Path, options: Any) -> RunReport:
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
        return asyncio.run(runner.run())


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
    from rich.table import Table

    out = console()
    table = Table(title=f"{report.plan} -> {report.movie}", title_justify="left")
    table.add_column("job", no_wrap=True)
    table.add_column("model", overflow="fold", min_width=22, max_width=42)
    table.add_column("status", no_wrap=True)
    table.add_column("artefacts", overflow="fold")
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("cost", justify="right", no_wrap=True)
    table.add_column("live", justify="right", no_wrap=True)
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
        table.add_row(
            o.job_id,
            o.model,
            status,
            artefacts,
            f"{o.duration_ms / 1000:.1f}s",
            spent if o.status in ("succeeded", "skipped") else "-",
            cost_text(o.estimated_live).split(" (")[0],
        )
    out.print(table)
    for o in report.failed:
        message = (o.error or {}).get("message", "")
        out.print(f"failed: {o.job_id}: {message}", markup=False, style="red")
    for warning in (w for o in report.outcomes for w in o.warnings):
        out.print(f"warning: {warning}", markup=False, style="yellow")
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


def _print_dry_run(report: RunReport, json_out: bool) -> None:
    if json_out:
        data = report.to_dict()
        data["exit_code"] = exitcodes.USAGE if report.problems else exitcodes.OK
        print_json(data)
        return
    from rich.table import Table

    out = console()
    table = Table(title=f"dry run of {report.plan} (nothing called)")
    for column in ("job", "model", "mode", "payload", "estimate", "problems"):
        table.add_column(column, overflow="fold")
    for p in report.previews:
        payload = json.dumps(p.payload, sort_keys=True, default=str) if p.payload else "-"
        if len(payload) > 300:
            payload = payload[:297] + "..."
        table.add_row(
            p.job.id + (" *" if p.uses_samples else "") + (" (up to date)" if p.up_to_date else ""),
            str(p.descriptor),
            p.mode,
            payload,
            cost_text(p.estimate),
            "; ".join(p.problems) or "ok",
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
    from tutopanda_providers.runner import CostSummary, Runner, RunOptions

    if movie is None and (Path("out") / plan_path.stem).is_dir():
        # The movie `run` uses by default: its remembered overrides and finished artefacts
        # count here exactly as in `run --dry-run` (read only; nothing is written).
        movie = Path("out") / plan_path.stem
    with failures_to_exit_codes(json_out), _scratch_movie(movie) as movie_dir:
        plan, catalog, parsed = _setup(plan_path, settings_path, overrides)
        runner = Runner(plan, catalog, movie_dir, RunOptions(overrides=parsed, dry_run=True))
        previews = runner.preview()
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
                    }
                    for p in previews
                ],
                "total": total.to_dict(),
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
    for problem in problems:
        out.print(f"problem: {problem}", markup=False, style="red")
    raise typer.Exit(code)


__all__ = ["artefact_facts", "estimate", "invoke", "parse_inputs", "run"]
