"""Nobody pays by accident: tests cannot reach a real provider (the network guard fails them
loudly, even when the code under test swallows the error), a run is live only with ``--live``,
and ``--max-cost`` refuses before the first paid call."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tutopanda_providers import create_provider_registry
from tutopanda_providers.contracts import Descriptor, ProviderError
from tutopanda_providers.secrets import MappingSecretResolver
from tutopanda_providers.storage import BlobStore
from tutopanda_providers_testing.fake_openai import FakeOpenAIServer
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer
from tutopanda_providers_testing.keys import CANARY_OPENAI_KEY, CANARY_REPLICATE_TOKEN
from tutopanda_providers_testing.network_guard import NetworkAccessBlocked, NetworkGuard

from .conftest import clean_env, cli_command, plugins, scan_storage

IMAGES = '[plan]\ntitle = "Costly"\n' + "".join(
    f'\n[jobs.image_{i}]\nproducer = "TextToImageProducer"\ninputs.prompt = "a bee {i}"\n'
    for i in range(3)
)


@pytest.fixture
def fakes() -> Iterator[tuple[FakeReplicateServer, FakeOpenAIServer]]:
    with (
        FakeReplicateServer(api_key=CANARY_REPLICATE_TOKEN) as replicate,
        FakeOpenAIServer(api_key=CANARY_OPENAI_KEY) as openai,
    ):
        yield replicate, openai


def _env(replicate: FakeReplicateServer, openai: FakeOpenAIServer) -> dict[str, str]:
    return clean_env(
        REPLICATE_API_TOKEN=CANARY_REPLICATE_TOKEN,
        REPLICATE_BASE_URL=replicate.base_url,
        REPLICATE_POLL_INTERVAL="0.02",
        OPENAI_API_KEY=CANARY_OPENAI_KEY,
        OPENAI_BASE_URL=openai.base_url,
    )


def _run(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )


# -- the guard -----------------------------------------------------------------------------------
@pytest.mark.allow_network  # this test installs its own guard, to look at what it recorded
async def test_guard_refuses_the_real_provider_even_when_the_handler_swallows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("REPLICATE_BASE_URL", "OPENAI_BASE_URL", "TUTOPANDA_ALLOW_NETWORK"):
        monkeypatch.delenv(name, raising=False)
    registry = create_provider_registry(
        mode="live",
        plugins=plugins(),
        entry_points=False,
        secrets=MappingSecretResolver(
            {"REPLICATE_API_TOKEN": CANARY_REPLICATE_TOKEN, "OPENAI_API_KEY": CANARY_OPENAI_KEY}
        ),
        storage=BlobStore(tmp_path / "blobs"),
    )
    with NetworkGuard() as guard:
        with pytest.raises(NetworkAccessBlocked):
            socket.create_connection(("192.0.2.1", 443), timeout=1)
        for ref, inputs in (
            ("replicate/google/imagen-4", {"prompt": "a bee"}),
            ("openai/gpt-5", {"topic": "bees", "segments": 1}),
        ):
            with pytest.raises(ProviderError):  # the handler turns the refusal into its error
                await registry.invoke(Descriptor.parse(ref), inputs)
    # ...but the guard kept a record of each attempt, which is what fails the test.
    assert len(guard.violations) >= 3, guard.violations
    assert all("network access blocked" in v for v in guard.violations)
    assert not scan_storage(tmp_path / "blobs").blobs


def test_a_test_that_reaches_a_real_provider_fails_loudly(tmp_path: Path) -> None:
    """A suite that opts into the kit's pytest plugin: a test that calls the real Replicate API
    and catches every error still fails, naming the blocked call."""
    (tmp_path / "conftest.py").write_text(
        'pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]\n'
    )
    (tmp_path / "test_sneaky.py").write_text(
        "import asyncio\n"
        "from tutopanda_providers import create_provider_registry\n"
        "from tutopanda_providers.contracts import Descriptor\n"
        "from tutopanda_providers.secrets import MappingSecretResolver\n"
        "from tutopanda_provider_replicate import plugin\n\n"
        "def test_sneaky(tmp_path):\n"
        "    registry = create_provider_registry(mode='live', plugins=[('replicate', plugin)],\n"
        "        entry_points=False, secrets=MappingSecretResolver({'REPLICATE_API_TOKEN': 'r8_x-fake-1'}))\n"
        "    try:\n"
        "        asyncio.run(registry.invoke(Descriptor.parse('replicate/google/imagen-4'), {'prompt': 'x'}))\n"
        "    except Exception:\n"
        "        pass  # swallowed: the guard must still fail the test\n"
    )
    env = clean_env()
    env.pop("TUTOPANDA_ALLOW_NETWORK", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, run.stdout[-3000:]
    assert "blocked network call" in run.stdout, run.stdout[-3000:]
    assert "api.replicate.com" in run.stdout, run.stdout[-3000:]
    # Reported as the test's failure (in its teardown), so the run is red.
    assert "1 failed" in run.stdout or "1 error" in run.stdout, run.stdout[-3000:]


# -- live only when asked ------------------------------------------------------------------------
def test_a_run_without_live_calls_no_provider(
    tmp_path: Path, fakes: tuple[FakeReplicateServer, FakeOpenAIServer]
) -> None:
    """Keys set and base URLs pointing at the servers: without ``--live`` nothing reaches them."""
    replicate, openai = fakes
    (tmp_path / "plan.toml").write_text(IMAGES)
    env = _env(replicate, openai)
    run = _run(tmp_path, env, "run", "plan.toml", "--movie", "movie", "--json")
    assert run.returncode == 0, run.stderr[-2000:]
    invoke = _run(
        tmp_path, env, "invoke", "replicate/google/imagen-4", "--input", "prompt=x", "--json"
    )
    assert invoke.returncode == 0, invoke.stderr[-2000:]
    assert len(replicate.log) == 0 and len(openai.log) == 0
    manifest = json.loads((tmp_path / "movie" / "manifest.json").read_text())
    for job in manifest["jobs"].values():
        assert all(a["mocked"] for a in job["artefacts"])
    assert json.loads(invoke.stdout)["mocked"] is True


# -- --max-cost ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (("--max-cost", "0.01"), "over --max-cost"),
        (
            ("--max-cost", "100", "--override", "TextToImageProducer=replicate/google/imagen-4"),
            "unknown",
        ),
    ],
    ids=["estimate-over-limit", "unknown-cost"],
)
def test_max_cost_refuses_before_the_first_paid_call(
    tmp_path: Path,
    fakes: tuple[FakeReplicateServer, FakeOpenAIServer],
    extra: tuple[str, ...],
    words: str,
) -> None:
    replicate, openai = fakes
    (tmp_path / "plan.toml").write_text(IMAGES)
    run = _run(
        tmp_path,
        _env(replicate, openai),
        "run",
        "plan.toml",
        "--movie",
        "movie",
        "--live",
        *extra,
        "--json",
    )
    assert run.returncode == 3, run.stdout[-2000:] + run.stderr[-2000:]
    doc = json.loads(run.stdout)
    assert doc["exit_code"] == 3 and words in doc["error"]["message"]
    assert "nothing was called" in doc["error"]["message"]
    assert replicate.predictions_created == 0
    assert replicate.log.for_route("create") == [] and openai.log.for_route("responses") == []
    assert not (tmp_path / "movie" / "manifest.json").exists()


def test_a_live_run_within_max_cost_does_call(
    tmp_path: Path, fakes: tuple[FakeReplicateServer, FakeOpenAIServer]
) -> None:
    """The same run under a limit it fits: it is live, so the refusal above is the limit's."""
    replicate, openai = fakes
    (tmp_path / "plan.toml").write_text(IMAGES)
    run = _run(
        tmp_path,
        _env(replicate, openai),
        "run",
        "plan.toml",
        "--movie",
        "movie",
        "--live",
        "--max-cost",
        "1",
        "--json",
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert replicate.predictions_created == 3
