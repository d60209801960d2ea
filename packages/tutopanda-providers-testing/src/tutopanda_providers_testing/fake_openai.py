"""A fake OpenAI Responses API on 127.0.0.1, for the real ``openai`` SDK to talk to.

    with FakeOpenAIServer() as srv:
        client = openai.AsyncOpenAI(api_key="sk-test", base_url=srv.base_url, max_retries=0)
        response = await client.responses.create(model="gpt-5", input="volcanoes")

``POST /v1/responses`` answers as section C of ``reference/provider-apis.md`` describes: a
reasoning item, ``web_search_call`` items when the request carries a web-search tool, and an
assistant message whose ``output_text`` carries ``url_citation`` annotations; usage with
reasoning tokens. With ``text.format`` of type ``json_schema`` the text is JSON that conforms to
the request's schema — and when the request is one of tutopanda's own, it answers its meaning
(:mod:`~tutopanda_providers_testing.lesson_answers`): a script with the segment count and
duration asked, whose sources are the searched pages; a prompt set with one prompt per asked
(segment, target) pair within each target's allowed values. ``text_output`` scripts any other
answer (too few segments, missing pairs, inline citation marks…). Errors use the ``{"error": {...}}`` body; answers carry ``x-ratelimit-*``
headers. Every response carries the fields the official OpenAPI document requires.
``GET /v1/responses/{id}`` returns a stored response.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from typing import Any

from tutopanda_providers_testing.fakeserver import BEARER_OR_TOKEN, FakeServer, Reply
from tutopanda_providers_testing.faults import Fault, FaultKind
from tutopanda_providers_testing.lesson_answers import (
    is_prompt_request,
    is_script_request,
    prompt_set_answer,
    script_answer,
)
from tutopanda_providers_testing.requestlog import RecordedRequest
from tutopanda_providers_testing.schema_data import generate_from_schema

_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
_REASONING_MODELS = re.compile(r"^(gpt-5|o\d)")
_WEB_SEARCH_TOOLS = {"web_search", "web_search_preview", "web_search_2025_08_26"}


class Refusal(str):
    """Return one from ``text_output`` to answer with a ``refusal`` content part (the model
    declined) instead of ``output_text``: ``text_output=lambda body: Refusal("I can't.")``."""

    __slots__ = ()


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(24)}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "topic"


def input_text(value: Any) -> str:
    """The text of a Responses ``input``: a string, or the text parts of a list of items."""
    if isinstance(value, str):
        return value
    parts: list[str] = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                parts.append(item)
            elif isinstance(item, dict):
                content = item.get("content")
                if isinstance(content, str):
                    parts.append(content)
                elif isinstance(content, list):
                    parts.extend(str(c.get("text", "")) for c in content if isinstance(c, dict))
                elif isinstance(item.get("text"), str):
                    parts.append(item["text"])
    return "\n".join(p for p in parts if p)


class FakeOpenAIServer(FakeServer):
    """The fake OpenAI API. Use as a context manager; ``base_url`` ends in ``/v1``.

    Args:
        reasoning_tokens: reasoning tokens reported per response.
        web_searches: ``web_search_call`` items per response when a web-search tool is given.
        sources_per_search: sources per search call.
        text_output: a function ``(request_body) -> str`` replacing the generated text (a
            :class:`Refusal` makes the answer a refusal).
        send_retry_after: whether 429s carry ``retry-after`` (OpenAI is inconsistent).
        **kwargs: :class:`~tutopanda_providers_testing.fakeserver.FakeServer` options
            (``port``, ``latency``, ``rate_limit``, ``api_key``).
    """

    def __init__(
        self,
        *,
        reasoning_tokens: int = 64,
        web_searches: int = 1,
        sources_per_search: int = 2,
        text_output: Any = None,
        send_retry_after: bool = True,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auth", BEARER_OR_TOKEN)
        super().__init__(**kwargs)
        self.add_route("POST", "/v1/responses", "responses", self._create)
        self.add_route("GET", "/v1/models", "models", lambda request, fault: self._models())
        self.add_route("GET", "/v1/responses/{id}", "retrieve", self._retrieve)
        self.reasoning_tokens = reasoning_tokens
        self.web_searches = web_searches
        self.sources_per_search = sources_per_search
        self.text_output = text_output
        self.send_retry_after = send_retry_after
        self._lock = threading.Lock()
        self._responses: dict[str, dict[str, Any]] = {}

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` — pass it as the SDK's ``base_url``."""
        return f"{self.origin}/v1"

    @property
    def responses_created(self) -> int:
        """How many responses were made."""
        return self.log.counter("responses_created")

    @property
    def responses(self) -> list[dict[str, Any]]:
        """Every response made, oldest first (a snapshot)."""
        with self._lock:
            return list(self._responses.values())

    # -- routes (declared in __init__) -----------------------------------------------------
    def _retrieve(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        response_id = request.params["id"]
        with self._lock:
            stored = self._responses.get(response_id)
        if stored is None:
            return self.error_reply(404, f"Response with id '{response_id}' not found.")
        return Reply.json(200, stored)

    def unknown_route(self, request: RecordedRequest) -> Reply:
        """OpenAI's answer to an unknown URL."""
        return self.error_reply(404, f"Unknown request URL: {request.method} {request.path}.")

    def _models(self) -> Reply:
        """``GET /v1/models``: the free, authenticated call a key check makes."""
        data = [
            {"id": model, "object": "model", "created": 1754425777, "owned_by": "system"}
            for model in ("gpt-5", "gpt-5-mini", "gpt-5-nano")
        ]
        return Reply.json(200, {"object": "list", "data": data})

    # -- errors and headers ----------------------------------------------------------------
    def error_reply(
        self,
        status: int,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        code: str | None = None,
        field_name: str | None = None,
    ) -> Reply:
        """An ``{"error": {...}}`` answer like OpenAI's."""
        error_type = "invalid_request_error"
        headers: dict[str, str] = {}
        if status == 401:
            code = code or "invalid_api_key"
            message = (
                message
                or "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
            )
        elif status == 429 and code == "insufficient_quota":
            error_type = "insufficient_quota"
            message = message or (
                "You exceeded your current quota, please check your plan and billing details."
            )
        elif status == 429:
            error_type, code = "requests", code or "rate_limit_exceeded"
            wait = retry_after if retry_after is not None else 1
            message = message or (
                "Rate limit reached for gpt-5 in organization org-fake on requests per min "
                f"(RPM): Limit 500, Used 500, Requested 1. Please try again in {wait:g}s."
            )
        elif status == 404:
            message = message or "Not found."
        elif status >= 500:
            error_type = "server_error"
            message = message or (
                "The server had an error while processing your request. Sorry about that!"
            )
        if retry_after is not None and (status != 429 or self.send_retry_after):
            headers["retry-after"] = f"{retry_after:g}"
        payload = {
            "error": {
                "message": message or "Bad request.",
                "type": error_type,
                "param": field_name,
                "code": code,
            }
        }
        return Reply.json(status, payload, headers=headers)

    def extra_headers(self, request: RecordedRequest, remaining: int | None) -> dict[str, str]:
        """OpenAI's ``x-ratelimit-*``, ``x-request-id`` and ``openai-*`` headers."""
        left = 499 if remaining is None else remaining
        return {
            "x-request-id": f"req_{secrets.token_hex(16)}",
            "openai-processing-ms": str(int(self.latency * 1000) + 1),
            "openai-version": "2020-10-01",
            "x-ratelimit-limit-requests": "500",
            "x-ratelimit-remaining-requests": str(left),
            "x-ratelimit-reset-requests": "120ms",
            "x-ratelimit-limit-tokens": "500000",
            "x-ratelimit-remaining-tokens": "499000",
            "x-ratelimit-reset-tokens": "6m0s",
        }

    # -- create ----------------------------------------------------------------------------
    def _bad(self, message: str, param: str | None, code: str | None = None) -> Reply:
        self.log.count("rejected_requests")
        return self.error_reply(400, message, field_name=param, code=code)

    def _create(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        body = request.json
        if not isinstance(body, dict):
            return self._bad("We could not parse the JSON body of your request.", None)
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return self._bad(
                "Missing required parameter: 'model'.", "model", "missing_required_parameter"
            )
        if "input" not in body:
            return self._bad(
                "Missing required parameter: 'input'.", "input", "missing_required_parameter"
            )
        if body.get("stream"):
            return self._bad("The fake server does not stream; send stream=false.", "stream")
        if _REASONING_MODELS.match(model):
            for name in ("temperature", "top_p"):
                if body.get(name) is not None:
                    return self._bad(
                        f"Unsupported parameter: '{name}' is not supported with this model.",
                        name,
                        "unsupported_parameter",
                    )
        reasoning = body.get("reasoning") or {}
        effort = reasoning.get("effort")
        if effort is not None and effort not in _EFFORTS:
            return self._bad(
                f"Invalid value: '{effort}'. Supported values are: 'minimal', 'low', 'medium', and 'high'.",
                "reasoning.effort",
                "unsupported_value",
            )
        fmt = ((body.get("text") or {}).get("format")) or {"type": "text"}
        if fmt.get("type") == "json_schema" and not isinstance(fmt.get("schema"), dict):
            return self._bad(
                "Missing required parameter: 'text.format.schema'.", "text.format.schema"
            )
        max_tokens = body.get("max_output_tokens")
        if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 16):
            return self._bad(
                f"Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got {max_tokens} instead.",
                "max_output_tokens",
                "integer_below_min_value",
            )
        response = self._respond(body, model, fmt, fault)
        with self._lock:
            self._responses[response["id"]] = response
        self.log.count("responses_created")
        return Reply.json(200, response)

    def _respond(
        self, body: dict[str, Any], model: str, fmt: dict[str, Any], fault: Fault | None
    ) -> dict[str, Any]:
        topic_source = input_text(body.get("input"))
        topic = _topic(topic_source)
        tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
        searching = any(t.get("type") in _WEB_SEARCH_TOOLS for t in tools)
        include = set(body.get("include") or [])
        reasoning = dict(body.get("reasoning") or {})
        output: list[dict[str, Any]] = []
        reasoning_tokens = self.reasoning_tokens if _REASONING_MODELS.match(model) else 0
        if reasoning_tokens:
            summary = []
            if reasoning.get("summary"):
                summary = [{"type": "summary_text", "text": f"**Planning** I looked into {topic}."}]
            output.append({"type": "reasoning", "id": _id("rs"), "summary": summary})
        sources: list[dict[str, str]] = []
        if searching:
            for n in range(self.web_searches):
                found = [
                    {
                        "type": "url",
                        "url": f"https://example.org/{_slug(topic)}/{n * self.sources_per_search + k + 1}",
                    }
                    for k in range(self.sources_per_search)
                ]
                action: dict[str, Any] = {"type": "search", "query": f"{topic} facts {n + 1}"}
                if "web_search_call.action.sources" in include:
                    action["sources"] = found
                output.append(
                    {
                        "type": "web_search_call",
                        "id": _id("ws"),
                        "status": "completed",
                        "action": action,
                    }
                )
                sources.extend(found)
        text = self._text(body, fmt, topic_source, topic, sources)
        status, incomplete = "completed", None
        output_tokens = max(1, len(text) // 4) + reasoning_tokens
        max_tokens = body.get("max_output_tokens")
        if fault is not None and fault.kind is FaultKind.INCOMPLETE:
            status, incomplete = "incomplete", {"reason": fault.reason or "max_output_tokens"}
        elif isinstance(max_tokens, int) and output_tokens > max_tokens:
            status, incomplete = "incomplete", {"reason": "max_output_tokens"}
        error = None
        if fault is not None and fault.kind is FaultKind.PREDICTION_FAILS:
            status, error = "failed", {"code": "server_error", "message": fault.message or "failed"}
        if status == "incomplete":
            text = text[: max(1, len(text) // 2)]
            if isinstance(max_tokens, int):
                output_tokens = max_tokens
        annotations = _citations(text, sources) if searching else []
        if status != "failed":
            output.append(
                {
                    "type": "message",
                    "id": _id("msg"),
                    "role": "assistant",
                    "status": "incomplete" if status == "incomplete" else "completed",
                    "content": [
                        {"type": "refusal", "refusal": str(text)}
                        if isinstance(text, Refusal)
                        else {
                            "type": "output_text",
                            "text": text,
                            "annotations": annotations,
                            "logprobs": [],
                        }
                    ],
                }
            )
        input_tokens = max(1, (len(topic_source) + len(str(body.get("instructions") or ""))) // 4)
        now = int(time.time())
        extra: dict[str, Any] = {}
        if searching:
            # Billable searches, as 3.57 models it (top-level, beside ``usage``).
            extra["tool_usage"] = {
                "image_gen": {
                    "input_tokens": 0,
                    "input_tokens_details": {"image_tokens": 0, "text_tokens": 0},
                    "output_tokens": 0,
                    "total_tokens": 0,
                },
                "web_search": {"num_requests": self.web_searches},
            }
        return {
            **extra,
            "id": _id("resp"),
            "object": "response",
            "created_at": now,
            "completed_at": now if status == "completed" else None,
            "status": status,
            "background": False,
            "error": error,
            "incomplete_details": incomplete,
            "instructions": body.get("instructions"),
            "max_output_tokens": max_tokens,
            "max_tool_calls": None,
            "model": model,
            "output": output,
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "previous_response_id": body.get("previous_response_id"),
            "reasoning": {
                "effort": reasoning.get("effort", "medium"),
                "summary": reasoning.get("summary"),
            }
            if _REASONING_MODELS.match(model)
            else {"effort": None, "summary": None},
            "service_tier": "default",
            "store": body.get("store", True),
            "temperature": 1.0,
            "text": {
                "format": fmt,
                "verbosity": (body.get("text") or {}).get("verbosity", "medium"),
            },
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": tools,
            "top_logprobs": 0,
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": {
                "input_tokens": input_tokens,
                "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": output_tokens,
                "output_tokens_details": {"reasoning_tokens": min(reasoning_tokens, output_tokens)},
                "total_tokens": input_tokens + output_tokens,
            },
            "metadata": body.get("metadata") or {},
        }

    def _text(
        self,
        body: dict[str, Any],
        fmt: dict[str, Any],
        source: str,
        topic: str,
        sources: list[dict[str, str]],
    ) -> str:
        if self.text_output is not None:
            answer = self.text_output(body)
            return answer if isinstance(answer, Refusal) else str(answer)
        if fmt.get("type") == "json_schema":
            schema = fmt["schema"]
            instructions = str(body.get("instructions") or "")
            if is_script_request(schema, instructions):
                answer = script_answer(schema, f"{instructions}\n{source}", sources=sources)
                return json.dumps(answer, ensure_ascii=False)
            if is_prompt_request(schema):
                answer = prompt_set_answer(schema, instructions, source)
                if answer["prompts"]:
                    return json.dumps(answer, ensure_ascii=False)
            data = generate_from_schema(schema, topic)
            return json.dumps(data, ensure_ascii=False)
        if fmt.get("type") == "json_object":
            return json.dumps({"answer": f"A short answer about {topic}."})
        lines = [f"Here is what matters about {topic}."]
        lines += [f"See {s['url']} for more." for s in sources]
        return " ".join(lines)


def _topic(text: str) -> str:
    words = " ".join(text.split())
    return words[:80].rstrip(" .,;:") or "the topic"


def _citations(text: str, sources: list[dict[str, str]]) -> list[dict[str, Any]]:
    """``url_citation`` annotations for each place a source URL appears in ``text``; when
    none does, one citation per source over the whole text (as the API does for JSON)."""
    notes: list[dict[str, Any]] = []
    for n, source in enumerate(sources):
        url = source["url"]
        start = text.find(url)
        if start == -1:
            continue
        notes.append(
            {
                "type": "url_citation",
                "start_index": start,
                "end_index": start + len(url),
                "url": url,
                "title": f"Source {n + 1}",
            }
        )
    if not notes:
        notes = [
            {
                "type": "url_citation",
                "start_index": 0,
                "end_index": len(text),
                "url": s["url"],
                "title": f"Source {n + 1}",
            }
            for n, s in enumerate(sources)
        ]
    return notes
