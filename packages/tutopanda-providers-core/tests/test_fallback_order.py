"""Fallbacks: order, what fires them, the shared attempt budget, and checks at registry build."""

from __future__ import annotations

import pytest
from tutopanda_providers import Descriptor
from tutopanda_providers.contracts import (
    ConfigurationError,
    ContentPolicyError,
    InputModel,
    InvalidInputError,
    ProviderFailedError,
    TransientError,
)
from tutopanda_providers.pipeline import PipelineOptions
from tutopanda_providers.pipeline.retry import RetryPolicy

A = Descriptor.parse("fake/image-a")


class ImageToVideoInputs(InputModel):
    prompt: str
    image: str


class NarrationInputs(InputModel):
    text: str
    voice: str


def fast(**kw) -> RetryPolicy:
    kw.setdefault("base_backoff", 0.0)
    kw.setdefault("jitter", 0.0)
    return RetryPolicy(**kw)


async def _no_sleep(_: float) -> None:
    return None


async def test_fallbacks_are_tried_in_order_and_the_result_records_them(kit):
    a = kit.model("fake/image-a", [ProviderFailedError("prediction failed")])
    b = kit.model("other/image-b", [ContentPolicyError("refused")])
    c = kit.model("third/image-c")
    registry = kit.build(
        [a, b, c],
        PipelineOptions(fallbacks={"fake/image-a": ["other/image-b", "third/image-c"]}),
    )

    result = await registry.invoke(A, {"prompt": "a cat"})

    assert result.artefacts[0].text == "image-c"
    assert result.meta.fell_back is True
    assert result.meta.tried == ["fake/image-a", "other/image-b", "third/image-c"]
    assert "fallback" in result.meta.middleware
    assert result.provider.provider == "third"
    events = kit.events("provider.invoke.fallback")
    assert [(e["failed"], e["fallback"]) for e in events] == [
        ("fake/image-a", "other/image-b"),
        ("other/image-b", "third/image-c"),
    ]
    assert [len(s.calls) for s in (a[1], b[1], c[1])] == [1, 1, 1]


async def test_a_primary_that_succeeds_never_touches_its_fallbacks(kit):
    a = kit.model("fake/image-a")
    b = kit.model("other/image-b")
    registry = kit.build([a, b], PipelineOptions(fallbacks={"fake/image-a": ["other/image-b"]}))

    result = await registry.invoke(A, {"prompt": "x"})

    assert result.meta.fell_back is False
    assert result.meta.tried == ["fake/image-a"]
    assert b[1].calls == []


async def test_fallbacks_fire_after_retries_are_exhausted(kit):
    a = kit.model("fake/image-a", [TransientError("x"), TransientError("y"), TransientError("z")])
    b = kit.model("other/image-b")
    registry = kit.build(
        [a, b],
        PipelineOptions(
            retry=fast(max_attempts=5, attempts_per_model=2),
            sleep=_no_sleep,
            fallbacks={"fake/image-a": ["other/image-b"]},
        ),
    )

    result = await registry.invoke(A, {"prompt": "x"})

    assert len(a[1].calls) == 2
    assert len(b[1].calls) == 1
    assert result.meta.tried == ["fake/image-a", "other/image-b"]
    assert result.provider.attempts == 1
    assert kit.events("provider.invoke.fallback")[0]["error_kind"] == "transient"


async def test_retries_and_fallbacks_share_one_attempt_budget(kit):
    a = kit.model("fake/image-a", [TransientError("x")] * 5)
    b = kit.model("other/image-b")
    registry = kit.build(
        [a, b],
        PipelineOptions(
            retry=fast(max_attempts=2, attempts_per_model=3),
            sleep=_no_sleep,
            fallbacks={"fake/image-a": ["other/image-b"]},
        ),
    )

    with pytest.raises(TransientError):
        await registry.invoke(A, {"prompt": "x"})
    assert len(a[1].calls) == 2
    assert b[1].calls == []  # the budget was spent on A's retries


async def test_no_fallback_when_the_failed_call_may_still_run_at_the_provider(kit):
    lost = ProviderFailedError("lost the connection after create", request_sent=True)
    a = kit.model("fake/image-a", [lost])
    b = kit.model("other/image-b")
    registry = kit.build([a, b], PipelineOptions(fallbacks={"fake/image-a": ["other/image-b"]}))

    with pytest.raises(ProviderFailedError):
        await registry.invoke(A, {"prompt": "x"})
    assert b[1].calls == []


async def test_invalid_inputs_do_not_fall_back(kit):
    a = kit.model("fake/image-a")
    b = kit.model("other/image-b")
    registry = kit.build([a, b], PipelineOptions(fallbacks={"fake/image-a": ["other/image-b"]}))

    with pytest.raises(InvalidInputError):
        await registry.invoke(A, {"prompt": "x", "steps": "many"})
    assert a[1].calls == [] and b[1].calls == []


