"""``tutopanda-providers worker``: warm start, then serve lessons from a Temporal task queue.

The worker builds the live registry from its settings, warms every handler the settings'
producers may use (their models and fallbacks) and refuses to start when one fails: a worker
that cannot run a job never takes one. Then it serves the lesson workflow and the job
activities on its task queue until SIGTERM or Ctrl-C, letting running jobs finish first
(``drain_seconds``); a job cut short is retried on another worker after the heartbeat timeout
and resumes its remote job.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from tutopanda_providers import (
    ConfigurationError,
    PipelineOptions,
    ProviderError,
    RateLimit,
    RegistryOptions,
)

from tutopanda_providers_temporal.models import DEFAULT_TASK_QUEUE


@dataclass
class WorkerConfig:
    """How to start a worker.

    Attributes:
        settings_path: settings file (``None``: ``$TUTOPANDA_SETTINGS``, then ./tutopanda.toml).
        task_queue / address / namespace: where to take work from.
        live: run live jobs (warm the live handlers: every key must be set and accepted).
        use_mock: producer names or kinds this worker does not warm live.
        max_jobs: jobs this worker runs at once.
        warm_timeout: seconds for the warm start.
        drain_seconds: on SIGTERM, seconds running jobs get to finish.
        identity: the worker's name (default ``host:pid``).
        rate_limits: limits per rate key (``replicate``, or a model's ``provider/model``),
            shared by every worker through the settings' ``runner.redis_url``; keys not named
            keep their cards' documented limits.
    """

    settings_path: Path | None = None
    task_queue: str = DEFAULT_TASK_QUEUE
    address: str = "localhost:7233"
    namespace: str = "default"
    live: bool = False
    use_mock: frozenset[str] = field(default_factory=frozenset)
    max_jobs: int = 16
    warm_timeout: float = 30.0
    drain_seconds: float = 30.0
    identity: str = ""
    rate_limits: dict[str, RateLimit] = field(default_factory=dict)


class WarmStartFailedError(ProviderError):
    """The worker's warm start failed: it takes no work (exit 4)."""


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


async def serve(config: WorkerConfig, *, stop: asyncio.Event | None = None) -> None:
    """Warm start, then serve until ``stop`` is set (or SIGTERM / SIGINT arrives).

    Raises:
        WarmStartFailedError: a handler failed its warm start (nothing was served).
        ProviderError: the settings cannot be read, or the Temporal server cannot be reached.
    """
    from temporalio.client import Client
    from temporalio.worker import Worker
    from tutopanda_providers.runner import load_settings

    from tutopanda_providers_temporal.activities import WorkerState
    from tutopanda_providers_temporal.workflow import LessonWorkflow

    identity = config.identity or f"{socket.gethostname()}:{os.getpid()}"
    settings = load_settings(config.settings_path)
    state = WorkerState(
        settings=settings,
        live=config.live,
        registry_options=RegistryOptions(
            use_mock=config.use_mock,
            pipeline=PipelineOptions(rate_limits=dict(config.rate_limits)),
        ),
        identity=identity,
    )
    reports = await state.warm_start(config.warm_timeout)
    primaries = set(state.descriptors(primaries_only=True))
    # A handler only fallbacks use (FAL after Replicate, without FAL_KEY) that cannot start
    # is said, not fatal: its jobs fail over past it, as `doctor` says too.
    for r in reports:
        if r.status == "failed" and r.descriptor not in primaries:
            _say(f"warning: {r.descriptor} (only a fallback) cannot start: {r.error}")
    failed = [r for r in reports if r.status == "failed" and r.descriptor in primaries]
    if failed:
        lines = "; ".join(f"{r.descriptor}: {r.error}" for r in failed)
        raise WarmStartFailedError(
            f"warm start failed, this worker takes no work: {lines}. Fix the keys or settings "
            "(`tutopanda-providers doctor"
            + (" --live" if config.live else "")
            + "` tells more), or keep those producers on mock with --use-mock."
        )
    try:
        client = await Client.connect(config.address, namespace=config.namespace)
    except Exception as exc:
        raise ProviderError(
            f"cannot reach the Temporal server at {config.address} (namespace "
            f"{config.namespace}): {exc}; start it (`temporal server start-dev`) or pass --address"
        ) from None
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(
        client,
        task_queue=config.task_queue,
        workflows=[LessonWorkflow],
        activities=state.activities(),
        max_concurrent_activities=config.max_jobs,
        identity=identity,
        graceful_shutdown_timeout=timedelta(seconds=config.drain_seconds),
    )
    ready = sum(1 for r in reports if r.status == "ready")
    mode = "live" if config.live else "mock"
    try:
        async with worker:
            _say(
                f"worker {identity} ready: {mode}, {ready} of {len(reports)} handlers warm, "
                f"task queue {config.task_queue} on {config.address}/{config.namespace}, "
                f"{config.max_jobs} jobs at once"
            )
            await stop.wait()
            _say(f"worker {identity} stopping: running jobs get {config.drain_seconds:g}s")
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await state.aclose()


def parse_rate_limits(items: Sequence[str]) -> dict[str, RateLimit]:
    """``["replicate=10/1", "openai=500/60"]`` -> requests per window (seconds) by rate key.

    Raises:
        ConfigurationError: an item is not ``KEY=REQUESTS/SECONDS`` with whole positive numbers.
    """
    limits: dict[str, RateLimit] = {}
    for item in items:
        key, sep, rate = item.partition("=")
        requests, slash, seconds = rate.partition("/")
        try:
            count, window = int(requests), int(seconds or "1")
        except ValueError:
            count = window = 0
        if not sep or not key.strip() or (slash and not seconds) or count < 1 or window < 1:
            raise ConfigurationError(
                f"--rate-limit {item!r}: write it as KEY=REQUESTS/SECONDS with whole numbers "
                "of at least 1, e.g. replicate=10/1 (10 creates a second, shared by every worker)"
            )
        limits[key.strip()] = RateLimit(requests=count, window_seconds=window)
    return limits


def split_names(items: Sequence[str]) -> frozenset[str]:
    """``["A,B", "C"]`` -> ``{"A", "B", "C"}``."""
    return frozenset(p.strip() for item in items for p in item.split(",") if p.strip())


__all__ = [
    "WarmStartFailedError",
    "WorkerConfig",
    "parse_rate_limits",
    "serve",
    "split_names",
]
