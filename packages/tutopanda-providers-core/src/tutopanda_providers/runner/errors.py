"""Errors of the runner: bad files, refused budgets, a movie in use.

Each maps to one exit code of the ``tutopanda-providers`` command (see ``docs/cli.md``).
"""

from __future__ import annotations

from collections.abc import Sequence

from tutopanda_providers.contracts import BudgetExceededError, ConfigurationError, ProviderError


class FileProblemError(ConfigurationError):
    """A settings or plan file is wrong; ``problems`` lists each as ``file:line: what; fix``."""

    def __init__(self, file: str, problems: Sequence[str]) -> None:
        self.file = file
        self.problems = list(problems)
        head = f"{file} has {len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__(head + ":\n  " + "\n  ".join(self.problems))


class BudgetRefusedError(BudgetExceededError):
    """A live run's estimate exceeds ``--max-cost``; nothing was called."""


class MovieBusyError(ProviderError):
    """Another run holds the movie's lock."""


__all__ = ["BudgetRefusedError", "FileProblemError", "MovieBusyError"]
