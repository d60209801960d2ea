"""Scripted fault injection: what a fake server does wrong, on which route, on which call.

A test adds rules to a server's :class:`FaultPlan`::

    srv.faults.add("create", Fault.rate_limited(retry_after=1))          # the next create only
    srv.faults.add("get", Fault.status(503), times=2)                    # the next two polls
    srv.faults.add("*", Fault.reset_before(), after=3, times=None)       # every call after 3

Each request takes the first matching rule that still has calls left. The fault is then
applied by the server; faults that only make sense on some routes (a failing prediction, a
truncated download) are ignored elsewhere.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum


class FaultKind(StrEnum):
    """The kinds of misbehaviour a fake server can script."""

    STATUS = "status"
    """Answer with an error status (the server's own error body)."""
    RESET_BEFORE = "reset_before"
    """Read the request, do nothing, reset the connection: no job exists."""
    RESET_AFTER = "reset_after"
    """Process the request (a prediction exists), then reset instead of answering."""
    SLOW = "slow"
    """Process the request, then wait ``delay`` seconds before answering."""
    MALFORMED_JSON = "malformed_json"
    """Process the request, then answer 200/201 with a body that is not JSON."""
    PREDICTION_FAILS = "prediction_fails"
    """Replicate create: the prediction ends ``failed`` with ``error``."""
    NEVER_FINISHES = "never_finishes"
    """Replicate create: the prediction stays ``processing`` until canceled."""
    TRUNCATED_DOWNLOAD = "truncated_download"
    """File download: announce the full Content-Length, send part of it, close."""
    SLOW_DOWNLOAD = "slow_download"
    """File download: send the body in small pieces over ``delay`` seconds."""
    EXPIRED = "expired"
    """File download: the output URL has expired (404 or 410)."""
    INCOMPLETE = "incomplete"
    """OpenAI: the response ends ``incomplete`` with ``incomplete_details.reason``."""
    INSUFFICIENT_QUOTA = "insufficient_quota"
    """OpenAI: 429 with ``code: insufficient_quota`` (not retryable)."""


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour; build it with the class methods."""

    kind: FaultKind
    status_code: int | None = None
    retry_after: float | None = None
    message: str | None = None
    delay: float = 0.0
    reason: str | None = None
    code: str | None = None

    @classmethod
    def status(
        cls,
        status_code: int,
        *,
        retry_after: float | None = None,
        message: str | None = None,
        code: str | None = None,
    ) -> Fault:
        """Answer ``status_code`` with the server's error body (and ``Retry-After`` if given)."""
        return cls(
            FaultKind.STATUS,
            status_code=status_code,
            retry_after=retry_after,
            message=message,
            code=code,
        )

    @classmethod
    def rate_limited(cls, *, retry_after: float | None = 1.0, message: str | None = None) -> Fault:
        """A 429 in the server's dialect: Replicate's "Request was throttled. Your rate limit
        resets in ~Ns." or OpenAI's ``rate_limit_exceeded``."""
        return cls(FaultKind.STATUS, status_code=429, retry_after=retry_after, message=message)

    @classmethod
    def reset_before(cls) -> Fault:
        """Reset the connection before the request is processed (nothing was created)."""
        return cls(FaultKind.RESET_BEFORE)

    @classmethod
    def reset_after(cls) -> Fault:
        """Process the request, then reset the connection (the job exists; the client got no
        answer)."""
        return cls(FaultKind.RESET_AFTER)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Process the request, then hold the answer for ``seconds`` (past a client deadline)."""
        return cls(FaultKind.SLOW, delay=seconds)

    @classmethod
    def malformed_json(cls) -> Fault:
        """Process the request, then answer with a body that is not valid JSON."""
        return cls(FaultKind.MALFORMED_JSON)

    @classmethod
    def prediction_fails(cls, error: str = "Prediction failed: CUDA out of memory") -> Fault:
        """Replicate: the created prediction ends ``failed`` with this error text."""
        return cls(FaultKind.PREDICTION_FAILS, message=error)

    @classmethod
    def never_finishes(cls) -> Fault:
        """Replicate: the created prediction stays ``processing`` until canceled or aborted."""
        return cls(FaultKind.NEVER_FINISHES)

    @classmethod
    def truncated_download(cls) -> Fault:
        """A file download that stops half-way although Content-Length promised more."""
        return cls(FaultKind.TRUNCATED_DOWNLOAD)

    @classmethod
    def slow_download(cls, seconds: float) -> Fault:
        """A file download that trickles its body over ``seconds``."""
        return cls(FaultKind.SLOW_DOWNLOAD, delay=seconds)

    @classmethod
    def expired(cls, status_code: int = 404) -> Fault:
        """An output URL that has expired: 404 (Replicate's file host) or 410."""
        return cls(FaultKind.EXPIRED, status_code=status_code)

    @classmethod
    def incomplete(cls, reason: str = "max_output_tokens") -> Fault:
        """OpenAI: the response comes back ``status: incomplete`` with this reason."""
        return cls(FaultKind.INCOMPLETE, reason=reason)

    @classmethod
    def insufficient_quota(cls) -> Fault:
        """OpenAI: a 429 whose error code is ``insufficient_quota``."""
        return cls(FaultKind.INSUFFICIENT_QUOTA, status_code=429, code="insufficient_quota")


@dataclass
class FaultRule:
    """A fault bound to a route, with how many calls it skips and how many it hits.

    Attributes:
        route: the route name, or ``*`` for every route.
        fault: what to do.
        times: how many matching calls it hits; ``None`` for every one.
        after: how many matching calls pass untouched first.
        seen: matching calls so far.
        fired: calls the fault was applied to.
    """

    route: str
    fault: Fault
    times: int | None = 1
    after: int = 0
    seen: int = 0
    fired: int = 0
    _done: bool = field(default=False, repr=False)

    @property
    def exhausted(self) -> bool:
        """Whether the rule will never fire again."""
        return self._done


class FaultPlan:
    """The fault rules of one server. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def add(self, route: str, fault: Fault, *, times: int | None = 1, after: int = 0) -> FaultRule:
        """Script ``fault`` on ``route`` (``*`` for all) for ``times`` calls (``None``: all)
        after letting ``after`` matching calls through. Returns the rule, whose ``fired``
        counts how often it hit."""
        rule = FaultRule(route=route, fault=fault, times=times, after=after)
        with self._lock:
            self._rules.append(rule)
        return rule

    def take(self, route: str) -> Fault | None:
        """The fault for this call of ``route``, if any rule fires (called by the server)."""
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or rule.route not in (route, "*"):
                    continue
                rule.seen += 1
                if rule.seen <= rule.after:
                    continue
                rule.fired += 1
                if rule.times is not None and rule.fired >= rule.times:
                    rule._done = True
                return rule.fault
        return None

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        """A snapshot of the rules."""
        with self._lock:
            return list(self._rules)
