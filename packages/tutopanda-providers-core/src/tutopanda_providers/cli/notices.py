"""Warnings printed once per command.

Core's modules report duplicates, conflicts, ties and adapted settings with ``logging``
(``tutopanda_providers.*`` loggers), and some commands also list ``registry.warnings`` at the
end of their output. Without a handler, Python's last-resort handler prints each logged
warning to stderr, so the same text showed twice, or more when a command built two registries.
:func:`install` attaches one handler to the ``tutopanda_providers`` logger that prints each
distinct warning once, as ``warning: <text>`` on stderr; :func:`print_remaining` prints the
warnings of a list that were not printed yet.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from tutopanda_providers.contracts import scrub

LOGGER = "tutopanda_providers"


class OncePrinter(logging.Handler):
    """Prints each distinct WARNING-or-worse message once, as ``warning: <text>`` on stderr."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.printed: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        """Print the record's message unless it was printed already."""
        try:
            message = scrub(record.getMessage())
        except Exception:  # a malformed log call must not break a command
            self.handleError(record)
            return
        if message in self.printed:
            return
        self.printed.add(message)
        label = "warning" if record.levelno < logging.ERROR else "error"
        # sys.stderr is looked up at each call: a test runner may have replaced it.
        sys.stderr.write(f"{label}: {message}\n")
        sys.stderr.flush()


def _printer() -> OncePrinter | None:
    for handler in logging.getLogger(LOGGER).handlers:
        if isinstance(handler, OncePrinter):
            return handler
    return None


def install() -> OncePrinter:
    """Attach the printer (once per process) and forget what it printed: a new command starts."""
    printer = _printer()
    if printer is None:
        printer = OncePrinter()
        logging.getLogger(LOGGER).addHandler(printer)
    printer.printed.clear()
    return printer


def print_remaining(warnings: Iterable[str]) -> None:
    """Print each of ``warnings`` that was not printed yet in this command (to stderr)."""
    printer = _printer() or install()
    for warning in warnings:
        message = scrub(warning)
        if message not in printer.printed:
            printer.printed.add(message)
            sys.stderr.write(f"warning: {message}\n")
    sys.stderr.flush()


__all__ = ["OncePrinter", "install", "print_remaining"]
