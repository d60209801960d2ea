"""The exit codes of ``tutopanda-providers`` (documented in ``docs/cli.md``)."""

from __future__ import annotations

#: Everything worked.
OK = 0
#: The command ran, but one or more jobs failed (or ``doctor`` found nothing fatal but warned).
JOBS_FAILED = 1
#: Bad usage or configuration: unknown option, invalid plan or settings, unknown model,
#: inputs a model refuses (a dry run that found problems).
USAGE = 2
#: A live run was refused because its estimate exceeds ``--max-cost``; nothing was called.
BUDGET = 3
#: A provider, secret or plugin problem: auth failed, a secret is missing, a warm start failed.
PROVIDER = 4
#: Another run holds the movie's lock.
BUSY = 5

__all__ = ["BUDGET", "BUSY", "JOBS_FAILED", "OK", "PROVIDER", "USAGE"]
