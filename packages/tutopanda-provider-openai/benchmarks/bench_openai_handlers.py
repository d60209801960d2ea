"""What the OpenAI handlers add to a call, and what prompt batching saves.

1. Round trip on the loopback fake, one call in flight: the raw SDK (``responses.create`` with
   the same body the script handler sends), the script handler alone (build the body, call,
   read the answer, validate the Script, merge sources, price), and the registry's full
   pipeline around it. Median milliseconds per call and calls per second.
2. Prompt batching: a 24-segment lesson with three targets (image, video, narration) at several
   ``batch_size`` values: calls made, input tokens as the fake counts them (characters / 4 of
   instructions and input; the instructions repeat in every call) and the job's cost priced
   from the fake's usage.
3. Start-up: a fresh process that builds a registry with only this plugin (``openai`` stays
   unimported) against one that also imports the SDK, median wall time.

Figures are printed, never asserted. On this shared 2-core machine, wall times swell under load.

    uv run --frozen python packages/tutopanda-provider-openai/benchmarks/bench_openai_handlers.py
    uv run --frozen python packages/tutopanda-provider-openai/benchmarks/bench_openai_handlers.py --smoke
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from tutopanda_providers import Descriptor, create_provider_registry
from tutopanda_providers.pipeline import PipelineOptions
from tutopanda_providers.registry import ProviderRegistry
from tutopanda_providers.secrets import MappingSecretResolver
from tutopanda_providers.telemetry import ListSink
from tutopanda_providers_testing import FakeOpenAIServer
from tutopanda_providers_testing._server import _Handler

# A fake that sends headers and body separately with Nagle's algorithm on makes each answer wait
# for the client's delayed ACK (about 40 ms here), which hides everything else. The test kit is
# switching it off itself; set it here too, so the figures hold with an older kit.
_Handler.disable_nagle_algorithm = True

KEY = "test-canary-secret-123"
SCRIPT = Descriptor.parse("openai/gpt-5")
PROMPT = Descriptor.parse("openai/gpt-5-mini")
TOPIC = {"topic": "how volcanoes form", "segments": 6, "reasoning_effort": "low"}


def registry_for(server: FakeOpenAIServer, root: str) -> ProviderRegistry:
    """A live registry with only this plugin, pointed at ``server``."""
    return create_provider_registry(
        mode="live",
        allow_plugins=["openai"],
        secrets=MappingSecretResolver({"OPENAI_API_KEY": KEY}),
        provider_options={"openai": {"base_url": server.base_url}},
        telemetry=ListSink(),
        storage_root=root,
        pipeline=PipelineOptions(),
    )


async def round_trip(calls: int) -> list[tuple[str, float]]:
    """Median milliseconds per call: raw SDK, the handler alone, the full pipeline."""
    import openai
    from tutopanda_provider_openai.cards import SCRIPT_CARD, Gpt5ScriptInputs

    with FakeOpenAIServer(api_key=KEY) as server, tempfile.TemporaryDirectory() as root:
        registry = registry_for(server, root)
        handler: Any = registry.resolve(SCRIPT).handler
        inputs = SCRIPT_CARD.validate_inputs(TOPIC)
        body = handler.request_body(Gpt5ScriptInputs.model_validate(inputs))
        raw = openai.AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)

        async def sdk() -> Any:
            return await raw.responses.create(**body)

        async def alone() -> Any:
            return await handler.invoke(registry.new_request(SCRIPT, inputs))

        async def pipeline() -> Any:
            return await registry.invoke(SCRIPT, TOPIC)

        steps = {
            "raw SDK responses.create": sdk,
            "script handler": alone,
            "registry.invoke (pipeline)": pipeline,
        }
        times: dict[str, list[float]] = {name: [] for name in steps}
        for step in steps.values():
            await step()  # warm: connection, imports, schemas
        for _ in range(calls):
            for name, step in steps.items():  # interleaved: load bursts hit all alike
                started = time.perf_counter()
                await step()
                times[name].append((time.perf_counter() - started) * 1000)
        rows = [(name, statistics.median(values)) for name, values in times.items()]
        await raw.close()
        await handler.aclose()
        return rows


def simulated_prompts(body: dict[str, Any]) -> str:
    """Every (segment, target) pair asked for, as a compliant model would write them."""
    batch = json.loads(body["input"].split("\n", 1)[1])
    names = [
        line[2:].split(":", 1)[0]
        for line in body["instructions"].splitlines()
        if line.startswith("- ")
    ]
    return json.dumps(
        {
            "prompts": [
                {
                    "segment_index": s["index"],
                    "target": name,
                    "prompt": f"{name}: {s['narration']} Wide shot, soft light, documentary.",
                    "negative_prompt": None,
                    "aspect_ratio": None if name == "narration" else "16:9",
                    "duration_seconds": None if name == "image" else 6.0,
                }
                for s in batch
                for name in names
            ]
        }
    )


async def batching(sizes: list[int], segments: int) -> list[tuple[int, int, int, float, float]]:
    """Per batch size: calls, input tokens, cost from usage and the pre-call estimate."""
    lesson = [
        {
            "index": i,
            "title": f"Part {i}",
            "narration": "Magma rises through cracks in the crust and erupts as lava. " * 3,
            "visual_ideas": ["a cross-section of a volcano", "lava flowing at night"],
            "duration_seconds": 10.0,
        }
        for i in range(segments)
    ]
    targets = [
        {"target": "image", "aspect_ratios": ["16:9", "1:1"], "max_prompt_chars": 400},
        {"target": "video", "aspect_ratios": ["16:9"], "durations_seconds": [4, 6, 8]},
        {"target": "narration"},
    ]
    rows = []
    for size in sizes:
        with (
            FakeOpenAIServer(api_key=KEY, text_output=simulated_prompts) as server,
            tempfile.TemporaryDirectory() as root,
        ):
            registry = registry_for(server, root)
            inputs = {"segments": lesson, "targets": targets, "batch_size": size}
            estimate = registry.card(PROMPT).estimate_cost(
                registry.card(PROMPT).validate_inputs(inputs)
            )
            result = await registry.invoke(PROMPT, inputs)
            usage = result.provider.usage.model_dump() if result.provider.usage else {}
            rows.append(
                (
                    size,
                    result.provider.extra["calls"],
                    usage["input_tokens"],
                    result.provider.cost.amount_usd or 0.0,
                    estimate.amount_usd or 0.0,
                )
            )
            await registry.resolve(PROMPT).handler.aclose()  # type: ignore[attr-defined]
    return rows


def own_work(calls: int) -> float:
    """Median microseconds of the script handler's own work on one answer, with no network:
    build the body, read the answer, check it, validate the Script, merge sources, price."""
    from tutopanda_provider_openai.cards import SCRIPT_CARD, Gpt5ScriptInputs
    from tutopanda_provider_openai.instructions import script_input, script_instructions
    from tutopanda_provider_openai.pricing import price_usage
    from tutopanda_provider_openai.response_reading import (
        merge_sources,
        raise_for_outcome,
        read_response,
    )
    from tutopanda_provider_openai.structured import parse_structured
    from tutopanda_providers.contracts import Script

    with FakeOpenAIServer(api_key=KEY, web_searches=3) as server:
        import httpx2

        body = {"model": "gpt-5", "input": "how volcanoes form", "tools": [{"type": "web_search"}]}
        body["include"] = ["web_search_call.action.sources"]
        body["text"] = {"format": {"type": "json_schema", "name": "Script", "strict": True}}
        body["text"]["format"]["schema"] = Script.model_json_schema()
        answer = httpx2.post(
            f"{server.base_url}/responses", json=body, headers={"authorization": f"Bearer {KEY}"}
        ).json()
    inputs = Gpt5ScriptInputs.model_validate(SCRIPT_CARD.validate_inputs(TOPIC))
    times: list[float] = []
    for _ in range(calls):
        started = time.perf_counter()
        values = inputs.model_dump()
        script_instructions(values), script_input(values)
        reading = read_response(answer)
        raise_for_outcome(reading, model="gpt-5")
        script = parse_structured(
            reading.output_text, Script, provider="openai", model_name="gpt-5"
        )
        merge_sources(script.sources, reading.citations, reading.search_sources)
        price_usage(SCRIPT_CARD.price, reading.usage, web_search_calls=reading.web_search_calls)
        times.append((time.perf_counter() - started) * 1_000_000)
    return statistics.median(times)


STARTUP = {
    "registry with the openai plugin": (
        "from tutopanda_providers import create_provider_registry as c\n"
        "import sys\n"
        "c(mode='live', allow_plugins=['openai']).list_models()\n"
        "assert 'openai' not in sys.modules\n"
    ),
    "same, then resolve gpt-5 (imports openai)": (
        "from tutopanda_providers import Descriptor, create_provider_registry as c\n"
        "c(mode='live', allow_plugins=['openai']).resolve(Descriptor.parse('openai/gpt-5'))\n"
    ),
}


def startup(runs: int) -> list[tuple[str, float]]:
    """Median wall milliseconds of each start-up scenario in a fresh process."""
    times: dict[str, list[float]] = {name: [] for name in STARTUP}
    for _ in range(runs):
        for name, code in STARTUP.items():  # interleaved: load bursts hit both alike
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times[name].append((time.perf_counter() - started) * 1000)
    return [(name, statistics.median(values)) for name, values in times.items()]


def main() -> None:
    """Print the three tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few calls of each, for CI")
    args = parser.parse_args()
    calls = 5 if args.smoke else 200
    sizes = [4, 24] if args.smoke else [1, 4, 8, 24]
    runs = 1 if args.smoke else 7

    print(f"1. round trip on the loopback fake, 1 in flight, median of {calls} calls")
    print(f"{'path':<30} {'ms/call':>8} {'calls/s':>8}")
    for name, ms in asyncio.run(round_trip(calls)):
        print(f"{name:<30} {ms:>8.2f} {1000 / ms:>8.0f}")

    print(f"   the handler's own work per script answer, no network: {own_work(calls):.0f} us")

    print("\n2. prompt batching: 24 segments x 3 targets (image, video, narration)")
    print(f"{'batch_size':>10} {'calls':>6} {'input tok':>10} {'cost $':>10} {'estimate $':>11}")
    for size, n_calls, tokens, cost, estimate in asyncio.run(batching(sizes, 24)):
        print(f"{size:>10} {n_calls:>6} {tokens:>10} {cost:>10.5f} {estimate:>11.5f}")

    print(f"\n3. start-up in a fresh process, median of {runs}")
    for name, ms in startup(runs):
        print(f"{name:<44} {ms:>8.0f} ms")


if __name__ == "__main__":
    main()
