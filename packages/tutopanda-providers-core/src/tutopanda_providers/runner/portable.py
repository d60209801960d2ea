"""A movie is a folder you can move: nothing recorded in it depends on where it lies.

* Blob references (``{"uri", "sha256", "size", "mime"}``) under the movie folder are written
  to ``manifest.json`` and ``events.jsonl`` relative to the movie (``blobs/ab/ab12….png``) and
  read back as ``file://`` URIs of wherever the movie now is.
* Older movies recorded absolute ``file://`` URIs. They still work in place; once the folder
  has moved, a recorded URI whose file is gone is found again by its hash under the movie's
  ``blobs/`` folder (:func:`locate_blobs`), and the next manifest write makes it relative.
* Fingerprints (is a job up to date?) see an upstream blob in a job's inputs as
  ``blob:<sha256>``, not as its path (:func:`location_free`): moving the movie changes no
  fingerprint, so a re-run pays for nothing it already has.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from tutopanda_providers.contracts import Artefact


def _is_blob(value: Mapping[str, Any]) -> bool:
    return isinstance(value.get("uri"), str) and isinstance(value.get("sha256"), str)


def _file_path(uri: str) -> Path | None:
    """The local path of a ``file://`` URI, else ``None``."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def _walk(value: Any, change: Any) -> Any:
    """``value`` with ``change`` applied to every blob reference inside it (a copy)."""
    if isinstance(value, Mapping):
        if _is_blob(value):
            return change(dict(value))
        return {k: _walk(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, change) for v in value]
    return value


def portable(value: Any, folder: Path) -> Any:
    """``value`` (a manifest record, an event) with the blob URIs under ``folder`` made
    relative to it (POSIX separators, no scheme); others are left as they are."""
    root = folder.resolve()

    def change(blob: dict[str, Any]) -> dict[str, Any]:
        path = _file_path(blob["uri"])
        # A blob stored outside the movie (--storage elsewhere) keeps its URI.
        if path is not None and path.is_relative_to(root):
            blob["uri"] = PurePosixPath(*path.relative_to(root).parts).as_posix()
        return blob

    return _walk(value, change)


def locate_blobs(value: Any, folder: Path, relocations: dict[str, str] | None = None) -> Any:
    """``value`` with every blob URI made a ``file://`` URI of where the blob is now.

    A relative URI is taken against ``folder``. An absolute ``file://`` URI whose file is gone
    (the movie moved since an older version recorded it) is looked for by its hash in
    ``folder/blobs``; when found there, the old folder's URI prefix is added to
    ``relocations`` (old → new), so a fingerprint recorded with old paths can be recognised.
    """
    root = folder.resolve()

    def change(blob: dict[str, Any]) -> dict[str, Any]:
        uri = blob["uri"]
        if "://" not in uri:
            blob["uri"] = (root / uri).as_uri()
            return blob
        path = _file_path(uri)
        if path is None or path.exists():
            return blob
        sha = blob["sha256"]
        moved = root / "blobs" / sha[:2] / path.name
        if path.name.startswith(sha) and moved.exists():
            blob["uri"] = moved.as_uri()
            old_root = path.parents[2]  # <old movie>/blobs/ab/<name> -> <old movie>
            if relocations is not None and path.parent.parent.name == "blobs":
                relocations[old_root.as_uri()] = root.as_uri()
        return blob

    return _walk(value, change)


def location_free(payload: Any, upstream: Mapping[str, Artefact]) -> Any:
    """``payload`` with each upstream blob's URI replaced by ``blob:<sha256>`` (for
    fingerprints: the same inputs wherever the movie lies)."""
    uris = {a.blob.uri: f"blob:{a.blob.sha256}" for a in upstream.values() if a.blob is not None}
    if not uris:
        return payload

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return uris.get(value, value)
        if isinstance(value, Mapping):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(payload)


def relocated(payload: Any, relocations: Mapping[str, str]) -> list[Any]:
    """``payload`` as an older run recorded it before the movie moved: one variant per
    relocation (new folder URI prefix put back to the old one)."""
    variants = []
    for old, new in relocations.items():

        def walk(value: Any, old: str = old, new: str = new) -> Any:
            if isinstance(value, str) and value.startswith(new + "/"):
                return old + value[len(new) :]
            if isinstance(value, Mapping):
                return {k: walk(v) for k, v in value.items()}
            if isinstance(value, list):
                return [walk(v) for v in value]
            return value

        variants.append(walk(payload))
    return variants


def portable_path(path: str, folder: Path) -> str:
    """A storage path as ``config.json`` records it: relative to the movie when inside it."""
    if "://" in path and not path.startswith("file://"):
        return path
    try:
        return Path(path.removeprefix("file://")).resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return path


def stored_path(path: str, folder: Path) -> str:
    """The inverse of :func:`portable_path`: a storage path from ``config.json`` made usable
    from anywhere (a relative path is the movie folder's; a URL stays as it is)."""
    if "://" in path and not path.startswith("file://"):
        return path
    local = Path(path.removeprefix("file://"))
    return str(local if local.is_absolute() else folder / local)


__all__ = [
    "locate_blobs",
    "location_free",
    "portable",
    "portable_path",
    "relocated",
    "stored_path",
]
