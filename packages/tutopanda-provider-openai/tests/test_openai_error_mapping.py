from __future__ import annotations

from typing import Any

import httpx2
import openai
import pytest
from tutopanda_provider_openai.error_mapping import (
    map_openai_error,
    parse_duration,
    retry_after_from,
)
from tutopanda_providers.contracts import ErrorKind
from tutopanda_providers.secrets import Secret

URL = "http://127.0.0.1:9/v1/responses"


def status_error(
    status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> openai.APIStatusError:
    """Build the exception the SDK raises for ``status`` (the client's own mapping)."""
    response = httpx2.Response(status, headers=headers or {}, request=httpx2.Request("POST", URL))
    client = openai.OpenAI(api_key="unused-key-for-tests", base_url="http://127.0.0.1:9/v1")
    return client._make_status_error(
        f"Error code: {status}", body={"error": body or {}}, response=response
    )


@pytest.mark.parametrize(
    ("status", "code", "kind", "retryable"),
    [
        (400, "invalid_value", ErrorKind.INVALID_INPUT, False),
        (400, "content_policy_violation", ErrorKind.CONTENT_POLICY, False),
        (401, "invalid_api_key", ErrorKind.AUTH, False),
        (403, "unsupported_country_region_territory", ErrorKind.AUTH, False),
        (404, "model_not_found", ErrorKind.NOT_FOUND, False),
        (409, None, ErrorKind.TRANSIENT, True),
        (422, None, ErrorKind.INVALID_INPUT, False),
        (429, "rate_limit_exceeded", ErrorKind.RATE_LIMITED, True),
        (429, "insufficient_quota", ErrorKind.QUOTA, False),
        (500, "server_error", ErrorKind.TRANSIENT, True),
        (503, None, ErrorKind.TRANSIENT, True),
        (418, None, ErrorKind.PROVIDER_FAILED, False),
    ],
)
def test_each_status_maps_to_its_kind(
    status: int, code: str | None, kind: ErrorKind, retryable: bool
) -> None:
    error = map_openai_error(
        status_error(status, {"message": "said the server", "code": code}), model="gpt-5"
    )
    assert error.kind is kind
    assert error.retryable is retryable
    assert error.request_sent is False  # an answer is an answer: nothing billable was made
    assert "said the server" in error.message
    assert error.details["status"] == status
    assert error.provider == "openai" and error.model == "gpt-5"


def test_quota_says_what_to_do() -> None:
    error = map_openai_error(
        status_error(
            429, {"message": "You exceeded your current quota", "code": "insufficient_quota"}
        ),
        model="gpt-5",
    )
    assert error.kind is ErrorKind.QUOTA
    assert "add credit" in error.message and "billing" in error.message


def test_auth_error_names_the_variable_to_check() -> None:
    error = map_openai_error(status_error(401, {"message": "Incorrect API key"}), model="gpt-5")
    assert "OPENAI_API_KEY" in error.message


def test_a_429_carries_the_wait_from_its_headers() -> None:
    error = map_openai_error(
        status_error(429, {"message": "slow down"}, {"retry-after-ms": "1500"}), model="gpt-5"
    )
    assert error.retry_after == 1.5


def test_a_429_carries_the_wait_named_in_its_message() -> None:
    message = (
        "Rate limit reached for gpt-5 in organization org-x on tokens per min (TPM): Limit 30000, "
        "Used 28039, Requested 3906. Please try again in 3.89s. Visit https://x for more."
    )
    error = map_openai_error(status_error(429, {"message": message}), model="gpt-5")
    assert error.retry_after == pytest.approx(3.89)


@pytest.mark.parametrize(
    ("headers", "message", "wait"),
    [
        ({"Retry-After": "2"}, "", 2.0),
        ({"retry-after-ms": "250", "retry-after": "9"}, "", 0.25),
        ({}, "Please try again in 120ms.", 0.12),
        ({}, "please try again in 1m30s", 90.0),
        (
            {
                "x-ratelimit-remaining-tokens": "0",
                "x-ratelimit-reset-tokens": "6m0s",
                "x-ratelimit-remaining-requests": "5",
                "x-ratelimit-reset-requests": "1s",
            },
            "",
            360.0,
        ),
        ({"retry-after": "not a date"}, "", None),
        ({}, "no hint here", None),
    ],
)
def test_retry_after_reads_every_place_openai_names_a_wait(
    headers: dict[str, str], message: str, wait: float | None
) -> None:
    found = retry_after_from(headers, message)
    assert found == (pytest.approx(wait) if wait is not None else None)


def test_durations_in_openai_format() -> None:
    assert parse_duration("6m0s") == 360.0
    assert parse_duration("12ms") == pytest.approx(0.012)
    assert parse_duration("1h") == 3600.0
    assert parse_duration("soon") is None


def _connection_error(cause: Exception, timeout: bool = False) -> openai.APIConnectionError:
    request = httpx2.Request("POST", URL)
    exc: openai.APIConnectionError = (
        openai.APITimeoutError(request) if timeout else openai.APIConnectionError(request=request)
    )
    exc.__cause__ = cause
    return exc


def test_a_connection_refused_was_not_sent_and_may_be_retried() -> None:
    error = map_openai_error(_connection_error(httpx2.ConnectError("refused")), model="gpt-5")
    assert error.kind is ErrorKind.TRANSIENT
    assert error.request_sent is False


def test_a_connection_lost_after_sending_says_the_request_was_sent() -> None:
    error = map_openai_error(
        _connection_error(httpx2.RemoteProtocolError("peer closed")), model="gpt-5"
    )
    assert error.kind is ErrorKind.TRANSIENT
    assert error.request_sent is True
    assert "billed" in error.message


def test_a_read_timeout_is_a_timeout_with_the_request_sent() -> None:
    error = map_openai_error(
        _connection_error(httpx2.ReadTimeout("slow"), timeout=True), model="gpt-5"
    )
    assert error.kind is ErrorKind.TIMEOUT
    assert error.request_sent is True
    connect = map_openai_error(
        _connection_error(httpx2.ConnectTimeout("slow"), timeout=True), model="gpt-5"
    )
    assert connect.kind is ErrorKind.TIMEOUT and connect.request_sent is False


def test_an_unreadable_answer_is_transient_with_the_request_sent() -> None:
    error = map_openai_error(ValueError("Expecting value: line 1 column 1"), model="gpt-5")
    assert error.kind is ErrorKind.TRANSIENT
    assert error.request_sent is True


def test_a_secret_echoed_by_the_server_never_reaches_the_message() -> None:
    canary = Secret("OPENAI_API_KEY", "test-canary-secret-123")
    error = map_openai_error(
        status_error(401, {"message": f"Incorrect API key provided: {canary.reveal()}"}),
        model="gpt-5",
    )
    assert canary.reveal() not in error.message
    assert canary.reveal() not in repr(error)
    assert canary.reveal() not in str(error.to_dict())
