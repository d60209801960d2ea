"""Content-addressed blob storage on any fsspec filesystem.

Handlers write media through a :class:`BlobStore` handed to them in the request. Bytes are
streamed into a temporary file while their sha256 and size are computed; only a complete,
verified blob is moved to its final name ``<root>/<sha[:2]>/<sha256><suffix>``. A reader never
sees a partial file under a final name, and an aborted write leaves nothing behind.

The root is a local folder by default; any fsspec URL (``memory://``, ``s3://bucket/path``)
works. fsspec is imported on first use of a remote root, never for a local folder.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterable, Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import BlobRef, ErrorKind, ProviderError, TransientError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem


class StorageError(ProviderError):
    """Writing or reading a blob failed (disk full, permission denied, missing blob).

    Its kind is ``storage``: not retried, and no fallback is tried (every model writes to the
    same storage), so the run stops with this error, not with a symptom of it.
    """

    default_kind = ErrorKind.STORAGE


class BlobWriter:
    """Streams bytes into a temporary file, hashing as it goes; :meth:`commit` publishes it.

    Use as a context manager: leaving the block without ``commit()`` (or with an exception)
    deletes the temporary file.
    """

    def __init__(self, store: BlobStore, mime: str, suffix: str) -> None:
        self._store = store
        self.mime = mime
        self.suffix = suffix
        self._hash = hashlib.sha256()
        self.size = 0
        fd, name = tempfile.mkstemp(prefix="blob-", suffix=".partial", dir=store.tmp_dir)
        self._file = os.fdopen(fd, "wb")
        self._tmp = Path(name)
        self._done = False

    def write(self, data: bytes) -> None:
        """Append ``data``."""
        try:
            self._file.write(data)
        except OSError as exc:
            self.abort()
            raise StorageError(
                f"could not write a blob to {self._store.root}: {exc.strerror or exc}. "
                "Free disk space or fix the folder's permissions, then run again."
            ) from exc
        self._hash.update(data)
        self.size += len(data)

    def commit(
        self, *, expected_size: int | None = None, expected_sha256: str | None = None
    ) -> BlobRef:
        """Verify and publish the blob; return its reference.

        Raises:
            TransientError: the content is empty or shorter/other than expected (a truncated
                download); nothing is published.
        """
        # On disk before it is published: a rename that outlives a crash never shows a blob of
        # the right size with missing bytes (``exists`` checks only the size).
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            self.abort()
            raise StorageError(
                f"could not write a blob to {self._store.root}: {exc.strerror or exc}. "
                "Free disk space or fix the folder's permissions, then run again."
            ) from exc
        self._file.close()
        sha = self._hash.hexdigest()
        problem = None
        if self.size == 0:
            problem = "the content is empty"
        elif expected_size is not None and self.size != expected_size:
            problem = f"got {self.size} bytes where {expected_size} were announced"
        elif expected_sha256 is not None and sha != expected_sha256:
            problem = "the sha256 does not match"
        if problem:
            self.abort()
            raise TransientError(f"incomplete blob not stored: {problem}")
        try:
            ref = self._store._publish(self._tmp, sha, self.size, self.mime, self.suffix)
        finally:
            self._tmp.unlink(missing_ok=True)
            self._done = True
        return ref

    def abort(self) -> None:
        """Drop the temporary file; nothing is published."""
        if not self._file.closed:
            self._file.close()
        self._tmp.unlink(missing_ok=True)
        self._done = True

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._done:
            self.abort()


class BlobStore:
    """Content-addressed blobs under ``root`` (a folder or an fsspec URL).

    Args:
        root: ``./artefacts/blobs`` or ``memory://blobs`` or ``s3://bucket/blobs``.
        storage_options: passed to ``fsspec.url_to_fs``.
    """

    def __init__(self, root: str | os.PathLike[str], **storage_options: Any) -> None:
        self.root = str(root)
        self._options = storage_options
        self._fs: AbstractFileSystem | None = None
        self._path = ""
        self._tmp_dir: str | None = None

    @property
    def is_local(self) -> bool:
        """True when the root is a plain local folder."""
        return "://" not in self.root or self.root.startswith("file://")

    @property
    def fs(self) -> AbstractFileSystem:
        """The fsspec filesystem (imported and created on first use)."""
        if self._fs is None:
            from fsspec.core import url_to_fs

            self._fs, self._path = url_to_fs(self.root, **self._options)
        return self._fs

    @property
    def tmp_dir(self) -> str:
        """Folder for partial writes: beside the blobs when local (so publishing is a rename)."""
        if self._tmp_dir is None:
            if self.is_local:
                path = Path(self.root.removeprefix("file://")) / ".tmp"
                path.mkdir(parents=True, exist_ok=True)
                self._tmp_dir = str(path)
            else:
                self._tmp_dir = tempfile.mkdtemp(prefix="tutopanda-blobs-")
        return self._tmp_dir

    def open_writer(self, *, mime: str, suffix: str = "") -> BlobWriter:
        """A writer for one blob; see :class:`BlobWriter`."""
        try:
            return BlobWriter(self, mime, suffix)
        except OSError as exc:
            raise StorageError(
                f"cannot create a blob under {self.root}: {exc.strerror or exc}. "
                "Check the folder exists and is writable."
            ) from exc

    def write_bytes(self, data: bytes, *, mime: str, suffix: str = "") -> BlobRef:
        """Store ``data`` and return its reference."""
        with self.open_writer(mime=mime, suffix=suffix) as writer:
            writer.write(data)
            return writer.commit()

    def write_chunks(self, chunks: Iterable[bytes], *, mime: str, suffix: str = "") -> BlobRef:
        """Store an iterable of chunks without holding them all in memory."""
        with self.open_writer(mime=mime, suffix=suffix) as writer:
            for chunk in chunks:
                writer.write(chunk)
            return writer.commit()

    async def write_stream(
        self,
        chunks: AsyncIterable[bytes],
        *,
        mime: str,
        suffix: str = "",
        expected_size: int | None = None,
    ) -> BlobRef:
        """Store an async stream of chunks; a stream shorter than ``expected_size`` is refused."""
        with self.open_writer(mime=mime, suffix=suffix) as writer:
            async for chunk in chunks:
                writer.write(chunk)
            return writer.commit(expected_size=expected_size)

    def key_for(self, sha256: str, suffix: str = "") -> str:
        """The path (inside the filesystem) of a blob."""
        base = self.root.removeprefix("file://") if self.is_local else self._path_or_root()
        return f"{base.rstrip('/')}/{sha256[:2]}/{sha256}{suffix}"

    def uri_for(self, key: str) -> str:
        """The URI recorded in a :class:`BlobRef`."""
        if self.is_local:
            return Path(key).resolve().as_uri()
        protocol = self.fs.protocol
        scheme = protocol[0] if isinstance(protocol, (tuple, list)) else protocol
        return f"{scheme}://{key.lstrip('/')}" if "://" not in key else key

    def read_bytes(self, ref: BlobRef) -> bytes:
        """Read a blob back (small blobs; use :meth:`local_path` for media files).

        Raises:
            StorageError: the blob is not in this store.
        """
        key = self._key_from_uri(ref.uri)
        try:
            if self.is_local:
                return Path(key).read_bytes()
            with self.fs.open(key, "rb") as fh:
                data: bytes = fh.read()
            return data
        except (OSError, KeyError) as exc:
            raise StorageError(
                f"blob {ref.sha256[:12]} is not in {self.root}: {exc}", kind=ErrorKind.NOT_FOUND
            ) from exc

    def local_path(self, ref: BlobRef) -> Path | None:
        """The blob's local path, or ``None`` when the store is not a local folder."""
        return Path(self._key_from_uri(ref.uri)) if self.is_local else None

    def exists(self, ref: BlobRef) -> bool:
        """True when the blob is stored with the recorded size."""
        key = self._key_from_uri(ref.uri)
        try:
            if self.is_local:
                return Path(key).stat().st_size == ref.size
            return bool(self.fs.exists(key)) and int(self.fs.size(key)) == ref.size
        except OSError:
            return False

    def _path_or_root(self) -> str:
        _ = self.fs
        return self._path

    def _key_from_uri(self, uri: str) -> str:
        if self.is_local:
            from urllib.parse import unquote, urlparse

            return unquote(urlparse(uri).path)
        return uri

    def _publish(self, tmp: Path, sha: str, size: int, mime: str, suffix: str) -> BlobRef:
        key = self.key_for(sha, suffix)
        try:
            if self.is_local:
                Path(key).parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, key)
            else:
                self.fs.makedirs(key.rsplit("/", 1)[0], exist_ok=True)
                self.fs.put_file(str(tmp), key)
        except OSError as exc:
            raise StorageError(
                f"could not store a blob at {key}: {exc.strerror or exc}. "
                "Free disk space or fix permissions, then run again."
            ) from exc
        return BlobRef(uri=self.uri_for(key), sha256=sha, size=size, mime=mime)


__all__ = ["BlobRef", "BlobStore", "BlobWriter", "StorageError"]
