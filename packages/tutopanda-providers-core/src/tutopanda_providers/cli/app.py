"""The Typer application: options and help only; each command's work is imported when it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from tutopanda_providers.cli import examples
from tutopanda_providers.cli.bounds import (
    MAX_CONCURRENCY,
    MAX_COST_USD,
    MAX_TIMEOUT_SECONDS,
    MAX_WAIT_SECONDS,
    number_in_range,
)

app = typer.Typer(
    name="tutopanda-providers",
    help=(
        "Call AI model providers (OpenAI, Replicate) through one registry, run lesson plans, "
        "and see what they cost. Mock by default: nothing is spent without --live.\n\n"
        "Exit codes: 0 ok, 1 job failures, 2 usage or configuration error, 3 refused by "
        "--max-cost, 4 provider, secret or plugin problem, 5 movie in use by another run, "
        "6 a file or folder that cannot be read or written, 70 unexpected error (a bug; the "
        "trace is saved to a file), 130 stopped by Ctrl-C."
    ),
    epilog=examples.APP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
SettingsOption = Annotated[
    Optional[Path],  # noqa: UP045 - Typer reads the annotation at run time
    typer.Option(
        "--settings",
        help="Settings file (TOML) laid over the shipped defaults. "
        "Default: $TUTOPANDA_SETTINGS, then ./tutopanda.toml.",
    ),
]
OverrideOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--override",
        help="Producer=provider/model for this movie, e.g. "
        "TextToImageProducer=replicate/bytedance/seedream-4 (repeatable; remembered by the movie).",
    ),
]


def _print_version(value: bool) -> None:
    if value:
        from tutopanda_providers.cli import listing

        typer.echo(listing.version_text())
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print the version, the hook contract and each installed plugin's version.",
        ),
    ] = False,
) -> None:
    """Call AI model providers through one registry (see the help above)."""
    from tutopanda_providers.cli import notices

    notices.install()  # each warning printed once per command


models_app = typer.Typer(
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(models_app, name="models")


@models_app.callback(epilog=examples.MODELS)
def models(
    ctx: typer.Context,
    kind: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--kind", help="Only this kind: script, prompt, audio, image, video, music."),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """List every (provider, model): kind, modes, price and key status; `models show` details one."""
    if ctx.invoked_subcommand is not None:
        return
    from tutopanda_providers.cli import listing

    listing.models(kind=kind, json_out=json_out)


@models_app.command("show", epilog=examples.MODELS_SHOW)
def models_show(
    model: Annotated[str, typer.Argument(help="provider/model, e.g. replicate/google/veo-3-fast.")],
    json_out: JsonOption = False,
) -> None:
    """One model: every input (type, allowed values, default, required), every price rate with
    its unit, capabilities, the serving plugin and whether its keys are set."""
    from tutopanda_providers.cli import listing

    listing.models_show(model, json_out=json_out)


@app.command(epilog=examples.PLUGINS)
def plugins(json_out: JsonOption = False) -> None:
    """List installed plugins: version, hook contract, what each registers, and failures."""
    from tutopanda_providers.cli import listing

    listing.plugins(json_out=json_out)


@app.command(epilog=examples.INVOKE)
def invoke(
    model: Annotated[str, typer.Argument(help="provider/model, e.g. replicate/google/imagen-4.")],
    input_: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--input",
            "-i",
            help="key=value (repeatable). Values are read as JSON when they parse (3, true, "
            '["a"]), else as text.',
        ),
    ] = None,
    inputs_file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--inputs-file", help="A JSON or TOML file of inputs."),
    ] = None,
    live: Annotated[
        bool, typer.Option("--live", help="Call the real provider (spends money).")
    ] = False,
    producer: Annotated[
        str, typer.Option("--producer", help="The producer name to report the job under.")
    ] = "adhoc",
    storage: Annotated[
        str, typer.Option("--storage", help="Where blobs go: a folder or an fsspec URL.")
    ] = ".tutopanda/blobs",
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            help=f"Seconds before giving up (0 < s <= {MAX_TIMEOUT_SECONDS:g}).",
            callback=number_in_range("--timeout", 0, MAX_TIMEOUT_SECONDS, low_open=True, unit="s"),
        ),
    ] = 600.0,
    json_out: JsonOption = False,
) -> None:
    """Run one model once (mock unless --live), store its artefacts and print their facts."""
    from tutopanda_providers.cli import running

    running.invoke(
        model=model,
        inputs=input_ or [],
        inputs_file=inputs_file,
        live=live,
        producer=producer,
        storage=storage,
        timeout=timeout,
        json_out=json_out,
    )


@app.command(epilog=examples.RUN)
def run(
    plan: Annotated[Path, typer.Argument(help="The lesson plan (TOML).")],
    movie: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--movie", help="Movie folder (default: out/<plan name>)."),
    ] = None,
    live: Annotated[
        bool, typer.Option("--live", help="Run jobs live (spends money); never implied.")
    ] = False,
    use_mock: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--use-mock",
            help="Producers or kinds kept on mock in a live run: ScriptProducer,TextToMusicProducer.",
        ),
    ] = None,
    override: OverrideOption = None,
    clear_overrides: Annotated[
        bool, typer.Option("--clear-overrides", help="Forget the movie's remembered overrides.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Validate every job, show payloads and cost; call nothing."),
    ] = False,
    max_cost: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(
            "--max-cost",
            help=f"Refuse a live run whose estimate exceeds this (USD, 0 to {MAX_COST_USD:g}).",
            callback=number_in_range("--max-cost", 0, MAX_COST_USD, unit="USD"),
        ),
    ] = None,
    allow_unknown_cost: Annotated[
        bool,
        typer.Option("--allow-unknown-cost", help="With --max-cost, accept jobs of unknown cost."),
    ] = False,
    concurrency: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--concurrency",
            min=1,
            max=MAX_CONCURRENCY,
            help=f"Jobs in flight at once (1 to {MAX_CONCURRENCY}).",
        ),
    ] = None,
    settings: SettingsOption = None,
    storage: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--storage", help="Blob storage: folder or fsspec URL (default <movie>/blobs)."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Re-run jobs even when their artefacts are up to date.")
    ] = False,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            help=f"Seconds to wait for another run of the same movie (0 to {MAX_WAIT_SECONDS:g}).",
            callback=number_in_range("--wait", 0, MAX_WAIT_SECONDS, unit="s"),
        ),
    ] = 0.0,
    json_out: JsonOption = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Also show each job's inputs and full errors."),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No progress, only the summary and errors."),
    ] = False,
) -> None:
    """Run a lesson plan layer by layer; show progress, a summary and the live cost.

    Progress is one plain line per job state change when stderr is not a terminal. SIGINT
    and SIGTERM stop the run alike (remote jobs canceled; exit 130 or 143).
    """
    from tutopanda_providers.cli import running

    running.run(
        plan_path=plan,
        movie=movie,
        live=live,
        use_mock=use_mock or [],
        overrides=override or [],
        clear_overrides=clear_overrides,
        dry_run=dry_run,
        max_cost=max_cost,
        allow_unknown_cost=allow_unknown_cost,
        concurrency=concurrency,
        settings_path=settings,
        storage=storage,
        force=force,
        wait=wait,
        json_out=json_out,
        verbose=verbose,
        quiet=quiet,
    )


@app.command(epilog=examples.ESTIMATE)
def estimate(
    plan: Annotated[Path, typer.Argument(help="The lesson plan (TOML).")],
    movie: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--movie",
            help="Use this movie's overrides and finished artefacts "
            "(default: out/<plan name> when it exists, as for run).",
        ),
    ] = None,
    override: OverrideOption = None,
    settings: SettingsOption = None,
    json_out: JsonOption = False,
) -> None:
    """What a plan would cost live, job by job. Calls nothing."""
    from tutopanda_providers.cli import running

    running.estimate(
        plan_path=plan,
        movie=movie,
        overrides=override or [],
        settings_path=settings,
        json_out=json_out,
    )


@app.command(epilog=examples.INIT)
def init(
    folder: Annotated[
        Path, typer.Argument(help="Where to write lesson.toml and tutopanda.toml.")
    ] = Path("."),
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite lesson.toml and tutopanda.toml.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Write a starter lesson plan and settings (models of the installed plugins)."""
    from tutopanda_providers.cli import init as init_command

    init_command.init(folder, force, json_out)


