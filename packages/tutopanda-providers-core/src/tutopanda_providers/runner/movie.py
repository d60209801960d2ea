"""A movie folder: its manifest, its event log, its overrides and its lock.

Layout::

    <movie>/
      manifest.json    the movie's current artefacts, job by job (mocked or live, cost, facts)
      events.jsonl     append-only log: run and job events, artefacts, remote job ids
      config.json      the per-movie overrides and the options of the last run
      providers.json   the model that served each producer in the last run
      blobs/           content-addressed blobs (unless the storage is another fsspec URL)
      .lock            held by the run in progress

Every JSON file is written whole to a temporary file and moved into place with ``os.replace``,
so a reader sees the old file or the new one, never half of one. A run holds ``.lock`` (a
:mod:`filelock` lock) from start to end, so two runs on the same movie cannot interleave.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tutopanda_providers.runner.errors import FileProblemError, MovieBusyError, file_access_error
from tutopanda_providers.runner.portable import locate_blobs, portable, portable_path

MANIFEST = "manifest.json"
EVENTS = "events.jsonl"
CONFIG = "config.json"
PROVIDERS = "providers.json"
LOCK = ".lock"

#: Event types the runner writes to ``events.jsonl``.
RUN_STARTED = "run.started"
RUN_FINISHED = "run.finished"
JOB_STARTED = "job.started"
JOB_SKIPPED = "job.skipped"
JOB_FAILED = "job.failed"
JOB_REMOTE = "job.remote_started"
JOB_CANCELED = "job.canceled"
RUN_INTERRUPTED = "run.interrupted"
ARTEFACT_PRODUCED = "artefact.produced"


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and ``os.replace``."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def manifest_text(manifest: Mapping[str, Any]) -> str:
    """The manifest as JSON text: one line per job, keys sorted.

    ``json.dumps(indent=2)`` runs the pure-Python encoder, which made rewriting the manifest
    the runner's largest cost per job; each line here is written by the C encoder.
    """

    def line(key: str, value: Any, pad: str) -> str:
        return f"{pad}{json.dumps(key)}: {json.dumps(value, sort_keys=True, default=str)}"

    top = [line(k, v, "  ") for k, v in sorted(manifest.items()) if k != "jobs"]
    jobs = manifest.get("jobs") or {}
    body = ",\n".join(line(str(k), jobs[k], "    ") for k in sorted(jobs))
    top.append('  "jobs": {' + (f"\n{body}\n  }}" if body else "}"))
    return "{\n" + ",\n".join(top) + "\n}\n"


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, ``fsync`` and ``os.replace``.

    A crash at any byte leaves the old file or the new one, never part of one.

    Raises:
        FileAccessError: the folder cannot be written (read-only, no permission, a file where
            the folder should be, disk full); the message names ``path`` and what to do.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise file_access_error(exc, str(path)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise file_access_error(exc, str(path)) from None
        raise
    _fsync_dir(path.parent)


def read_json(path: Path, default: Any) -> Any:
    """The JSON object in ``path``, or ``default`` when there is no such file.

    Raises:
        FileProblemError: the file is not a JSON object (a hand edit, a foreign tool); the
            message names it and says how to recover.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default
    except OSError as exc:
        raise file_access_error(exc, str(path)) from None
    except UnicodeDecodeError as exc:
        raise FileProblemError(
            str(path),
            [
                f"{path}: byte {exc.start} is not UTF-8 text; restore the file, or delete it "
                "to rebuild it (the event log keeps every artefact)"
            ],
        ) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise FileProblemError(
            str(path),
            [
                f"{path}:{getattr(exc, 'lineno', 1)}: not valid JSON ({exc}); restore it, "
                "or delete it to rebuild it (the event log keeps every artefact)"
            ],
        ) from None
    if not isinstance(data, dict):
        raise FileProblemError(
            str(path), [f"{path}:1: expected a JSON object; delete the file to rebuild it"]
        )
    return data


