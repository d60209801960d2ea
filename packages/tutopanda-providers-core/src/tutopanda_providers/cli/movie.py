"""``status`` and ``prune``: what a movie holds, and clearing blobs no job refers to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tutopanda_providers.cli import exitcodes
from tutopanda_providers.cli.render import (
    console,
    failures_to_exit_codes,
    print_json,
    table,
    text,
)


def _plan_of(movie_dir: Path, plan_path: Path | None, config: dict[str, Any]) -> Path:
    from tutopanda_providers.contracts import ConfigurationError

    if plan_path is not None:
        return plan_path
    remembered = config.get("plan")
    if not isinstance(remembered, str) or not remembered:
        raise ConfigurationError(
            f"{movie_dir} remembers no plan (no run has finished there yet); "
            "pass the plan with --plan lesson.toml"
        )
    return Path(remembered)


def status(
    movie_dir: Path, plan_path: Path | None, settings_path: Path | None, json_out: bool
) -> None:
    """The ``status`` command."""
    from tutopanda_providers.contracts import ConfigurationError
    from tutopanda_providers.runner import Catalog, Runner, RunOptions, load_plan, load_settings
    from tutopanda_providers.runner.movie import MovieStore
    from tutopanda_providers.runner.portable import stored_path
    from tutopanda_providers.runner.status import movie_status

    with failures_to_exit_codes(json_out):
        store = MovieStore(movie_dir)
        if not movie_dir.is_dir():
            raise ConfigurationError(
                f"{movie_dir} is not a movie folder; run a plan first "
                f"(tutopanda-providers run lesson.toml --movie {movie_dir})"
            )
        config = store.config()
        plan_file = _plan_of(movie_dir, plan_path, config)
        settings = load_settings(settings_path)
        catalog = Catalog.from_settings(settings)
        plan = load_plan(plan_file, catalog.entries)
        kept = config.get("storage")
        storage = stored_path(kept, movie_dir) if isinstance(kept, str) and kept else None
        # The movie's last run says live or mock (and which producers were forced to mock):
        # judged in another mode, every job would look made from other inputs.
        use_mock = config.get("use_mock")
        options = RunOptions(
            dry_run=True,
            storage=storage,
            live=config.get("live") is True,
            use_mock=frozenset(map(str, use_mock)) if isinstance(use_mock, list) else frozenset(),
        )
        runner = Runner(plan, catalog, store, options)
        previews = runner.preview()
        found = movie_status(store, previews, runner.effective_overrides(), runner.store.exists)
        found.plan = str(plan_file)
    if json_out:
        print_json(found.to_dict())
        raise typer.Exit(exitcodes.OK)
    out = console()
    grid = table(f"{found.movie} ({found.plan})", "job", "model", "state", "why")
    for j in found.jobs:
        style = {"kept": "green", "failed": "red"}.get(j.state, "yellow")
        grid.add_row(text(j.job), text(j.model), text(j.state, style), text(j.reason))
    out.print(grid)
    if found.overrides:
        for producer, ref in sorted(found.overrides.items()):
            out.print(text(f"override in force: {producer} = {ref}"))
    else:
        out.print(text("overrides in force: none"))
    todo = [j for j in found.jobs if j.state != "kept"]
    page = movie_dir / "index.html"
    out.print(
        text(
            f"next run makes {len(todo)} of {len(found.jobs)} jobs; live it would cost "
            f"{found.next_run().text()} (mock: $0)"
        )
    )
    if page.exists():
        out.print(text(f"page: {page}   files: {movie_dir / 'files'}"))
    raise typer.Exit(exitcodes.OK)


def prune(movie_dir: Path, yes: bool, json_out: bool) -> None:
    """The ``prune`` command: lists unreferenced blobs; removes them only with ``--yes``."""
    from tutopanda_providers.contracts import ConfigurationError
    from tutopanda_providers.runner.movie import MovieStore
    from tutopanda_providers.runner.portable import stored_path
    from tutopanda_providers.runner.status import prune_blobs

    with failures_to_exit_codes(json_out):
        if not movie_dir.is_dir():
            raise ConfigurationError(f"{movie_dir} is not a movie folder")
        store = MovieStore(movie_dir)
        storage = store.config().get("storage")
        root = (
            stored_path(storage, movie_dir)
            if isinstance(storage, str) and storage
            else store.blobs_root
        )
        with store.locked(0.0):  # a run in progress may be storing a blob not yet recorded
            found = prune_blobs(store, root, remove=yes)
    if json_out:
        print_json(found.to_dict())
        raise typer.Exit(exitcodes.OK)
    out = console()
    size = f"{found.bytes / 1e6:.1f} MB"
    if not found.unreferenced:
        out.print(text(f"nothing to prune: every blob in {found.root} belongs to a job"))
    elif found.removed:
        out.print(text(f"removed {len(found.unreferenced)} blobs ({size}) no job refers to"))
    else:
        for path in found.unreferenced:
            out.print(text(f"  {path}"))
        out.print(
            text(
                f"{len(found.unreferenced)} blobs ({size}) no job refers to; nothing removed. "
                f"Run `tutopanda-providers prune {movie_dir} --yes` to remove them."
            )
        )
    raise typer.Exit(exitcodes.OK)


__all__ = ["prune", "status"]
