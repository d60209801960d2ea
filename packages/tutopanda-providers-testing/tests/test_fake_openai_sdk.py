"""The fake OpenAI server, driven by the real ``openai`` SDK over loopback."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

openai = pytest.importorskip("openai")
httpx = pytest.importorskip("httpx")

from tutopanda_providers.contracts import PromptSet, Script  # noqa: E402
from tutopanda_providers_testing import FakeOpenAIServer, Fault  # noqa: E402

KEY = "sk-test-canary-123"
OPENAPI = Path(__file__).with_name("openai-responses.openapi.json")


_clients: list[Any] = []


@pytest.fixture
async def srv() -> AsyncIterator[FakeOpenAIServer]:
    with FakeOpenAIServer(api_key=KEY) as server:
        yield server
        while _clients:
            await _clients.pop().close()


def client(srv: FakeOpenAIServer, **kwargs: Any) -> Any:
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("api_key", KEY)
    made = openai.AsyncOpenAI(base_url=srv.base_url, **kwargs)
    _clients.append(made)
    return made


async def research(srv: FakeOpenAIServer, **kwargs: Any) -> Any:
    return await client(srv).responses.create(
        model="gpt-5",
        input="volcanoes of iceland",
        instructions="Research, then write.",
        reasoning={"effort": "low", "summary": "auto"},
        tools=[{"type": "web_search"}],
        include=["web_search_call.action.sources"],
        **kwargs,
    )


async def test_response_has_reasoning_search_and_cited_message(srv: FakeOpenAIServer) -> None:
    response = await research(srv)
    assert [item.type for item in response.output] == ["reasoning", "web_search_call", "message"]
    search = response.output[1]
    assert search.action.sources and search.action.sources[0].url.startswith("https://")
    text = response.output[2].content[0]
    citations = text.annotations
    assert citations and all(c.type == "url_citation" for c in citations)
    assert text.text[citations[0].start_index : citations[0].end_index] == citations[0].url
    assert response.usage.output_tokens_details.reasoning_tokens > 0
    assert response.tool_usage.web_search.num_requests == 1
    assert response.output_text == text.text


async def test_no_web_search_items_without_the_tool(srv: FakeOpenAIServer) -> None:
    response = await client(srv).responses.create(model="gpt-5-mini", input="hello")
    assert [item.type for item in response.output] == ["reasoning", "message"]


async def test_sources_only_when_included(srv: FakeOpenAIServer) -> None:
    response = await client(srv).responses.create(
        model="gpt-5", input="x", tools=[{"type": "web_search"}]
    )
    assert response.output[1].action.sources is None


@pytest.mark.parametrize("schema_model", [Script, PromptSet])
async def test_structured_output_conforms_to_the_requested_schema(
    srv: FakeOpenAIServer, schema_model: Any
) -> None:
    parsed = await client(srv).responses.parse(
        model="gpt-5",
        input="the water cycle",
        text_format=schema_model,
        tools=[{"type": "web_search"}],
    )
    assert isinstance(parsed.output_parsed, schema_model)
    sent = srv.log.for_route("responses")[0].json
    assert sent["text"]["format"]["type"] == "json_schema"


async def test_script_sources_are_the_searched_urls(srv: FakeOpenAIServer) -> None:
    parsed = await client(srv).responses.parse(
        model="gpt-5",
        input="the water cycle",
        text_format=Script,
        tools=[{"type": "web_search"}],
        include=["web_search_call.action.sources"],
    )
    searched = {s.url for s in parsed.output[1].action.sources}
    assert {s.url for s in parsed.output_parsed.sources} <= searched


async def test_headers_are_read_case_insensitively(srv: FakeOpenAIServer) -> None:
    await client(srv).responses.create(model="gpt-5", input="x")
    sent = srv.log.for_route("responses")[0]
    assert sent.header("Authorization") == f"Bearer {KEY}"
    assert sent.header("X-Stainless-Retry-Count") == "0"
    answer = httpx.post(
        f"{srv.base_url}/responses",
        json={"model": "gpt-5", "input": "x"},
        headers={"AUTHORIZATION": f"Bearer {KEY}"},
    )
    assert answer.status_code == 200
    assert answer.headers["x-ratelimit-remaining-requests"].isdigit()
    assert answer.headers["x-request-id"].startswith("req_")


async def test_wrong_key_is_an_authentication_error(srv: FakeOpenAIServer) -> None:
    wrong = client(srv, api_key="sk-wrong-key-456")
    with pytest.raises(openai.AuthenticationError) as caught:
        await wrong.responses.create(model="gpt-5", input="x")
    assert caught.value.code == "invalid_api_key"


async def test_temperature_on_a_reasoning_model_is_a_bad_request(srv: FakeOpenAIServer) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await client(srv).responses.create(model="gpt-5", input="x", temperature=0.2)
    assert caught.value.param == "temperature"


async def test_max_output_tokens_too_small_gives_an_incomplete_response(
    srv: FakeOpenAIServer,
) -> None:
    response = await client(srv).responses.create(model="gpt-5", input="x", max_output_tokens=20)
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"


async def test_incomplete_on_demand_breaks_structured_parsing(srv: FakeOpenAIServer) -> None:
    srv.faults.add("responses", Fault.incomplete())
    with pytest.raises(ValueError):  # pydantic ValidationError on the truncated JSON
        await client(srv).responses.parse(model="gpt-5", input="x", text_format=Script)
    assert srv.responses[0]["status"] == "incomplete"


async def test_failed_response_carries_its_error(srv: FakeOpenAIServer) -> None:
    srv.faults.add("responses", Fault.prediction_fails("model overloaded"))
    response = await client(srv).responses.create(model="gpt-5", input="x")
    assert response.status == "failed"
    assert response.error.message == "model overloaded"


async def test_rate_limit_is_a_rate_limit_error_with_retry_after(srv: FakeOpenAIServer) -> None:
    srv.faults.add("responses", Fault.rate_limited(retry_after=3))
    with pytest.raises(openai.RateLimitError) as caught:
        await client(srv).responses.create(model="gpt-5", input="x")
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.response.headers["retry-after"] == "3"
    assert len(srv.log.for_route("responses")) == 1  # max_retries=0: no SDK retry


async def test_insufficient_quota_is_a_429_with_its_code(srv: FakeOpenAIServer) -> None:
    srv.faults.add("responses", Fault.insufficient_quota())
    with pytest.raises(openai.RateLimitError) as caught:
        await client(srv).responses.create(model="gpt-5", input="x")
    assert caught.value.code == "insufficient_quota"
    assert caught.value.type == "insufficient_quota"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_internal_server_errors_without_retry(
    srv: FakeOpenAIServer, status: int
) -> None:
    srv.faults.add("responses", Fault.status(status))
    with pytest.raises(openai.InternalServerError) as caught:
        await client(srv).responses.create(model="gpt-5", input="x")
    assert caught.value.status_code == status
    assert len(srv.log.for_route("responses")) == 1


async def test_sdk_retries_when_left_on_honour_retry_after(srv: FakeOpenAIServer) -> None:
    srv.faults.add("responses", Fault.rate_limited(retry_after=0))
    response = await client(srv, max_retries=2).responses.create(model="gpt-5", input="x")
    assert response.status == "completed"
    counts = [r.header("x-stainless-retry-count") for r in srv.log.for_route("responses")]
    assert counts == ["0", "1"]


async def test_reset_before_processing_is_a_connection_error_and_makes_nothing(
    srv: FakeOpenAIServer,
) -> None:
    srv.faults.add("responses", Fault.reset_before())
    with pytest.raises(openai.APIConnectionError):
        await client(srv).responses.create(model="gpt-5", input="x")
    assert srv.responses_created == 0


async def test_reset_after_processing_made_a_response_the_client_never_saw(
    srv: FakeOpenAIServer,
) -> None:
    srv.faults.add("responses", Fault.reset_after())
    with pytest.raises(openai.APIConnectionError):
        await client(srv).responses.create(model="gpt-5", input="x")
    assert srv.responses_created == 1


async def test_slow_answer_past_the_timeout_is_a_timeout_error(srv: FakeOpenAIServer) -> None:
    srv.faults.add("responses", Fault.slow(5))
    with pytest.raises(openai.APITimeoutError):
        await client(srv, timeout=0.2).responses.create(model="gpt-5", input="x")


async def test_malformed_json_is_not_a_valid_response(srv: FakeOpenAIServer) -> None:
    srv.faults.add("responses", Fault.malformed_json())
    with pytest.raises((openai.APIResponseValidationError, ValueError)):
        await client(srv).responses.create(model="gpt-5", input="x")


async def test_stored_response_can_be_retrieved(srv: FakeOpenAIServer) -> None:
    created = await research(srv)
    again = await client(srv).responses.retrieve(created.id)
    assert again.output_text == created.output_text


# -- the answers validate against the official OpenAPI document ------------------------------
def _openapi_validator(schema_name: str) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    document = json.loads(OPENAPI.read_text())

    def fix(node: Any) -> Any:
        # The two known upstream defects (see reference/openapi/README.md): discriminators
        # without mappings, and OAS 3.0 ``nullable`` in a 3.1 document.
        if isinstance(node, dict):
            node = {k: fix(v) for k, v in node.items() if k != "discriminator"}
            if node.pop("nullable", False) and "type" in node:
                kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
                node["type"] = [*kinds, "null"]
            return node
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    root = {
        "$ref": f"#/components/schemas/{schema_name}",
        "components": fix(document["components"]),
    }
    return jsonschema.Draft202012Validator(copy.deepcopy(root))


async def test_responses_validate_against_the_openapi_document(srv: FakeOpenAIServer) -> None:
    validator = _openapi_validator("Response")
    await research(srv)
    await client(srv).responses.parse(model="gpt-5-mini", input="x", text_format=PromptSet)
    await client(srv).responses.create(model="gpt-5", input="x", max_output_tokens=20)
    for body in srv.responses:
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]]


async def test_error_bodies_validate_against_the_openapi_document(srv: FakeOpenAIServer) -> None:
    validator = _openapi_validator("ErrorResponse")
    srv.faults.add("responses", Fault.rate_limited())
    answer = httpx.post(
        f"{srv.base_url}/responses",
        json={"model": "gpt-5", "input": "x"},
        headers={"authorization": f"Bearer {KEY}"},
    )
    assert answer.status_code == 429
    assert not list(validator.iter_errors(answer.json()))
