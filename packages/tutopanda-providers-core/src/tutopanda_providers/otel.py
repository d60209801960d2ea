"""OpenTelemetry adapter: invoke events as spans and metrics (the ``otel`` extra).

:class:`OtelSink` is a :class:`~tutopanda_providers.telemetry.TelemetrySink`. Each invoke
becomes one ``CLIENT`` span named ``"{gen_ai.operation.name} {gen_ai.request.model}"`` from
``provider.invoke.start`` to ``provider.invoke.end`` / ``provider.invoke.error``; retries,
rate-limit waits, fallbacks and cache hits become span events on it. Attribute names follow the
OpenTelemetry GenAI semantic conventions:

* ``gen_ai.system`` / ``gen_ai.provider.name`` — the provider (``openai``, ``replicate``)
* ``gen_ai.request.model`` / ``gen_ai.response.model`` — the model asked for / that answered
* ``gen_ai.operation.name`` — ``chat`` for script and prompt models, ``generate_content`` for
  media models
* ``gen_ai.usage.input_tokens`` / ``gen_ai.usage.output_tokens`` — when the handler reports
  ``provider.usage``
* ``error.type`` — the :class:`~tutopanda_providers.errors.ErrorKind` of a failure

Metrics: ``gen_ai.client.operation.duration`` (seconds) and ``gen_ai.client.token.usage``
(tokens, with ``gen_ai.token.type``). Project-specific facts carry the ``tutopanda.`` prefix
(``tutopanda.cost.usd``, ``tutopanda.job.id``, ``tutopanda.cached``).

Events carry no raw media and no secrets (they are scrubbed before any sink sees them); a
prompt reaches a span only when the pipeline was asked to capture prompts and this sink's
``capture_prompts`` is true. ``opentelemetry`` is imported when the sink is created, never by
the rest of the package.
"""

from __future__ import annotations

import threading
from typing import Any

from tutopanda_providers import telemetry as events
from tutopanda_providers.contracts import Event

_CHAT_KINDS = frozenset({"script", "prompt"})
_SPAN_EVENTS = {
    events.INVOKE_RETRY: "retry",
    events.RATE_LIMIT_WAIT: "rate_limit_wait",
    events.FALLBACK: "fallback",
    events.CACHE_HIT: "cache_hit",
}
_KEEP = (str, bool, int, float)


def operation_name(kind: str | None) -> str:
    """The GenAI ``gen_ai.operation.name`` for a producer kind."""
    return "chat" if kind in _CHAT_KINDS else "generate_content"


