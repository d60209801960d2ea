"""Both producers driven through the real ``openai`` SDK against the fake server on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tutopanda_providers import Descriptor
from tutopanda_providers.contracts import (
    AuthError,
    ConfigurationError,
    ErrorKind,
    EventEmitter,
    InvalidInputError,
    NotFoundError,
    PromptSet,
    ProviderError,
    ProviderFailedError,
    ProviderTimeoutError,
    QuotaError,
    RateLimitedError,
    Script,
    TransientError,
)
from tutopanda_providers.handler import WarmStartContext
from tutopanda_providers.pipeline import PipelineOptions
from tutopanda_providers.pipeline.retry import RetryPolicy
from tutopanda_providers.registry import ProviderRegistry
from tutopanda_providers.telemetry import ListSink
from tutopanda_providers_testing import FakeOpenAIServer, Fault, fake_server_registry

#: A clearly fake key; tests check it never shows in events, errors or results.
CANARY = "test-canary-secret-123"
SCRIPT = Descriptor.parse("openai/gpt-5")
PROMPT = Descriptor.parse("openai/gpt-5-mini")


@dataclass
class Live:
    """A live registry on the fake, with what it emitted and how long it was told to sleep."""

    registry: ProviderRegistry
    server: FakeOpenAIServer
    sink: ListSink
    sleeps: list[float] = field(default_factory=list)

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies of every ``POST /v1/responses`` the server received."""
        return [r.json for r in self.server.log.for_route("responses")]


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(api_key=CANARY) as srv:
        yield srv


def make_live(
    server: FakeOpenAIServer, tmp_path: Path, secrets: dict[str, str] | None = None, **options: Any
) -> Live:
    sink = ListSink()
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)  # record the wait the registry chose; do not spend it

    registry = fake_server_registry(
        openai=server,
        storage=tmp_path / "blobs",
        allow_plugins=["openai"],
        secrets={"OPENAI_API_KEY": CANARY} if secrets is None else secrets,
        provider_options={"openai": {"timeout": 20, **options}},
        telemetry=sink,
        pipeline=PipelineOptions(retry=RetryPolicy(max_attempts=3, jitter=0), sleep=sleep),
    )
    return Live(registry, server, sink, sleeps)


async def close_handlers(registry: ProviderRegistry) -> None:
    for descriptor in (SCRIPT, PROMPT):
        try:
            handler = registry.resolve(descriptor).handler
        except Exception:
            continue
        close = getattr(handler, "aclose", None)
        if close is not None:
            await close()


@pytest.fixture
async def live(server: FakeOpenAIServer, tmp_path: Path) -> AsyncIterator[Live]:
    made = make_live(server, tmp_path)
    yield made
    await close_handlers(made.registry)


TOPIC = {"topic": "how volcanoes form", "segments": 3, "duration_seconds": 60}


def segments(n: int) -> list[dict[str, Any]]:
    return [
        {
            "index": i,
            "title": f"Part {i}",
            "narration": f"Magma rises through the crust, step {i}.",
            "visual_ideas": ["a cross-section of a volcano"],
            "duration_seconds": 7.0,
        }
        for i in range(n)
    ]


TARGETS = [
    {
        "target": "image",
        "model": "google/imagen-4",
        "aspect_ratios": ["16:9", "1:1"],
        "max_prompt_chars": 300,
    },
    {
        "target": "video",
        "model": "google/veo-3",
        "aspect_ratios": ["16:9"],
        "durations_seconds": [4, 6, 8],
    },
    {"target": "narration"},
]


def simulated_prompts(body: dict[str, Any], *, forget_last: bool = False) -> str:
    """What a model following the instructions loosely writes: every asked pair, with values
    the targets do not all accept (or, with ``forget_last``, one pair left out)."""
    batch = json.loads(body["input"].split("\n", 1)[1])
    names = [
        line[2:].split(":", 1)[0]
        for line in body["instructions"].splitlines()
        if line.startswith("- ")
    ]
    prompts = [
        {
            "segment_index": s["index"],
            "target": name,
            "prompt": f"{name} for {s['title']}: {s['narration']}",
            "negative_prompt": None,
            "aspect_ratio": "3:2",
            "duration_seconds": 7.0,
        }
        for s in batch
        for name in names
    ]
    if forget_last:
        prompts.pop()
    return json.dumps({"prompts": prompts})


