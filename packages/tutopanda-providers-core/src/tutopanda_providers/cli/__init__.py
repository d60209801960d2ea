"""The ``tutopanda-providers`` command.

Start-up stays fast: this module imports only Typer. The registry, pydantic models and Rich
tables are imported inside each command, when it runs (``--help`` never loads a plugin).
"""

from __future__ import annotations

from tutopanda_providers.cli.app import app


def main() -> None:
    """Run the command line (the ``tutopanda-providers`` console script)."""
    app()


__all__ = ["app", "main"]