class OtelSink:
    """Turns invoke events into OpenTelemetry spans and metrics.

    Args:
        tracer_provider: the provider to use (the global one by default).
        meter_provider: the meter provider to use (the global one by default).
        capture_prompts: put ``prompt`` attributes of start events on spans.
    """

    def __init__(
        self,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        *,
        capture_prompts: bool = False,
    ) -> None:
        try:
            from opentelemetry import metrics, trace
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise ImportError(
                "OtelSink needs OpenTelemetry: pip install 'tutopanda-providers-core[otel]'"
            ) from exc
        self._trace = trace
        self._tracer = trace.get_tracer("tutopanda_providers", tracer_provider=tracer_provider)
        meter = metrics.get_meter("tutopanda_providers", meter_provider=meter_provider)
        self._duration = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s", description="GenAI operation duration"
        )
        self._tokens = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="Tokens used per operation"
        )
        self.capture_prompts = capture_prompts
        self._spans: dict[tuple[Any, Any], Any] = {}
        self._by_job: dict[Any, list[tuple[Any, Any]]] = {}
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        """Start, annotate or end the span the event belongs to."""
        name = event.name
        if name == events.INVOKE_START:
            self._start(event)
        elif name in (events.INVOKE_END, events.INVOKE_ERROR):
            self._end(event)
        elif name in _SPAN_EVENTS:
            span = self._current(event.attributes.get("job_id"))
            if span is not None:
                attributes = {
                    f"tutopanda.{k}": v
                    for k, v in event.attributes.items()
                    if isinstance(v, _KEEP) and k not in ("job_id", "producer")
                }
                span.add_event(_SPAN_EVENTS[name], attributes, int(event.timestamp * 1e9))

    def _base_attributes(self, attrs: Any) -> dict[str, Any]:
        provider = attrs.get("provider")
        out = {
            "gen_ai.system": provider,
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": attrs.get("model"),
            "gen_ai.operation.name": operation_name(attrs.get("kind")),
        }
        return {k: v for k, v in out.items() if v is not None}

    def _start(self, event: Event) -> None:
        attrs = event.attributes
        base = self._base_attributes(attrs)
        extra = {
            "tutopanda.job.id": attrs.get("job_id"),
            "tutopanda.producer": attrs.get("producer"),
            "tutopanda.kind": attrs.get("kind"),
            "tutopanda.mode": attrs.get("mode"),
        }
        if self.capture_prompts and isinstance(attrs.get("prompt"), str):
            extra["gen_ai.prompt"] = attrs["prompt"]
        span = self._tracer.start_span(
            f"{base['gen_ai.operation.name']} {attrs.get('model')}",
            kind=self._trace.SpanKind.CLIENT,
            attributes={**base, **{k: v for k, v in extra.items() if v is not None}},
            start_time=int(event.timestamp * 1e9),
        )
        key = (attrs.get("job_id"), attrs.get("invoke_id"))
        with self._lock:
            self._spans[key] = span
            self._by_job.setdefault(attrs.get("job_id"), []).append(key)

    def _current(self, job_id: Any) -> Any:
        with self._lock:
            keys = self._by_job.get(job_id)
            return self._spans.get(keys[-1]) if keys else None

    def _end(self, event: Event) -> None:
        attrs = event.attributes
        key = (attrs.get("job_id"), attrs.get("invoke_id"))
        with self._lock:
            span = self._spans.pop(key, None)
            keys = self._by_job.get(key[0])
            if keys is not None:
                if key in keys:
                    keys.remove(key)
                if not keys:
                    del self._by_job[key[0]]
        metric_attrs = self._base_attributes(attrs)
        duration_ms = attrs.get("duration_ms")
        if event.name == events.INVOKE_ERROR:
            error_type = str(attrs.get("error_kind") or "unexpected")
            metric_attrs["error.type"] = error_type
            if span is not None:
                from opentelemetry.trace import Status, StatusCode

                span.set_attribute("error.type", error_type)
                span.set_status(Status(StatusCode.ERROR, str(attrs.get("error") or error_type)))
        elif span is not None:
            response_model = attrs.get("response_model")
            if isinstance(response_model, str):
                span.set_attribute("gen_ai.response.model", response_model.partition("/")[2])
            for field, value in (
                ("gen_ai.usage.input_tokens", attrs.get("input_tokens")),
                ("gen_ai.usage.output_tokens", attrs.get("output_tokens")),
                ("tutopanda.cost.usd", attrs.get("cost_usd")),
                ("tutopanda.cost.status", attrs.get("cost_status")),
                ("tutopanda.cached", attrs.get("cached")),
                ("tutopanda.mocked", attrs.get("mocked")),
                ("tutopanda.fell_back", attrs.get("fell_back")),
                ("tutopanda.attempts", attrs.get("attempts")),
            ):
                if isinstance(value, _KEEP):
                    span.set_attribute(field, value)
        if isinstance(duration_ms, (int, float)):
            self._duration.record(duration_ms / 1000.0, metric_attrs)
        for token_type, value in (
            ("input", attrs.get("input_tokens")),
            ("output", attrs.get("output_tokens")),
        ):
            if isinstance(value, int):
                self._tokens.record(value, {**metric_attrs, "gen_ai.token.type": token_type})
        if span is not None:
            span.end(int(event.timestamp * 1e9))


__all__ = ["OtelSink", "operation_name"]
