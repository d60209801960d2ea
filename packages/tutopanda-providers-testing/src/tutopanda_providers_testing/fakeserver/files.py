"""Output files a fake server hosts, as a provider's CDN would: by URL, with Range support,
expiry, and the download faults (truncated, slow, expired).

    url = server.files.put(png_bytes, "image/png", name="output.png")
    server.files.expire()            # every URL so far answers 404, as after the CDN's hour
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from typing import Protocol

from tutopanda_providers_testing.fakeserver.reply import Reply
from tutopanda_providers_testing.faults import Fault, FaultKind
from tutopanda_providers_testing.requestlog import RecordedRequest, RequestLog


class FileServer(Protocol):
    """What a :class:`FileHost` needs of its server (a ``FakeServer`` has it).

    A protocol, not the server class: the server creates its file host, so this module must
    not import it back.
    """

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``, the start of every file URL."""
        ...

    @property
    def log(self) -> RequestLog:
        """Where the ``files_served`` counter is kept."""
        ...


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class HostedFile:
    """One hosted file: its bytes and media type."""

    data: bytes
    mime: str


class FileHost:
    """The files one server hosts under ``prefix`` (route ``file``, served without auth).

    Thread-safe. A ``GET`` with ``Range: bytes=a-b`` (one range) answers 206 with
    ``Content-Range``; an unsatisfiable range answers 416. Faults on route ``file``:
    ``Fault.expired(404|410)``, ``Fault.truncated_download()``, ``Fault.slow_download(s)``.
    """

    def __init__(self, server: FileServer, *, prefix: str = "/files") -> None:
        self._server = server
        self.prefix = prefix.rstrip("/")
        self._lock = threading.Lock()
        self._files: dict[str, HostedFile] = {}
        self._expired: set[str] = set()

    def put(self, data: bytes, mime: str, *, name: str = "output", key: str | None = None) -> str:
        """Host ``data`` and return its absolute URL. ``key`` is the path under the prefix
        (default: a random folder and ``name``)."""
        key = key or f"{secrets.token_hex(8)}/{name}"
        with self._lock:
            self._files[key] = HostedFile(data, mime)
        return self.url(key)

    def url(self, key: str) -> str:
        """The absolute URL of the file ``key`` (the server must be running)."""
        return f"{self._server.origin}{self.prefix}/{key}"

    def get(self, key: str) -> HostedFile | None:
        """The file ``key``, expired or not, or ``None``."""
        with self._lock:
            return self._files.get(key)

    @property
    def keys(self) -> list[str]:
        """Every hosted key, in the order they were put."""
        with self._lock:
            return list(self._files)

    def expire(self, key: str | None = None) -> None:
        """Make ``key`` (default: every file so far) answer 404 from now on."""
        with self._lock:
            self._expired.update([key] if key is not None else self._files)

    def serve(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        """Answer a download (the route handler of ``file``)."""
        key = request.params.get("key") or request.path.removeprefix(self.prefix + "/")
        with self._lock:
            entry = self._files.get(key)
            expired = key in self._expired
        if fault is not None and fault.kind is FaultKind.EXPIRED:
            expired = True
        if entry is None or expired:
            status = fault.status_code if fault and fault.status_code else 404
            return Reply(status, b"Not Found", content_type="text/plain")
        reply = _ranged(entry, request.header("range"))
        if fault is not None and fault.kind is FaultKind.TRUNCATED_DOWNLOAD:
            reply.truncate = True
        elif fault is not None and fault.kind is FaultKind.SLOW_DOWNLOAD:
            reply.trickle_seconds = fault.delay
        self._server.log.count("files_served")
        return reply


def _ranged(entry: HostedFile, header: str | None) -> Reply:
    size = len(entry.data)
    plain = Reply(200, entry.data, content_type=entry.mime, headers={"Accept-Ranges": "bytes"})
    match = _RANGE.match(header.strip()) if header else None
    if match is None or not (match.group(1) or match.group(2)):
        # No Range, or one this host does not parse (several ranges): the whole file, as
        # RFC 9110 allows.
        return plain
    first, last = match.group(1), match.group(2)
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:  # a suffix range: the last N bytes
        start, end = max(0, size - int(last)), size - 1
    if start >= size or start > end:
        return Reply(
            416,
            b"",
            content_type="text/plain",
            headers={"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"},
        )
    return Reply(
        206,
        entry.data[start : end + 1],
        content_type=entry.mime,
        headers={"Content-Range": f"bytes {start}-{end}/{size}", "Accept-Ranges": "bytes"},
    )
