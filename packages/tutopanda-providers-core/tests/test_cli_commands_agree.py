"""Commands that agree: ``estimate`` honours a movie's remembered overrides exactly as
``run --dry-run`` does, and a model chosen in a settings file gets the same job inputs as the
same model chosen with ``--override`` (the producer's defaults and fallbacks are kept)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("tutopanda_provider_mock")

from tutopanda_providers.cli import app
from tutopanda_providers.runner import Catalog, load_settings

PLAN = """
[jobs.clip]
producer = "TextToVideoProducer"
inputs = { prompt = "Waves at dusk", duration_seconds = 4 }

[jobs.cover]
producer = "TextToImageProducer"
inputs.prompt = "A lighthouse"
"""
VEO = "replicate/google/veo-3-fast"


def _json(*args: str) -> Any:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _by_job(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return {row["job"]: row[key] for row in rows}


def test_estimate_honours_the_movies_remembered_overrides_like_the_dry_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lesson.toml").write_text(PLAN, encoding="utf-8")
    # A run remembers the override in the default movie, out/lesson.
    _json("run", "lesson.toml", "--override", f"TextToVideoProducer={VEO}")
    dry = _json("run", "lesson.toml", "--dry-run")
    for args in (("estimate", "lesson.toml"), ("estimate", "lesson.toml", "--movie", "out/lesson")):
        estimate = _json(*args)
        assert _by_job(estimate["jobs"], "model") == _by_job(dry["previews"], "model")
        assert _by_job(estimate["jobs"], "model")["clip"] == VEO
        assert estimate["total"]["known_usd"] == pytest.approx(dry["live_estimate"]["known_usd"])


def test_settings_and_override_give_the_same_job_inputs(tmp_path: Path) -> None:
    settings = tmp_path / "tutopanda.toml"
    settings.write_text(
        f'[producers.TextToVideoProducer]\nkind = "video"\nmodel = "{VEO}"\n', encoding="utf-8"
    )
    by_settings = Catalog.from_settings(load_settings(settings)).entry("TextToVideoProducer")
    by_override = Catalog.from_settings(load_settings(None), {"TextToVideoProducer": VEO}).entry(
        "TextToVideoProducer"
    )
    assert by_settings.inputs == by_override.inputs == {"aspect_ratio": "16:9"}
    assert by_settings.fallbacks == by_override.fallbacks != ()
    plan = tmp_path / "lesson.toml"
    plan.write_text(PLAN, encoding="utf-8")
    a = _json(
        "run", str(plan), "--dry-run", "--settings", str(settings), "--movie", str(tmp_path / "a")
    )
    b = _json(
        "run",
        str(plan),
        "--dry-run",
        "--override",
        f"TextToVideoProducer={VEO}",
        "--movie",
        str(tmp_path / "b"),
    )
    assert _by_job(a["previews"], "payload") == _by_job(b["previews"], "payload")
    assert _by_job(a["previews"], "payload")["clip"]["aspect_ratio"] == "16:9"


def test_a_settings_table_changes_only_what_it_says(tmp_path: Path) -> None:
    settings = tmp_path / "tutopanda.toml"
    settings.write_text(
        '[producers.TextToImageProducer]\nkind = "image"\nmodel = "replicate/google/imagen-4"\n'
        'fallbacks = []\n[producers.TextToImageProducer.inputs]\naspect_ratio = "1:1"\n',
        encoding="utf-8",
    )
    entry = Catalog.from_settings(load_settings(settings)).entry("TextToImageProducer")
    assert entry.fallbacks == ()  # given: the table's own
    assert entry.inputs == {"aspect_ratio": "1:1"}
