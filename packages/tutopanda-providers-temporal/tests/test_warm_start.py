"""A worker whose warm start fails takes no work: it exits 4 before polling its queue."""

from __future__ import annotations

import pytest

from .conftest import Fakes, Workers

pytestmark = pytest.mark.slow


def test_a_worker_whose_warm_start_fails_exits_4_and_takes_no_work(
    workers: Workers, fakes: Fakes
) -> None:
    for key in ("REPLICATE_API_TOKEN", "OPENAI_API_KEY"):
        workers.env.pop(key)
    worker = workers.start("no-keys", "--live", wait=False)

    code = worker.proc.wait(timeout=60)

    assert code == 4, worker.output
    assert "warm start failed, this worker takes no work" in worker.output
    assert "REPLICATE_API_TOKEN" in worker.output
    assert " ready: " not in worker.output
    assert fakes.creates() == []


def test_a_bad_rate_limit_is_a_usage_error(workers: Workers) -> None:
    done = workers.run("worker", "--rate-limit", "replicate=fast")
    assert done.returncode == 2, done.stderr
    assert "KEY=REQUESTS/SECONDS" in done.stderr


def test_a_worker_warms_every_card_of_its_chains_and_only_primaries_are_fatal() -> None:
    # No Temporal server needed: which handlers a worker warms, and which must start.
    pytest.importorskip("tutopanda_provider_fal")
    from tutopanda_providers.runner import load_settings
    from tutopanda_providers_temporal.activities import WorkerState

    state = WorkerState(settings=load_settings(None, use_defaults=True), live=False)
    every = {str(d) for d in state.descriptors()}
    primaries = {str(d) for d in state.descriptors(primaries_only=True)}
    # The shipped defaults name media models over replicate then fal: FAL's cards are warmed
    # too (a job may fail over to them), but only the first provider's must start.
    assert "fal/fal-ai/bytedance/seedance/v1/lite/text-to-video" in every
    assert "replicate/bytedance/seedance-1-lite" in primaries
    assert not [ref for ref in primaries if ref.startswith("fal/")]
    assert primaries < every
