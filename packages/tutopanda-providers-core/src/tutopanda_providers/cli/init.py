"""``init``: a starter lesson plan and settings in a folder, adapted to the installed plugins.

Writes ``lesson.toml`` (the starter plan shipped with core) and ``tutopanda.toml`` (the shipped
default settings, every producer written out, adapted to the plugins installed now: see
:mod:`tutopanda_providers.runner.defaults`). Refuses to overwrite either file without
``--force``, and then writes neither.
"""

from __future__ import annotations

from pathlib import Path

from tutopanda_providers.cli.render import console, failures_to_exit_codes, print_json, text

PLAN_FILE = "lesson.toml"
SETTINGS_FILE = "tutopanda.toml"


def init(folder: Path, force: bool, json_out: bool) -> None:
    """The ``init`` command.

    Raises:
        typer.Exit: 2 when a file exists and ``force`` is false, or the folder cannot be
            written (nothing is written then).
    """
    from tutopanda_providers.contracts import ConfigurationError
    from tutopanda_providers.runner.starter import starter_plan_text, starter_settings_text

    with failures_to_exit_codes(json_out):
        plan, settings = folder / PLAN_FILE, folder / SETTINGS_FILE
        existing = [str(p) for p in (plan, settings) if p.exists()]
        if existing and not force:
            raise ConfigurationError(
                f"{' and '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
                "nothing was written. Pass --force to overwrite, or init another folder."
            )
        files = {plan: starter_plan_text(), settings: starter_settings_text()}
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for path, content in files.items():
                path.write_text(content, encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(
                f"cannot write to {folder}: {exc.strerror or exc}; pick a folder you can write"
            ) from exc
    if json_out:
        print_json({"written": [str(p) for p in files], "overwritten": existing})
        return
    out = console()
    for path in files:
        out.print(text(f"wrote {path}"))
    run_from = "" if folder.resolve() == Path.cwd().resolve() else f"cd {folder} && "
    out.print(
        text(
            "next: "
            f"{run_from}tutopanda-providers estimate {PLAN_FILE}   (what it would cost live)\n"
            f"      {run_from}tutopanda-providers run {PLAN_FILE}        (mock: real files, $0)"
        )
    )


__all__ = ["PLAN_FILE", "SETTINGS_FILE", "init"]
