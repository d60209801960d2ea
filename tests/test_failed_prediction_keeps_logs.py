"""A failed prediction keeps the tail of the provider's logs in the error's details and in
the event log: the cause is often only there."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

pytest.importorskip("tutopanda_provider_replicate")

from tutopanda_provider_replicate.error_mapping import LOG_TAIL_LINES, prediction_error
from tutopanda_providers.registry import RegistryOptions
from tutopanda_providers.runner import Catalog, Runner, RunOptions, load_settings, parse_plan
from tutopanda_providers.secrets import MappingSecretResolver
from tutopanda_providers_testing import FakeReplicateServer, Fault
from tutopanda_providers_testing.pytest_plugin import canary_secrets, fake_provider_options

PLAN = """
[jobs.cover]
producer = "TextToImageProducer"
inputs.prompt = "A lighthouse at dusk"
"""


def test_the_failed_jobs_event_holds_the_tail_of_the_prediction_logs(tmp_path: Path) -> None:
    with FakeReplicateServer() as replicate:
        for _ in range(4):  # the model, its retry and the fallback all fail
            replicate.faults.add("create", Fault.prediction_fails("CUDA out of memory"))
        catalog = Catalog.from_settings(load_settings(None))
        plan = parse_plan(PLAN, "plan.toml", catalog.entries)
        runner = Runner(
            plan,
            catalog,
            tmp_path / "movie",
            RunOptions(live=True, warm_start=False),
            registry_options=RegistryOptions(
                secrets=MappingSecretResolver(canary_secrets()),
                provider_options=fake_provider_options(replicate, None),
                use_mock=frozenset(),
            ),
        )
        report = asyncio.run(runner.run())
    (failed,) = report.failed
    assert "CUDA out of memory" in failed.error["details"]["logs_tail"]
    events = [json.loads(x) for x in (tmp_path / "movie" / "events.jsonl").read_text().splitlines()]
    logged = [e for e in events if e["type"] == "job.failed"]
    assert logged and "Traceback" in logged[-1]["error"]["details"]["logs_tail"]


def test_only_the_last_lines_are_kept() -> None:
    logs = "\n".join(f"line {i}" for i in range(100))
    error = prediction_error(model="m/n", prediction_id="p", status="failed", error="x", logs=logs)
    tail = error.details["logs_tail"].splitlines()
    assert len(tail) == LOG_TAIL_LINES and tail[-1] == "line 99"
    quiet = prediction_error(model="m/n", prediction_id="p", status="failed", error="x", logs="")
    assert "logs_tail" not in quiet.details
