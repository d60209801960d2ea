"""The CLI for people: ``--version``, ``models show``, output that fits 80 columns and keeps
brackets, ``doctor`` in run's mode, and examples under every ``--help``.

Each test runs the real command (Typer's runner, or a real process for ``--version``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

pytest.importorskip("tutopanda_provider_mock")
pytest.importorskip("tutopanda_provider_openai")
pytest.importorskip("tutopanda_provider_replicate")

from tutopanda_providers.cli import app
from tutopanda_providers.cli.model_facts import input_facts, key_status, price_lines
from tutopanda_providers.contracts import Price, PriceRate
from tutopanda_providers.secrets import EnvSecretResolver

CANARY = "test-canary-secret-123"
SECRET_VARS = ("OPENAI_API_KEY", "REPLICATE_API_TOKEN", "TUTOPANDA_SETTINGS", "TUTOPANDA_PLUGINS")
PLAN = """
[plan]
title = "Why do cats purr?"

[jobs.script]
producer = "ScriptProducer"
inputs = { topic = "Why do cats purr?", segments = 1, duration_seconds = 10 }

[jobs.image]
producer = "TextToImageProducer"
inputs.prompt = "A purring cat"
"""


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in SECRET_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lesson.toml").write_text(PLAN)
    return tmp_path


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def assert_fits_80(output: str) -> None:
    wide = [line for line in output.splitlines() if len(line) > 80]
    assert wide == [], "\n".join(wide)


# -- --version -----------------------------------------------------------------------------
def test_version_names_core_the_contract_and_each_plugin_with_its_version() -> None:
    result = cli("--version")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("tutopanda-providers 0.1.0 (hook contract 1")
    for plugin in ("mock", "openai", "replicate"):
        assert f"  {plugin}: tutopanda-provider-{plugin} 0.1.0" in lines


def test_version_works_in_a_real_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARS}
    done = subprocess.run(
        [sys.executable, "-m", "tutopanda_providers.cli", "--version"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "tutopanda-provider-replicate 0.1.0" in done.stdout


# -- models show ---------------------------------------------------------------------------
def test_models_show_lists_every_input_with_allowed_values_default_and_required() -> None:
    result = cli("models", "show", "replicate/google/veo-3-fast", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    inputs = {row["name"]: row for row in data["inputs"]}
    assert inputs["duration"] == {
        "name": "duration",
        "type": "integer",
        "allowed": "4, 6, 8",
        "default": 8,
        "has_default": True,
        "required": False,
        "description": "Seconds.",
    }
    assert inputs["prompt"]["required"] is True and inputs["prompt"]["default"] is None
    assert inputs["prompt"]["has_default"] is False
    assert inputs["seed"]["type"] == "integer or null"
    # An optional input's null default is JSON null, not the text "null".
    assert inputs["seed"]["default"] is None and inputs["seed"]["has_default"] is True
    assert data["plugin"] == "replicate" and data["plugin_version"] == "0.1.0"
    assert "generates_audio" in data["capabilities"]
    assert {r["name"] for r in data["rates"]} == {"second_with_audio", "second_without_audio"}
    assert data["keys"] == {"REPLICATE_API_TOKEN": "missing"}


def test_models_show_as_text_fits_80_columns_and_shows_ranges_rates_and_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    result = cli("models", "show", "openai/gpt-5")
    assert result.exit_code == 0, result.output
    assert_fits_80(result.stdout)
    out = " ".join(result.stdout.split())  # cells wrap at 80 columns
    assert ">= 1000; <= 128000" in out  # max_output_tokens' range
    assert "minimal, low," in out and "medium, high" in out  # reasoning_effort, wrapped
    for rate in ("input", "cached_input", "output", "web_search"):
        assert rate in out
    assert "$10" in out and "1M tokens" in out
    assert "plugin: openai 0.1.0" in out
    assert "OPENAI_API_KEY set" in out and CANARY not in out


def test_models_show_a_misspelt_model_suggests_the_closest_and_exits_2() -> None:
    result = cli("models", "show", "replicate/google/veo3-fast")
    assert result.exit_code == 2
    assert "replicate/google/veo-3-fast" in " ".join(result.output.split())


def test_models_show_a_reference_without_a_provider_says_what_to_type() -> None:
    result = cli("models", "show", "veo")
    assert result.exit_code == 2
    assert "provider/model" in result.output


def test_models_show_reports_a_malformed_key_without_its_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", f'"{CANARY}"')
    result = cli("models", "show", "replicate/google/imagen-4", "--json")
    assert json.loads(result.stdout)["keys"] == {"REPLICATE_API_TOKEN": "malformed"}
    assert CANARY not in result.stdout


def test_models_shows_every_rate_of_a_model_with_several() -> None:
    result = cli("models", "--kind", "script")
    assert result.exit_code == 0, result.output
    # The price column alone, read top to bottom (other columns may share its lines).
    lines = result.stdout.splitlines()
    header = next(line for line in lines if " price " in line and " key" in line)
    start, end = header.index(" price ") + 1, header.index(" key")
    flat = " ".join(" ".join(line[start:end] for line in lines).split())
    assert "$1.25 input" in flat and "$10 output / 1M tokens" in flat
    assert "$0.01 / call (web search)" in flat


def test_models_json_keeps_its_old_fields_and_adds_the_rates() -> None:
    rows = {
        f"{r['provider']}/{r['model']}": r
        for r in json.loads(cli("models", "--json").stdout)["models"]
    }
    gpt5 = rows["openai/gpt-5"]
    assert gpt5["price_usd"] == 1.25 and gpt5["price_unit"] == "1M tokens"
    assert [r["name"] for r in gpt5["rates"]] == ["input", "cached_input", "output", "web_search"]
    assert gpt5["keys"] == {"OPENAI_API_KEY": "missing"}


# -- output that fits and keeps brackets ----------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ("models",),
        ("plugins",),
        ("models", "show", "replicate/bytedance/seedance-1-lite"),
        ("doctor", "--plan", "lesson.toml"),
        ("doctor", "--live", "--plan", "lesson.toml"),
    ],
)
def test_every_table_fits_80_columns(args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.exit_code in (0, 4), result.output
    assert_fits_80(result.stdout)


def test_models_key_column_is_readable_at_80_columns() -> None:
    result = cli("models")
    rows = [line for line in result.stdout.splitlines() if line.strip().startswith("openai/")]
    assert rows and all(line.rstrip().endswith("missing") for line in rows)
    assert "OPENAI_API_KEY: missing" in result.stdout


def test_plugins_keeps_the_mode_in_brackets() -> None:
    result = cli("plugins")
    assert result.exit_code == 0, result.output
    assert "[live]" in result.stdout and "[mock]" in result.stdout


def test_text_from_plugins_is_never_read_as_markup() -> None:
    from rich.console import Console
    from tutopanda_providers.cli.render import table, text

    out = table("plugin [bold]x[/]", "a")
    out.add_row(text("closing tag [/] and [red]red[/red]"))
    console = Console(width=80, record=True)
    console.print(out)  # a str cell with "[/]" would raise MarkupError
    printed = console.export_text()
    assert "[/]" in printed and "[red]red[/red]" in printed and "[bold]x[/]" in printed


# -- doctor agrees with run ------------------------------------------------------------------
def test_doctor_defaults_to_mock_like_run_and_is_ready_without_keys() -> None:
    result = cli("doctor", "--plan", "lesson.toml", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mode"] == "mock" and data["ok"] is True
    assert {w["mode"] for w in data["warm_start"]} == {"mock"}


def test_doctor_text_in_mock_mode_points_to_the_live_check() -> None:
    result = cli("doctor", "--plan", "lesson.toml")
    assert result.exit_code == 0, result.output
    assert "doctor --live" in result.stdout


def test_doctor_builds_one_registry_for_every_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from tutopanda_providers import registry as registry_module

    built: list[object] = []
    real = registry_module.create_provider_registry

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(kwargs.get("mode"))
        return real(*args, **kwargs)

    monkeypatch.setattr(registry_module, "create_provider_registry", counting)
    for mode in ("--mock", "--live"):
        built.clear()
        result = cli("doctor", mode, "--json")  # every producer, fallbacks included
        assert result.exit_code in (0, 4), result.output
        assert built == [mode.removeprefix("--")]


def test_doctor_live_reports_a_malformed_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-with a space")
    result = cli("doctor", "--live", "--plan", "lesson.toml", "--json")
    assert result.exit_code == 4
    data = json.loads(result.stdout)
    keys = {row["name"]: row for row in data["secrets"]}
    assert keys["OPENAI_API_KEY"]["status"] == "malformed"
    assert any("OPENAI_API_KEY is malformed" in p for p in data["problems"])
    assert "with a space" not in result.stdout


# -- examples in every --help -----------------------------------------------------------------
def test_every_command_has_examples_in_its_help() -> None:
    group = typer.main.get_command(app)
    paths: list[tuple[str, ...]] = [()]
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        paths.append((name,))
        for sub in getattr(command, "commands", {}):
            paths.append((name, sub))
    for path in paths:
        result = cli(*path, "--help")
        assert result.exit_code == 0, path
        assert "Examples:" in result.stdout, path
        assert f"tutopanda-providers {' '.join(path)}".strip() in result.stdout, path


# -- the facts behind the tables -----------------------------------------------------------------
def test_input_facts_follow_refs_and_describe_lists() -> None:
    from pydantic import BaseModel, Field

    class Target(BaseModel):
        target: str

    class Inputs(BaseModel):
        targets: list[Target] = Field(min_length=1)
        ratio: float = Field(default=1.0, gt=0, le=2)

    facts = {f.name: f for f in input_facts(Inputs.model_json_schema())}
    assert facts["targets"].type == "list of Target" and facts["targets"].required
    assert facts["targets"].allowed == "min items 1"
    assert facts["ratio"].allowed == "> 0; <= 2" and facts["ratio"].default == "1.0"


def test_price_lines_group_rates_by_unit() -> None:
    price = Price(
        rates=(
            PriceRate("input", "1M tokens", 1.25),
            PriceRate("output", "1M tokens", 10.0),
            PriceRate("web_search", "call", None),
        ),
        source="test",
    )
    assert price_lines(price) == [
        "$1.25 input, $10 output / 1M tokens",
        "unknown / call (web search)",
    ]
    assert price_lines(Price(rates=(), source="test")) == ["unknown"]


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("r8_abc123", "set"),
        ("r8_abc 123", "malformed"),
        (" r8_abc123", "malformed"),
        ("'r8_abc123'", "malformed"),
        ("r8_abc\u00e9", "malformed"),
    ],
)
def test_key_status(monkeypatch: pytest.MonkeyPatch, value: str, status: str) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", value)
    assert key_status(EnvSecretResolver(), "REPLICATE_API_TOKEN") == status


def test_key_status_missing() -> None:
    assert key_status(EnvSecretResolver(), "REPLICATE_API_TOKEN") == "missing"
