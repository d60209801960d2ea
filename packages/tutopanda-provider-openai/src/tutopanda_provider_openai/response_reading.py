"""Reading a Responses API answer: status, text, citations, search sources, usage.

Works on the answer as plain JSON (``response.model_dump()`` of the SDK's object, or a fixture),
so the rules are tested without the SDK and survive fields the SDK does not model yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tutopanda_providers.contracts import (
    CanceledError,
    ContentPolicyError,
    InvalidInputError,
    ProviderFailedError,
    RateLimitedError,
    Source,
)

from tutopanda_provider_openai.cards import PROVIDER
from tutopanda_provider_openai.pricing import TokenUsage


@dataclass(frozen=True)
class ResponseReading:
    """What one response said, in the terms the handlers need.

    Attributes:
        id: the response id (``resp_…``), or ``None`` if the answer had none.
        status: ``completed``, ``incomplete``, ``failed``, ``cancelled``…
        incomplete_reason: ``incomplete_details.reason`` (``max_output_tokens``, ``content_filter``).
        error_code / error_message: the ``error`` object of a failed response.
        output_text: every ``output_text`` part of every message, joined.
        refusal: the text of a ``refusal`` content part, if the model refused.
        citations: ``url_citation`` annotations as sources, in order of appearance.
        search_sources: the ``web_search_call.action.sources`` URLs, in order.
        web_search_calls: how many ``web_search_call`` items the output holds (each is billed).
        usage: the token counts.
        model: the model that answered (may be a dated snapshot name).
    """

    id: str | None
    status: str
    incomplete_reason: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    output_text: str = ""
    refusal: str | None = None
    citations: tuple[Source, ...] = ()
    search_sources: tuple[Source, ...] = ()
    web_search_calls: int = 0
    usage: TokenUsage = field(default_factory=TokenUsage)
    model: str | None = None

    @property
    def billed(self) -> bool:
        """Whether the response reports tokens, i.e. the call was paid for whatever its status."""
        return self.usage.input_tokens > 0 or self.usage.output_tokens > 0


def read_response(data: Mapping[str, Any]) -> ResponseReading:
    """Read a Responses API answer given as JSON data."""
    texts: list[str] = []
    refusal: str | None = None
    citations: list[Source] = []
    search_sources: list[Source] = []
    searches = 0
    for item in _dicts(data.get("output")):
        kind = item.get("type")
        if kind == "web_search_call":
            searches += 1
            action = item.get("action") or {}
            for src in _dicts(action.get("sources")):
                url = src.get("url")
                if isinstance(url, str) and url:
                    search_sources.append(Source(title=str(src.get("title") or ""), url=url))
        elif kind == "message":
            for part in _dicts(item.get("content")):
                if part.get("type") == "output_text":
                    texts.append(str(part.get("text") or ""))
                    for note in _dicts(part.get("annotations")):
                        url = note.get("url")
                        if note.get("type") == "url_citation" and isinstance(url, str) and url:
                            citations.append(Source(title=str(note.get("title") or ""), url=url))
                elif part.get("type") == "refusal":
                    refusal = str(part.get("refusal") or "") or "the model refused"
    incomplete = data.get("incomplete_details") or {}
    error = data.get("error") or {}
    return ResponseReading(
        id=data.get("id") if isinstance(data.get("id"), str) else None,
        status=str(data.get("status") or "completed"),
        incomplete_reason=incomplete.get("reason") if isinstance(incomplete, Mapping) else None,
        error_code=error.get("code") if isinstance(error, Mapping) else None,
        error_message=error.get("message") if isinstance(error, Mapping) else None,
        output_text="".join(texts),
        refusal=refusal,
        citations=tuple(citations),
        search_sources=tuple(search_sources),
        web_search_calls=searches,
        usage=TokenUsage.from_api(data.get("usage")),
        model=data.get("model") if isinstance(data.get("model"), str) else None,
    )


def raise_for_outcome(
    reading: ResponseReading,
    *,
    model: str,
    max_output_tokens: int | None = None,
    spent_usd: float | None = None,
) -> None:
    """Raise the right :class:`ProviderError` unless the response completed with an answer.

    A response that stopped at ``max_output_tokens`` is a failure with what to change, never a
    truncated result. ``spent_usd`` (what the call cost anyway) goes into the error's details.
    """
    ref = f"{PROVIDER}/{model}"
    details: dict[str, Any] = {"response_id": reading.id, "status": reading.status}
    if spent_usd is not None:
        details["cost_usd"] = spent_usd
    common: dict[str, Any] = {"provider": PROVIDER, "model": model, "details": details}
    if reading.status == "completed":
        if reading.refusal is not None:
            raise ContentPolicyError(f"{ref} refused: {reading.refusal}", **common)
        return
    if reading.status == "incomplete":
        reason = reading.incomplete_reason or "unknown"
        details["reason"] = reason
        if reason == "max_output_tokens":
            limit = (
                f"max_output_tokens={max_output_tokens}"
                if max_output_tokens
                else "max_output_tokens"
            )
            raise ProviderFailedError(
                f"the response of {ref} stopped at {limit} before the answer was complete "
                f"({reading.usage.output_tokens} output tokens, {reading.usage.reasoning_tokens} "
                "of them reasoning); raise max_output_tokens or lower reasoning effort",
                **common,
            )
        if reason == "content_filter":
            raise ContentPolicyError(f"{ref} stopped its answer: content filter", **common)
        raise ProviderFailedError(f"the response of {ref} is incomplete ({reason})", **common)
    if reading.status == "failed":
        code = reading.error_code or "unknown"
        details["code"] = code
        said = f"the response of {ref} failed ({code}): {reading.error_message or 'no message'}"
        if code == "server_error":
            # The provider ran the job and it failed (kind provider_failed), but a server error
            # may pass: retryable, unless the handler finds it was billed (request_sent).
            raise ProviderFailedError(said, retryable=True, **common)
        if code == "rate_limit_exceeded":
            raise RateLimitedError(said, **common)
        if code == "invalid_prompt":
            raise InvalidInputError(said, **common)
        raise ProviderFailedError(said, **common)
    if reading.status == "cancelled":
        raise CanceledError(f"the response of {ref} was cancelled", **common)
    raise ProviderFailedError(
        f"the response of {ref} came back {reading.status!r} instead of completed", **common
    )


def merge_sources(*groups: Iterable[Source]) -> list[Source]:
    """Sources from several places, one per URL, in first-seen order.

    URLs are compared by :func:`clean_url`, ignoring the case of scheme and host and a trailing
    slash. A source that arrives without
    a title (search results carry only URLs) takes the first real title seen for its URL, and
    keeps its URL as the title when none is ever seen.
    """
    merged: dict[str, Source] = {}
    for group in groups:
        for source in group:
            url = clean_url(source.url)
            key = _url_key(url)
            title = source.title.strip()
            known = merged.get(key)
            if known is None:
                merged[key] = Source(title=title, url=url)
            elif not known.title and title:
                merged[key] = Source(title=title, url=known.url)
    return [s if s.title else Source(title=s.url, url=s.url) for s in merged.values()]


def clean_url(url: str) -> str:
    """``url`` without its fragment and ``utm_*`` tracking parameters (OpenAI's citations add
    ``utm_source=openai``; the same page found by search has none)."""
    parts = urlsplit(url.strip())
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.startswith("utm_")
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _url_key(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, "")
    )


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, Mapping)]


__all__ = ["ResponseReading", "clean_url", "merge_sources", "raise_for_outcome", "read_response"]
