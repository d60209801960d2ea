"""Every command of ``tutopanda-providers`` through Typer's test runner and a real process.

These use the installed plugins (the mock plugin at least); they are skipped when it is not
installed, as in a slim install of core alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("tutopanda_provider_mock")

from tutopanda_providers.cli import app
from tutopanda_providers.runner import MovieStore

CANARY = "test-canary-secret-123"
SECRET_VARS = ("OPENAI_API_KEY", "REPLICATE_API_TOKEN", "TUTOPANDA_SETTINGS", "TUTOPANDA_PLUGINS")

PLAN = """
[plan]
title = "Why do cats purr?"

[jobs.script]
producer = "ScriptProducer"
inputs = { topic = "Why do cats purr?", segments = 1, duration_seconds = 10 }

[jobs.narration]
producer = "AudioProducer"
inputs.text = "${script.segments[0].narration}"

[jobs.image]
producer = "TextToImageProducer"
inputs.prompt = "A purring cat, ${script.title}"
"""
FAST_IMAGE = ["--override", "TextToImageProducer=replicate/google/nano-banana"]


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in SECRET_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lesson.toml").write_text(PLAN)
    return tmp_path


def cli(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    return result


def as_json(result: Any) -> Any:
    return json.loads(result.stdout)


def test_help_lists_every_command_and_the_exit_codes() -> None:
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("models", "plugins", "invoke", "run", "estimate", "doctor"):
        assert command in result.stdout
    assert "3 refused by --max-cost" in " ".join(result.stdout.split())


def test_models_lists_kind_modes_price_and_secret_presence_without_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", CANARY)
    result = cli("models", "--json")
    assert result.exit_code == 0
    rows = {f"{r['provider']}/{r['model']}": r for r in as_json(result)["models"]}
    imagen = rows["replicate/google/imagen-4"]
    assert imagen["kind"] == "image" and "mock" in imagen["modes"]
    assert imagen["secrets"] == {"REPLICATE_API_TOKEN": True}
    assert rows["openai/gpt-5"]["secrets_present"] is False
    assert CANARY not in result.stdout


def test_models_of_one_kind_as_a_table() -> None:
    result = cli("models", "--kind", "video")
    assert result.exit_code == 0
    assert "seedance" in result.stdout and "imagen" not in result.stdout


def test_models_refuses_an_unknown_kind_with_usage_exit_code() -> None:
    result = cli("models", "--kind", "pictures", "--json")
    assert result.exit_code == 2
    assert "is not a kind" in as_json(result)["error"]["message"]


def test_plugins_reports_versions_contract_and_registrations() -> None:
    result = cli("plugins", "--json")
    assert result.exit_code == 0
    data = as_json(result)
    assert data["hook_contract"] >= 1
    mock = next(p for p in data["plugins"] if p["name"] == "mock")
    assert mock["status"] == "loaded" and mock["version"]
    assert "tutopanda_register_providers" in mock["hooks"]
    assert any("[mock]" in r for r in mock["registered"])
    table = cli("plugins")
    assert table.exit_code == 0 and "mock" in table.stdout


def test_invoke_in_mock_mode_stores_the_artefact_and_prints_its_facts(tmp_path: Path) -> None:
    result = cli(
        "invoke",
        "replicate/google/nano-banana",
        "--input",
        "prompt=a red fox in snow",
        "--input",
        'aspect_ratio="16:9"',
        "--storage",
        str(tmp_path / "blobs"),
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = as_json(result)
    assert data["mocked"] is True and data["mode"] == "mock"
    row = data["artefacts"][0]
    assert row["mime"].startswith("image/") and row["width"] > row["height"]
    assert Path(row["where"]).is_file() and str(tmp_path / "blobs") in row["where"]
    assert data["estimated_live"]["amount_usd"] > 0


def test_invoke_reads_inputs_from_a_file_and_prints_a_table(tmp_path: Path) -> None:
    (tmp_path / "inputs.json").write_text(json.dumps({"text": "Hello there, learners."}))
    result = cli("invoke", "replicate/minimax/speech-02-hd", "--inputs-file", "inputs.json")
    assert result.exit_code == 0, result.output
    assert "audio/" in result.stdout and "cost: $0 (mock)" in result.stdout


def test_invoke_with_inputs_the_model_refuses_is_a_usage_error() -> None:
    result = cli(
        "invoke",
        "replicate/google/nano-banana",
        "-i",
        "prompt=x",
        "-i",
        "aspect_ratio=7:3",
        "--json",
    )
    assert result.exit_code == 2
    assert "aspect_ratio" in as_json(result)["error"]["message"]


def test_invoke_an_unknown_model_suggests_the_closest() -> None:
    result = cli("invoke", "replicate/google/imagen4", "-i", "prompt=x")
    assert result.exit_code == 2
    assert "replicate/google/imagen-4" in result.stderr


def test_run_makes_a_movie_then_keeps_it_on_the_next_run(tmp_path: Path) -> None:
    first = cli("run", "lesson.toml", "--movie", "movie", *FAST_IMAGE, "--json")
    assert first.exit_code == 0, first.output
    data = as_json(first)
    assert [j["status"] for j in data["jobs"]] == ["succeeded"] * 3
    assert all(j["mocked"] for j in data["jobs"])
    assert data["live_estimate"]["known_usd"] > 0
    manifest = json.loads((tmp_path / "movie" / "manifest.json").read_text())
    assert set(manifest["jobs"]) == {"script", "narration", "image"}
    again = cli("run", "lesson.toml", "--movie", "movie", "--json")
    assert [j["status"] for j in as_json(again)["jobs"]] == ["skipped"] * 3  # override replayed


def test_run_prints_a_summary_that_says_where_and_what_live_would_cost() -> None:
    result = cli("run", "lesson.toml", "--movie", "movie", *FAST_IMAGE)
    assert result.exit_code == 0, result.output
    assert "artefacts are in movie/blobs" in result.stdout
    assert "the same run live would cost $" in result.stdout


def test_dry_run_shows_payloads_and_estimate_and_writes_nothing(tmp_path: Path) -> None:
    result = cli("run", "lesson.toml", "--movie", "movie", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    data = as_json(result)
    narration = next(p for p in data["previews"] if p["job"] == "narration")
    assert narration["uses_samples"] is True and narration["payload"]["text"]
    assert data["live_estimate"]["known_usd"] > 0
    assert not (tmp_path / "movie").exists()


def test_dry_run_with_a_bad_input_exits_with_usage_error() -> None:
    Path("lesson.toml").write_text(
        PLAN
        + '\n[jobs.bad]\nproducer = "TextToImageProducer"\ninputs.prompt = "x"\ninputs.aspect_ratio = "7:3"\n'
    )
    result = cli("run", "lesson.toml", "--dry-run")
    assert result.exit_code == 2
    assert "7:3" in result.stdout


def test_estimate_prices_every_job_without_calling_anything() -> None:
    result = cli("estimate", "lesson.toml", "--json")
    assert result.exit_code == 0, result.output
    data = as_json(result)
    assert [j["job"] for j in data["jobs"]] == ["script", "image", "narration"]
    assert data["total"]["known_usd"] > 0
    table = cli("estimate", "lesson.toml")
    assert table.exit_code == 0 and "total: $" in table.stdout


def test_a_plan_error_names_the_line() -> None:
    Path("lesson.toml").write_text('[jobs.a]\nproducer = "NoSuchProducer"\n')
    result = cli("run", "lesson.toml", "--json")
    assert result.exit_code == 2
    error = as_json(result)["error"]
    assert error["problems"][0].startswith("lesson.toml:2: jobs.a: unknown producer")


def test_doctor_in_mock_mode_is_ready() -> None:
    result = cli("doctor", "--mock", "--plan", "lesson.toml", "--json")
    assert result.exit_code == 0, result.output
    data = as_json(result)
    assert data["ok"] is True
    assert {w["status"] for w in data["warm_start"]} <= {"ready", "skipped"}


def test_doctor_live_without_keys_names_the_missing_secrets() -> None:
    result = cli("doctor", "--live", "--plan", "lesson.toml", "--json")
    assert result.exit_code == 4
    problems = " ".join(as_json(result)["problems"])
    assert "OPENAI_API_KEY is not set" in problems and "REPLICATE_API_TOKEN is not set" in problems


def test_doctor_reports_an_unreachable_redis(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (tmp_path / "s.toml").write_text(f'[runner]\nredis_url = "redis://127.0.0.1:{port}/0"\n')
    result = cli("doctor", "--mock", "--settings", "s.toml", "--json")
    data = as_json(result)
    assert result.exit_code == 4 and data["redis"]["status"] == "failed"


# -- exit codes from a real process ------------------------------------------------------
def run_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARS}
    return subprocess.run(
        [sys.executable, "-m", "tutopanda_providers.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_process_exit_codes_for_success_usage_and_budget(tmp_path: Path) -> None:
    assert run_process("--help", cwd=tmp_path).returncode == 0
    assert run_process("models", "--kind", "nope", cwd=tmp_path).returncode == 2
    assert run_process("run", "missing.toml", cwd=tmp_path).returncode == 2
    assert run_process("no-such-command", cwd=tmp_path).returncode == 2
    refused = run_process(
        "run", "lesson.toml", "--live", "--max-cost", "0.0001", "--movie", "m", cwd=tmp_path
    )
    assert refused.returncode == 3, refused.stderr
    assert "nothing was called" in refused.stderr
    assert not (tmp_path / "m" / "manifest.json").exists()


def test_process_exit_code_for_a_live_run_without_keys_is_provider_error(tmp_path: Path) -> None:
    result = run_process("run", "lesson.toml", "--live", "--movie", "m", cwd=tmp_path)
    assert result.returncode == 4, result.stderr
    assert "not ready" in result.stderr


def test_process_exit_code_when_a_job_cannot_run_is_usage_before_any_job(tmp_path: Path) -> None:
    # Inputs the model refuses are known before the run: it is refused (exit 2), no job runs.
    (tmp_path / "lesson.toml").write_text(
        PLAN
        + '\n[jobs.bad]\nproducer = "TextToImageProducer"\ninputs.prompt = "x"\ninputs.aspect_ratio = "7:3"\n'
    )
    result = run_process("run", "lesson.toml", "--movie", "m", *FAST_IMAGE, "--json", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    error = json.loads(result.stdout)["error"]
    assert "lesson.toml:" in error["message"] and "jobs.bad" in error["message"]
    assert not (tmp_path / "m" / "manifest.json").exists()


def test_process_exit_code_when_another_run_holds_the_movie(tmp_path: Path) -> None:
    with MovieStore(tmp_path / "m").locked():
        result = run_process("run", "lesson.toml", "--movie", "m", cwd=tmp_path)
    assert result.returncode == 5
    assert "another run is using the movie" in result.stderr


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("plugins", "--json"), 0),
        (("models", "--kind", "music", "--json"), 0),
        (("estimate", "lesson.toml", "--json"), 0),
        (("invoke", "replicate/google/nano-banana", "-i", "prompt=a fox", "--json"), 0),
        (("invoke", "replicate/google/nano-banan", "-i", "prompt=a fox", "--json"), 2),
        (("doctor", "--mock", "--json"), 0),
        (("doctor", "--json"), 0),
        (("doctor", "--live", "--json"), 4),
    ],
)
def test_process_exit_code_of_each_command(
    tmp_path: Path, args: tuple[str, ...], code: int
) -> None:
    result = run_process(*args, cwd=tmp_path)
    assert result.returncode == code, result.stderr
    json.loads(result.stdout)  # --json prints one JSON document, even on failure
