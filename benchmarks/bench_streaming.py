"""Streaming: a 200 MB generated video downloaded into storage, memory and throughput.

A fake Replicate (child process) answers the video model with a valid MP4 of the size asked
for (a real small clip padded with an MP4 ``free`` box), served over loopback. Each row runs in
a fresh process, warms up on a 1 MB file first (imports, connections), then fetches the big
one while a thread samples the process's RSS every 2 ms:

* ``ours: registry.invoke``: ``bytedance/seedance-1-lite`` through the live pipeline — create,
  poll, then the handler's download path (``OutputDownloader``: streamed in 256 KiB reads into
  the content-addressed store with sha256, type sniffed, length checked, media facts read).
* ``ours: OutputDownloader.fetch``: the download path alone, on a URL made beforehand.
* alternative ``raw httpx stream -> file``: ``httpx.AsyncClient.stream`` written to a file in
  256 KiB reads — the plain copy over loopback a user would write.
* alternative ``curl -o`` (when curl is installed): the same copy by a C program, the ceiling.

Figures: peak RSS growth during the big download (goal: under 50 MB, the same at every size)
and throughput in MB/s against the raw httpx copy of the same size.

Usage: ``uv run --frozen python benchmarks/bench_streaming.py [--smoke]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _common import (
    FAKE_TOKEN,
    VIDEO_SIZE_PREFIX,
    PeakSampler,
    ServerProcess,
    machine,
    median,
    print_table,
    ratio,
    run_script,
)

MODEL = "bytedance/seedance-1-lite"
MB = 1_000_000
WARM_SIZE = 1 * MB
CHUNK = 256 * 1024
CURL = shutil.which("curl")


def make_url(base_url: str, size: int) -> str:
    """Create a prediction whose output is ``size`` bytes; its file URL."""
    answer = httpx.post(
        f"{base_url}/v1/models/{MODEL}/predictions",
        json={"input": {"prompt": f"{VIDEO_SIZE_PREFIX}{size}"}},
        headers={"Authorization": f"Bearer {FAKE_TOKEN}", "Prefer": "wait"},
        timeout=60,
    )
    answer.raise_for_status()
    output = answer.json()["output"]
    return str(output[0] if isinstance(output, list) else output)


async def ours_invoke(base_url: str, size: int, tmp: Path) -> dict[str, Any]:
    from tutopanda_provider_replicate import plugin
    from tutopanda_providers import Descriptor, create_provider_registry
    from tutopanda_providers.pipeline import PipelineOptions
    from tutopanda_providers.pipeline.ratelimit import RateLimit
    from tutopanda_providers.secrets import MappingSecretResolver

    registry = create_provider_registry(
        mode="live",
        entry_points=False,
        plugins=[("replicate", plugin)],
        secrets=MappingSecretResolver({"REPLICATE_API_TOKEN": FAKE_TOKEN}),
        storage_root=tmp / "blobs",
        provider_options={"replicate": {"base_url": base_url, "poll_initial": 0.01}},
        pipeline=PipelineOptions(rate_limits={"replicate": RateLimit()}),
    )
    descriptor = Descriptor(provider="replicate", model=MODEL)

    async def once(n: int) -> tuple[float, int]:
        started = time.perf_counter()
        result = await registry.invoke(descriptor, {"prompt": f"{VIDEO_SIZE_PREFIX}{n}"})
        blob = result.artefacts[0].blob
        assert blob is not None
        return time.perf_counter() - started, blob.size

    await once(WARM_SIZE)
    with PeakSampler() as memory:
        seconds, stored = await once(size)
    return {"seconds": seconds, "bytes": stored, "growth": memory.growth}


async def ours_fetch(url: str, warm_url: str, tmp: Path) -> dict[str, Any]:
    from tutopanda_providers.http_helpers import OutputDownloader
    from tutopanda_providers.storage import BlobStore

    store = BlobStore(tmp / "blobs")
    downloader = OutputDownloader(provider="replicate")

    async def once(target: str) -> tuple[float, int]:
        started = time.perf_counter()
        stored = await downloader.fetch(
            target, storage=store, expected="video", promised_mime="video/mp4", model=MODEL
        )
        return time.perf_counter() - started, stored.blob.size

    await once(warm_url)
    with PeakSampler() as memory:
        seconds, stored = await once(url)
    await downloader.aclose()
    return {"seconds": seconds, "bytes": stored, "growth": memory.growth}


async def raw_httpx(url: str, warm_url: str, tmp: Path) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=60) as client:

        async def once(target: str, name: str) -> tuple[float, int]:
            started = time.perf_counter()
            path = tmp / name
            async with client.stream("GET", target) as response:
                response.raise_for_status()
                with path.open("wb") as handle:
                    async for chunk in response.aiter_bytes(CHUNK):
                        handle.write(chunk)
            return time.perf_counter() - started, path.stat().st_size

        await once(warm_url, "warm.mp4")
        with PeakSampler() as memory:
            seconds, stored = await once(url, "big.mp4")
    return {"seconds": seconds, "bytes": stored, "growth": memory.growth}


def curl(url: str, tmp: Path) -> dict[str, Any]:
    assert CURL is not None
    target = tmp / "curl.mp4"
    started = time.perf_counter()
    subprocess.run([CURL, "-sS", "-o", str(target), url], check=True)
    return {"seconds": time.perf_counter() - started, "bytes": target.stat().st_size, "growth": 0}


async def child(variant: str, base_url: str, url: str, warm_url: str, size: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if variant == "invoke":
            result = await ours_invoke(base_url, size, tmp)
        elif variant == "fetch":
            result = await ours_fetch(url, warm_url, tmp)
        else:
            result = await raw_httpx(url, warm_url, tmp)
    print(json.dumps(result))


def measure(variant: str, base_url: str, url: str, warm_url: str, size: int) -> dict[str, Any]:
    # Flush the previous row's dirty pages first, so its writeback does not slow this row.
    os.sync()
    if variant == "curl":
        with tempfile.TemporaryDirectory() as folder:
            return curl(url, Path(folder))
    proc = run_script(Path(__file__).name, "--child", variant, base_url, url, warm_url, str(size))
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{variant} failed")
    found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    if int(found["bytes"]) != size:
        raise SystemExit(f"{variant} stored {found['bytes']} bytes, not {size}")
    return found


def main(smoke: bool) -> None:
    sizes = [5 * MB, 20 * MB] if smoke else [50 * MB, 200 * MB]
    repeats = 1 if smoke else 5
    variants = [
        ("invoke", "ours: registry.invoke (create, poll, download)"),
        ("fetch", "ours: OutputDownloader.fetch alone"),
        ("raw", "alternative: raw httpx stream -> file"),
    ]
    if CURL:
        variants.append(("curl", "alternative: curl -o (C, the ceiling)"))
    print(f"# {machine()}")
    print(f"sizes {', '.join(f'{s // MB} MB' for s in sizes)}; {repeats} run(s) each, median")
    rows: list[list[object]] = []
    with ServerProcess("replicate", big_video=True, polls_to_finish=1) as server:
        warm_url = make_url(server.base_url, WARM_SIZE)
        for size in sizes:
            url = make_url(server.base_url, size)
            found: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in variants}
            for turn in range(repeats):
                # Interleaved, and in a rotating order, so neither load nor position in the
                # round favours a variant.
                order = variants[turn % len(variants) :] + variants[: turn % len(variants)]
                for name, _ in order:
                    found[name].append(measure(name, server.base_url, url, warm_url, size))
            raw_rate = median([size / r["seconds"] for r in found["raw"]])
            for name, label in variants:
                rates = [size / r["seconds"] for r in found[name]]
                rate = median(rates)
                growth = max(float(r["growth"]) for r in found[name])
                rows.append(
                    [
                        f"{label}, {size // MB} MB",
                        f"{rate / MB:.0f}",
                        f"{min(rates) / MB:.0f}-{max(rates) / MB:.0f}",
                        ratio(raw_rate, rate) if name != "raw" else "1.00x",
                        "n/a (other process)" if name == "curl" else f"{growth:.1f}",
                    ]
                )
    print_table(
        ["row", "MB/s (median)", "MB/s min-max", "time vs raw httpx", "peak RSS growth MiB"],
        rows,
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        variant, base_url, url, warm_url, size = sys.argv[2:7]
        asyncio.run(child(variant, base_url, url, warm_url, int(size)))
    else:
        parser = argparse.ArgumentParser(description=__doc__)
        parser.add_argument("--smoke", action="store_true", help="a short run for CI")
        main(parser.parse_args().smoke)
