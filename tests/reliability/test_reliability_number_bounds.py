"""Every number that guards money or sizes work is refused where it enters when it is not
finite, negative or absurd: exit 2, the message naming the option (or file:line and key) and
the allowed range, before anything is loaded, allocated or called.

Cases: 4 options x 4-5 bad values through the CLI (text and --json), 7 plan values, 5 settings
values, and a plan asking for 2**63 segments run under a 1 GiB address-space limit (without the
check, ``estimate`` allocates until the machine runs out of memory).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from tutopanda_providers.cli import exitcodes
from tutopanda_providers.contracts.schemas import ScriptInputs
from tutopanda_providers.runner.numbers import SIZE_BOUNDS

from .conftest import clean_env, cli_command

PLAN = '[plan]\ntitle = "x"\n\n[jobs.a]\nproducer = "TextToImageProducer"\ninputs.prompt = "a"\n'
SCRIPT = (
    '[plan]\ntitle = "x"\n\n[jobs.script]\nproducer = "ScriptProducer"\ninputs.topic = "bees"\n'
)

# (command, option, bad values)
OPTIONS = [
    ("run", "--max-cost", ["nan", "inf", "-inf", "-1", "1e12"]),
    ("run", "--wait", ["nan", "inf", "-0.5", "1e9"]),
    ("run", "--concurrency", ["0", "-3", "100000"]),
    ("invoke", "--timeout", ["nan", "inf", "0", "-1", "1e9"]),
    ("doctor", "--timeout", ["nan", "-1", "0"]),
]
CASES = [(cmd, opt, value) for cmd, opt, values in OPTIONS for value in values]


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args),
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _args(command: str, option: str, value: str) -> list[str]:
    head = {"run": ["run", "plan.toml"], "invoke": ["invoke", "mock/image"], "doctor": ["doctor"]}
    return [*head[command], f"{option}={value}"]


@pytest.mark.parametrize(("command", "option", "value"), CASES)
def test_a_bad_option_value_is_a_usage_error_naming_the_option(
    tmp_path: Path, command: str, option: str, value: str
) -> None:
    (tmp_path / "plan.toml").write_text(PLAN)
    done = (
        _cli(tmp_path, *_args(command, option, value), "--live")
        if command == "run"
        else _cli(tmp_path, *_args(command, option, value))
    )
    assert done.returncode == exitcodes.USAGE, (done.stdout, done.stderr)
    assert option in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists(), "the run started"


@pytest.mark.parametrize(("command", "option", "value"), CASES[:: max(1, len(CASES) // 6)])
def test_with_json_a_bad_option_value_is_one_json_document(
    tmp_path: Path, command: str, option: str, value: str
) -> None:
    (tmp_path / "plan.toml").write_text(PLAN)
    done = _cli(tmp_path, *_args(command, option, value), "--json")
    assert done.returncode == exitcodes.USAGE, done.stderr
    doc = json.loads(done.stdout)
    assert doc["exit_code"] == exitcodes.USAGE
    assert option in doc["error"]["message"]


PLAN_VALUES = {
    "segments-huge": ("inputs.segments = 9223372036854775807", "segments"),
    "segments-zero": ("inputs.segments = 0", "segments"),
    "segments-negative": ("inputs.segments = -4", "segments"),
    "duration-nan": ("inputs.duration_seconds = nan", "duration_seconds"),
    "duration-inf": ("inputs.duration_seconds = inf", "duration_seconds"),
    "duration-huge": ("inputs.duration_seconds = 1e300", "duration_seconds"),
    "nested-nan": ("inputs.extra = { weights = [1.0, nan] }", "extra.weights[1]"),
}


@pytest.mark.parametrize("case", sorted(PLAN_VALUES))
def test_a_bad_plan_value_is_refused_naming_file_line_and_key(tmp_path: Path, case: str) -> None:
    line, key = PLAN_VALUES[case]
    (tmp_path / "plan.toml").write_text(SCRIPT + line + "\n")
    done = _cli(tmp_path, "estimate", "plan.toml", "--json")
    assert done.returncode == exitcodes.USAGE, done.stderr
    doc = json.loads(done.stdout)
    [problem] = doc["error"]["problems"]
    assert "plan.toml:7" in problem and f"jobs.script.inputs.{key}" in problem, problem


SETTINGS_VALUES = {
    "timeout-inf": "[runner]\ntimeout_seconds = inf\n",
    "timeout-nan": "[runner]\ntimeout_seconds = nan\n",
    "timeout-huge": "[runner]\ntimeout_seconds = 1e12\n",
    "concurrency-huge": "[runner]\nconcurrency = 100000\n",
    "producer-input": (
        '[producers.ScriptProducer]\nkind = "script"\nmodel = "openai/gpt-5"\n'
        "inputs.segments = 9223372036854775807\n"
    ),
}


@pytest.mark.parametrize("case", sorted(SETTINGS_VALUES))
def test_a_bad_settings_value_is_refused_naming_file_and_line(tmp_path: Path, case: str) -> None:
    (tmp_path / "plan.toml").write_text(PLAN)
    (tmp_path / "s.toml").write_text(SETTINGS_VALUES[case])
    done = _cli(tmp_path, "run", "plan.toml", "--settings", "s.toml", "--json")
    assert done.returncode == exitcodes.USAGE, done.stderr
    doc = json.loads(done.stdout)
    assert any(p.startswith("s.toml:") for p in doc["error"]["problems"]), doc


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as on Linux")
def test_a_huge_segment_count_is_refused_before_anything_is_allocated(tmp_path: Path) -> None:
    (tmp_path / "plan.toml").write_text(
        SCRIPT
        + "inputs.segments = 9223372036854775807\n\n[jobs.narration]\n"
        + 'producer = "AudioProducer"\ninputs.text = "${script.segments[0].narration}"\n'
    )
    done = subprocess.run(
        cli_command("estimate", "plan.toml"),
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory,
    )
    assert done.returncode == exitcodes.USAGE, done.stderr[-2000:]
    assert "segments" in done.stderr and "MemoryError" not in done.stderr


def test_the_size_bounds_match_the_script_schema() -> None:
    fields = ScriptInputs.model_fields
    for name in ("segments", "duration_seconds"):
        low, high, _ = SIZE_BOUNDS[name]
        metadata = {type(m).__name__: m for m in fields[name].metadata}
        assert getattr(metadata.get("Le"), "le", None) == high, name
        lower = metadata.get("Ge") or metadata.get("Gt")
        assert getattr(lower, "ge", getattr(lower, "gt", None)) == low, name
