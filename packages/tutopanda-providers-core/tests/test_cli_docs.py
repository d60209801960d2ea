"""``docs/cli.md`` documents every command, every option and every exit code of the CLI."""

from __future__ import annotations

from pathlib import Path

import typer
from tutopanda_providers.cli import app, exitcodes

DOCS = Path(__file__).resolve().parents[3] / "docs" / "cli.md"


def test_every_command_and_option_is_in_the_cli_docs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    missing = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        if f"tutopanda-providers {name}" not in text:
            missing.append(name)
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt not in ("--help",) and opt not in text:
                    missing.append(f"{name} {opt}")
    assert missing == []


def test_every_exit_code_is_in_the_cli_docs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    codes = {v for k, v in vars(exitcodes).items() if k.isupper() and isinstance(v, int)}
    assert codes == {0, 1, 2, 3, 4, 5, 6, 70, 130, 143}
    for code in codes:
        assert f"| {code} |" in text