@pytest.fixture
async def prompt_live(tmp_path: Path) -> AsyncIterator[Live]:
    with FakeOpenAIServer(api_key=CANARY, text_output=simulated_prompts) as srv:
        made = make_live(srv, tmp_path)
        yield made
        await close_handlers(made.registry)


# -- success ---------------------------------------------------------------------------------
async def test_script_is_researched_and_its_citations_become_sources(live: Live) -> None:
    result = await live.registry.invoke(SCRIPT, TOPIC)
    script = Script.model_validate(result.artefacts[0].data)
    assert result.artefacts[0].mime == "application/json"
    searched = [
        s["url"]
        for r in live.server.responses
        for item in r["output"]
        if item["type"] == "web_search_call"
        for s in item["action"].get("sources", [])
    ]
    assert searched, "the fake searched"
    urls = [s.url for s in script.sources]
    assert set(searched) <= set(urls)
    assert len(urls) == len(set(urls))  # one source per URL
    assert all(s.title for s in script.sources)
    assert [s.index for s in script.segments] == list(range(len(script.segments)))
    assert result.provider.response_ids == [live.server.responses[0]["id"]]
    assert result.provider.extra["web_search_calls"] == 1
    assert len(live.server.log.for_route("responses")) == 1


def _script_without_sources(body: dict[str, Any]) -> str:
    return json.dumps(
        {
            "title": "Volcanoes",
            "summary": "How volcanoes form.",
            "audience": "general audience",
            "language": "en",
            "segments": [
                {
                    "index": 4,
                    "title": "Magma",
                    "narration": "Magma rises.",
                    "visual_ideas": ["magma"],
                    "duration_seconds": 20,
                },
                {
                    "index": 9,
                    "title": "Eruption",
                    "narration": "It erupts.",
                    "visual_ideas": ["lava"],
                    "duration_seconds": 20,
                },
            ],
            "sources": [],
        }
    )


async def test_citations_and_search_results_become_sources_with_their_titles(
    tmp_path: Path,
) -> None:
    with FakeOpenAIServer(
        api_key=CANARY, web_searches=2, text_output=_script_without_sources
    ) as srv:
        made = make_live(srv, tmp_path)
        try:
            result = await made.registry.invoke(SCRIPT, {**TOPIC, "segments": 2})
        finally:
            await close_handlers(made.registry)
    script = Script.model_validate(result.artefacts[0].data)
    citations = [
        (note["title"], note["url"])
        for item in srv.responses[0]["output"]
        if item["type"] == "message"
        for note in item["content"][0]["annotations"]
    ]
    assert len(citations) == 4
    assert [(s.title, s.url) for s in script.sources] == citations
    assert [s.index for s in script.segments] == [0, 1]  # renumbered in order
    assert result.provider.extra["web_search_calls"] == 2
    assert any("renumbered" in note for note in result.provider.extra["notes"])
    search_items = [i for i in result.provider.cost.items if i.name == "web_search"]
    assert search_items[0].quantity == 2


async def test_script_request_has_search_reasoning_strict_schema_and_no_sampling_knobs(
    live: Live,
) -> None:
    await live.registry.invoke(
        SCRIPT, {**TOPIC, "reasoning_effort": "high", "search_context_size": "low"}
    )
    (body,) = live.bodies()
    assert body["model"] == "gpt-5"
    assert body["tools"] == [{"type": "web_search", "search_context_size": "low"}]
    assert body["include"] == ["web_search_call.action.sources"]
    assert body["reasoning"] == {"effort": "high"}
    assert body["text"]["format"]["type"] == "json_schema"
    assert body["text"]["format"]["strict"] is True
    assert body["text"]["format"]["name"] == "Script"
    assert body["max_output_tokens"] == 32000
    assert "temperature" not in body and "top_p" not in body
    assert "how volcanoes form" in body["input"]
    (request,) = live.server.log.for_route("responses")
    assert request.header("x-stainless-retry-count") == "0"
    assert request.bearer_token == CANARY


async def test_script_without_web_search_sends_no_tool_and_bills_no_search(live: Live) -> None:
    result = await live.registry.invoke(SCRIPT, {**TOPIC, "web_search": False})
    (body,) = live.bodies()
    assert "tools" not in body and "include" not in body
    assert "web_search" not in {i.name for i in result.provider.cost.items}


