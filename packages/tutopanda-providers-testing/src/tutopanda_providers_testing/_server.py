"""The HTTP machinery both fake servers share.

A stdlib :class:`~http.server.ThreadingHTTPServer` on 127.0.0.1 with an ephemeral port, run in
a daemon thread. HTTP/1.1 keep-alive, one thread per connection, no dependency beyond the
standard library. Subclasses implement :meth:`FakeServer.route` and :meth:`FakeServer.handle`
and their error dialect; the base applies scripted faults, latency, a server-side rate limit
and the request log.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from tutopanda_providers_testing.faults import Fault, FaultKind, FaultPlan
from tutopanda_providers_testing.requestlog import RecordedRequest, RequestLog


@dataclass
class Reply:
    """What a route answers. ``reset`` closes the connection instead of answering."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False
    truncate: bool = False
    trickle_seconds: float = 0.0
    delay: float = 0.0

    @classmethod
    def json(cls, status: int, payload: Any, **kwargs: Any) -> Reply:
        """A JSON reply."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        return cls(status, body, **kwargs)


class TokenBucket:
    """A thread-safe token bucket: ``rate`` requests per second with a burst of ``burst``."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(rate, 1.0)
        self._tokens = self.capacity
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, float, int]:
        """Try to take one token: ``(allowed, seconds until one is free, tokens left)``."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True, 0.0, int(self._tokens)
            return False, (1 - self._tokens) / self.rate, 0


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # Benchmarks open 64+ connections at once; the default backlog of 5 drops SYNs.
    request_queue_size = 512
    fake: FakeServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hang up (they do, between keep-alive requests); report bugs."""
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment with TCP_NODELAY: otherwise Nagle and the
    # client's delayed ACK add ~40 ms to every answer.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the request log is the record."""

    def do_GET(self) -> None:
        self.server.fake._serve(self)

    def do_POST(self) -> None:
        self.server.fake._serve(self)

    def do_DELETE(self) -> None:
        self.server.fake._serve(self)

    def do_HEAD(self) -> None:
        self.server.fake._serve(self)


