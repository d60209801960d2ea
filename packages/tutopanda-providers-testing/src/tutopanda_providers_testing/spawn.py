"""Run the fake servers in a child process (for benchmarks: no GIL shared with the client).

    with spawn_fake_servers("both", latency=0.1) as fakes:
        client = AsyncOpenAI(api_key=fakes.env["OPENAI_API_KEY"], base_url=fakes.openai_base_url)

In-process servers (:class:`FakeReplicateServer`, :class:`FakeOpenAIServer`) are what tests
want — faults and the request log are only there. A child process is what a throughput
measurement wants: the server's threads and the client's event loop then run on two cores.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class SpawnedFakes:
    """The running child: its environment variables (base URLs, fake keys) and process."""

    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[str] | None = None

    @property
    def replicate_base_url(self) -> str | None:
        """The fake Replicate base URL, if that server runs."""
        return self.env.get("REPLICATE_BASE_URL")

    @property
    def fal_base_url(self) -> str | None:
        """The fake FAL queue URL, if that server runs."""
        return self.env.get("FAL_QUEUE_URL")

    @property
    def openai_base_url(self) -> str | None:
        """The fake OpenAI base URL (ending in ``/v1``), if that server runs."""
        return self.env.get("OPENAI_BASE_URL")


@contextmanager
def spawn_fake_servers(
    which: str = "both",
    *,
    latency: float = 0.0,
    rate_limit: float | None = None,
    polls: int = 2,
    output_mode: str = "url",
    startup_timeout: float = 30.0,
    fail: Sequence[str] = (),
) -> Iterator[SpawnedFakes]:
    """Start ``python -m tutopanda_providers_testing.serve`` and stop it on exit.

    ``which`` is ``replicate``, ``openai``, ``fal``, ``both`` (Replicate and OpenAI) or ``all``;
    ``fail`` holds ``SERVER:ROUTE:STATUS`` rules (every call of that route answers the error).
    """
    args = [sys.executable, "-m", "tutopanda_providers_testing.serve", which, "--port", "0"]
    args += ["--latency", str(latency), "--polls", str(polls), "--output-mode", output_mode]
    for rule in fail:
        args += ["--fail", rule]
    if rate_limit is not None:
        args += ["--rate-limit", str(rate_limit)]
    process = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    fakes = SpawnedFakes(process=process)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            match = re.match(r"\s*export (\w+)=(\S+)", line)
            if match:
                fakes.env[match.group(1)] = match.group(2)
            if "Ctrl-C" in line:
                break
        else:
            raise RuntimeError(f"the fake servers did not start (exit code {process.poll()})")
        yield fakes
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=startup_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
