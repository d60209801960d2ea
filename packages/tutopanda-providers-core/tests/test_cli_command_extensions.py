"""Installed packages add commands through the ``tutopanda.cli_commands`` entry points."""

from __future__ import annotations

import importlib
import importlib.metadata
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

# ``tutopanda_providers.cli.app`` the attribute is the Typer app; this is its module.
app_module = importlib.import_module("tutopanda_providers.cli.app")

EXTENSION = '''
import typer

def register(app: typer.Typer) -> None:
    @app.command("hello-ext")
    def hello() -> None:
        """Say hello from an installed package."""
        typer.echo("hello from the extension")

def broken(app: typer.Typer) -> None:
    raise RuntimeError("no luck")
'''


@pytest.fixture
def extension(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tp_cli_extension.py").write_text(EXTENSION)
    monkeypatch.syspath_prepend(str(tmp_path))
    points = [
        importlib.metadata.EntryPoint(
            "hello", "tp_cli_extension:register", app_module.CLI_COMMANDS_GROUP
        ),
        importlib.metadata.EntryPoint(
            "broken", "tp_cli_extension:broken", app_module.CLI_COMMANDS_GROUP
        ),
    ]

    def fake_entry_points(*, group: str) -> list[importlib.metadata.EntryPoint]:
        return [p for p in points if p.group == group]

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)


def test_an_installed_package_adds_a_command(
    extension: None, capsys: pytest.CaptureFixture[str]
) -> None:
    target = typer.Typer()

    @target.command()
    def builtin() -> None:
        """A built-in command."""

    loaded = app_module.load_command_extensions(target)

    assert loaded == ["hello"]
    assert "tp_cli_extension:broken (broken) were not added: RuntimeError: no luck" in (
        capsys.readouterr().err
    )
    result = CliRunner().invoke(target, ["hello-ext"])
    assert result.exit_code == 0, result.output
    assert "hello from the extension" in result.output
    assert CliRunner().invoke(target, ["builtin"]).exit_code == 0


def test_no_extension_leaves_the_commands_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda *, group: [])
    target = typer.Typer()
    assert app_module.load_command_extensions(target) == []
    assert target.registered_commands == []
