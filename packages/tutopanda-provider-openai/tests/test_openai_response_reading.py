from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tutopanda_provider_openai.response_reading import (
    clean_url,
    merge_sources,
    raise_for_outcome,
    read_response,
)
from tutopanda_providers.contracts import (
    CanceledError,
    ContentPolicyError,
    ErrorKind,
    InvalidInputError,
    ProviderFailedError,
    RateLimitedError,
    Source,
)

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def test_reading_collects_text_citations_search_sources_and_usage() -> None:
    reading = read_response(fixture("response_script_completed.json"))
    assert reading.id == "resp_0a1b2c3d4e"
    assert reading.status == "completed"
    assert json.loads(reading.output_text)["title"] == "How Photosynthesis Works"
    assert [c.url for c in reading.citations] == [
        "https://www.britannica.com/science/photosynthesis?utm_source=openai",
        "https://www.nature.com/scitable/topicpage/photosynthetic-cells-14025371/",
    ]
    assert reading.citations[1].title == "Photosynthetic Cells | Scitable"
    assert [s.url for s in reading.search_sources] == [
        "https://en.wikipedia.org/wiki/Photosynthesis",
        "https://www.britannica.com/science/photosynthesis",
    ]
    assert reading.web_search_calls == 2  # a search and an open_page: both are calls
    assert reading.usage.input_tokens == 12000
    assert reading.usage.cached_tokens == 2000
    assert reading.usage.output_tokens == 5000
    assert reading.usage.reasoning_tokens == 3500
    assert reading.model == "gpt-5-2025-08-07"
    assert reading.billed


def test_reading_joins_text_of_every_output_text_part() -> None:
    data = {
        "id": "resp_1",
        "status": "completed",
        "output": [
            {
                "type": "message",
                "content": [
                    {"type": "output_text", "text": '{"a": ', "annotations": []},
                    {"type": "output_text", "text": "1}", "annotations": []},
                ],
            }
        ],
    }
    assert read_response(data).output_text == '{"a": 1}'


def test_reading_a_minimal_answer_counts_nothing() -> None:
    reading = read_response({"id": "resp_2", "status": "completed", "output": []})
    assert reading.output_text == ""
    assert reading.web_search_calls == 0
    assert reading.usage.input_tokens == 0
    assert not reading.billed


def test_sources_are_merged_one_per_url_keeping_the_first_real_title() -> None:
    reading = read_response(fixture("response_script_completed.json"))
    from_model = [
        Source(
            title="Photosynthesis - Wikipedia", url="https://en.wikipedia.org/wiki/Photosynthesis"
        )
    ]
    merged = merge_sources(from_model, reading.citations, reading.search_sources)
    assert [(s.title, s.url) for s in merged] == [
        ("Photosynthesis - Wikipedia", "https://en.wikipedia.org/wiki/Photosynthesis"),
        (
            "Photosynthesis | Definition, Formula, Process | Britannica",
            "https://www.britannica.com/science/photosynthesis",
        ),
        (
            "Photosynthetic Cells | Scitable",
            "https://www.nature.com/scitable/topicpage/photosynthetic-cells-14025371/",
        ),
    ]


def test_a_source_seen_only_by_search_takes_its_url_as_title() -> None:
    merged = merge_sources([Source(title="", url="https://example.org/a")])
    assert merged == [Source(title="https://example.org/a", url="https://example.org/a")]


def test_a_title_found_later_fills_a_source_that_had_none() -> None:
    merged = merge_sources(
        [Source(title="", url="https://Example.org/a/")],
        [Source(title="Page A", url="https://example.org/a#part")],
    )
    assert merged == [Source(title="Page A", url="https://Example.org/a/")]


def test_clean_url_drops_tracking_parameters_and_fragment_only() -> None:
    assert (
        clean_url("https://example.org/p?id=3&utm_source=openai#top")
        == "https://example.org/p?id=3"
    )


def test_a_completed_response_passes() -> None:
    raise_for_outcome(read_response(fixture("response_script_completed.json")), model="gpt-5")


def test_a_response_stopped_at_max_output_tokens_fails_saying_what_to_change() -> None:
    reading = read_response(fixture("response_incomplete.json"))
    with pytest.raises(ProviderFailedError) as info:
        raise_for_outcome(reading, model="gpt-5", max_output_tokens=1000, spent_usd=0.011)
    error = info.value
    assert error.kind is ErrorKind.PROVIDER_FAILED
    assert not error.retryable
    assert "max_output_tokens=1000" in error.message
    assert "raise max_output_tokens or lower reasoning effort" in error.message
    assert error.details["response_id"] == "resp_incomplete1"
    assert error.details["cost_usd"] == 0.011


def _status(status: str, **extra: Any) -> dict[str, Any]:
    return {"id": "resp_x", "status": status, "output": [], **extra}


@pytest.mark.parametrize(
    ("data", "error_type"),
    [
        (
            _status("incomplete", incomplete_details={"reason": "content_filter"}),
            ContentPolicyError,
        ),
        (_status("failed", error={"code": "server_error", "message": "boom"}), ProviderFailedError),
        (
            _status("failed", error={"code": "rate_limit_exceeded", "message": "slow"}),
            RateLimitedError,
        ),
        (_status("failed", error={"code": "invalid_prompt", "message": "no"}), InvalidInputError),
        (_status("failed", error={"code": "other", "message": "no"}), ProviderFailedError),
        (_status("cancelled"), CanceledError),
        (_status("in_progress"), ProviderFailedError),
    ],
)
def test_each_unfinished_status_becomes_its_error_kind(
    data: dict[str, Any], error_type: type[Exception]
) -> None:
    with pytest.raises(error_type):
        raise_for_outcome(read_response(data), model="gpt-5")


def test_a_refusal_is_a_content_policy_error() -> None:
    data = _status(
        "completed",
        output=[{"type": "message", "content": [{"type": "refusal", "refusal": "I can't help"}]}],
    )
    with pytest.raises(ContentPolicyError, match="I can't help"):
        raise_for_outcome(read_response(data), model="gpt-5")


def test_a_failed_response_with_a_server_error_may_be_retried() -> None:
    data = _status("failed", error={"code": "server_error", "message": "overloaded"})
    with pytest.raises(ProviderFailedError) as info:
        raise_for_outcome(read_response(data), model="gpt-5")
    assert info.value.retryable is True
    assert "overloaded" in info.value.message
