"""Output for the command line: Rich for people, JSON for machines, one exit code per failure.

:func:`failures_to_exit_codes` turns the project's errors into the documented exit codes and
prints them the same way for every command.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from tutopanda_providers.cli import exitcodes

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from tutopanda_providers.contracts import Cost


#: Width of tables written to a pipe or a file (a terminal uses its own width).
PIPE_WIDTH = 140


def console(stderr: bool = False) -> Console:
    """A Rich console (imported on first use); wide enough for tables when not a terminal."""
    import os

    from rich.console import Console

    out = Console(stderr=stderr, highlight=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out = Console(stderr=stderr, highlight=False, width=PIPE_WIDTH)
    return out


def text(value: object, style: str = "") -> Text:
    """``value`` as plain Rich text: brackets from plans and plugins (``[live]``) stay text.

    Rich reads ``str`` table cells and titles as markup, so ``[live]`` would vanish and
    ``[/]`` would raise; a :class:`~rich.text.Text` is never parsed.
    """
    from rich.text import Text

    return Text(str(value), style=style)


def table(title: str, *columns: str) -> Table:
    """A table that fits an 80-column terminal: plain title, no outer box, cells that wrap.

    Columns fold long words (model names, URLs) instead of pushing the table past the
    console's width; callers add rows of :func:`text` cells.
    """
    from rich import box
    from rich.table import Table

    out = Table(title=text(title), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in columns:
        out.add_column(text(column), overflow="fold")
    return out


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def cost_text(cost: Cost | None) -> str:
    """``$0.0400 (image)``, ``$0 mock`` or ``unknown``."""
    if cost is None or cost.amount_usd is None:
        return "unknown"
    if cost.unit == "mock":
        return "$0 (mock)"
    unit = f" ({cost.unit})" if cost.unit and cost.unit not in ("mixed", "skipped") else ""
    return f"${cost.amount_usd:.4f}{unit}"


def error(message: str) -> None:
    """Print ``error: message`` on stderr (the message is plain text, never markup)."""
    from rich.text import Text

    console(stderr=True).print(Text.assemble(("error: ", "bold red"), message))


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code of an error."""
    from tutopanda_providers.contracts import ConfigurationError, InvalidInputError, ProviderError
    from tutopanda_providers.runner.errors import BudgetRefusedError, MovieBusyError

    if isinstance(exc, BudgetRefusedError):
        return exitcodes.BUDGET
    if isinstance(exc, MovieBusyError):
        return exitcodes.BUSY
    if isinstance(exc, (ConfigurationError, InvalidInputError)):
        return exitcodes.USAGE
    if isinstance(exc, ProviderError):
        return exitcodes.PROVIDER
    return exitcodes.USAGE


@contextmanager
def failures_to_exit_codes(json_out: bool) -> Iterator[None]:
    """Print a project error (as text or JSON) and exit with its code."""
    from tutopanda_providers.contracts import ProviderError

    try:
        yield
    except ProviderError as exc:
        code = exit_code_for(exc)
        if json_out:
            body = exc.to_dict()
            problems = getattr(exc, "problems", None)
            if problems:
                body["problems"] = problems
            print_json({"error": body, "exit_code": code})
        else:
            error(exc.message)
        raise typer.Exit(code) from None


__all__ = [
    "console",
    "cost_text",
    "error",
    "exit_code_for",
    "failures_to_exit_codes",
    "print_json",
    "table",
    "text",
]
