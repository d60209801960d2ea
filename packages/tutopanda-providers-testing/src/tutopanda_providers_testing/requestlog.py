"""A thread-safe log of every request a fake server received, for test assertions."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake server saw it.

    Attributes:
        method: the HTTP method, upper case.
        path: the URL path without the query string.
        query: query parameters (last value wins).
        headers: request headers with lower-case names. Secrets are kept as sent so a test can
            check the key reached the server; never print this log in a report.
        body: the raw request body.
        route: the server's name for the route (``create``, ``get``, ``responses``, ``file``...)
            or ``unknown``.
        received_at: ``time.monotonic()`` when the request was read.
        params: the path parameters of a route declared with ``add_route``
            (``{"id": "abc"}`` for ``/v1/jobs/{id}``).
    """

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    route: str
    received_at: float = field(default_factory=time.monotonic, repr=False)
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        """The body decoded as JSON, or ``None`` when it is empty or not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def header(self, name: str) -> str | None:
        """A header by name, case-insensitively."""
        return self.headers.get(name.lower())

    @property
    def bearer_token(self) -> str | None:
        """The token of an ``Authorization: Bearer|Token <token>`` header, if any."""
        value = self.header("authorization")
        if not value:
            return None
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() in {"bearer", "token"} and token.strip() else None


class RequestLog:
    """Every request a server received, plus named counters (``predictions_created``...)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._counters: Counter[str] = Counter()

    def record(self, request: RecordedRequest) -> None:
        """Append one request."""
        with self._lock:
            self._requests.append(request)

    def count(self, name: str, amount: int = 1) -> None:
        """Add ``amount`` to the counter ``name``."""
        with self._lock:
            self._counters[name] += amount

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def counters(self) -> dict[str, int]:
        """A snapshot of the counters."""
        with self._lock:
            return dict(self._counters)

    def counter(self, name: str) -> int:
        """The value of one counter (0 when never counted)."""
        with self._lock:
            return self._counters[name]

    def for_route(self, route: str) -> list[RecordedRequest]:
        """The requests that hit ``route``, oldest first."""
        return [r for r in self.requests if r.route == route]

    def clear(self) -> None:
        """Forget every request and counter."""
        with self._lock:
            self._requests.clear()
            self._counters.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._requests)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.requests)
