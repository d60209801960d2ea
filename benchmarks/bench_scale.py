"""Scale: 1,000 image jobs at concurrency 64 against a fake Replicate with 100 ms per request.

The fake server (a child process) waits ``LATENCY`` before answering every API request; a
prediction is ``starting`` when created and ``succeeded`` at its first poll, so a job is
``REQUESTS_PER_JOB`` = 2 API requests (create, poll) plus one output download (not delayed).
The handler polls at once (``poll_initial = 0``), so the ideal wall time for the latency is
``REQUESTS_PER_JOB x LATENCY x jobs / 64`` — what 64 perfectly packed lanes would take.

Rows (each run in a fresh process, so its memory is its own):

* ``registry``: N invokes of ``bytedance/seedream-4`` through ``registry.invoke`` under an
  ``asyncio.Semaphore(64)`` — the full pipeline and handler (create, poll, download into the
  blob store), without the runner's bookkeeping. This is the 1,000-job figure.
* ``runner``: a plan of ``--runner-jobs`` ``TextToImageProducer`` jobs run by
  :class:`~tutopanda_providers.runner.Runner` in live mode with ``concurrency = 64``: preview,
  validation, cost estimate, the manifest, the durable event log and the blob store included.
  It runs fewer jobs (default 250) because the runner rewrites the whole manifest after every
  job (``Runner._record`` -> ``MovieStore.write_manifest``), so its cost grows with the square
  of the job count; the rows at two sizes show it. ``--runner-jobs 1000`` runs the full size.

* alternative ``raw``: the same N jobs with the ``replicate`` SDK by hand (create, poll at
  once, ``httpx`` download to a file) under the same semaphore.

Replicate's documented limit (600 creates a minute, carried by the cards) would hold 1,000
jobs for over a minute by design; it is lifted here so the figure measures our work against
the latency (``bench_ratelimit`` measures the limiter).

Usage: ``uv run --frozen python benchmarks/bench_scale.py [--smoke]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    FAKE_TOKEN,
    PeakSampler,
    ServerProcess,
    machine,
    peak_rss_mib,
    print_table,
    ratio,
    rss_mib,
    run_script,
)

CONCURRENCY = 64
LATENCY = 0.1
REQUESTS_PER_JOB = 2
MODEL = "replicate/bytedance/seedream-4"
SETTINGS = f"""
[runner]
concurrency = {CONCURRENCY}
timeout_seconds = 600

