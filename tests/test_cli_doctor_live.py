"""``doctor --live`` shows each key to its provider (the loopback fakes) with a free request.

The real command in a real process, the real OpenAI and Replicate plugins and SDKs, the fakes
pointed at by ``OPENAI_BASE_URL`` / ``REPLICATE_BASE_URL``: right keys are accepted, a wrong
key names its provider and makes the command exit 4, and no job is created on either fake.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("tutopanda_provider_mock")
pytest.importorskip("tutopanda_provider_openai")
pytest.importorskip("tutopanda_provider_replicate")

from tutopanda_providers_testing.fake_openai import FakeOpenAIServer
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer
from tutopanda_providers_testing.keys import CANARY_OPENAI_KEY, CANARY_REPLICATE_TOKEN

PLAN = """
[plan]
title = "Tides"

[jobs.script]
producer = "ScriptProducer"
inputs = { topic = "Why are there two tides a day?", segments = 1, duration_seconds = 10 }

[jobs.image]
producer = "TextToImageProducer"
inputs.prompt = "The moon over the sea"
"""


@pytest.fixture
def fakes() -> Iterator[tuple[FakeReplicateServer, FakeOpenAIServer]]:
    with (
        FakeReplicateServer(api_key=CANARY_REPLICATE_TOKEN) as replicate,
        FakeOpenAIServer(api_key=CANARY_OPENAI_KEY) as openai,
    ):
        yield replicate, openai


def doctor(
    tmp_path: Path,
    fakes: tuple[FakeReplicateServer, FakeOpenAIServer],
    *,
    openai_key: str,
    replicate_token: str,
    json_out: bool = True,
) -> subprocess.CompletedProcess[str]:
    replicate, openai = fakes
    (tmp_path / "plan.toml").write_text(PLAN)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "REPLICATE_", "TUTOPANDA_"))
    }
    env.update(
        {
            "OPENAI_API_KEY": openai_key,
            "OPENAI_BASE_URL": openai.base_url,
            "REPLICATE_API_TOKEN": replicate_token,
            "REPLICATE_BASE_URL": replicate.base_url,
            "COLUMNS": "80",
        }
    )
    args = ["doctor", "--live", "--plan", "plan.toml"] + (["--json"] if json_out else [])
    return subprocess.run(
        [sys.executable, "-m", "tutopanda_providers.cli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_right_keys_are_accepted_by_their_providers(
    tmp_path: Path, fakes: tuple[FakeReplicateServer, FakeOpenAIServer]
) -> None:
    result = doctor(
        tmp_path, fakes, openai_key=CANARY_OPENAI_KEY, replicate_token=CANARY_REPLICATE_TOKEN
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["mode"] == "live"
    checks = {row["name"]: row["provider_check"] for row in data["secrets"]}
    assert checks["OPENAI_API_KEY"]["status"] == "accepted"
    assert checks["REPLICATE_API_TOKEN"]["status"] == "accepted"
    replicate, openai = fakes
    assert [r.path for r in openai.requests] == ["/v1/models"]  # one check, no response made
    assert [r.path for r in replicate.requests] == ["/v1/account"]  # no prediction created


def test_both_keys_wrong_names_both_providers_and_exits_4(
    tmp_path: Path, fakes: tuple[FakeReplicateServer, FakeOpenAIServer]
) -> None:
    result = doctor(tmp_path, fakes, openai_key="sk-wrong", replicate_token="r8_wrong")
    assert result.returncode == 4, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is False
    checks = {row["name"]: row["provider_check"] for row in data["secrets"]}
    assert checks["OPENAI_API_KEY"]["status"] == "rejected"
    assert checks["REPLICATE_API_TOKEN"]["status"] == "rejected"
    problems = " ".join(data["problems"])
    assert "openai refused OPENAI_API_KEY" in problems
    assert "replicate refused REPLICATE_API_TOKEN" in problems
    assert "sk-wrong" not in result.stdout and "r8_wrong" not in result.stdout


def test_one_wrong_key_as_text_fits_80_columns_and_is_not_ready(
    tmp_path: Path, fakes: tuple[FakeReplicateServer, FakeOpenAIServer]
) -> None:
    result = doctor(
        tmp_path,
        fakes,
        openai_key=CANARY_OPENAI_KEY,
        replicate_token="r8_wrong",
        json_out=False,
    )
    assert result.returncode == 4, result.stdout + result.stderr
    assert all(len(line) <= 80 for line in result.stdout.splitlines()), result.stdout
    assert "set, rejected" in result.stdout and "set, accepted" in result.stdout
    assert "replicate refused REPLICATE_API_TOKEN" in " ".join(result.stdout.split())
    assert "ready (live)" not in result.stdout and "1 problem(s):" in result.stdout