async def test_script_cost_is_computed_from_the_reported_usage(live: Live) -> None:
    result = await live.registry.invoke(SCRIPT, TOPIC)
    usage = live.server.responses[0]["usage"]
    cost = result.provider.cost
    expected = (
        (usage["input_tokens"] - usage["input_tokens_details"]["cached_tokens"]) * 1.25
        + usage["input_tokens_details"]["cached_tokens"] * 0.125
        + usage["output_tokens"] * 10.0
    ) / 1e6 + 1 * 0.01
    assert cost.status == "known"
    assert cost.amount_usd == pytest.approx(expected)
    assert cost.source and "provider-apis.md" in cost.source
    assert result.provider.usage is not None
    assert result.provider.usage.output_tokens == usage["output_tokens"]
    assert result.provider.usage.reasoning_tokens == 64


async def test_prompts_come_one_call_per_batch_and_fit_every_target(prompt_live: Live) -> None:
    live = prompt_live
    result = await live.registry.invoke(
        PROMPT, {"segments": segments(5), "targets": TARGETS, "batch_size": 2}
    )
    prompts = PromptSet.model_validate(result.artefacts[0].data).prompts
    assert len(live.bodies()) == 3
    assert [(p.segment_index, p.target) for p in prompts] == [
        (i, t) for i in range(5) for t in ("image", "video", "narration")
    ]
    for p in prompts:
        if p.target == "image":
            assert p.aspect_ratio in ("16:9", "1:1") and len(p.prompt) <= 300
            assert p.duration_seconds is None
        elif p.target == "video":
            assert p.aspect_ratio == "16:9" and p.duration_seconds in (4, 6, 8)
        else:
            assert p.aspect_ratio is None
    assert result.provider.response_ids == [r["id"] for r in live.server.responses]
    assert result.provider.extra["calls"] == 3
    adjustments = result.provider.extra["adjustments"]
    assert {(a["target"], a["field"]) for a in adjustments} == {
        ("image", "aspect_ratio"),  # 3:2 → 16:9
        ("image", "duration_seconds"),  # a still has none
        ("video", "aspect_ratio"),
        ("video", "duration_seconds"),  # 7 → 8
        ("narration", "aspect_ratio"),
    }
    assert all(a["reason"] for a in adjustments)
    out = sum(r["usage"]["output_tokens"] for r in live.server.responses)
    assert result.provider.usage is not None and result.provider.usage.output_tokens == out


async def test_prompt_request_carries_each_targets_constraints(prompt_live: Live) -> None:
    live = prompt_live
    await live.registry.invoke(PROMPT, {"segments": segments(2), "targets": TARGETS})
    (body,) = live.bodies()
    assert body["model"] == "gpt-5-mini"
    assert body["reasoning"] == {"effort": "low"}
    assert body["text"]["format"]["name"] == "PromptSet"
    assert "tools" not in body and "temperature" not in body and "top_p" not in body
    assert "must be one of 4, 6, 8" in body["instructions"]
    assert "at most 300 characters" in body["instructions"]
    assert '"index": 1' in body["input"]


# -- faults ----------------------------------------------------------------------------------
async def _fails(live: Live, descriptor: Any = SCRIPT, inputs: Any = None) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        await live.registry.invoke(descriptor, inputs or TOPIC)
    return info.value


@pytest.mark.parametrize(
    ("fault", "error_type"),
    [
        (Fault.insufficient_quota(), QuotaError),
        (Fault.status(400, message="Invalid value for 'input'."), InvalidInputError),
        (Fault.status(401), AuthError),
        (Fault.status(403, message="Project does not have access"), AuthError),
        (Fault.status(404, message="The model `gpt-5` does not exist"), NotFoundError),
        (Fault.incomplete(), ProviderFailedError),
        (Fault.reset_after(), TransientError),
        (Fault.malformed_json(), TransientError),
        (Fault.prediction_fails("server overloaded"), ProviderFailedError),
    ],
)
async def test_faults_that_must_not_be_retried_reach_the_server_once(
    live: Live, fault: Fault, error_type: type[ProviderError]
) -> None:
    live.server.faults.add("responses", fault)
    error = await _fails(live)
    assert isinstance(error, error_type)
    assert len(live.server.log.for_route("responses")) == 1
    assert live.sleeps == []


