"""Output for the command line: Rich for people, JSON for machines, one exit code per failure.

:func:`failures_to_exit_codes` turns the project's errors into the documented exit codes and
prints them the same way for every command.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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


#: A piece of a long word that may end a line: a run up to and including ``/``, ``@`` or
#: ``_`` (or a run of those), with the spaces after it. ``replicate/google/gemini-2.5-flash@*`` breaks as
#: ``replicate/`` ``google/`` ``gemini-2.5-flash@`` ``*``; ``block_medium_and_above`` as
#: ``block_`` ``medium_`` ``and_`` ``above``.
_PIECE = re.compile(r"\s*(?:[^\s/@_]+[/@_]*|[/@_]+)\s*")
#: A word with the spaces around it (how Rich splits a line).
_WORD = re.compile(r"\s*\S+\s*")


def break_points(line: str, width: int) -> list[int]:
    """Where to break ``line`` to fit ``width`` cells.

    Lines break at spaces; a word wider than the whole width breaks after its ``/``, ``@``
    or ``_`` (``replicate/google/`` + ``gemini-2.5-flash@*``), and only a piece still wider
    than the width is cut mid-way. Rich's own wrapping cut such words anywhere
    (``gemini-2.5-fla`` / ``sh@*``, ``block_medium_and_ab`` / ``ove``).
    """
    from rich.cells import cell_len, chop_cells

    breaks: list[int] = []
    offset = 0

    def place(start: int, piece: str) -> None:
        nonlocal offset
        length = cell_len(piece.rstrip())
        if width - offset >= length:
            offset += cell_len(piece)
        elif length > width:  # wider than a whole line: fold it
            chunks = chop_cells(piece, width)
            for index, chunk in enumerate(chunks):
                if start:
                    breaks.append(start)
                if index == len(chunks) - 1:
                    offset = cell_len(chunk)
                else:
                    start += len(chunk)
        else:
            if offset and start:
                breaks.append(start)
            offset = cell_len(piece)

    for word in _WORD.finditer(line):
        if cell_len(word.group(0).rstrip()) <= width:
            place(word.start(), word.group(0))
        else:
            for piece in _PIECE.finditer(word.group(0)):
                place(word.start() + piece.start(), piece.group(0))
    return breaks


_cell_class: type[Text] | None = None


def _cell_type() -> type[Text]:
    """A :class:`~rich.text.Text` that wraps at :func:`break_points` (built on first use:
    Rich is imported lazily, for start-up time)."""
    global _cell_class
    if _cell_class is not None:
        return _cell_class
    from rich.cells import cell_len
    from rich.containers import Lines
    from rich.measure import Measurement
    from rich.text import Text

    class Cell(Text):
        def wrap(
            self,
            console: Console,
            width: int,
            *,
            justify: Any = None,
            overflow: Any = None,
            tab_size: int = 8,
            no_wrap: bool | None = None,
        ) -> Lines:
            wrap_overflow = overflow or self.overflow or "fold"
            if no_wrap or self.no_wrap or overflow == "ignore":
                return super().wrap(
                    console,
                    width,
                    justify=justify,
                    overflow=overflow,
                    tab_size=tab_size,
                    no_wrap=no_wrap,
                )
            lines = Lines()
            for line in self.split(allow_blank=True):
                if "\t" in line:
                    line.expand_tabs(tab_size)
                pieces = line.divide(break_points(str(line), width))
                for piece in pieces:
                    piece.rstrip_end(width)
                wrap_justify = justify or self.justify or "default"
                pieces.justify(console, width, justify=wrap_justify, overflow=wrap_overflow)
                for piece in pieces:
                    piece.truncate(width, overflow=wrap_overflow)
                lines.extend(pieces)
            return lines

        def __rich_measure__(self, console: Console, options: Any) -> Measurement:
            plain = self.plain
            widest = max((cell_len(line) for line in plain.splitlines()), default=0)
            pieces = [m.group(0).strip() for m in _PIECE.finditer(plain)]
            narrowest = max((cell_len(p) for p in pieces), default=widest)
            return Measurement(narrowest, widest)

    _cell_class = Cell
    return Cell


def text(value: object, style: str = "") -> Text:
    """``value`` as plain Rich text: brackets from plans and plugins (``[live]``) stay text.

    Rich reads ``str`` table cells and titles as markup, so ``[live]`` would vanish and
    ``[/]`` would raise; a :class:`~rich.text.Text` is never parsed. A long line wraps at
    spaces, ``/``, ``@`` and ``_`` (:func:`break_points`), never mid-word unless a word alone
    is wider than the column.
    """
    return _cell_type()(str(value), style=style)


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
    from tutopanda_providers.runner.errors import (
        BudgetRefusedError,
        FileAccessError,
        MovieBusyError,
    )

    if isinstance(exc, BudgetRefusedError):
        return exitcodes.BUDGET
    if isinstance(exc, MovieBusyError):
        return exitcodes.BUSY
    if isinstance(exc, FileAccessError):
        return exitcodes.FILES
    if isinstance(exc, (ConfigurationError, InvalidInputError)):
        return exitcodes.USAGE
    if isinstance(exc, ProviderError):
        return exitcodes.PROVIDER
    return exitcodes.USAGE


def report_error(exc: BaseException, json_out: bool) -> int:
    """Print a project error as text or as the one JSON document; return its exit code."""
    from tutopanda_providers.contracts import ProviderError

    if not isinstance(exc, ProviderError):
        return report_unexpected(exc, json_out)
    code = exit_code_for(exc)
    if json_out:
        body = exc.to_dict()
        problems = getattr(exc, "problems", None)
        if problems:
            body["problems"] = problems
        print_json({"error": body, "exit_code": code})
    else:
        error(exc.message)
    return code


def crash_dir() -> Path:
    """Where full traces of unexpected errors go: ``$TUTOPANDA_STATE_DIR/crashes``, else
    ``$XDG_STATE_HOME/tutopanda/crashes``, else ``~/.local/state/tutopanda/crashes``."""
    import os

    base = os.environ.get("TUTOPANDA_STATE_DIR")
    if base:
        return Path(base) / "crashes"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "tutopanda" / "crashes"


def write_crash_report(exc: BaseException) -> Path | None:
    """Write ``exc``'s full trace (scrubbed of known secrets) to a new file of :func:`crash_dir`.

    Returns:
        The file, or ``None`` when no folder could take it (then the trace is lost, not raised).
    """
    import os
    import tempfile
    import time
    import traceback

    from tutopanda_providers.contracts.redaction import scrub

    text = scrub("".join(traceback.format_exception(exc)))
    argv = scrub(" ".join(sys.argv))
    body = f"tutopanda-providers crash at {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n"
    body += f"command: {argv}\n\n{text}"
    for folder in (crash_dir(), Path(tempfile.gettempdir()) / "tutopanda-crashes"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(
                prefix=time.strftime("crash-%Y%m%d-%H%M%S-"), suffix=".txt", dir=folder
            )
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(body)
            return Path(name)
        except OSError:
            continue
    return None


def report_unexpected(exc: BaseException, json_out: bool) -> int:
    """Report an unexpected error in one line (plus where its trace went); return exit 70.

    An ``OSError`` naming a path is not a bug but a file the command cannot use: it is
    reported as such with exit code 6 (see :func:`~tutopanda_providers.runner.errors.file_access_error`).
    """
    if isinstance(exc, OSError) and exc.filename is not None:
        from tutopanda_providers.runner.errors import file_access_error

        return report_error(file_access_error(exc), json_out)
    from tutopanda_providers.contracts.redaction import scrub

    where = write_crash_report(exc)
    summary = scrub(
        f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    )
    trace = f"the full trace is in {where}" if where else "the trace could not be saved"
    message = (
        f"unexpected error ({summary}); {trace}. This is a bug: please report it with that file."
    )
    if json_out:
        print_json(
            {
                "error": {
                    "kind": "internal",
                    "type": type(exc).__name__,
                    "message": message,
                    "trace_file": str(where) if where else None,
                },
                "exit_code": exitcodes.INTERNAL,
            }
        )
    else:
        error(message)
    return exitcodes.INTERNAL


@contextmanager
def failures_to_exit_codes(json_out: bool) -> Iterator[None]:
    """Print a project error (as text or JSON) and exit with its code.

    Any other ``Exception`` is reported by :func:`report_unexpected` (one line, the trace in a
    file, exit 70), never as a traceback; Typer's and Click's own exits pass through.
    """
    try:
        yield
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise
    except Exception as exc:
        raise typer.Exit(report_error(exc, json_out)) from None


__all__ = [
    "break_points",
    "console",
    "cost_text",
    "crash_dir",
    "error",
    "exit_code_for",
    "failures_to_exit_codes",
    "print_json",
    "report_error",
    "report_unexpected",
    "table",
    "text",
    "write_crash_report",
]
