"""Malformed settings, plan and override files, unknown producers, models and providers: the
command says which file, where and how to fix it, and exits with the documented code (2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tutopanda_providers.cli import app, exitcodes
from typer.testing import CliRunner

PLAN = '[plan]\ntitle = "x"\n\n[jobs.a]\nproducer = "TextToImageProducer"\ninputs.prompt = "a"\n'


def _cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, dict]:
    monkeypatch.chdir(tmp_path)
    for name in ("TUTOPANDA_SETTINGS", "OPENAI_API_KEY", "REPLICATE_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, [*args, "--json"])
    doc = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
    return result.exit_code, result.stdout + result.output, doc


# (files to write, command arguments, words the message must hold: file, place, fix)
CASES = {
    "plan-not-toml": (
        {"plan.toml": '[plan\ntitle = "x"\n'},
        ("run", "plan.toml"),
        ("plan.toml", "line 1", "not valid toml"),
    ),
    "plan-unknown-producer": (
        {"plan.toml": '[plan]\ntitle = "x"\n\n[jobs.a]\nproducer = "NoSuchProducer"\n'},
        ("run", "plan.toml"),
        ("plan.toml:5", "jobs.a", "unknown producer", "did you mean"),
    ),
    "plan-missing-reference": (
        {"plan.toml": PLAN + 'inputs.negative_prompt = "${nowhere.text}"\n'},
        ("run", "plan.toml"),
        ("plan.toml", "nowhere"),
    ),
    "plan-missing-file": ({}, ("run", "missing.toml"), ("missing.toml", "cannot read")),
    "settings-not-toml": (
        {"plan.toml": PLAN, "s.toml": "[runner\nconcurrency = 4\n"},
        ("run", "plan.toml", "--settings", "s.toml"),
        ("s.toml", "line 1", "not valid toml"),
    ),
    "settings-wrong-type": (
        {"plan.toml": PLAN, "s.toml": '[runner]\nconcurrency = "many"\n'},
        ("run", "plan.toml", "--settings", "s.toml"),
        ("s.toml:2", "runner.concurrency", "integer"),
    ),
    "settings-unknown-model": (
        {
            "plan.toml": PLAN,
            "s.toml": '[producers.TextToImageProducer]\nkind = "image"\nmodel = "replicate/no/such"\n',
        },
        ("run", "plan.toml", "--settings", "s.toml"),
        ("s.toml:3", "unknown model", "tutopanda-providers models"),
    ),
    "settings-unknown-provider": (
        {
            "plan.toml": PLAN,
            "s.toml": '[producers.TextToImageProducer]\nkind = "image"\nmodel = "nosuch/x"\n',
        },
        ("run", "plan.toml", "--settings", "s.toml"),
        ("s.toml:3", "unknown provider", "known providers"),
    ),
    "settings-missing-model": (
        {"plan.toml": PLAN, "s.toml": '[producers.TextToImageProducer]\nkind = "image"\n'},
        ("run", "plan.toml", "--settings", "s.toml"),
        ("s.toml", "textToImageProducer".lower(), "model"),
    ),
    "override-unknown-model": (
        {"plan.toml": PLAN},
        ("run", "plan.toml", "--override", "TextToImageProducer=replicate/no/such"),
        ("override", "no/such", "serves", "tutopanda-providers models"),
    ),
    "override-unknown-producer": (
        {"plan.toml": PLAN},
        ("run", "plan.toml", "--override", "Nope=replicate/google/imagen-4"),
        ("--override", "nope", "defined:"),
    ),
    "override-malformed": (
        {"plan.toml": PLAN},
        ("run", "plan.toml", "--override", "garbage"),
        ("--override", "producer=provider/model"),
    ),
    "invoke-unknown-model": (
        {},
        ("invoke", "replicate/google/imagen-5", "--input", "prompt=x"),
        ("imagen", "tutopanda-providers models"),
    ),
    "invoke-unknown-provider": (
        {},
        ("invoke", "nosuch/model", "--input", "prompt=x"),
        ("nosuch", "known providers"),
    ),
    "invoke-invalid-input": (
        {},
        ("invoke", "mock/image", "--input", "prompt=x", "--input", "width=5"),
        ("width", "mock/image"),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_or_name_is_reported_with_file_place_and_fix(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files, args, words = CASES[name]
    for path, text in files.items():
        (tmp_path / path).write_text(text)
    code, output, doc = _cli(
        tmp_path, monkeypatch, *args, *(("--movie", "m") if args[0] == "run" else ())
    )
    assert code == exitcodes.USAGE, output
    assert doc.get("exit_code") == exitcodes.USAGE, output
    message = json.dumps(doc["error"]).lower()
    missing = [w for w in words if w.lower() not in message]
    assert not missing, f"the error does not say {missing}: {doc['error']}"
    assert "traceback" not in output.lower()
    assert not (tmp_path / "m" / "manifest.json").exists(), "a refused run wrote a manifest"


MOVIE_FILES = {
    "config-not-json": ("config.json", '{"overrides": {"TextToImageProducer": '),
    "config-override-not-a-model": ("config.json", '{"overrides": {"TextToImageProducer": 5}}'),
    "manifest-not-json": ("manifest.json", "garbage"),
}


@pytest.mark.parametrize("name", sorted(MOVIE_FILES))
def test_corrupt_movie_file_is_reported_with_its_name(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "plan.toml").write_text(PLAN)
    code, output, _ = _cli(tmp_path, monkeypatch, "run", "plan.toml", "--movie", "m")
    assert code == exitcodes.OK, output
    file, text = MOVIE_FILES[name]
    (tmp_path / "m" / file).write_text(text)
    code, output, doc = _cli(tmp_path, monkeypatch, "run", "plan.toml", "--movie", "m")
    assert code == exitcodes.USAGE, output
    assert file in json.dumps(doc.get("error")), output
