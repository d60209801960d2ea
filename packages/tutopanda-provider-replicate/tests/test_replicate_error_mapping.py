"""Replicate's failures become the right error kinds, with the facts a caller needs."""

from __future__ import annotations

import pytest
from replicate.exceptions import ReplicateError
from tutopanda_provider_replicate.error_mapping import map_api_error, prediction_error
from tutopanda_providers.contracts import ErrorKind, ProviderError


def _map(status: int, detail: str, headers: dict[str, str] | None = None) -> ProviderError:
    return map_api_error(
        ReplicateError(status=status, detail=detail, title="t"),
        model="google/veo-3-fast",
        action="create the prediction",
        headers=headers,
    )


def test_429_is_rate_limited_with_the_retry_after_header() -> None:
    error = _map(429, "Request was throttled.", {"Retry-After": "7"})
    assert error.kind is ErrorKind.RATE_LIMITED and error.retryable
    assert error.retry_after == 7


def test_429_without_a_header_reads_the_reset_time_from_the_text() -> None:
    error = _map(429, "Request was throttled. Your rate limit resets in ~30s.")
    assert error.retry_after == 30


def test_422_is_invalid_input_naming_the_fields() -> None:
    error = _map(422, "- input.duration: must be one of 4, 6, 8\n- input.resolution: bad")
    assert error.kind is ErrorKind.INVALID_INPUT
    assert error.details["fields"] == ["duration", "resolution"]
    assert not error.retryable


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, ErrorKind.AUTH),
        (403, ErrorKind.AUTH),
        (402, ErrorKind.QUOTA),
        (404, ErrorKind.NOT_FOUND),
        (500, ErrorKind.TRANSIENT),
        (503, ErrorKind.TRANSIENT),
        (409, ErrorKind.INVALID_INPUT),
        (418, ErrorKind.PROVIDER_FAILED),
    ],
)
def test_statuses_map_to_kinds(status: int, kind: ErrorKind) -> None:
    assert _map(status, "x").kind is kind


def test_a_failed_prediction_carries_the_models_error_text() -> None:
    error = prediction_error(
        model="m/n", prediction_id="p1", status="failed", error="CUDA out of memory"
    )
    assert error.kind is ErrorKind.PROVIDER_FAILED
    assert "CUDA out of memory" in error.message and error.details["prediction_id"] == "p1"


def test_a_refused_content_failure_is_content_policy() -> None:
    error = prediction_error(
        model="m/n", prediction_id="p1", status="failed", error="NSFW content detected"
    )
    assert error.kind is ErrorKind.CONTENT_POLICY


@pytest.mark.parametrize("status", ["canceled", "aborted"])
def test_canceled_and_aborted_predictions_are_canceled(status: str) -> None:
    error = prediction_error(model="m/n", prediction_id="p1", status=status, error=None)
    assert error.kind is ErrorKind.CANCELED and not error.retryable
