"""Helpers shared by the live-path, scale, rate-limit and streaming benchmarks.

* :class:`ServerProcess` runs a fake server (``tutopanda_providers_testing``) in a child
  process, so its threads do not take the benchmark's interpreter lock: on a real deployment the
  provider is another machine. The child answers three commands on stdin — ``log ROUTE``
  (received-at times of every request of that route), ``body ROUTE`` (the JSON body of the last
  request of that route) and ``reset`` — and exits when stdin closes.
* Statistics (:func:`median`, :func:`percentile`), memory (:func:`rss_mib`,
  :func:`peak_rss_mib`, :class:`PeakSampler`), fresh-process runs (:func:`fresh_python`) and
  table printing (:func:`print_table`).

Run ``python benchmarks/_common.py serve replicate '{"latency": 0.1}'`` to see a child's start.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import statistics
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psutil

HERE = Path(__file__).resolve().parent
#: A clearly fake token: the fake servers accept any non-empty bearer token.
FAKE_TOKEN = "r8_bench-fake-token"
FAKE_OPENAI_KEY = "test-bench-fake-key-123"
#: The key the fake FAL of :class:`ServerProcess` accepts (FAL's ``id:secret`` shape).
FAKE_FAL_KEY = "bench-fake-id:bench-fake-secret"
#: Prompts of this form make the streaming server's video model answer a file of N bytes.
VIDEO_SIZE_PREFIX = "bench-video-bytes="


# -- statistics ---------------------------------------------------------------------------
def median(samples: Sequence[float]) -> float:
    """The median (``nan`` for no samples)."""
    return statistics.median(samples) if samples else float("nan")


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by the nearest-rank method (``nan`` for no samples)."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ratio(ours: float, alternative: float) -> str:
    """``ours / alternative`` as ``1.03x`` (``n/a`` when it cannot be computed)."""
    if not alternative or alternative != alternative or ours != ours:
        return "n/a"
    return f"{ours / alternative:.2f}x"


def max_in_window(times: Sequence[float], window: float = 1.0) -> int:
    """The most timestamps that fall in any half-open interval ``[t, t + window)``."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, stamp in enumerate(ordered):
        while stamp - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


# -- memory -------------------------------------------------------------------------------
def rss_mib() -> float:
    """This process's resident set size now, in MiB."""
    return float(psutil.Process().memory_info().rss) / 2**20