@app.command(epilog=examples.STATUS)
def status(
    movie: Annotated[Path, typer.Argument(help="The movie folder, e.g. out/lesson.")],
    plan: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--plan", help="The plan to hold the movie against (default: its last)."),
    ] = None,
    settings: SettingsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Each job's state in a movie (kept, stale, missing, failed), the overrides in force and
    what the next run would cost live. Calls nothing."""
    from tutopanda_providers.cli import movie as movie_commands

    movie_commands.status(movie, plan, settings, json_out)


@app.command(epilog=examples.PRUNE)
def prune(
    movie: Annotated[Path, typer.Argument(help="The movie folder, e.g. out/lesson.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Remove them (without it, only list them).")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """List the blobs no job of the movie refers to (left by overrides and re-runs); --yes
    removes them."""
    from tutopanda_providers.cli import movie as movie_commands

    movie_commands.prune(movie, yes, json_out)


@app.command(epilog=examples.DOCTOR)
def doctor(
    plan: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--plan", help="Warm start only this plan's producers."),
    ] = None,
    settings: SettingsOption = None,
    live: Annotated[
        bool,
        typer.Option(
            "--live/--mock",
            help="--live: check live readiness (keys set and accepted by their providers, "
            "live handlers warm). Default --mock, as for run.",
        ),
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            help="Budget (s) of the warm start, then of each key check.",
            callback=number_in_range("--timeout", 0, MAX_TIMEOUT_SECONDS, low_open=True, unit="s"),
        ),
    ] = 10.0,
    json_out: JsonOption = False,
) -> None:
    """Check readiness in run's mode (mock unless --live): plugins, settings, keys, warm
    start of each producer's handlers, Redis. --live asks each provider whether it accepts
    its key (a free request)."""
    from tutopanda_providers.cli import doctor as checkup

    checkup.doctor(
        plan_path=plan, settings_path=settings, live=live, timeout=timeout, json_out=json_out
    )


#: Installed packages add commands here: ``[project.entry-points."tutopanda.cli_commands"]``
#: ``name = "module:register"``, where ``register(app)`` adds Typer commands to :data:`app`.
CLI_COMMANDS_GROUP = "tutopanda.cli_commands"


def load_command_extensions(target: typer.Typer = app) -> list[str]:
    """Let installed packages add commands (``tutopanda-providers worker`` ...) to ``target``.

    Each entry point of :data:`CLI_COMMANDS_GROUP` names a ``register(app)`` function; it must
    import only Typer at load time (the command's work is imported when it runs). A package
    whose hook fails is left out with one line on stderr: the built-in commands always work.

    Returns:
        The names of the entry points that added their commands.
    """
    import sys
    from importlib.metadata import entry_points

    loaded: list[str] = []
    for point in entry_points(group=CLI_COMMANDS_GROUP):
        try:
            point.load()(target)
        except Exception as exc:
            sys.stderr.write(
                f"warning: the commands of {point.value} ({point.name}) were not added: "
                f"{type(exc).__name__}: {exc}\n"
            )
            continue
        loaded.append(point.name)
    return loaded


load_command_extensions()

__all__ = ["CLI_COMMANDS_GROUP", "app", "load_command_extensions"]
