"""The middleware chain: its documented order, plugin middleware, validation first."""

from __future__ import annotations

import pytest
from tutopanda_providers import Descriptor, hookimpl
from tutopanda_providers.contracts import InvalidInputError, TransientError
from tutopanda_providers.pipeline import PipelineOptions, default_middleware
from tutopanda_providers.pipeline.budget import Budget
from tutopanda_providers.pipeline.cache import CacheOptions
from tutopanda_providers.pipeline.context import ORDER_PLUGIN, compose
from tutopanda_providers.pipeline.ratelimit import RateLimit
from tutopanda_providers.pipeline.retry import RetryPolicy

A = Descriptor.parse("fake/image-a")
B = Descriptor.parse("fake/image-b")


async def _no_sleep(_: float) -> None:
    return None


def everything(tmp_path) -> PipelineOptions:
    return PipelineOptions(
        retry=RetryPolicy(base_backoff=0, jitter=0),
        sleep=_no_sleep,
        rate_limits={
            "fake": RateLimit(requests=100, window_seconds=60, max_in_flight=4, pace=False)
        },
        cache=CacheOptions(enabled=True, directory=tmp_path / "cache"),
        fallbacks={"fake/image-a": ["fake/image-b"]},
        budget=Budget(10.0),
        default_timeout=30,
    )


def test_the_built_in_chain_runs_in_the_documented_order(tmp_path):
    chain = sorted(default_middleware(everything(tmp_path)), key=lambda m: m.order)

    assert [m.name for m in chain] == [
        "lifecycle",
        "deadline",
        "fallback",
        "validate",
        "cache",
        "budget",
        "retry",
        "ratelimit",
    ]
    assert all(m.order < ORDER_PLUGIN for m in chain)


def test_disabled_middleware_is_left_out_of_the_chain():
    names = {m.name for m in default_middleware(PipelineOptions())}
    assert names == {"lifecycle", "deadline", "validate", "retry", "ratelimit"}


class Recorder:
    """Plugin middleware: records what reaches it, once per attempt."""

    name = "recorder"
    order = ORDER_PLUGIN

    def __init__(self) -> None:
        self.seen: list[dict[str, object]] = []

    async def __call__(self, context, call_next):
        self.seen.append(dict(context.request.inputs))
        result = await call_next(context)
        result.meta.middleware.append(self.name)
        return result


async def test_plugin_middleware_runs_inside_the_chain_once_per_attempt(kit, tmp_path):
    recorder = Recorder()

    class Plugin:
        @hookimpl
        def tutopanda_register_middleware(self, register) -> None:
            register(recorder)

    a = kit.model("fake/image-a", [TransientError("busy")])
    b = kit.model("fake/image-b")
    registry = kit.build([a, b], everything(tmp_path), plugins=[("recorder", Plugin())])

    result = await registry.invoke(A, {"prompt": "a cat"})

    assert recorder.seen == [{"prompt": "a cat", "steps": 4}] * 2  # validated, per attempt
    # innermost first: each layer appends its name on the way out
    assert result.meta.middleware == ["recorder", "retry", "budget", "validate"]


async def test_invalid_inputs_are_refused_before_anything_else_acts(kit, tmp_path):
    model = kit.model("fake/image-a")
    options = everything(tmp_path)
    registry = kit.build([model, kit.model("fake/image-b")], options)

    with pytest.raises(InvalidInputError) as caught:
        await registry.invoke(A, {"prompt": "x", "steps": "many", "colour": "red"})

    message = str(caught.value)
    assert "steps='many'" in message and "colour='red'" in message
    assert "is not an input of fake/image-a" in message
    assert model[1].calls == []
    assert options.budget is not None and options.budget.spent_usd == 0
    assert options.budget.reserved_usd == 0
    assert not list((tmp_path / "cache").rglob("*.json"))
    assert kit.events("provider.invoke.error")[0]["error_kind"] == "invalid_input"


async def test_a_result_names_the_middleware_that_acted_on_it(kit, tmp_path):
    a = kit.model("fake/image-a", [TransientError("busy"), TransientError("busy")])
    b = kit.model("fake/image-b")
    options = everything(tmp_path)
    options.retry.attempts_per_model = 2
    registry = kit.build([a, b], options)

    fell_back = await registry.invoke(A, {"prompt": "a cat"})
    cached = await registry.invoke(B, {"prompt": "a cat"})

    assert "fallback" in fell_back.meta.middleware
    assert "retry" not in fell_back.meta.middleware  # B answered at its first attempt
    assert cached.meta.middleware == ["cache", "validate"]


async def test_compose_with_no_middleware_calls_the_handler(kit):
    model = kit.model("fake/image-a")
    registry = kit.build([model], middleware=[])
    resolved = registry.resolve(A)
    request = registry.new_request(A, {"prompt": "raw"})

    result = await resolved.invoke(request)

    assert result.artefacts[0].text == "image-a"
    assert model[1].calls == [{"prompt": "raw"}]
    assert callable(compose([]))