def peak_rss_mib() -> float:
    """This process's peak resident set size so far (``ru_maxrss``), in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return float(peak) / (2**20 if sys.platform == "darwin" else 2**10)


class PeakSampler:
    """Samples this process's RSS every ``interval`` seconds in a thread; ``peak`` in MiB.

    ``ru_maxrss`` alone cannot say what an operation added once the process has been bigger
    before it; sampling can (it may miss a spike shorter than ``interval``).
    """

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.start_mib = 0.0
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._process = psutil.Process()

    def __enter__(self) -> Self:
        self.start_mib = self.peak = rss_mib()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak = max(self.peak, rss_mib())

    @property
    def growth(self) -> float:
        """Peak RSS during the block minus RSS at its start, in MiB."""
        return self.peak - self.start_mib

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, float(self._process.memory_info().rss) / 2**20)
            self._stop.wait(self.interval)


# -- processes ----------------------------------------------------------------------------
def fresh_python(code: str, *args: str, timeout: float = 600) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; return the JSON object of its last output line."""
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=HERE.parent,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run_script(script: str, *args: str) -> subprocess.Popen[str]:
    """Start ``benchmarks/<script>`` with ``args`` in a child, stdout piped."""
    return subprocess.Popen(
        [sys.executable, str(HERE / script), *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=HERE.parent,
    )


class ServerProcess:
    """A fake server in a child process.

    Args:
        which: ``replicate``, ``openai`` or ``fal`` (which accepts only :data:`FAKE_FAL_KEY`).
        big_video: make the video models answer a file of the size named in the prompt
            (``bench-video-bytes=N``), a valid MP4 padded with a ``free`` box.
        **options: keyword arguments of the server class (``latency``, ``polls_to_finish``...).
    """

    def __init__(self, which: str, *, big_video: bool = False, **options: Any) -> None:
        self.which = which
        self.options = {**options, "big_video": big_video}
        self._proc: subprocess.Popen[str] | None = None
        self.origin = ""
        self.base_url = ""
        self.pid = 0

    def __enter__(self) -> Self:
        proc = subprocess.Popen(
            [sys.executable, __file__, "serve", self.which, json.dumps(self.options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=HERE.parent,
        )
        self._proc = proc
        assert proc.stdout is not None
        hello = json.loads(proc.stdout.readline())
        self.origin, self.base_url, self.pid = hello["origin"], hello["base_url"], proc.pid
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _ask(self, command: str) -> Any:
        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(command + "\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    def times(self, route: str) -> list[float]:
        """``time.monotonic()`` (the child's clock) of every request of ``route``."""
        found: list[float] = self._ask(f"log {route}")
        return found

    def last_body(self, route: str) -> Any:
        """The JSON body of the last request of ``route``."""
        return self._ask(f"body {route}")

    def reset(self) -> None:
        """Forget every request received so far."""
        self._ask("reset")

    def cpu_seconds(self) -> float:
        """CPU seconds (user + system) the server process has used."""
        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)


def _padded_mp4(size: int) -> bytes:
    from tutopanda_providers_testing.media import mp4

    head = mp4(with_audio=False)
    pad = max(8, size - len(head))
    return head + struct.pack(">I", pad) + b"free" + bytes(pad - 8)


def _serve(which: str, options: dict[str, Any]) -> None:
    from tutopanda_providers_testing import fake_fal, fake_openai, fake_replicate
    from tutopanda_providers_testing.requestlog import RequestLog

    big_video = bool(options.pop("big_video", False))
    if big_video:
        original = fake_replicate._media_for
        cache: dict[int, bytes] = {}

        def media_for(spec: Any, values: dict[str, Any], *, seed: str) -> tuple[bytes, str]:
            prompt = str(values.get("prompt") or "")
            if spec.kind == "video" and prompt.startswith(VIDEO_SIZE_PREFIX):
                size = int(prompt.removeprefix(VIDEO_SIZE_PREFIX).split()[0])
                if size not in cache:
                    cache[size] = _padded_mp4(size)
                return cache[size], "mp4"
            return original(spec, values, seed=seed)

        fake_replicate._media_for = media_for  # type: ignore[assignment]

    cls: Any = {
        "replicate": fake_replicate.FakeReplicateServer,
        "openai": fake_openai.FakeOpenAIServer,
        "fal": fake_fal.FakeFal,
    }[which]
    if which == "fal":
        options.setdefault("api_key", FAKE_FAL_KEY)
    with cls(**options) as server:
        print(json.dumps({"origin": server.origin, "base_url": server.base_url}), flush=True)
        for line in sys.stdin:
            command, _, arg = line.strip().partition(" ")
            answer: Any = None
            if command == "log":
                answer = [r.received_at for r in server.log.requests if r.route == arg]
            elif command == "body":
                found = [r for r in server.log.requests if r.route == arg]
                answer = found[-1].json if found else None
            elif command == "reset":
                server.log = RequestLog()
            print(json.dumps(answer), flush=True)


# -- running many -------------------------------------------------------------------------
async def run_concurrently(
    job: Callable[[int], Awaitable[object]], count: int, concurrency: int
) -> tuple[float, list[float]]:
    """Run ``job(i)`` for ``i < count``, ``concurrency`` at once; ``(wall s, latencies s)``."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(i: int) -> None:
        async with gate:
            started = time.perf_counter()
            await job(i)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    return time.perf_counter() - started, latencies


# -- output -------------------------------------------------------------------------------
def machine() -> str:
    """One line naming this machine and interpreter."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.platform()}, {platform.machine()}, {cpus} cores, "
        f"Python {platform.python_version()}, load average {load:.2f}"
    )


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a plain aligned table (first column left-aligned, the rest right-aligned)."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = [cell.rjust(widths[i + 1]) for i, cell in enumerate(row[1:])]
        return "  ".join([first, *rest])

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        _serve(sys.argv[2], json.loads(sys.argv[3]) if len(sys.argv) > 3 else {})
    else:
        print(__doc__)
