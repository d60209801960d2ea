"""Turning the ``openai`` SDK's exceptions into tutopanda's error kinds.

The SDK's own retries are off (``max_retries=0``), so every failure arrives here once and the
registry's retry middleware decides what to do with the kind, ``retry_after`` and
``request_sent`` set below.

``request_sent`` is ``True`` only when the outcome is unknown: the request went out and no
answer came back (a read timeout, a connection lost mid-response, an answer that could not be
read). The Responses API has no idempotency key, so re-sending such a request may pay twice.
An error *status* is an answer: the server says what happened and nothing billable was made.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx2
import openai
from tutopanda_providers.contracts import (
    AuthError,
    ConfigurationError,
    ContentPolicyError,
    InvalidInputError,
    NotFoundError,
    ProviderError,
    ProviderFailedError,
    ProviderTimeoutError,
    QuotaError,
    RateLimitedError,
    TransientError,
)
from tutopanda_providers.http_helpers import parse_retry_after

from tutopanda_provider_openai.cards import API_KEY_NAME, PROVIDER

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_TRY_AGAIN = re.compile(r"try again in\s+((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)", re.IGNORECASE)
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
#: httpx2 errors raised before a byte of the request reached the server.
_NOT_SENT = (
    httpx2.ConnectError,
    httpx2.ConnectTimeout,
    httpx2.PoolTimeout,
    httpx2.UnsupportedProtocol,
    # The request could not even be written (a header the protocol refuses, e.g. a key with a
    # line break): no byte of it reached the server.
    httpx2.LocalProtocolError,
    UnicodeEncodeError,
)
#: Error codes that mean the content was refused.
_POLICY_CODES = frozenset({"content_policy_violation", "content_filter", "moderation_blocked"})


def parse_duration(text: str) -> float | None:
    """Seconds in an OpenAI duration such as ``3.89s``, ``120ms`` or ``6m0s``; ``None`` if none."""
    parts = _DURATION_PART.findall(text.strip())
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        return None
    return sum(float(number) * _SECONDS[unit] for number, unit in parts)


def retry_after_from(headers: Mapping[str, str], message: str = "") -> float | None:
    """The wait a 429 names, in seconds: ``retry-after-ms``, then ``retry-after`` (seconds or an
    HTTP date), then "Please try again in 3.89s" in the message, then the reset time of the
    exhausted ``x-ratelimit-*`` bucket. ``None`` when nothing says."""
    lower = {k.lower(): v for k, v in headers.items()}
    standard: dict[str, str] = {
        k: lower[k] for k in ("retry-after-ms", "retry-after") if k in lower
    }
    if standard:
        try:
            wait = parse_retry_after(standard)
        except (TypeError, ValueError):  # an unreadable HTTP date
            wait = None
        if wait is not None:
            return wait
    found = _TRY_AGAIN.search(message)
    if found:
        seconds = parse_duration(found.group(1))
        if seconds is not None:
            return seconds
    waits = [
        parse_duration(lower.get(f"x-ratelimit-reset-{bucket}", ""))
        for bucket in ("requests", "tokens")
        if lower.get(f"x-ratelimit-remaining-{bucket}") == "0"
    ]
    known = [w for w in waits if w is not None]
    return max(known) if known else None


def error_message(exc: openai.APIError) -> str:
    """The provider's own message (the ``error.message`` of the body when there is one)."""
    body = exc.body
    if isinstance(body, Mapping):
        message = body.get("message")
        if isinstance(message, str) and message:
            return message
    return exc.message


def map_openai_error(exc: BaseException, *, model: str) -> ProviderError:
    """The :class:`ProviderError` for an exception raised by the SDK (or the transport under it).

    Args:
        exc: what the SDK raised.
        model: the model being called, for the message.
    """
    ref = f"{PROVIDER}/{model}"
    common: dict[str, Any] = {"provider": PROVIDER, "model": model}
    if isinstance(exc, openai.APIStatusError):
        return _from_status(exc, ref, common)
    if isinstance(exc, _NOT_SENT) or isinstance(
        exc.__cause__, (httpx2.LocalProtocolError, UnicodeEncodeError)
    ):
        # Building or writing the request failed before any byte was sent (a header value
        # that is not ASCII or holds a line break): nothing was made or billed.
        cause = exc if isinstance(exc, _NOT_SENT) else exc.__cause__
        return ConfigurationError(
            f"the request to {ref} could not be built ({type(cause).__name__}: a header value "
            f"the HTTP protocol refuses, usually {API_KEY_NAME} or the organisation option "
            "holding a line break or a non-ASCII character); nothing was sent. Set the key "
            "again exactly as issued.",
            request_sent=False,
            details={"error": type(cause).__name__},
            **common,
        )
    if isinstance(exc, openai.APITimeoutError):
        sent = not isinstance(exc.__cause__, _NOT_SENT)
        return ProviderTimeoutError(
            f"{ref} did not answer in time"
            + (
                " (the request was sent; a response may still have been made and billed)"
                if sent
                else ""
            )
            + ". Raise the timeout option or lower reasoning effort.",
            request_sent=sent,
            details={"error": type(exc.__cause__ or exc).__name__},
            **common,
        )
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        sent = not isinstance(cause, _NOT_SENT)
        return TransientError(
            f"the connection to {ref} failed ({type(cause or exc).__name__})"
            + (
                " after the request was sent; a response may have been made and billed"
                if sent
                else ""
            ),
            request_sent=sent,
            details={"error": type(cause or exc).__name__},
            **common,
        )
    if isinstance(exc, (openai.APIResponseValidationError, ValueError)):
        # The server answered 2xx but the body could not be read: the response exists.
        return TransientError(
            f"{ref} sent an answer that could not be read ({type(exc).__name__}); the response "
            "may have been made and billed",
            request_sent=True,
            details={"error": type(exc).__name__},
            **common,
        )
    return ProviderFailedError(
        f"{ref} failed: {type(exc).__name__}: {exc}",
        details={"error": type(exc).__name__},
        **common,
    )


def _from_status(exc: openai.APIStatusError, ref: str, common: dict[str, Any]) -> ProviderError:
    status = exc.status_code
    message = error_message(exc)
    details: dict[str, Any] = {"status": status, "code": exc.code, "type": exc.type}
    if exc.request_id:
        details["request_id"] = exc.request_id
    said = f"{ref} answered {status}: {message}"
    if status == 429:
        if exc.code == "insufficient_quota" or exc.type == "insufficient_quota":
            return QuotaError(
                f"{said}. The OpenAI account is out of credit or over its quota: add credit or "
                "check the plan and billing settings of the organisation, then run again.",
                retryable=False,
                details=details,
                **common,
            )
        wait = retry_after_from(exc.response.headers, message)
        return RateLimitedError(said, retry_after=wait, details=details, **common)
    if status in (401, 403):
        return AuthError(
            f"{said}. Check that {API_KEY_NAME} holds a valid key with access to this model "
            "(and the organisation option, if set).",
            details=details,
            **common,
        )
    if status == 404:
        return NotFoundError(
            f"{said}. The model may not exist or the account may have no access to it.",
            details=details,
            **common,
        )
    if status in (400, 422):
        if exc.code in _POLICY_CODES:
            return ContentPolicyError(said, details=details, **common)
        return InvalidInputError(said, details=details, **common)
    if status in (408, 409) or status >= 500:
        return TransientError(said, details=details, **common)
    return ProviderFailedError(said, details=details, **common)


__all__ = ["error_message", "map_openai_error", "parse_duration", "retry_after_from"]
