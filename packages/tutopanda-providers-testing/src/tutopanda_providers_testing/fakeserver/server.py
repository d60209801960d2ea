"""The HTTP machinery every fake server shares (the Replicate and OpenAI fakes, and yours).

A stdlib :class:`~http.server.ThreadingHTTPServer` on 127.0.0.1 with an ephemeral port, run in
a daemon thread. HTTP/1.1 keep-alive, one thread per connection, no dependency beyond the
standard library. A server declares its routes with :meth:`FakeServer.add_route` (any method,
``{name}`` path parameters) or overrides :meth:`FakeServer.route` and
:meth:`FakeServer.handle`; it may override :meth:`FakeServer.error_reply` for its error
dialect. The base applies the auth scheme, scripted faults, latency, a server-side rate limit
and the request log, and hosts output files (:attr:`FakeServer.files`).
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from tutopanda_providers_testing.fakeserver.auth import BEARER_OR_TOKEN, AuthScheme, authorised
from tutopanda_providers_testing.fakeserver.files import FileHost
from tutopanda_providers_testing.fakeserver.reply import Reply
from tutopanda_providers_testing.faults import Fault, FaultKind, FaultPlan
from tutopanda_providers_testing.requestlog import RecordedRequest, RequestLog

#: A route's handler: the request (its path parameters in ``request.params``) and the fault
#: scripted for this call, if any, to the answer.
RouteHandler = Callable[[RecordedRequest, Fault | None], Reply]

_PARAM = re.compile(r"\{(\w+)(?::(path))?\}")


@dataclass(frozen=True)
class Route:
    """One declared route.

    Attributes:
        name: the route's name: what fault rules, the request log and the suite refer to.
        methods: the HTTP methods it answers (``GET`` also answers ``HEAD``).
        pattern: the compiled path pattern.
        handler: what answers it.
        metered: whether auth, latency and the rate limit apply (``False`` for file hosting).
    """

    name: str
    methods: frozenset[str]
    pattern: re.Pattern[str]
    handler: RouteHandler
    metered: bool = True


def compile_path(template: str) -> re.Pattern[str]:
    """A path template as a regular expression: ``/v1/jobs/{id}`` matches one segment as
    ``id``, ``/files/{key:path}`` the rest of the path; a trailing slash is optional."""
    parts: list[str] = []
    last = 0
    for match in _PARAM.finditer(template):
        parts.append(re.escape(template[last : match.start()]))
        body = ".+" if match.group(2) == "path" else "[^/]+"
        parts.append(f"(?P<{match.group(1)}>{body})")
        last = match.end()
    parts.append(re.escape(template[last:].rstrip("/")))
    return re.compile("^" + "".join(parts) + "/?$")


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

    def do_PUT(self) -> None:
        self.server.fake._serve(self)

    def do_PATCH(self) -> None:
        self.server.fake._serve(self)

    def do_OPTIONS(self) -> None:
        self.server.fake._serve(self)


class FakeServer:
    """A fake HTTP API on 127.0.0.1: routes, auth, faults, latency, rate limit, request log
    and hosted files. Use it as a context manager (or :meth:`start` / :meth:`stop`).

        class FakeAcme(FakeServer):
            def __init__(self, **kwargs):
                super().__init__(auth=HeaderAuth(schemes=("Key",)), **kwargs)
                self.add_route("POST", "/v1/jobs", "submit", self._submit)
                self.add_route("GET", "/v1/jobs/{id}", "status", self._status)

            def _submit(self, request, fault):
                return Reply.json(201, {"id": "job-1"})

    Args:
        port: the port to bind on 127.0.0.1; 0 picks a free one.
        latency: seconds every API request waits before it is answered (benchmarks).
        rate_limit: requests per second the API routes accept before answering 429;
            ``None`` for no limit.
        api_key: the only key accepted; ``None`` accepts any non-empty key.
        auth: how a request carries its key (:mod:`~tutopanda_providers_testing.fakeserver.auth`);
            ``Authorization: Bearer|Token <key>`` by default.
        files_prefix: where :attr:`files` are served (route ``file``, no auth).

    Requests to no route are answered 404 (route ``unknown``) after the auth check is skipped.
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
        auth: AuthScheme = BEARER_OR_TOKEN,
        files_prefix: str = "/files",
    ) -> None:
        self.latency = latency
        self.api_key = api_key
        self.auth = auth
        self.rate_limiter = TokenBucket(rate_limit) if rate_limit else None
        self.faults = FaultPlan()
        self.log = RequestLog()
        self._routes: list[Route] = []
        self._unmetered = set(self.unmetered_routes)
        #: The output files this server hosts (``files.put(data, mime)`` returns the URL).
        self.files = FileHost(self, prefix=files_prefix)
        self.add_route(
            "GET",
            f"{files_prefix.rstrip('/')}/{{key:path}}",
            "file",
            self.files.serve,
            metered=False,
        )
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

    @property
    def base_url(self) -> str:
        """The URL a client takes as its base (``origin`` here; subclasses may add a path)."""
        return self.origin

    # -- routes ----------------------------------------------------------------------------
    def add_route(
        self,
        method: str | tuple[str, ...],
        path: str,
        name: str,
        handler: RouteHandler,
        *,
        metered: bool = True,
    ) -> Route:
        """Declare a route: ``method`` (or several; ``GET`` also answers ``HEAD``) on ``path``
        (a template such as ``/v1/jobs/{id}`` or ``/files/{key:path}``) is called ``name``
        and answered by ``handler(request, fault)``; path parameters are in
        ``request.params``. Routes match in the order they were added. ``metered=False``
        exempts it from auth, latency and the rate limit. Returns the route."""
        methods = {method.upper()} if isinstance(method, str) else {m.upper() for m in method}
        if "GET" in methods:
            methods.add("HEAD")
        route = Route(name, frozenset(methods), compile_path(path), handler, metered)
        self._routes.append(route)
        if not metered:
            self._unmetered.add(name)
        return route

    @property
    def routes(self) -> list[Route]:
        """The declared routes, in matching order."""
        return list(self._routes)

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        """The declared route answering ``method path`` and its path parameters."""
        for route in self._routes:
            if method.upper() in route.methods:
                found = route.pattern.match(path)
                if found:
                    return route, found.groupdict()
        return None, {}

    # -- to override when needed -------------------------------------------------------------
    def route(self, method: str, path: str) -> str:
        """The route name for a request, or ``unknown`` (by default from :meth:`add_route`)."""
        route, _ = self.match(method, path)
        return route.name if route else "unknown"

    def handle(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        """Answer one request; ``fault`` is the scripted fault for this call, if any. By
        default the declared route's handler answers, and an unknown route is a 404."""
        route, _ = self.match(request.method, request.path)
        if route is None or route.name != request.route:
            return self.unknown_route(request)
        return route.handler(request, fault)

    def unknown_route(self, request: RecordedRequest) -> Reply:
        """The answer to a request no route takes: a 404 in the server's dialect."""
        return self.error_reply(404, f"no route for {request.method} {request.path}")

    def error_reply(
        self,
        status: int,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        code: str | None = None,
        field_name: str | None = None,
    ) -> Reply:
        """An error answer in the server's dialect. By default
        ``{"error": {"message", "code", "field"}}`` with ``Retry-After`` when given."""
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["Retry-After"] = str(max(0, round(retry_after)))
        error: dict[str, Any] = {"message": message or _REASONS.get(status, "Error")}
        if code is not None:
            error["code"] = code
        if field_name is not None:
            error["field"] = field_name
        return Reply.json(status, {"error": error}, headers=headers)

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
        declared, params = self.match(handler.command, split.path)
        request = RecordedRequest(
            method=handler.command,
            path=split.path,
            query=dict(parse_qsl(split.query)),
            headers=headers,
            body=body,
            route=route,
            params=params if declared is not None and declared.name == route else {},
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
        metered = request.route not in self._unmetered
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
        return authorised(self.auth, request, self.api_key)

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
        if reply.content_type:
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


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    410: "Gone",
    416: "Range Not Satisfiable",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
