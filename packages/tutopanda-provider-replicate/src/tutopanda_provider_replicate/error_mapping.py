"""Replicate's failures mapped onto the error kinds of :mod:`tutopanda_providers.errors`.

| Replicate says | kind |
|---|---|
| HTTP 429 | ``rate_limited``, ``retry_after`` from ``Retry-After`` or "resets in ~Ns" |
| HTTP 422 | ``invalid_input``, the fields named in ``details["fields"]`` |
| HTTP 401 / 403 | ``auth`` |
| HTTP 402 | ``quota`` (no credit) |
| HTTP 404 | ``not_found`` |
| HTTP 5xx, a lost connection, a malformed body | ``transient`` |
| a ``failed`` prediction | ``provider_failed`` with the model's error text (``content_policy``
  when the model says it refused the content) |
| a ``canceled`` or ``aborted`` prediction | ``canceled`` |

No message carries the token: messages are built from Replicate's problem details, never from
request headers, and :class:`ProviderError` scrubs known secrets on top of that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx
from replicate.exceptions import ReplicateError
from tutopanda_providers.contracts import (
    AuthError,
    CanceledError,
    ContentPolicyError,
    InvalidInputError,
    NotFoundError,
    ProviderError,
    ProviderFailedError,
    QuotaError,
    RateLimitedError,
    TransientError,
)
from tutopanda_providers.http_helpers import parse_retry_after

PROVIDER = "replicate"
_FIELD = re.compile(r"input\.([A-Za-z_][\w.]*)")
_POLICY = re.compile(r"nsfw|safety|content polic|sensitive|flagged|moderation", re.I)


def map_api_error(
    exc: ReplicateError,
    *,
    model: str,
    action: str,
    headers: Mapping[str, str] | None = None,
    request_sent: bool = False,
) -> ProviderError:
    """The :class:`ProviderError` for an HTTP error answer of Replicate's API.

    Args:
        exc: the SDK's error (problem details).
        model: ``owner/name``.
        action: what was being done (``create the prediction``), for the message.
        headers: the error response's headers, when captured (for ``Retry-After``).
        request_sent: whether a paid prediction may exist despite the error.
    """
    status = exc.status or 0
    detail = (exc.detail or exc.title or "no detail given").strip()
    where = f"Replicate refused to {action} for {model}"
    common: dict[str, Any] = {
        "provider": PROVIDER,
        "model": model,
        "details": {"status": status, "title": exc.title},
    }
    if status == 429:
        retry_after = parse_retry_after(headers, detail)
        return RateLimitedError(
            f"{where}: rate limited (429): {detail}", retry_after=retry_after, **common
        )
    if status == 422:
        fields = sorted(set(_FIELD.findall(detail)))
        common["details"]["fields"] = fields
        return InvalidInputError(
            f"{where}: invalid input (422): {detail}. Fix "
            f"{', '.join(fields) if fields else 'the inputs'} and try again.",
            **common,
        )
    if status in (401, 403):
        return AuthError(
            f"{where}: the token was refused ({status} {exc.title or ''}): {detail}. "
            "Check REPLICATE_API_TOKEN.",
            **common,
        )
    if status == 402:
        return QuotaError(f"{where}: payment required (402): {detail}", **common)
    if status == 404:
        return NotFoundError(f"{where}: not found (404): {detail}", **common)
    if status >= 500:
        return TransientError(
            f"{where}: server error ({status}): {detail}", request_sent=request_sent, **common
        )
    return ProviderFailedError(f"{where}: HTTP {status}: {detail}", **common)


def map_transport_error(
    exc: httpx.HTTPError, *, model: str, action: str, request_sent: bool
) -> ProviderError:
    """A lost connection, a timeout or a protocol error talking to Replicate: transient."""
    return TransientError(
        f"could not {action} for {model} on Replicate: {type(exc).__name__}: {exc or 'no detail'}",
        provider=PROVIDER,
        model=model,
        request_sent=request_sent,
        details={"error": type(exc).__name__},
    )


#: How much of a failed prediction's logs its error keeps.
LOG_TAIL_LINES = 20
LOG_TAIL_CHARS = 2000


def logs_tail(logs: str | None) -> str:
    """The last lines of ``logs`` (see :func:`prediction_error`), or ``""``."""
    from tutopanda_providers.contracts.redaction import scrub

    if not logs or not logs.strip():
        return ""
    tail = "\n".join(logs.rstrip().splitlines()[-LOG_TAIL_LINES:])
    return scrub(tail[-LOG_TAIL_CHARS:])


def prediction_error(
    *, model: str, prediction_id: str, status: str, error: Any, logs: str | None = None
) -> ProviderError:
    """The error for a prediction that ended ``failed``, ``canceled`` or ``aborted``.

    The tail of the prediction's ``logs`` (its last :data:`LOG_TAIL_LINES` lines, at most
    :data:`LOG_TAIL_CHARS` characters, secrets blanked) goes into ``details["logs_tail"]``:
    the cause of a failure is often only there (a traceback, an out-of-memory line).
    """
    details: dict[str, Any] = {"prediction_id": prediction_id, "status": status}
    tail = logs_tail(logs)
    if tail:
        details["logs_tail"] = tail
    if status == "failed":
        text = str(error or "no error text").strip()
        cls = ContentPolicyError if _POLICY.search(text) else ProviderFailedError
        return cls(
            f"the {model} prediction {prediction_id} failed: {text}",
            provider=PROVIDER,
            model=model,
            details=details,
        )
    if status == "aborted":
        return CanceledError(
            f"the {model} prediction {prediction_id} was aborted before it started "
            "(its deadline passed); Replicate does not bill aborted predictions",
            provider=PROVIDER,
            model=model,
            details=details,
        )
    return CanceledError(
        f"the {model} prediction {prediction_id} was canceled",
        provider=PROVIDER,
        model=model,
        details=details,
    )


__all__ = [
    "LOG_TAIL_CHARS",
    "LOG_TAIL_LINES",
    "logs_tail",
    "map_api_error",
    "map_transport_error",
    "prediction_error",
]
