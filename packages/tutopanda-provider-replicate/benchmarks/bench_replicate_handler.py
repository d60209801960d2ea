"""The Replicate plugin's costs: loading it, and a full invoke against the loopback fake.

    uv run --frozen python packages/tutopanda-provider-replicate/benchmarks/bench_replicate_handler.py [--smoke]

Prints a table: the plugin's load time in a fresh interpreter (median), and invokes per second
of a whole job (create, poll, download, sha256, store) through the registry, at 1 and 16 jobs
in flight, for an image model (files over HTTP) and with data: URIs.

The fake server runs in its own process (in this one it would share the GIL with the client).
Its handler writes headers and body separately without TCP_NODELAY, which costs about 40 ms
per request on loopback (Nagle against delayed ACKs); the script turns TCP_NODELAY on for the
fake so the figures show this package's cost, not that stall.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time

from tutopanda_provider_replicate import plugin
from tutopanda_providers import Descriptor, create_provider_registry
from tutopanda_providers.secrets import MappingSecretResolver
from tutopanda_providers.telemetry import ListSink

SERVE = (
    "import sys, tutopanda_providers_testing._server as s\n"
    "s._Handler.disable_nagle_algorithm = True\n"
    "from tutopanda_providers_testing import FakeReplicateServer\n"
    "with FakeReplicateServer(polls_to_finish=1, output_mode=sys.argv[1]) as fake:\n"
    "    print(fake.base_url, flush=True)\n"
    "    sys.stdin.read()\n"
)
LOAD = (
    "import time; t = time.perf_counter(); "
    "from tutopanda_providers import create_provider_registry; "
    "r = create_provider_registry(mode='live', allow_plugins=['replicate']); r.list_models(); "
    "print(time.perf_counter() - t)"
)


def load_time(runs: int) -> float:
    """Median seconds to build a registry with only this plugin and list its models."""
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", LOAD], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(times)


async def throughput(output_mode: str, in_flight: int, jobs: int) -> tuple[float, float]:
    """Jobs per second and the median job latency in ms."""
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, output_mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    base_url = server.stdout.readline().strip()
    try:
        registry = create_provider_registry(
            mode="live",
            entry_points=False,
            plugins=[("replicate", plugin)],
            secrets=MappingSecretResolver({"REPLICATE_API_TOKEN": "bench-token-123"}),
            telemetry=ListSink(),
            storage_root=tempfile.mkdtemp(),
            provider_options={
                "replicate": {"base_url": base_url, "poll_initial": 0.001, "read_facts": False}
            },
        )
        descriptor = Descriptor(provider="replicate", model="google/nano-banana")
        gate = asyncio.Semaphore(in_flight)
        latencies: list[float] = []

        async def one(i: int) -> None:
            async with gate:
                started = time.perf_counter()
                await registry.invoke(descriptor, {"prompt": f"bee {i}"})
                latencies.append(time.perf_counter() - started)

        await one(-1)  # warm the clients
        latencies.clear()
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(jobs)))
        elapsed = time.perf_counter() - started
        return jobs / elapsed, statistics.median(latencies) * 1000
    finally:
        server.stdin.close()
        server.wait(timeout=10)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a short run for CI")
    args = parser.parse_args()
    runs, jobs = (2, 20) if args.smoke else (7, 300)
    rows = [
        ("plugin load + list models, fresh process (median)", f"{load_time(runs) * 1000:.0f} ms")
    ]
    for mode in ("url", "data"):
        for in_flight in (1, 16):
            rate, median = asyncio.run(throughput(mode, in_flight, jobs))
            rows.append(
                (
                    f"image job, outputs as {mode}, {in_flight} in flight",
                    f"{rate:.0f} jobs/s, median {median:.1f} ms",
                )
            )
    width = max(len(r[0]) for r in rows)
    print(f"{'what'.ljust(width)}  figure")
    for what, figure in rows:
        print(f"{what.ljust(width)}  {figure}")


if __name__ == "__main__":
    main()