class FakeServer:
    """Base of the fake servers: lifecycle, faults, latency, rate limit and request log.

    Args:
        port: the port to bind on 127.0.0.1; 0 picks a free one.
        latency: seconds every API request waits before it is answered (benchmarks).
        rate_limit: requests per second the API routes accept before answering 429;
            ``None`` for no limit.
        api_key: the only key accepted; ``None`` accepts any non-empty bearer token.
    """

    #: Route names that are not API calls (no auth, latency or rate limit).
    unmetered_routes: frozenset[str] = frozenset({"file"})

    def __init__(
        self,
        *,
        port: int = 0,
        latency: float = 0.0,
        rate_limit: float | None = None,
        api_key: str | None = None,
    ) -> None:
        self.latency = latency
        self.api_key = api_key
        self.rate_limiter = TokenBucket(rate_limit) if rate_limit else None
        self.faults = FaultPlan()
        self.log = RequestLog()
        self._port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Self:
        """Bind and serve in a background thread; returns ``self``."""
        if self._httpd is not None:
            return self
        httpd = _HTTPServer(("127.0.0.1", self._port), _Handler)
        httpd.fake = self
        self._httpd = httpd
        self._stopping.clear()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; held (slow) answers are released."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (shortcut for ``log.requests``)."""
        return self.log.requests

    # -- to implement ----------------------------------------------------------------------
    def route(self, method: str, path: str) -> str:
        """The route name for a request, or ``unknown``."""
        raise NotImplementedError

    def handle(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        """Answer one request; ``fault`` is the scripted fault for this call, if any."""
        raise NotImplementedError

    def error_reply(
        self,
        status: int,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        code: str | None = None,
        field_name: str | None = None,
    ) -> Reply:
        """An error answer in the server's dialect."""
        raise NotImplementedError

    def extra_headers(self, request: RecordedRequest, remaining: int | None) -> dict[str, str]:
        """Headers added to every API answer (rate-limit headers)."""
        return {}

    # -- the request path ------------------------------------------------------------------
    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _serve(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        route = self.route(handler.command, split.path)
        request = RecordedRequest(
            method=handler.command,
            path=split.path,
            query=dict(parse_qsl(split.query)),
            headers=headers,
            body=body,
            route=route,
        )
        self.log.record(request)
        try:
            reply = self._answer(request)
        except Exception as exc:  # a bug in the fake must show, not hang the client
            reply = self.error_reply(500, f"fake server error: {type(exc).__name__}: {exc}")
        self._write(handler, reply, head=handler.command == "HEAD")

    def _answer(self, request: RecordedRequest) -> Reply:
        fault = self.faults.take(request.route)
        if fault is not None:
            if fault.kind is FaultKind.RESET_BEFORE:
                return Reply(0, reset=True)
            if fault.kind is FaultKind.STATUS or fault.kind is FaultKind.INSUFFICIENT_QUOTA:
                return self._with_headers(
                    request,
                    self.error_reply(
                        fault.status_code or 500,
                        fault.message,
                        retry_after=fault.retry_after,
                        code=fault.code,
                    ),
                    None,
                )
        metered = request.route not in self.unmetered_routes
        remaining: int | None = None
        if metered:
            self._wait(self.latency)
            if self.rate_limiter is not None:
                allowed, wait, remaining = self.rate_limiter.take()
                if not allowed:
                    self.log.count("rate_limited")
                    reply = self.error_reply(429, retry_after=max(1.0, wait))
                    return self._with_headers(request, reply, 0)
            if request.route != "unknown" and not self._authorised(request):
                self.log.count("unauthorised")
                return self._with_headers(request, self.error_reply(401), remaining)
        reply = self.handle(request, fault)
        if metered:
            reply = self._with_headers(request, reply, remaining)
        if fault is not None:
            if fault.kind is FaultKind.RESET_AFTER:
                reply.reset = True
            elif fault.kind is FaultKind.SLOW:
                reply.delay = fault.delay
            elif fault.kind is FaultKind.MALFORMED_JSON:
                reply.body = reply.body[: max(1, len(reply.body) // 2)] + b"<html>oops"
        return reply

    def _authorised(self, request: RecordedRequest) -> bool:
        token = request.bearer_token
        if token is None:
            return False
        return self.api_key is None or token == self.api_key

    def _with_headers(self, request: RecordedRequest, reply: Reply, remaining: int | None) -> Reply:
        for name, value in self.extra_headers(request, remaining).items():
            reply.headers.setdefault(name, value)
        return reply

    def _write(self, handler: _Handler, reply: Reply, *, head: bool = False) -> None:
        if reply.reset:
            self._reset(handler)
            return
        self._wait(reply.delay)
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.truncate:
            handler.send_header("Connection", "close")
        body = b"" if head else reply.body
        try:
            if reply.truncate or reply.trickle_seconds > 0:
                handler.end_headers()
                self._write_body_slowly(handler, reply, body)
            else:
                # One write for headers and body (see disable_nagle_algorithm).
                handler._headers_buffer.append(b"\r\n" + body)  # type: ignore[attr-defined]
                handler.flush_headers()
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True

    def _write_body_slowly(self, handler: _Handler, reply: Reply, body: bytes) -> None:
        if reply.truncate:
            handler.wfile.write(body[: len(body) // 2])
            handler.wfile.flush()
            self._reset(handler)
            return
        pieces = 10
        step = max(1, -(-len(body) // pieces))
        for start in range(0, len(body), step):
            handler.wfile.write(body[start : start + step])
            handler.wfile.flush()
            self._wait(reply.trickle_seconds / pieces)

    @staticmethod
    def _reset(handler: _Handler) -> None:
        # SO_LINGER with a zero timeout makes close() send RST: the client sees a reset
        # connection, not a clean end of stream.
        handler.close_connection = True
        try:
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.connection.close()
        except OSError:
            pass
