"""Live path: our handlers through the registry against the same work done with the raw SDKs.

Both sides talk to the same fake server, run in a child process on loopback (no added
latency, so every difference is client-side work):

* **Replicate** (``bytedance/seedream-4``, one image): ours is ``registry.invoke`` in live mode —
  the full pipeline (validation, input adapter, retry, rate limit with no limit set, deadline),
  create, poll, download into the content-addressed store with sha256 and the media facts.
  The alternative is what a user writes by hand with the ``replicate`` SDK:
  ``predictions.async_create``, ``async_get`` until terminal, then an ``httpx`` stream of the
  output into a file. Both poll on the same schedule (first poll after ``POLL_INITIAL``, times
  ``POLL_FACTOR``, at most ``POLL_MAX``) and send the same create body (captured from ours).
* **FAL** (``fal-ai/imagen4/preview/fast``, one image): ours is ``registry.invoke`` of the FAL
  plugin through the same pipeline: submit to the queue, poll the status, read the result,
  download into the store. The alternative is the official ``fal_client`` by hand:
  ``AsyncClient.submit`` with ``fal_client.client.QUEUE_URL_FORMAT`` patched to the fake (the
  module global that is why our plugin does not use the SDK), ``handle.status`` on the same
  schedule until ``Completed``, the result GET on ``handle.response_url`` with the SDK's own
  client (what ``handle.get`` does after its own extra status poll), then an ``httpx`` stream
  of each output file to disk. Same body (captured from ours).
* **OpenAI** (``gpt-5`` script): ours is ``registry.invoke`` of the script producer; the
  alternative is ``AsyncOpenAI.responses.create(**body)`` with the body our handler sent.

Each is run at concurrency 1 (per-job latency: median and p99) and 64 (jobs per second), the
two sides interleaved in rounds so load on this shared machine hits both alike. The ratio is
ours / raw for latency and raw / ours for throughput: 1.00x means no cost; above 1, slower.

Usage: ``uv run --frozen python benchmarks/bench_live_path.py [--smoke]``
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from _common import (
    FAKE_FAL_KEY,
    FAKE_OPENAI_KEY,
    FAKE_TOKEN,
    ServerProcess,
    machine,
    median,
    percentile,
    print_table,
    ratio,
    run_concurrently,
)
from tutopanda_providers import Descriptor, ProviderRegistry, create_provider_registry
from tutopanda_providers.pipeline import PipelineOptions
from tutopanda_providers.pipeline.ratelimit import RateLimit
from tutopanda_providers.secrets import MappingSecretResolver

POLL_INITIAL, POLL_FACTOR, POLL_MAX = 0.01, 1.5, 0.05
IMAGE = Descriptor.parse("replicate/bytedance/seedream-4")
SCRIPT = Descriptor.parse("openai/gpt-5")
FAL_IMAGE = Descriptor.parse("fal/fal-ai/imagen4/preview/fast")
FAL_INPUTS = {"prompt": "a bee on a flower", "aspect_ratio": "16:9"}
#: The fake FAL keeps each request IN_PROGRESS this long, so both sides poll twice or so.
FAL_RUN_SECONDS = 0.015
IMAGE_INPUTS = {"prompt": "a bee on a flower", "aspect_ratio": "16:9"}
SCRIPT_INPUTS = {"topic": "how bees make honey", "segments": 3, "duration_seconds": 60}
TERMINAL = frozenset({"succeeded", "failed", "canceled", "aborted"})
CHUNK = 256 * 1024

Job = Callable[[int], Awaitable[object]]


def make_registry(
    replicate_url: str, openai_url: str, fal_url: str, blobs: Path
) -> ProviderRegistry:
    """A live registry on the three fake servers, with no rate limit (the raw SDKs have none)."""
    from tutopanda_provider_fal import plugin as fal_plugin
    from tutopanda_provider_openai import plugin as openai_plugin
    from tutopanda_provider_replicate import plugin as replicate_plugin

    return create_provider_registry(
        mode="live",
        entry_points=False,
        plugins=[("replicate", replicate_plugin), ("openai", openai_plugin), ("fal", fal_plugin)],
        secrets=MappingSecretResolver(
            {
                "REPLICATE_API_TOKEN": FAKE_TOKEN,
                "OPENAI_API_KEY": FAKE_OPENAI_KEY,
                "FAL_KEY": FAKE_FAL_KEY,
            }
        ),
        storage_root=blobs,
        provider_options={
            "replicate": {
                "base_url": replicate_url,
                "poll_initial": POLL_INITIAL,
                "poll_factor": POLL_FACTOR,
                "poll_max": POLL_MAX,
            },
            "openai": {"base_url": openai_url},
            "fal": {
                "base_url": fal_url,
                "poll_interval": POLL_INITIAL,
                "poll_factor": POLL_FACTOR,
                "poll_max": POLL_MAX,
            },
        },
        # The cards carry Replicate's documented 600 creates/min; lifted here so the
        # comparison measures work, not the limit (bench_ratelimit measures the limit).
        pipeline=PipelineOptions(
            rate_limits={"replicate": RateLimit(), "openai": RateLimit(), "fal": RateLimit()},
        ),
    )


class RawReplicate:
    """Create, poll and download with the ``replicate`` SDK by hand."""

    def __init__(self, base_url: str, body: dict[str, Any], out: Path) -> None:
        import replicate

        self.client = replicate.Client(api_token=FAKE_TOKEN, base_url=base_url)
        self.files = httpx.AsyncClient(timeout=60)
        self.model = IMAGE.model
        self.body = body
        self.out = out

    async def job(self, _: int) -> None:
        prediction = await self.client.predictions.async_create(model=self.model, input=self.body)
        delay = POLL_INITIAL
        while prediction.status not in TERMINAL:
            await asyncio.sleep(delay)
            prediction = await self.client.predictions.async_get(prediction.id)
            delay = min(delay * POLL_FACTOR, POLL_MAX)
        output = prediction.output
        urls = output if isinstance(output, list) else [output]
        for url in urls:
            target = self.out / uuid.uuid4().hex
            async with self.files.stream("GET", str(url)) as response:
                response.raise_for_status()
                with target.open("wb") as handle:
                    async for chunk in response.aiter_bytes(CHUNK):
                        handle.write(chunk)

    async def aclose(self) -> None:
        await self.files.aclose()


class RawFal:
    """Submit, poll and download with the official ``fal_client`` by hand."""

    def __init__(self, base_url: str, body: dict[str, Any], out: Path) -> None:
        import fal_client
        import fal_client.client

        # The SDK's queue host is a module global with https:// built in at import: the only
        # way to point it at a plain-http fake (and why our plugin does not use the SDK).
        fal_client.client.QUEUE_URL_FORMAT = base_url.rstrip("/") + "/"
        self.client = fal_client.AsyncClient(key=FAKE_FAL_KEY)
        self.completed = fal_client.Completed
        self.files = httpx.AsyncClient(timeout=60)
        self.app = FAL_IMAGE.model
        self.body = body
        self.out = out

    async def job(self, _: int) -> None:
        handle = await self.client.submit(self.app, arguments=self.body)
        delay = POLL_INITIAL
        while True:
            await asyncio.sleep(delay)
            delay = min(delay * POLL_FACTOR, POLL_MAX)
            if isinstance(await handle.status(with_logs=True), self.completed):
                break
        response = await handle.client.get(handle.response_url)
        response.raise_for_status()
        for image in response.json()["images"]:
            target = self.out / uuid.uuid4().hex
            async with self.files.stream("GET", str(image["url"])) as download:
                download.raise_for_status()
                with target.open("wb") as handle_out:
                    async for chunk in download.aiter_bytes(CHUNK):
                        handle_out.write(chunk)

    async def aclose(self) -> None:
        await self.files.aclose()
        await (await self.client._client).aclose()


class RawOpenAI:
    """``AsyncOpenAI.responses.create`` with the body our handler sent."""

    def __init__(self, base_url: str, body: dict[str, Any]) -> None:
        import openai

        self.client = openai.AsyncOpenAI(api_key=FAKE_OPENAI_KEY, base_url=base_url, max_retries=0)
        self.body = body

    async def job(self, _: int) -> None:
        await self.client.responses.create(**self.body)

    async def aclose(self) -> None:
        await self.client.close()


async def interleaved(
    sides: dict[str, Job], count: int, concurrency: int, rounds: int
) -> dict[str, tuple[float, list[float]]]:
    """Run each side ``count`` jobs in ``rounds`` alternating rounds; total wall and latencies."""
    totals: dict[str, tuple[float, list[float]]] = {name: (0.0, []) for name in sides}
    per_round = max(1, count // rounds)
    for _ in range(rounds):
        for name, job in sides.items():
            wall, latencies = await run_concurrently(job, per_round, concurrency)
            old_wall, old_lat = totals[name]
            totals[name] = (old_wall + wall, old_lat + latencies)
    return totals


async def close_handlers(registry: ProviderRegistry) -> None:
    for descriptor in (IMAGE, SCRIPT, FAL_IMAGE):
        close = getattr(registry.resolve(descriptor).handler, "aclose", None)
        if close is not None:
            await close()


async def main(smoke: bool) -> None:
    serial, parallel, rounds = (6, 64, 2) if smoke else (60, 640, 4)
    print(f"# {machine()}")
    print(
        f"fake servers in a child process, no added latency; polls at {POLL_INITIAL}s x"
        f"{POLL_FACTOR} up to {POLL_MAX}s on both sides; c=1: {serial} jobs per side, "
        f"c=64: {parallel} jobs per side, {rounds} interleaved rounds"
    )
    rows: list[list[object]] = []
    with (
        ServerProcess("replicate", polls_to_finish=2) as rep,
        ServerProcess("openai") as oai,
        ServerProcess("fal", run_seconds=FAL_RUN_SECONDS) as fal,
        tempfile.TemporaryDirectory() as tmpdir,
    ):
        tmp = Path(tmpdir)
        registry = make_registry(rep.base_url, oai.base_url, fal.base_url, tmp / "blobs")
        raw_out = tmp / "raw"
        raw_out.mkdir()

        async def ours_image(i: int) -> None:
            await registry.invoke(IMAGE, {**IMAGE_INPUTS, "prompt": f"a bee on a flower {i}"})

        async def ours_script(_: int) -> None:
            await registry.invoke(SCRIPT, SCRIPT_INPUTS)

        async def ours_fal(_: int) -> None:
            # One prompt on both sides: the fake caches the image it draws per prompt, so a
            # prompt per job would time the fake's drawing on our side only.
            await registry.invoke(FAL_IMAGE, FAL_INPUTS)

        # Warm both sides (imports, connections, first schema builds); capture the bodies.
        await ours_image(0)
        await ours_script(0)
        await ours_fal(0)
        image_body = rep.last_body("create")["input"]
        script_body = oai.last_body("responses")
        fal_body = fal.last_body("submit")
        raw_rep = RawReplicate(rep.base_url, image_body, raw_out)
        raw_oai = RawOpenAI(oai.base_url, script_body)
        raw_fal = RawFal(fal.base_url, fal_body, raw_out)
        await raw_rep.job(0)
        await raw_oai.job(0)
        await raw_fal.job(0)

        cases = [
            ("replicate image", {"ours": ours_image, "raw": raw_rep.job}, "create+poll+download"),
            ("openai script", {"ours": ours_script, "raw": raw_oai.job}, "responses.create"),
            ("fal image", {"ours": ours_fal, "raw": raw_fal.job}, "submit+status+get+download"),
        ]
        for label, sides, raw_name in cases:
            one = await interleaved(sides, serial, 1, rounds)
            ours_lat, raw_lat = one["ours"][1], one["raw"][1]
            rows.append(
                [
                    f"{label}, c=1, median ms",
                    f"{median(ours_lat) * 1000:.1f}",
                    f"{median(raw_lat) * 1000:.1f}",
                    raw_name,
                    ratio(median(ours_lat), median(raw_lat)),
                ]
            )
            rows.append(
                [
                    f"{label}, c=1, p99 ms",
                    f"{percentile(ours_lat, 0.99) * 1000:.1f}",
                    f"{percentile(raw_lat, 0.99) * 1000:.1f}",
                    raw_name,
                    ratio(percentile(ours_lat, 0.99), percentile(raw_lat, 0.99)),
                ]
            )
            many = await interleaved(sides, parallel, 64, rounds)
            ours_rate = len(many["ours"][1]) / many["ours"][0]
            raw_rate = len(many["raw"][1]) / many["raw"][0]
            rows.append(
                [
                    f"{label}, c=64, jobs/s",
                    f"{ours_rate:.0f}",
                    f"{raw_rate:.0f}",
                    raw_name,
                    ratio(raw_rate, ours_rate),
                ]
            )
            rows.append(
                [
                    f"{label}, c=64, median ms",
                    f"{median(many['ours'][1]) * 1000:.1f}",
                    f"{median(many['raw'][1]) * 1000:.1f}",
                    raw_name,
                    ratio(median(many["ours"][1]), median(many["raw"][1])),
                ]
            )
        await raw_rep.aclose()
        await raw_oai.aclose()
        await raw_fal.aclose()
        await close_handlers(registry)
    print_table(["figure", "ours", "raw SDK", "raw SDK does", "ratio (cost)"], rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a short run for CI")
    asyncio.run(main(parser.parse_args().smoke))
