"""Errors of the runner: bad files, refused budgets, a movie in use.

Each maps to one exit code of the ``tutopanda-providers`` command (see ``docs/cli.md``).
"""

from __future__ import annotations

from collections.abc import Sequence

from tutopanda_providers.contracts import (
    BudgetExceededError,
    ConfigurationError,
    ErrorKind,
    ProviderError,
)


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


class FileAccessError(ProviderError):
    """A file or folder the command must read or write cannot be used (exit code 6).

    ``path`` is the file or folder; the message says what is wrong and what to do.
    """

    default_kind = ErrorKind.STORAGE

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(message, details={"path": path})


def file_access_error(exc: OSError, path: str | None = None, *, what: str = "") -> FileAccessError:
    """A :class:`FileAccessError` for ``exc``, naming the path and what to do about its errno.

    Args:
        exc: the operating system's error.
        path: the path to name (default: the error's own ``filename``).
        what: what the path is, for the message ("the movie folder").
    """
    import errno

    name = path or (str(exc.filename) if exc.filename is not None else "?")
    label = f"{what} {name}" if what else name
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "it is not writable (read-only or no permission); fix its permissions or choose another --movie folder"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
        fix = (
            "a file stands where a folder is needed; choose another --movie folder or move the file"
        )
    elif exc.errno == errno.EISDIR:
        fix = "a folder stands where a file is needed; move it away"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "the disk is full; free some space and run again (finished jobs are kept)"
    elif exc.errno == errno.ENOENT:
        fix = "it does not exist; check the path"
    else:
        fix = "check the path and its permissions"
    return FileAccessError(name, f"{label}: {reason}; {fix}")


__all__ = [
    "BudgetRefusedError",
    "FileAccessError",
    "FileProblemError",
    "MovieBusyError",
    "file_access_error",
]