async def test_a_rate_limit_is_retried_after_the_wait_it_names(live: Live) -> None:
    live.server.faults.add("responses", Fault.rate_limited(retry_after=2.5))
    result = await live.registry.invoke(SCRIPT, TOPIC)
    assert Script.model_validate(result.artefacts[0].data)
    requests = live.server.log.for_route("responses")
    assert len(requests) == 2  # one per attempt: the SDK did not retry on its own
    assert [r.header("x-stainless-retry-count") for r in requests] == ["0", "0"]
    assert live.sleeps == [2.5]
    assert result.provider.attempts == 2


async def test_a_rate_limit_without_retry_after_takes_the_wait_from_the_message(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    server.send_retry_after = False
    made = make_live(server, tmp_path)
    server.faults.add("responses", Fault.rate_limited(retry_after=3.89))
    handler = made.registry.resolve(SCRIPT).handler
    request = made.registry.new_request(SCRIPT, SCRIPT_INPUTS())
    try:
        with pytest.raises(RateLimitedError) as info:
            await handler.invoke(request)
    finally:
        await close_handlers(made.registry)
    assert info.value.retry_after == pytest.approx(3.89)
    assert "retry-after" not in {k for r in server.log.requests for k in r.headers}


def SCRIPT_INPUTS() -> dict[str, Any]:
    from tutopanda_provider_openai.cards import SCRIPT_CARD

    return SCRIPT_CARD.validate_inputs(TOPIC)


@pytest.mark.parametrize("fault", [Fault.status(503), Fault.status(500)])
async def test_server_errors_are_retried_once_each(live: Live, fault: Fault) -> None:
    live.server.faults.add("responses", fault)
    result = await live.registry.invoke(SCRIPT, TOPIC)
    assert result.provider.attempts == 2
    assert len(live.server.log.for_route("responses")) == 2
    assert live.server.responses_created == 1


async def test_a_connection_lost_after_sending_is_marked_sent_and_not_resent(live: Live) -> None:
    live.server.faults.add("responses", Fault.reset_after())
    error = await _fails(live)
    assert error.kind is ErrorKind.TRANSIENT
    assert error.request_sent is True
    assert live.server.responses_created == 1  # the response exists; we did not pay twice


async def test_a_reset_looks_the_same_before_or_after_the_work_so_both_count_as_sent(
    live: Live,
) -> None:
    # The client sees the same lost connection either way; with no idempotency key the only
    # safe reading is that a response may exist.
    live.server.faults.add("responses", Fault.reset_before())
    error = await _fails(live)
    assert error.kind is ErrorKind.TRANSIENT and error.request_sent is True
    assert len(live.server.log.for_route("responses")) == 1


async def test_quota_is_not_retried_and_says_what_to_do(live: Live) -> None:
    live.server.faults.add("responses", Fault.insufficient_quota(), times=None)
    error = await _fails(live)
    assert error.kind is ErrorKind.QUOTA and not error.retryable
    assert "add credit" in error.message


async def test_a_response_cut_at_max_output_tokens_is_a_failure_never_a_short_script(
    tmp_path: Path,
) -> None:
    with FakeOpenAIServer(api_key=CANARY, reasoning_tokens=5000) as srv:
        made = make_live(srv, tmp_path)
        try:
            error = await _fails(made, SCRIPT, {**TOPIC, "max_output_tokens": 1000})
        finally:
            await close_handlers(made.registry)
    assert srv.responses[0]["status"] == "incomplete"
    assert isinstance(error, ProviderFailedError)
    assert "max_output_tokens=1000" in error.message
    assert error.request_sent is True  # it was billed: a budget counts it
    assert error.details["response_id"] == srv.responses[0]["id"]
    assert error.details["cost_usd"] > 0
    assert len(srv.log.for_route("responses")) == 1


async def test_an_incomplete_fault_is_a_failure_with_what_to_change(live: Live) -> None:
    live.server.faults.add("responses", Fault.incomplete("max_output_tokens"))
    error = await _fails(live)
    assert isinstance(error, ProviderFailedError)
    assert "raise max_output_tokens or lower reasoning effort" in error.message


async def test_a_slow_answer_past_the_timeout_is_a_timeout_with_the_request_sent(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    made = make_live(server, tmp_path, timeout=0.3)
    server.faults.add("responses", Fault.slow(1.5))
    try:
        error = await _fails(made)
    finally:
        await close_handlers(made.registry)
    assert isinstance(error, ProviderTimeoutError)
    assert error.request_sent is True
    assert len(server.log.for_route("responses")) == 1


async def test_json_that_does_not_fit_the_schema_is_a_provider_failure(
    tmp_path: Path,
) -> None:
    with FakeOpenAIServer(api_key=CANARY, text_output=lambda body: json.dumps({"title": 3})) as srv:
        made = make_live(srv, tmp_path)
        try:
            error = await _fails(made)
        finally:
            await close_handlers(made.registry)
    assert isinstance(error, ProviderFailedError)
    assert "Script schema" in error.message
    assert len(srv.log.for_route("responses")) == 1


async def test_text_that_is_not_json_is_a_provider_failure(tmp_path: Path) -> None:
    with FakeOpenAIServer(api_key=CANARY, text_output=lambda body: "Sure! Here is") as srv:
        made = make_live(srv, tmp_path)
        try:
            error = await _fails(made, PROMPT, {"segments": segments(1)})
        finally:
            await close_handlers(made.registry)
    assert isinstance(error, ProviderFailedError)
    assert "PromptSet schema" in error.message


async def test_a_prompt_left_out_is_asked_for_once_more_and_only_it(tmp_path: Path) -> None:
    calls: list[int] = []

    def forgetful(body: dict[str, Any]) -> str:
        calls.append(1)
        return simulated_prompts(body, forget_last=len(calls) == 1)

    with FakeOpenAIServer(api_key=CANARY, text_output=forgetful) as srv:
        made = make_live(srv, tmp_path)
        try:
            result = await made.registry.invoke(
                PROMPT, {"segments": segments(3), "targets": TARGETS}
            )
        finally:
            await close_handlers(made.registry)
    bodies = [r.json for r in srv.log.for_route("responses")]
    assert len(bodies) == 2
    follow_up = bodies[1]
    assert "- narration:" in follow_up["instructions"]
    assert "- image:" not in follow_up["instructions"]
    assert [s["index"] for s in json.loads(follow_up["input"].split("\n", 1)[1])] == [2]
    prompts = PromptSet.model_validate(result.artefacts[0].data).prompts
    assert len(prompts) == 9
    assert result.provider.response_ids == [r["id"] for r in srv.responses]
    assert any(a["before"] == "(missing)" for a in result.provider.extra["adjustments"])


async def test_a_prompt_still_missing_after_asking_again_fails_the_job(tmp_path: Path) -> None:
    with FakeOpenAIServer(
        api_key=CANARY, text_output=lambda body: simulated_prompts(body, forget_last=True)
    ) as srv:
        made = make_live(srv, tmp_path)
        try:
            error = await _fails(made, PROMPT, {"segments": segments(2), "targets": TARGETS})
        finally:
            await close_handlers(made.registry)
    assert isinstance(error, ProviderFailedError)
    assert "left out prompts: narration for segment 1" in error.message
    assert error.request_sent is True  # two paid calls: not re-sent blindly
    assert len(error.details["response_ids"]) == 2
    assert error.details["cost_usd"] > 0


async def test_a_prompt_retry_resumes_at_the_batch_that_failed(prompt_live: Live) -> None:
    live = prompt_live
    live.server.faults.add("responses", Fault.rate_limited(retry_after=0.5), after=1)
    result = await live.registry.invoke(PROMPT, {"segments": segments(4), "batch_size": 2})
    assert len(live.server.log.for_route("responses")) == 3  # batch 1, batch 2 (429), batch 2
    assert live.server.responses_created == 2
    assert result.provider.response_ids == [r["id"] for r in live.server.responses]
    assert len(PromptSet.model_validate(result.artefacts[0].data).prompts) == 8


# -- configuration, secrets, warm start -------------------------------------------------------
async def test_warm_start_without_a_key_fails_saying_how_to_set_it(
    server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    made = make_live(server, tmp_path, secrets={})
    reports = await made.registry.warm_start([SCRIPT, PROMPT])
    assert [r.status for r in reports] == ["failed", "failed"]
    assert all("OPENAI_API_KEY" in (r.error or "") for r in reports)
    handler = made.registry.resolve(SCRIPT).handler
    context = WarmStartContext(telemetry=EventEmitter(made.sink), timeout=5)
    with pytest.raises(AuthError) as info:
        await handler.warm_start(context)  # type: ignore[attr-defined]
    assert "OPENAI_API_KEY is not set" in info.value.message
    assert "export OPENAI_API_KEY" in info.value.message
    with pytest.raises(AuthError):
        await made.registry.invoke(SCRIPT, TOPIC)
    assert server.log.requests == []


async def test_warm_start_with_a_key_is_ready_without_a_paid_call(live: Live) -> None:
    reports = await live.registry.warm_start([SCRIPT, PROMPT])
    assert [r.status for r in reports] == ["ready", "ready"]
    assert live.server.log.requests == []


async def test_the_base_url_comes_from_the_environment_when_not_given(
    server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    made = make_live(server, tmp_path, base_url=None, organization="org-test")
    try:
        await made.registry.invoke(SCRIPT, TOPIC)
    finally:
        await close_handlers(made.registry)
    (request,) = server.log.for_route("responses")
    assert request.header("openai-organization") == "org-test"


def test_an_unknown_provider_option_is_refused_naming_the_known_ones(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    made = make_live(server, tmp_path, max_retries=5)
    with pytest.raises(ConfigurationError, match=r"max_retries.*Known options"):
        made.registry.resolve(SCRIPT)


async def test_a_passed_deadline_fails_before_anything_is_sent(live: Live) -> None:
    handler = live.registry.resolve(SCRIPT).handler
    request = live.registry.new_request(SCRIPT, SCRIPT_INPUTS(), timeout=-1)
    with pytest.raises(ProviderTimeoutError) as info:
        await handler.invoke(request)
    assert info.value.request_sent is False
    assert live.server.log.requests == []


async def test_the_key_never_shows_in_events_errors_or_results(live: Live) -> None:
    live.server.faults.add(
        "responses", Fault.status(401, message=f"Incorrect API key provided: {CANARY}.")
    )
    live.server.faults.add("responses", Fault.reset_after())
    live.server.faults.add("responses", Fault.insufficient_quota())
    seen: list[str] = []
    for _ in range(3):
        with pytest.raises(ProviderError) as info:
            await live.registry.invoke(SCRIPT, TOPIC)
        seen += [str(info.value), repr(info.value), json.dumps(info.value.to_dict(), default=str)]
    result = await live.registry.invoke(SCRIPT, TOPIC)
    seen.append(
        json.dumps(
            result.event_payload(live.registry.new_request(PROMPT, {"segments": segments(1)}).job)
        )
    )
    seen += [json.dumps(e.to_dict(), default=str) for e in live.sink.events]
    assert any("Incorrect API key provided" in s for s in seen)
    assert not [s for s in seen if CANARY in s]
    assert {"openai.response"} <= {e.name for e in live.sink.events}


async def test_a_budget_refuses_a_script_it_cannot_afford_before_any_request(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    from tutopanda_providers.contracts import BudgetExceededError
    from tutopanda_providers.pipeline.budget import Budget

    budget = Budget(max_cost_usd=0.001)
    registry = fake_server_registry(
        openai=server,
        storage=tmp_path / "blobs",
        allow_plugins=["openai"],
        secrets={"OPENAI_API_KEY": CANARY},
        pipeline=PipelineOptions(budget=budget),
    )
    with pytest.raises(BudgetExceededError):
        await registry.invoke(SCRIPT, TOPIC)
    assert server.log.requests == []


async def test_a_budget_is_charged_what_the_usage_cost(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    from tutopanda_providers.pipeline.budget import Budget

    budget = Budget(max_cost_usd=5.0)
    registry = fake_server_registry(
        openai=server,
        storage=tmp_path / "blobs",
        allow_plugins=["openai"],
        secrets={"OPENAI_API_KEY": CANARY},
        pipeline=PipelineOptions(budget=budget),
    )
    try:
        result = await registry.invoke(SCRIPT, TOPIC)
    finally:
        await close_handlers(registry)
    assert budget.spent_usd == pytest.approx(result.provider.cost.amount_usd)
    assert budget.reserved_usd == 0
