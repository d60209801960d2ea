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
#: A file or folder the command must read or write cannot be used: a movie folder that is a
#: file or read-only, a full disk, storage that refuses writes.
FILES = 6
#: An unexpected error (a bug): one line on stderr, the full trace written to a crash file.
INTERNAL = 70
#: Stopped by Ctrl-C (SIGINT), as shells report it (128 + 2).
INTERRUPTED = 130
#: Stopped by SIGTERM (what a container or CI runner sends), as shells report it (128 + 15);
#: ``run`` stops the same way as on Ctrl-C: remote jobs canceled, a summary, how to resume.
TERMINATED = 143

__all__ = [
    "BUDGET",
    "BUSY",
    "FILES",
    "INTERNAL",
    "INTERRUPTED",
    "JOBS_FAILED",
    "OK",
    "PROVIDER",
    "TERMINATED",
    "USAGE",
]
