"""A movie's records (event log, manifest, config, selections) in a folder or object storage.

Layout under the movie's URL (``s3://bucket/movies/<movie>`` or a folder)::

    events/<segment>.jsonl   the event log, one object per write of the lesson workflow
    manifest.json            every job's current record (rewritten whole by the workflow)
    config.json              overrides remembered by the movie, last plan, mode
    providers.json           which model served each producer in the last run

Object stores have no append, and several workers write at once; so only the lesson workflow
writes (one workflow per movie: its id is the movie's id), and each write of the log creates a
new segment object whose name sorts after the earlier ones. A retried write puts the same bytes
under the same name: no entry is lost or written twice. :class:`ObjectMovie` reads the movie back
for a preview (up-to-date jobs, remembered overrides, remote jobs left in flight).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutopanda_providers.runner.errors import FileProblemError
from tutopanda_providers.runner.movie import (
    ARTEFACT_PRODUCED,
    CONFIG,
    MANIFEST,
    PROVIDERS,
    MovieStore,
    manifest_text,
)

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

#: The folder of event-log segments under the movie's URL.
EVENTS_DIR = "events"


def movie_id_of(url: str) -> str:
    """The movie's id: the last part of its folder or URL (``s3://b/movies/m1`` -> ``m1``)."""
    if "://" in url:
        name = posixpath.basename(url.split("://", 1)[1].rstrip("/"))
    else:
        name = Path(url).resolve().name
    if not name:
        raise ValueError(f"the movie location {url!r} names no movie; end it with the movie's name")
    return name


class ObjectMovie(MovieStore):
    """A movie kept at a folder or fsspec URL, read and written whole-object by whole-object.

    Args:
        url: the movie's location (``s3://bucket/movies/m1``, ``memory://m1`` or a folder).
        storage_options: passed to fsspec (credentials and endpoint are also read from the
            environment, as s3fs does: ``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL`` ...).
    """

    def __init__(self, url: str, **storage_options: Any) -> None:
        super().__init__(url if "://" not in url else movie_id_of(url))
        self.url = url.rstrip("/") if "://" in url else str(Path(url).resolve())
        self.movie_id = movie_id_of(url)
        self._storage_options = storage_options
        self._fs: AbstractFileSystem | None = None
        self._root = ""

    @property
    def blobs_root(self) -> str:
        """The default blob location: ``<movie>/blobs``."""
        return f"{self.url}/blobs"

    @property
    def fs(self) -> AbstractFileSystem:
        """The fsspec filesystem of the movie's URL."""
        if self._fs is None:
            from fsspec.core import url_to_fs

            self._fs, self._root = url_to_fs(self.url, **self._storage_options)
        return self._fs

    def _path(self, *parts: str) -> str:
        _ = self.fs  # resolves the URL's root path on first use
        return "/".join([self._root.rstrip("/"), *parts])

    def _read_json(self, name: str) -> dict[str, Any]:
        path = self._path(name)
        try:
            raw = self.fs.cat_file(path)
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            raise FileProblemError(
                f"{self.url}/{name}", [f"{self.url}/{name}: not JSON; delete it to rebuild it"]
            ) from None
        if not isinstance(data, dict):
            raise FileProblemError(
                f"{self.url}/{name}", [f"{self.url}/{name}: expected a JSON object"]
            )
        return data

    def _write(self, name: str, text: str) -> None:
        path = self._path(name)
        self.fs.makedirs(posixpath.dirname(path), exist_ok=True)
        # One PUT of the whole object: readers see the old or the new file, never a mix.
        self.fs.pipe_file(path, text.encode("utf-8"))

    # -- reading ------------------------------------------------------------------------
    def segments(self) -> list[str]:
        """The event-log segments' names, oldest first (their names sort in write order)."""
        folder = self._path(EVENTS_DIR)
        self.fs.invalidate_cache(folder)
        try:
            found = self.fs.ls(folder, detail=False)
        except FileNotFoundError:
            return []
        return sorted(posixpath.basename(str(p)) for p in found if str(p).endswith(".jsonl"))

    def events(self) -> list[dict[str, Any]]:
        """Every event of the movie, segment by segment."""
        found: list[dict[str, Any]] = []
        for name in self.segments():
            raw = self.fs.cat_file(self._path(EVENTS_DIR, name)).decode("utf-8")
            for number, line in enumerate(raw.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    event = None
                if not isinstance(event, dict):
                    where = f"{self.url}/{EVENTS_DIR}/{name}:{number}"
                    raise FileProblemError(where, [f"{where}: not a JSON event; restore it"])
                found.append(event)
        return found

    def manifest(self) -> dict[str, Any]:
        """The manifest, brought up to date from the event log (as :class:`MovieStore` does)."""
        data = self._read_json(MANIFEST)
        data.setdefault("version", 1)
        data.setdefault("movie", self.movie_id)
        data.setdefault("jobs", {})
        for event in self.events():
            record = event.get("manifest_record")
            if event.get("type") == ARTEFACT_PRODUCED and isinstance(record, dict):
                data["jobs"][str(event.get("job_id"))] = record
        return data

    def config(self) -> dict[str, Any]:
        """``config.json`` (``{"overrides": {...}, ...}``)."""
        data = self._read_json(CONFIG)
        overrides = data.setdefault("overrides", {})
        if not isinstance(overrides, dict) or not all(
            isinstance(v, str) for v in overrides.values()
        ):
            raise FileProblemError(
                f"{self.url}/{CONFIG}",
                [f"{self.url}/{CONFIG}: overrides must map producers to provider/model strings"],
            )
        return data

    def providers(self) -> dict[str, Any]:
        """``providers.json``: the selections of the last run."""
        return self._read_json(PROVIDERS)

    # -- writing (the lesson workflow's activities only) --------------------------------
    def write_segment(self, name: str, events: Sequence[Mapping[str, Any]]) -> None:
        """Create the event-log segment ``name`` holding ``events`` (one JSON line each)."""
        text = "".join(json.dumps(dict(e), sort_keys=True, default=str) + "\n" for e in events)
        self._write(f"{EVENTS_DIR}/{name}.jsonl", text)

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        """Replace ``manifest.json``."""
        import time

        data = dict(manifest)
        data["updated_at"] = time.time()
        self._write(MANIFEST, manifest_text(data))

    def write_config(self, config: Mapping[str, Any]) -> None:
        """Replace ``config.json``."""
        self._write(CONFIG, json.dumps(dict(config), indent=2, sort_keys=True, default=str))

    def write_providers(self, selections: Mapping[str, Any]) -> None:
        """Replace ``providers.json``."""
        self._write(PROVIDERS, json.dumps(dict(selections), indent=2, sort_keys=True))

    def append_event(self, event: Mapping[str, Any], *, durable: bool = False) -> None:
        """Not available: an object store has no append; the workflow writes segments."""
        raise NotImplementedError(
            "a movie in object storage is written by its lesson workflow, in segments"
        )


__all__ = ["EVENTS_DIR", "ObjectMovie", "movie_id_of"]
