"""Replicate's failures mapped onto the error kinds of :mod:`tutopanda_providers.contracts`.

HTTP statuses and network errors are mapped by core's :mod:`tutopanda_providers.http_helpers`
(the same table for every provider); this module adds Replicate's wording and its prediction
states.

| Replicate says | kind |
|---|---|
| HTTP 429 | ``rate_limited``, ``retry_after`` from ``Retry-After`` or "resets in ~Ns" |
| HTTP 409 / 422 | ``invalid_input``, the fields named in ``details["fields"]`` |
| HTTP 401 / 403 | ``auth`` |
| HTTP 402 | ``quota`` (no credit) |
| HTTP 404 | ``not_found`` |
| HTTP 5xx, a lost connection, a malformed body | ``transient`` |
| a read timeout | ``timeout`` (retryable; a create may have reached Replicate) |
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
    CanceledError,
    ContentPolicyError,
    ProviderError,
    ProviderFailedError,
)
from tutopanda_providers.http_helpers import error_for_status, error_for_transport

PROVIDER = "replicate"
TOKEN_NAME = "REPLICATE_API_TOKEN"
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

    The status decides the kind (:func:`tutopanda_providers.http_helpers.error_for_status`);
    the message carries Replicate's problem details and names ``REPLICATE_API_TOKEN`` on an
    ``auth`` error.

    Args:
        exc: the SDK's error (problem details).
        model: ``owner/name``.
        action: what was being done (``create the prediction``), for the message.
        headers: the error response's headers, when captured (for ``Retry-After``).
        request_sent: whether a paid prediction may exist despite the error.
    """
    error = error_for_status(
        exc.status or 0,
        provider="Replicate",
        model=model,
        action=action,
        detail=(exc.detail or exc.title or "").strip(),
        headers=headers,
        request_sent=request_sent,
        secret_names=(TOKEN_NAME,),
    )
    error.provider = PROVIDER
    error.details["title"] = exc.title
    return error


def map_transport_error(
    exc: httpx.HTTPError, *, model: str, action: str, request_sent: bool
) -> ProviderError:
    """A lost connection, a timeout or a protocol error talking to Replicate.

    ``request_sent=False`` for a request that creates nothing (a poll, a ``GET``); for a create,
    whether the prediction may exist follows from the error (a refused connection sent
    nothing; a read timeout may have): :func:`tutopanda_providers.http_helpers.
    error_for_transport`.
    """
    error = error_for_transport(
        exc, provider="Replicate", model=model, action=action, creates_job=request_sent
    )
    error.provider = PROVIDER
    return error


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
