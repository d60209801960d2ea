"""What FAL's error answers mean, on top of core's shared HTTP helpers
(``reference/fal-api.md`` section C).

- A ``detail`` list (FastAPI's 422, also replayed by a failed request's result) is
  ``invalid_input`` naming each field (``details["fields"]``), or ``content_policy`` when an
  item's type is ``content_policy_violation``.
- 401/403 is ``auth`` naming ``FAL_KEY``; a 403 saying the balance is exhausted (``User is
  locked. Reason: Exhausted balance``) is ``quota``.
- Infrastructure errors carry ``error_type`` in the body or ``X-Fal-Error-Type``:
  ``request_timeout``/``startup_timeout`` are ``timeout``, ``runner_*`` are ``transient``
  (both retried by the pipeline); a 504 with ``X-Fal-Request-Timeout-Type: user`` is the start
  deadline we sent passing: ``timeout``, not retried.
- Everything else goes to :func:`tutopanda_providers.http_helpers.error_for_status`.
- A request that ran and failed replays the model's error on its result GET: a model crash
  (a 5xx with no infrastructure ``error_type``) is ``provider_failed`` like any failed job,
  but still retryable, since FAL bills no server error (:func:`failed_request_error`).

Whether a paid job may exist (``request_sent``): a submit answered with FAL's own JSON error
body queued nothing; a 5xx without it (a proxy's page) or a network error after the POST was
sent may have queued one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tutopanda_providers import (
    ContentPolicyError,
    ErrorKind,
    InvalidInputError,
    ProviderError,
    ProviderFailedError,
    ProviderTimeoutError,
    QuotaError,
    TransientError,
    http_helpers,
)

from tutopanda_provider_fal.names import PROVIDER, SECRET_NAME

if TYPE_CHECKING:
    import httpx

#: How much of a failed request's logs its error keeps (as the Replicate plugin does).
LOG_TAIL_LINES = 20
LOG_TAIL_CHARS = 2000
#: Infrastructure error types that mean "it took too long".
TIMEOUT_TYPES = frozenset({"request_timeout", "startup_timeout"})
POLICY_TYPE = "content_policy_violation"
_BALANCE = re.compile(r"exhausted balance|user is locked", re.I)
_POLICY = re.compile(r"content.?polic", re.I)


def json_body(response: httpx.Response) -> dict[str, Any] | None:
    """The answer's JSON object, or ``None`` when it is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def error_for_answer(
    response: httpx.Response,
    *,
    model: str,
    action: str,
    creates_job: bool = False,
) -> ProviderError:
    """The error an HTTP error answer of FAL's queue API means (see the module docstring).

    Args:
        response: the error answer (its body read).
        model: the endpoint id, for the message.
        action: what was being done (``submit the request``).
        creates_job: the call was the submit: a 5xx without FAL's JSON body may have queued a
            paid request (``request_sent=True``).
    """
    body = json_body(response)
    fal_answered = body is not None and "detail" in body
    return error_for_fal(
        response.status_code,
        body or {},
        response.headers,
        model=model,
        action=action,
        request_sent=creates_job and not fal_answered,
        fallback_text=response.text[:300] if body is None else "",
    )