async def test_a_model_is_never_tried_twice_for_one_job(kit):
    a = kit.model("fake/image-a", [ProviderFailedError("1"), ProviderFailedError("2")])
    b = kit.model("other/image-b", [ProviderFailedError("3")])
    registry = kit.build(
        [a, b],
        PipelineOptions(
            fallbacks={"fake/image-a": ["other/image-b", "fake/image-a", "other/image-b"]}
        ),
    )

    with pytest.raises(ProviderFailedError) as caught:
        await registry.invoke(A, {"prompt": "x"})
    assert len(a[1].calls) == 1 and len(b[1].calls) == 1
    assert caught.value.details["tried"] == ["fake/image-a", "other/image-b"]


async def test_a_producers_fallbacks_apply_to_whatever_model_it_uses(kit):
    a = kit.model("fake/image-a", [ProviderFailedError("down")])
    b = kit.model("other/image-b")
    registry = kit.build([a, b], PipelineOptions(fallbacks={"ImageProducer": ["other/image-b"]}))

    result = await registry.invoke(A, {"prompt": "x"}, producer="ImageProducer")

    assert result.meta.tried == ["fake/image-a", "other/image-b"]
    assert b[1].calls == [{"prompt": "x", "steps": 4}]


async def test_each_fallback_adapts_the_producer_inputs_its_own_way(kit):
    def prompt_to_text(inputs):
        out = dict(inputs)
        if "prompt" in out:
            out["text"] = out.pop("prompt")
        return out

    class TextInputs(InputModel):
        text: str

    a = kit.model("fake/image-a", [ProviderFailedError("down")])
    b = kit.model("other/image-b", input_model=TextInputs, input_adapter=prompt_to_text)
    registry = kit.build([a, b], PipelineOptions(fallbacks={"fake/image-a": ["other/image-b"]}))

    await registry.invoke(A, {"prompt": "a cat"})

    assert b[1].calls == [{"text": "a cat"}]


def test_a_fallback_of_another_kind_is_refused_when_the_registry_is_built(kit):
    a = kit.model("fake/image-a")
    b = kit.model("other/video-b", kind="video")
    with pytest.raises(ConfigurationError, match="makes video"):
        kit.build([a, b], PipelineOptions(fallbacks={"fake/image-a": ["other/video-b"]}))


def test_an_unknown_fallback_is_refused_when_the_registry_is_built(kit):
    a = kit.model("fake/image-a")
    with pytest.raises(ConfigurationError, match="other/nope"):
        kit.build([a], PipelineOptions(fallbacks={"fake/image-a": ["other/nope"]}))


def test_a_fallback_needing_inputs_the_primary_lacks_is_refused(kit):
    a = kit.model("fake/image-a")
    b = kit.model("other/image-b", input_model=ImageToVideoInputs)
    with pytest.raises(ConfigurationError, match="requires image"):
        kit.build([a, b], PipelineOptions(fallbacks={"fake/image-a": ["other/image-b"]}))


def test_a_fallback_that_would_refuse_the_primarys_inputs_is_refused(kit):
    a = kit.model("fake/voice-a", kind="audio", input_model=NarrationInputs)

    class TextOnly(InputModel):
        text: str

    b = kit.model("other/voice-b", kind="audio", input_model=TextOnly)
    with pytest.raises(ConfigurationError, match="does not take voice"):
        kit.build([a, b], PipelineOptions(fallbacks={"fake/voice-a": ["other/voice-b"]}))


async def test_a_fallback_without_an_implementation_in_the_jobs_mode_is_skipped(kit, fakes):
    from tutopanda_providers import Implementation
    from tutopanda_providers_testing.fakes import FakePlugin

    a = kit.model("fake/image-a", [ProviderFailedError("down")])
    c = kit.model("third/image-c")
    mock_only = fakes.make_card("other", "image-b")

    mock_only_plugin = FakePlugin(Implementation.for_card(mock_only, lambda ctx: None, mode="mock"))

    registry = kit.build(
        [a, c],
        PipelineOptions(fallbacks={"fake/image-a": ["other/image-b", "third/image-c"]}),
        plugins=[("mock-only", mock_only_plugin)],
    )

    result = await registry.invoke(A, {"prompt": "x"})

    assert result.meta.tried == ["fake/image-a", "third/image-c"]
    skipped = kit.events("provider.invoke.fallback")[0]
    assert skipped["fallback"] == "other/image-b" and "no live implementation" in skipped["skipped"]


def test_check_fallbacks_is_explicit_and_builds_no_pipeline(kit):
    a = kit.model("fake/image-a")
    b = kit.model("other/video-b", kind="video")
    bad = PipelineOptions(fallbacks={"fake/image-a": ["other/video-b"]})
    from tutopanda_providers.registry import RegistryOptions, create_provider_registry

    registry = kit.build([a, b])
    registry.check_fallbacks()  # none configured: nothing to refuse
    with pytest.raises(ConfigurationError, match="makes video"):
        registry.check_fallbacks({"fake/image-a": ["other/video-b"]})
    with pytest.raises(ConfigurationError, match="other/nope"):
        registry.check_fallbacks({"fake/image-a": ["other/nope"]})
    assert registry._middleware is None  # checking assembled no pipeline

    deferred = create_provider_registry(
        RegistryOptions(plugins=registry.options.plugins, entry_points=False, pipeline=bad),
        check_fallbacks=False,
    )
    with pytest.raises(ConfigurationError, match="makes video"):
        deferred.check_fallbacks()