[producers.TextToImageProducer]
kind = "image"
model = "{MODEL}"
"""


def plan_text(jobs: int) -> str:
    """A plan of ``jobs`` independent image jobs."""
    lines = ['[plan]\ntitle = "scale"\n']
    for i in range(jobs):
        lines.append(
            f'[jobs.image_{i}]\nproducer = "TextToImageProducer"\n'
            f'inputs.prompt = "a bee on flower number {i}"\ninputs.aspect_ratio = "16:9"\n'
        )
    return "\n".join(lines)


def provider_options(base_url: str) -> dict[str, dict[str, object]]:
    return {"replicate": {"base_url": base_url, "poll_initial": 0.0, "poll_max": 0.05}}


def registry_options(base_url: str, blobs: Path | None):  # type: ignore[no-untyped-def]
    from tutopanda_provider_replicate import plugin
    from tutopanda_providers import RegistryOptions
    from tutopanda_providers.pipeline import PipelineOptions
    from tutopanda_providers.pipeline.ratelimit import RateLimit
    from tutopanda_providers.secrets import MappingSecretResolver

    return RegistryOptions(
        mode="live",
        entry_points=False,
        plugins=[("replicate", plugin)],
        secrets=MappingSecretResolver({"REPLICATE_API_TOKEN": FAKE_TOKEN}),
        storage_root=blobs,
        provider_options=provider_options(base_url),
        pipeline=PipelineOptions(rate_limits={"replicate": RateLimit()}),
    )


async def run_runner(base_url: str, jobs: int, tmp: Path) -> dict[str, object]:
    from tutopanda_providers.runner import Catalog, Runner, RunOptions, load_settings, parse_plan

    settings_file = tmp / "settings.toml"
    settings_file.write_text(SETTINGS)
    settings = load_settings(settings_file, use_defaults=False)
    plan = parse_plan(plan_text(jobs), "scale.toml", settings.producers)
    runner = Runner(
        plan,
        Catalog.from_settings(settings),
        tmp / "movie",
        RunOptions(live=True, concurrency=CONCURRENCY, provider_options=provider_options(base_url)),
        registry_options=registry_options(base_url, None),
    )
    with PeakSampler(0.01) as memory:
        started, cpu = time.perf_counter(), time.process_time()
        report = await runner.run()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    ok = sum(1 for o in report.outcomes if o.status == "succeeded")
    return {"wall": wall, "cpu": cpu, "ok": ok, "growth": memory.growth, "peak": peak_rss_mib()}


async def run_registry(base_url: str, jobs: int, tmp: Path) -> dict[str, object]:
    from tutopanda_providers import Descriptor, create_provider_registry

    registry = create_provider_registry(registry_options(base_url, tmp / "blobs"))
    descriptor = Descriptor.parse(MODEL)
    gate = asyncio.Semaphore(CONCURRENCY)
    ok = 0

    async def one(i: int) -> None:
        nonlocal ok
        async with gate:
            inputs = {"prompt": f"a bee on flower number {i}", "aspect_ratio": "16:9"}
            await registry.invoke(descriptor, inputs)
            ok += 1

    with PeakSampler(0.01) as memory:
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(i) for i in range(jobs)), return_exceptions=True)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "ok": ok, "growth": memory.growth, "peak": peak_rss_mib()}


async def run_raw(base_url: str, jobs: int, tmp: Path) -> dict[str, object]:
    """The same jobs with the ``replicate`` SDK by hand: create, poll at once, download."""
    import httpx
    import replicate

    client = replicate.Client(api_token=FAKE_TOKEN, base_url=base_url)
    files = httpx.AsyncClient(timeout=60)
    gate = asyncio.Semaphore(CONCURRENCY)
    ok = 0

    async def one(i: int) -> None:
        nonlocal ok
        async with gate:
            prediction = await client.predictions.async_create(
                model=MODEL.removeprefix("replicate/"),
                input={"prompt": f"a bee on flower number {i}", "aspect_ratio": "16:9"},
            )
            while prediction.status not in ("succeeded", "failed", "canceled", "aborted"):
                prediction = await client.predictions.async_get(prediction.id)
            output = prediction.output
            url = output[0] if isinstance(output, list) else output
            async with files.stream("GET", str(url)) as response:
                response.raise_for_status()
                with (tmp / f"{i}.jpg").open("wb") as handle:
                    async for chunk in response.aiter_bytes(256 * 1024):
                        handle.write(chunk)
            ok += 1

    with PeakSampler(0.01) as memory:
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(i) for i in range(jobs)), return_exceptions=True)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    await files.aclose()
    return {"wall": wall, "cpu": cpu, "ok": ok, "growth": memory.growth, "peak": peak_rss_mib()}


async def child(variant: str, base_url: str, jobs: int) -> None:
    # Import and build what every variant needs before the clock starts.
    import tutopanda_provider_replicate.handler  # noqa: F401
    import tutopanda_providers.runner  # noqa: F401

    with tempfile.TemporaryDirectory() as tmpdir:
        before = rss_mib()
        run = {"runner": run_runner, "registry": run_registry, "raw": run_raw}[variant]
        result = await run(base_url, jobs, Path(tmpdir))
        result["before"] = before
        print(json.dumps(result))


def measure(server: ServerProcess, variant: str, jobs: int) -> list[object]:
    """Run one variant in a fresh process; its table row."""
    ideal = REQUESTS_PER_JOB * LATENCY * jobs / CONCURRENCY
    server.reset()
    cpu_before = server.cpu_seconds()
    proc = run_script(Path(__file__).name, "--child", variant, server.base_url, str(jobs))
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{variant} failed")
    result = json.loads(out.strip().splitlines()[-1])
    creates = len(server.times("create"))
    wall = float(result["wall"])
    label = {
        "registry": "ours: registry.invoke, Semaphore(64)",
        "runner": "ours: Runner, concurrency 64",
        "raw": "alternative: raw replicate SDK + httpx, Semaphore(64)",
    }[variant]
    return [
        f"{label}, {jobs} jobs",
        f"{ideal:.2f}",
        f"{wall:.2f}",
        ratio(wall, ideal),
        f"{jobs / wall:.0f}",
        f"{result['ok']}/{jobs} ({creates} creates)",
        f"{result['before']:.0f} -> {result['before'] + result['growth']:.0f}"
        f" (+{result['growth']:.0f})",
        f"{float(result['cpu']) * 1000 / jobs:.1f}",
        f"{server.cpu_seconds() - cpu_before:.1f}",
    ]


def main(smoke: bool, runner_jobs: int | None) -> None:
    jobs = 128 if smoke else 1000
    runner_sizes = [32, 64] if smoke else [125, runner_jobs or 250]
    print(f"# {machine()}")
    print(
        f"concurrency {CONCURRENCY}, {LATENCY * 1000:.0f} ms per API request, "
        f"{REQUESTS_PER_JOB} API requests + 1 download per job; "
        f"ideal = {REQUESTS_PER_JOB} x {LATENCY} s x jobs / {CONCURRENCY}"
    )
    rows: list[list[object]] = []
    with ServerProcess("replicate", latency=LATENCY, polls_to_finish=1) as server:
        rows.append(measure(server, "registry", jobs))
        rows.append(measure(server, "raw", jobs))
        for size in runner_sizes:
            rows.append(measure(server, "runner", size))
    print_table(
        [
            "row",
            "ideal s",
            "wall s",
            "vs ideal",
            "jobs/s",
            "succeeded",
            "RSS MiB (peak growth)",
            "client CPU ms/job",
            "server CPU s",
        ],
        rows,
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        asyncio.run(child(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    else:
        parser = argparse.ArgumentParser(description=__doc__)
        parser.add_argument("--smoke", action="store_true", help="a short run for CI")
        parser.add_argument("--runner-jobs", type=int, default=None, help="jobs for the runner")
        args = parser.parse_args()
        main(args.smoke, args.runner_jobs)
