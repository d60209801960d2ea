"""The human view of a movie: one file per artefact, named after its job, in ``<movie>/files/``.

Blobs are content-addressed (``blobs/21/21b8…d58f.jpg``), which suits the runner and nobody
else. After each run the runner lays out ``files/`` from the manifest::

    files/script.json        the script (inline JSON artefacts are written out as JSON)
    files/prompts.json
    files/narration_0.mp3    hard link to the stored blob (a copy when linking fails:
    files/image_0.jpg        another file system, or a store that is not a local folder)
    files/video_0.mp4

A job with several artefacts gets ``<job>.<ext>`` for the first and ``<job>-<name>.<ext>`` for
the others. Each file is written beside its final name and moved into place with
``os.replace``, so a reader sees the old file or the new one; files of jobs that are no longer
in the manifest are removed. The links share the blob's bytes: edit a copy, not these files.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import Artefact
from tutopanda_providers.contracts.media import suffix_for
from tutopanda_providers.runner.errors import file_access_error
from tutopanda_providers.runner.recording import artefacts_from

if TYPE_CHECKING:
    from tutopanda_providers.storage import BlobStore

#: The folder of the human view, inside the movie.
FILES = "files"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ViewFile:
    """One file of the human view.

    Attributes:
        job: the job that made it.
        name: the file's name inside ``files/`` (``narration_0.mp3``).
        artefact: the artefact it shows.
        linked: ``True`` when it is a hard link to the blob, ``False`` when a copy or written
            out from inline data.
    """

    job: str
    name: str
    artefact: Artefact
    linked: bool


def view_name(job_id: str, artefact: Artefact, position: int) -> str:
    """The file name of a job's ``position``-th artefact (``image_0.jpg``, ``music-stems.wav``)."""
    stem = _UNSAFE.sub("_", job_id).strip("._") or "job"
    if position:
        stem += "-" + (_UNSAFE.sub("_", artefact.name).strip("._") or str(position))
    if artefact.blob is None:
        suffix = ".txt" if artefact.text is not None and artefact.data is None else ".json"
    else:
        suffix = Path(artefact.blob.uri).suffix or suffix_for(artefact.blob.mime or artefact.mime)
    return stem + suffix


def _inline_bytes(artefact: Artefact) -> bytes:
    if artefact.data is not None:
        return (json.dumps(artefact.data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return (artefact.text or "").encode("utf-8")


def _place(folder: Path, name: str, artefact: Artefact, store: BlobStore) -> bool:
    """Put one file at ``folder/name`` atomically; return True when it is a hard link."""
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    linked = False
    try:
        if artefact.blob is None:
            tmp.write_bytes(_inline_bytes(artefact))
        else:
            source = store.local_path(artefact.blob)
            if source is not None:
                try:
                    os.link(source, tmp)
                    linked = True
                except OSError:  # another device, links not allowed: copy instead
                    shutil.copyfile(source, tmp)
            else:
                tmp.write_bytes(store.read_bytes(artefact.blob))
        os.replace(tmp, folder / name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return linked


def write_view(
    movie_folder: str | Path, manifest: Mapping[str, Any], store: BlobStore
) -> list[ViewFile]:
    """Lay out ``<movie>/files/`` from ``manifest`` (see the module docs).

    Artefacts whose blob is gone are left out (``status`` reports them as missing).

    Returns:
        The files of the view, in the manifest's job order.

    Raises:
        FileAccessError: the folder cannot be written.
    """
    folder = Path(movie_folder) / FILES
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise file_access_error(exc, str(folder), what="the movie's files folder") from None
    made: list[ViewFile] = []
    for job_id, record in manifest.get("jobs", {}).items():
        if not isinstance(record, Mapping) or record.get("status") != "succeeded":
            continue
        for position, artefact in enumerate(artefacts_from(record)):
            if artefact.blob is not None and not store.exists(artefact.blob):
                continue
            name = view_name(str(job_id), artefact, position)
            try:
                linked = _place(folder, name, artefact, store)
            except OSError as exc:
                raise file_access_error(exc, str(folder / name)) from None
            made.append(ViewFile(str(job_id), name, artefact, linked))
    keep = {f.name for f in made}
    for old in folder.iterdir():
        if old.name not in keep and old.is_file():
            with contextlib.suppress(OSError):  # a reader on Windows may hold it; next run
                old.unlink()
    return made


def write_text_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace`` (no fsync: the
    view is rebuilt from the manifest by every run)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the page is for whoever reads the movie
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = [
    "FILES",
    "ViewFile",
    "view_name",
    "write_text_file",
    "write_view",
]