def _started_in_flight(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a ``job.started`` event leaves in flight: a live start may have sent a create.

    A start that resumed a remote job keeps that job's id; one that was itself looking for an
    earlier lost create keeps the earlier time, so a crash of the re-run loses neither.
    """
    if event.get("mode") != "live" or not isinstance(event.get("ts"), int | float):
        return None
    found = {
        "fingerprint": event.get("fingerprint"),
        "fingerprint_scheme": event.get("fingerprint_scheme"),
        "model": event.get("model"),
    }
    resume = event.get("resume") if isinstance(event.get("resume"), Mapping) else {}
    assert isinstance(resume, Mapping)
    remote = resume.get("remote_job_id") or resume.get("prediction_id")
    if isinstance(remote, str) and remote:
        return {"remote_job_id": remote, **found}
    since = resume.get("adopt_since")
    earlier = since if isinstance(since, int | float) else event["ts"]
    return {"sent_after": min(float(earlier), float(event["ts"])), **found}


class MovieStore:
    """Reads and writes one movie folder (see the module docs for its layout)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.movie_id = self.folder.resolve().name
        self._log_repaired = False
        #: Old folder URI -> current one, for records an older version wrote with absolute
        #: paths before the movie was moved (filled by :meth:`manifest`).
        self.relocations: dict[str, str] = {}

    @property
    def blobs_root(self) -> str:
        """The default blob folder."""
        return str(self.folder / "blobs")

    # -- lock ---------------------------------------------------------------------------
    @contextmanager
    def locked(
        self, timeout: float = 0.0, on_wait: Callable[[float], None] | None = None
    ) -> Iterator[None]:
        """Hold the movie's lock; raise :class:`MovieBusyError` if another run holds it.

        Args:
            timeout: seconds to wait for another run to release it (0: do not wait).
            on_wait: called with ``timeout`` once, when the lock is held by another run and
                this one starts waiting (the CLI says so).
        """
        from filelock import FileLock, Timeout

        # A run refused before it wrote anything (a bad override, over budget...) must not leave
        # behind a new, empty movie folder holding only the lock file.
        created = next(
            (p for p in reversed((self.folder, *self.folder.parents)) if not p.exists()), None
        )
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise file_access_error(exc, str(self.folder), what="the movie folder") from None
        if not self.folder.is_dir():
            raise file_access_error(
                FileExistsError(17, "is a file, not a folder"),
                str(self.folder),
                what="the movie folder",
            )
        lock = FileLock(str(self.folder / LOCK))
        try:
            try:
                lock.acquire(timeout=0)
            except Timeout:
                if timeout <= 0:
                    raise
                if on_wait is not None:
                    on_wait(timeout)
                lock.acquire(timeout=timeout)
        except Timeout:  # before OSError: filelock's Timeout is a TimeoutError
            waited = f" after waiting {timeout:g}s" if timeout > 0 else ""
            raise MovieBusyError(
                f"another run is using the movie at {self.folder} (it holds {LOCK}){waited}; "
                "wait for it to finish (--wait SECONDS waits for it) or use another --movie folder"
            ) from None
        except OSError as exc:
            raise file_access_error(exc, str(self.folder), what="the movie folder") from None
        refused = False
        try:
            yield
        except BaseException:
            refused = created is not None
            raise
        finally:
            lock.release()
            if refused and created is not None:
                self._remove_if_untouched(created)

    def _remove_if_untouched(self, created: Path) -> None:
        """Remove the movie folder (and the parents this run made, up to ``created``) if it
        holds nothing but the lock file (best effort)."""
        try:
            if {p.name for p in self.folder.iterdir()} <= {LOCK}:
                (self.folder / LOCK).unlink(missing_ok=True)
                folder = self.folder
                while True:
                    folder.rmdir()  # refuses a folder something else was put in meanwhile
                    if folder == created:
                        break
                    folder = folder.parent
        except OSError:
            pass  # another run came in, or the folder is not ours to clean: leave it

    # -- manifest -----------------------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        """The manifest (an empty one for a new movie), brought up to date from the event log.

        The runner appends every result to ``events.jsonl`` (with its manifest record) before it
        touches ``manifest.json``, and writes the manifest at most once a second during a run.
        Folding the log's records in here means a run that died between the two loses nothing:
        the next run sees every artefact that was produced, and pays for none of them again.
        """
        data: dict[str, Any] = read_json(self.folder / MANIFEST, {})
        data.setdefault("version", 1)
        data.setdefault("movie", self.movie_id)
        data.setdefault("jobs", {})
        for event in self.events():
            record = event.get("manifest_record")
            if event.get("type") == ARTEFACT_PRODUCED and isinstance(record, dict):
                data["jobs"][str(event.get("job_id"))] = record
        # Blob URIs are recorded relative to the movie (older movies: absolute): make them
        # point at where the movie is now (see runner/portable.py).
        data["jobs"] = locate_blobs(data["jobs"], self.folder, self.relocations)
        return data

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        """Replace the manifest atomically."""
        data = dict(manifest)
        data["jobs"] = portable(data.get("jobs") or {}, self.folder)
        data["updated_at"] = time.time()
        write_text_atomic(self.folder / MANIFEST, manifest_text(data))

    # -- event log ----------------------------------------------------------------------
    def append_event(self, event: Mapping[str, Any], *, durable: bool = False) -> None:
        """Append one event as one JSON line (one ``write`` call on an ``O_APPEND`` file).

        ``durable`` also flushes it to disk with ``fsync`` before returning (a remote job's id
        must survive the machine going down, not only the process). The first append of this
        store repairs a torn last line left by a crash (see :meth:`repair_event_log`), so a new
        event is never glued to half of an old one.

        Raises:
            FileAccessError: the movie folder cannot be written.
        """
        record = {"ts": time.time(), **portable(event, self.folder)}
        line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode("utf-8")
        try:
            if not self._log_repaired:
                self.folder.mkdir(parents=True, exist_ok=True)
                self.repair_event_log()
            fd = os.open(self.folder / EVENTS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
                if durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise file_access_error(exc, str(self.folder / EVENTS)) from None

    def repair_event_log(self) -> int:
        """Cut a torn last line (no final newline: a crash mid-write) off ``events.jsonl``.

        The torn line was never a whole event, so nothing it describes is trusted: the job it
        was about is done again or adopted by the next run. Call it with the lock held.

        Returns:
            The number of bytes cut (0 when the log is whole or absent).
        """
        self._log_repaired = True
        path = self.folder / EVENTS
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return 0
        try:
            size = os.fstat(fd).st_size
            if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
                return 0
            # Read back from the end to the last newline (an event line is small).
            keep = 0
            step = 64 * 1024
            end = size
            while end > 0:
                start = max(0, end - step)
                chunk = os.pread(fd, end - start, start)
                cut = chunk.rfind(b"\n")
                if cut >= 0:
                    keep = start + cut + 1
                    break
                end = start
            os.ftruncate(fd, keep)
            os.fsync(fd)
            return size - keep
        finally:
            os.close(fd)

    def events(self) -> list[dict[str, Any]]:
        """Every event so far; a torn last line (a crash mid-write) is left out.

        Raises:
            FileProblemError: a whole line that is not a JSON event (a hand edit, a foreign
                tool): the message names the line; the log is not built on until it is fixed.
        """
        path = self.folder / EVENTS
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise file_access_error(exc, str(path)) from None
        lines = raw.split(b"\n")
        # The piece after the last newline is empty for a whole log, a torn line otherwise.
        whole, _torn = lines[:-1], lines[-1]
        found: list[dict[str, Any]] = []
        for number, line in enumerate(whole, start=1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except ValueError:
                event = None
            if not isinstance(event, dict):
                raise FileProblemError(
                    str(path),
                    [
                        f"{path}:{number}: not a JSON event; restore the line or delete it "
                        "(the events after it are kept)"
                    ],
                )
            found.append(event)
        return found

    def in_flight(self) -> dict[str, dict[str, Any]]:
        """Live jobs started and never finished, by job id.

        Each is ``{remote_job_id, fingerprint, fingerprint_scheme, model}`` once a remote job
        was reported, else ``{sent_after, fingerprint, fingerprint_scheme, model}`` (a live
        start logged before its create was sent: the create may have reached the provider).
        Logs written before the remote-job callback said ``prediction_id``, and are read the
        same way. A job canceled when a run was stopped (``job.canceled``, or listed as canceled
        by ``run.interrupted``) is not in flight: its remote job was canceled, and the next run
        starts it afresh.
        """
        pending: dict[str, dict[str, Any]] = {}
        for event in self.events():
            if event.get("type") == RUN_INTERRUPTED:
                # The stop canceled these jobs' remote jobs, even if a job's own job.canceled
                # line was never written: none of them is ever resumed.
                for canceled in event.get("canceled") or ():
                    pending.pop(str(canceled), None)
                continue
            job = event.get("job_id")
            if not isinstance(job, str):
                continue
            kind = event.get("type")
            if kind == JOB_STARTED:
                started = _started_in_flight(event)
                if started is None:
                    pending.pop(job, None)
                else:
                    pending[job] = started
            elif kind == JOB_REMOTE:
                pending[job] = {
                    "remote_job_id": event.get("remote_job_id") or event.get("prediction_id"),
                    "fingerprint": event.get("fingerprint"),
                    "fingerprint_scheme": event.get("fingerprint_scheme"),
                    "model": event.get("model"),
                }
            elif kind in (ARTEFACT_PRODUCED, JOB_FAILED, JOB_CANCELED):
                pending.pop(job, None)
        return pending

    def remote_job_ids(self) -> set[str]:
        """Every remote job id this movie's event log names (claimed by one of its jobs)."""
        found: set[str] = set()
        for event in self.events():
            remote = event.get("remote_job_id") or event.get("prediction_id")
            if isinstance(remote, str) and remote:
                found.add(remote)
        return found

    # -- overrides and selections -------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """``config.json``: ``{"overrides": {...}, ...}``."""
        path = self.folder / CONFIG
        data: dict[str, Any] = read_json(path, {})
        overrides = data.setdefault("overrides", {})
        bad = (
            ["overrides must be an object of producer = provider/model"]
            if not isinstance(overrides, dict)
            else [
                f"overrides.{name} = {value!r} is not a provider/model string"
                for name, value in overrides.items()
                if not isinstance(value, str)
            ]
        )
        if bad:
            raise FileProblemError(
                str(path),
                [f"{path}: {b}; fix it, or pass --clear-overrides to drop them" for b in bad],
            )
        return data

    def write_config(self, config: Mapping[str, Any]) -> None:
        """Replace ``config.json`` atomically (``storage`` relative to the movie when the blobs
        are inside it, so the folder can move)."""
        data = dict(config)
        if isinstance(data.get("storage"), str):
            data["storage"] = portable_path(data["storage"], self.folder)
        write_json_atomic(self.folder / CONFIG, data)

    def providers(self) -> dict[str, Any]:
        """``providers.json``: the selections of the last run."""
        data: dict[str, Any] = read_json(self.folder / PROVIDERS, {})
        return data

    def write_providers(self, selections: Mapping[str, Any]) -> None:
        """Replace ``providers.json`` atomically."""
        write_json_atomic(self.folder / PROVIDERS, dict(selections))


__all__ = [
    "ARTEFACT_PRODUCED",
    "CONFIG",
    "EVENTS",
    "JOB_CANCELED",
    "JOB_FAILED",
    "JOB_REMOTE",
    "JOB_SKIPPED",
    "JOB_STARTED",
    "MANIFEST",
    "PROVIDERS",
    "RUN_FINISHED",
    "RUN_INTERRUPTED",
    "RUN_STARTED",
    "MovieStore",
    "manifest_text",
    "read_json",
    "write_json_atomic",
    "write_text_atomic",
]
