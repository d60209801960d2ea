"""Telemetry: lifecycle events, the logging default, and the OpenTelemetry adapter."""

from __future__ import annotations

import logging

import pytest
from tutopanda_providers import Descriptor
from tutopanda_providers.contracts import AuthError, TokenUsage, TransientError
from tutopanda_providers.pipeline import PipelineOptions
from tutopanda_providers.pipeline.retry import RetryPolicy
from tutopanda_providers.telemetry import FanOutSink, ListSink

A = Descriptor.parse("fake/image-a")


async def _no_sleep(_: float) -> None:
    return None


async def test_an_invoke_emits_start_and_end_with_its_facts(kit):
    registry = kit.build([kit.model("fake/image-a")])

    await registry.invoke(A, {"prompt": "a secret plan"}, producer="ImageProducer")

    assert kit.sink.names() == ["provider.invoke.start", "provider.invoke.end"]
    start, end = (dict(e.attributes) for e in kit.sink.events)
    assert start["provider"] == "fake" and start["model"] == "image-a"
    assert start["producer"] == "ImageProducer" and start["kind"] == "image"
    assert "prompt" not in start  # prompts only when asked
    assert end["invoke_id"] == start["invoke_id"]
    assert end["cost_status"] == "known" and end["cost_usd"] == pytest.approx(0.04)
    assert end["artefacts"] == 1 and end["attempts"] == 1


async def test_prompts_reach_events_only_when_asked(kit):
    registry = kit.build([kit.model("fake/image-a")], PipelineOptions(capture_prompts=True))

    await registry.invoke(A, {"prompt": "a cat"})

    assert kit.events("provider.invoke.start")[0]["prompt"] == "a cat"


async def test_a_failure_emits_an_error_event_with_its_kind(kit):
    registry = kit.build([kit.model("fake/image-a", [AuthError("token rejected")])])

    with pytest.raises(AuthError):
        await registry.invoke(A, {"prompt": "x"})

    [error] = kit.events("provider.invoke.error")
    assert error["error_kind"] == "auth"
    assert error["error"] == "token rejected"


async def test_events_go_to_standard_logging_by_default(kit, caplog):
    caplog.set_level(logging.INFO, logger="tutopanda_providers.events")
    registry = kit.build([kit.model("fake/image-a")], telemetry=None)

    await registry.invoke(A, {"prompt": "x"})

    messages = [r.getMessage() for r in caplog.records if r.name == "tutopanda_providers.events"]
    assert any(m.startswith("provider.invoke.start") for m in messages)
    assert any(m.startswith("provider.invoke.end") for m in messages)


async def test_an_unexpected_handler_error_becomes_a_provider_error(kit):
    registry = kit.build([kit.model("fake/image-a", [KeyError("choices")])])

    with pytest.raises(Exception) as caught:
        await registry.invoke(A, {"prompt": "x"})

    assert caught.value.__class__.__name__ == "ProviderFailedError"
    assert "KeyError" in str(caught.value)
    assert kit.events("provider.invoke.error")[0]["error_kind"] == "provider_failed"


# -- OpenTelemetry ---------------------------------------------------------------------------
@pytest.fixture
def otel():
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    return tracer_provider, meter_provider, exporter, reader


def _metric_names(reader) -> set[str]:
    data = reader.get_metrics_data()
    return {m.name for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}


async def test_the_otel_sink_makes_genai_spans_and_metrics(kit, otel):
    from tutopanda_providers.otel import OtelSink

    tracer_provider, meter_provider, exporter, reader = otel
    sink = OtelSink(tracer_provider, meter_provider)
    model = kit.model("fake/image-a", [TransientError("busy")])
    registry = kit.build(
        [model],
        PipelineOptions(retry=RetryPolicy(base_backoff=0, jitter=0), sleep=_no_sleep),
        telemetry=FanOutSink([sink, kit.sink]),
    )

    await registry.invoke(A, {"prompt": "a private prompt"})

    [span] = exporter.get_finished_spans()
    assert span.name == "generate_content image-a"
    attrs = dict(span.attributes)
    assert attrs["gen_ai.system"] == "fake"
    assert attrs["gen_ai.request.model"] == "image-a"
    assert attrs["gen_ai.response.model"] == "image-a"
    assert attrs["gen_ai.operation.name"] == "generate_content"
    assert attrs["tutopanda.cost.usd"] == pytest.approx(0.04)
    assert "gen_ai.prompt" not in attrs
    assert all("a private prompt" not in str(v) for v in attrs.values())
    assert [e.name for e in span.events] == ["retry"]
    assert "gen_ai.client.operation.duration" in _metric_names(reader)


async def test_the_otel_sink_marks_failures_with_error_type(kit, otel):
    from opentelemetry.trace import StatusCode
    from tutopanda_providers.otel import OtelSink

    tracer_provider, meter_provider, exporter, _ = otel
    registry = kit.build(
        [kit.model("fake/image-a", [AuthError("no")])],
        telemetry=OtelSink(tracer_provider, meter_provider),
    )

    with pytest.raises(AuthError):
        await registry.invoke(A, {"prompt": "x"})

    [span] = exporter.get_finished_spans()
    assert span.attributes["error.type"] == "auth"
    assert span.status.status_code == StatusCode.ERROR


async def test_the_otel_sink_records_prompts_and_tokens_only_when_given(kit, otel):
    from tutopanda_providers.otel import OtelSink

    tracer_provider, meter_provider, exporter, reader = otel
    sink = OtelSink(tracer_provider, meter_provider, capture_prompts=True)
    registry = kit.build(
        [kit.model("fake/script-a", kind="script")],
        PipelineOptions(capture_prompts=True),
        telemetry=sink,
    )
    resolved = registry.resolve(Descriptor.parse("fake/script-a"))
    original = resolved.handler.invoke

    async def with_usage(request):
        result = await original(request)
        result.provider.usage = TokenUsage(input_tokens=12, output_tokens=34)
        return result

    resolved.handler.invoke = with_usage
    await registry.invoke(Descriptor.parse("fake/script-a"), {"prompt": "tell me"})

    [span] = exporter.get_finished_spans()
    assert span.name == "chat script-a"
    assert span.attributes["gen_ai.prompt"] == "tell me"
    assert span.attributes["gen_ai.usage.input_tokens"] == 12
    assert span.attributes["gen_ai.usage.output_tokens"] == 34
    assert "gen_ai.client.token.usage" in _metric_names(reader)


def test_a_list_sink_keeps_events_in_order():
    sink = ListSink()
    from tutopanda_providers.contracts import EventEmitter

    emitter = EventEmitter(sink, {"job_id": "j"})
    emitter.emit("a", x=1)
    emitter.emit("b")
    assert sink.names() == ["a", "b"]
    assert sink.events[0].attributes == {"job_id": "j", "x": 1}