def error_for_fal(
    status: int,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    model: str,
    action: str,
    request_sent: bool = False,
    fallback_text: str = "",
) -> ProviderError:
    """The error for FAL's ``status`` and JSON ``body`` (``{"detail": ..., "error_type"?}``).

    ``details`` holds ``status``, ``error_type`` when given, and ``fields`` for a ``detail``
    list. Messages are FAL's own text, scrubbed of anything secret-looking.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    detail = body.get("detail")
    error_type = str(body.get("error_type") or lowered.get("x-fal-error-type") or "") or None
    text = describe_detail(detail) or fallback_text
    where = f"fal refused to {action} for {model}"
    details: dict[str, Any] = {"status": status}
    if error_type:
        details["error_type"] = error_type
    common: dict[str, Any] = {"provider": PROVIDER, "model": model, "details": details}
    if isinstance(detail, list) and detail:
        return _detail_list_error(detail, status, where, text, common)
    if error_type == POLICY_TYPE or _POLICY.search(text):
        return ContentPolicyError(f"{where}: content policy ({status}): {text}", **common)
    if status == 403 and _BALANCE.search(text):
        return QuotaError(
            f"{where}: the account's balance is exhausted (403): {text}. Add credit on "
            "fal.ai (billing) and run again.",
            **common,
        )
    if status == 504 and lowered.get("x-fal-request-timeout-type") == "user":
        return ProviderTimeoutError(
            f"{where}: the request did not start before the job's deadline (504); FAL dropped "
            "it, nothing was billed",
            retryable=False,
            **common,
        )
    if error_type in TIMEOUT_TYPES:
        return ProviderTimeoutError(
            f"{where}: {error_type} ({status}): {text or 'timed out'}",
            retryable=True,
            request_sent=request_sent,
            **common,
        )
    if error_type and error_type.startswith("runner_"):
        return TransientError(
            f"{where}: {error_type} ({status}): {text or 'runner unavailable'}",
            request_sent=request_sent,
            **common,
        )
    error = http_helpers.error_for_status(
        status,
        provider=PROVIDER,
        model=model,
        action=action,
        detail=text,
        headers=headers,
        request_sent=request_sent,
        secret_names=(SECRET_NAME,),
    )
    error.details.update(details)
    return error


def failed_request_error(error: ProviderError, *, model: str, request_id: str) -> ProviderError:
    """The error of a request FAL ran and that failed (``COMPLETED`` with ``error``), from
    ``error``, the one its replayed result answer maps to.

    A model crash (``transient``: a 5xx without an infrastructure ``error_type``) becomes
    :class:`ProviderFailedError`, retryable: the job ran and failed, as a failed Replicate
    prediction does, but FAL bills no server error (``reference/fal-api.md`` C), so running it
    again costs nothing. Every other kind (``invalid_input``, ``content_policy``, a ``runner_*``
    or ``request_timeout`` of FAL's own infrastructure) is returned unchanged.
    """
    if error.kind is not ErrorKind.TRANSIENT or error.details.get("error_type"):
        return error
    status = error.details.get("status")
    return ProviderFailedError(
        f"the {model} request {request_id} failed on fal (the model answered {status}): "
        f"{error.message.split(': ', 1)[-1]}; fal bills no server error, so running the job "
        "again is free",
        retryable=True,
        provider=PROVIDER,
        model=model,
        details=dict(error.details),
    )


def _detail_list_error(
    detail: Sequence[Any], status: int, where: str, text: str, common: dict[str, Any]
) -> ProviderError:
    fields = sorted({_field_name(item) for item in detail if _field_name(item)})
    common["details"]["fields"] = fields
    if any(isinstance(i, Mapping) and i.get("type") == POLICY_TYPE for i in detail):
        return ContentPolicyError(f"{where}: content policy ({status}): {text}", **common)
    if status >= 500:
        return TransientError(f"{where}: server error ({status}): {text}", **common)
    return InvalidInputError(
        f"{where}: invalid input ({status}): {text}. Fix "
        f"{', '.join(fields) if fields else 'the inputs'} and try again.",
        **common,
    )


def _field_name(item: Any) -> str:
    if not isinstance(item, Mapping):
        return ""
    loc = [str(p) for p in item.get("loc") or () if p not in ("body", "query")]
    return ".".join(loc)


def describe_detail(detail: Any) -> str:
    """FAL's ``detail`` as one line: a string as it is; a list as ``field: msg; ...``."""
    if isinstance(detail, str):
        return " ".join(detail.split())
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, Mapping):
                name = _field_name(item)
                msg = str(item.get("msg") or item.get("type") or "invalid")
                parts.append(f"{name}: {msg}" if name else msg)
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return "" if detail is None else str(detail)


def logs_tail(logs: Any) -> str:
    """The last :data:`LOG_TAIL_LINES` messages of FAL's ``logs`` (``[{message, ...}]``), at
    most :data:`LOG_TAIL_CHARS` characters, secrets blanked; ``""`` when there are none."""
    from tutopanda_providers.contracts.redaction import scrub

    if not isinstance(logs, list):
        return ""
    lines = [
        str(entry.get("message", "")) if isinstance(entry, Mapping) else str(entry)
        for entry in logs
    ]
    tail = "\n".join(line.rstrip() for line in lines[-LOG_TAIL_LINES:] if line.strip())
    return scrub(tail[-LOG_TAIL_CHARS:])


def with_logs(error: ProviderError, logs: Any, request_id: str) -> ProviderError:
    """``error`` with the request id and its logs' tail (``details["logs"]`` and the end of
    the message): a model's failure is often explained only there."""
    error.details.setdefault("request_id", request_id)
    tail = logs_tail(logs)
    if tail:
        error.details["logs"] = tail
        last = tail.splitlines()[-3:]
        error.message = f"{error.message} (request {request_id}; last log lines: " + (
            " | ".join(last) + ")"
        )
        error.args = (error.message,)
    return error


def transport_error(
    exc: httpx.HTTPError, *, model: str, action: str, creates_job: bool = False
) -> ProviderError:
    """The error for a network failure; on a submit sent but unanswered, a ``transient``
    error with ``request_sent=True`` saying a paid request may exist (FAL has no idempotency
    key and no list of recent requests to find it in, so it is never sent again)."""
    error = http_helpers.error_for_transport(
        exc, provider=PROVIDER, model=model, action=action, creates_job=creates_job
    )
    if creates_job and error.request_sent:
        return lost_submit(model, type(exc).__name__)
    return error


def lost_submit(model: str, cause: str) -> TransientError:
    """The error for a submit whose answer was lost or unreadable after it was sent."""
    return TransientError(
        f"submitting to {model} on fal got no usable answer ({cause}) after the request was "
        "sent: a paid request may exist on fal, and fal offers no way to find it, so it is "
        "not sent again. Check the requests of the endpoint on fal.ai before running again.",
        provider=PROVIDER,
        model=model,
        request_sent=True,
        details={"cause": cause},
    )


__all__ = [
    "LOG_TAIL_CHARS",
    "LOG_TAIL_LINES",
    "POLICY_TYPE",
    "TIMEOUT_TYPES",
    "describe_detail",
    "error_for_answer",
    "error_for_fal",
    "failed_request_error",
    "json_body",
    "logs_tail",
    "lost_submit",
    "transport_error",
    "with_logs",
]
