"""``status MOVIE`` (kept, stale, missing, failed; overrides; next run's cost) and ``prune``
(lists unreferenced blobs; removes them only with --yes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("tutopanda_provider_mock")

from tutopanda_providers.cli import app

PLAN = """
[plan]
title = "status"

[jobs.script]
producer = "ScriptProducer"
inputs = { topic = "Tides", audience = "kids", segments = 2, duration_seconds = 8 }

[jobs.narration_0]
producer = "AudioProducer"
inputs.text = "${script.segments[0].narration}"

[jobs.cover]
producer = "TextToImageProducer"
inputs.prompt = "COVER"

[jobs.narration_5]
producer = "AudioProducer"
inputs.text = "${script.segments[1].narration}"
inputs.speed = 99
"""
# Once the script exists, a run checks narration_5's inputs before any call and refuses the
# plan (exit 2): re-runs use the plan without it.
PLAN_WITHOUT_THE_BAD_JOB = PLAN.split("[jobs.narration_5]")[0]


def _cli(*args: str) -> Any:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _states(movie: Path) -> dict[str, str]:
    data = _cli("status", str(movie))
    return {j["job"]: j["state"] for j in data["jobs"]}


@pytest.fixture
def movie(tmp_path: Path) -> Path:
    plan = tmp_path / "lesson.toml"
    plan.write_text(PLAN, encoding="utf-8")
    folder = tmp_path / "movie"
    report = _cli("run", str(plan), "--movie", str(folder))
    assert [j["job"] for j in report["jobs"] if j["status"] == "failed"] == ["narration_5"]
    return folder


def test_status_says_kept_failed_stale_and_missing_and_what_the_next_run_costs(
    movie: Path, tmp_path: Path
) -> None:
    assert _states(movie) == {
        "script": "kept",
        "narration_0": "kept",
        "cover": "kept",
        "narration_5": "failed",
    }
    first = _cli("status", str(movie))
    # Only the failed job runs again; its live cost is the next run's.
    assert first["next_run_live_cost"]["known_usd"] == pytest.approx(
        next(j for j in first["jobs"] if j["job"] == "narration_5")["next_cost"].get(
            "amount_usd", 0.0
        )
    )
    plan = tmp_path / "lesson.toml"
    plan.write_text(PLAN.replace("COVER", "A NEW COVER"), encoding="utf-8")
    manifest = json.loads((movie / "manifest.json").read_text())
    blob = manifest["jobs"]["narration_0"]["artefacts"][0]["blob"]
    (movie / "blobs" / blob["sha256"][:2] / Path(blob["uri"]).name).unlink()
    states = _states(movie)
    assert states["cover"] == "stale"
    assert states["narration_0"] == "missing"
    assert states["script"] == "kept"
    later = _cli("status", str(movie))
    assert later["next_run_live_cost"]["known_usd"] > first["next_run_live_cost"]["known_usd"]


def test_status_shows_the_overrides_in_force(movie: Path, tmp_path: Path) -> None:
    plan = tmp_path / "lesson.toml"
    plan.write_text(PLAN_WITHOUT_THE_BAD_JOB, encoding="utf-8")
    _cli(
        "run",
        str(plan),
        "--movie",
        str(movie),
        "--override",
        "TextToImageProducer=replicate/google/imagen-4",
    )
    data = _cli("status", str(movie))
    assert data["overrides"] == {"TextToImageProducer": "replicate/google/imagen-4"}
    cover = next(j for j in data["jobs"] if j["job"] == "cover")
    assert (cover["model"], cover["state"]) == ("replicate/google/imagen-4", "kept")
    human = CliRunner().invoke(app, ["status", str(movie)])
    assert "TextToImageProducer = replicate/google/imagen-4" in human.stdout


def test_status_of_a_folder_that_is_no_movie_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["status", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "run a plan first" in result.output


def test_prune_lists_by_default_and_removes_only_with_yes(movie: Path, tmp_path: Path) -> None:
    plan = tmp_path / "lesson.toml"
    before = json.loads((movie / "manifest.json").read_text())["jobs"]["cover"]
    old = before["artefacts"][0]["blob"]
    plan.write_text(PLAN_WITHOUT_THE_BAD_JOB, encoding="utf-8")
    _cli(
        "run",
        str(plan),
        "--movie",
        str(movie),
        "--override",
        "TextToImageProducer=replicate/google/imagen-4",
    )
    old_path = movie / "blobs" / old["sha256"][:2] / Path(old["uri"]).name
    listed = _cli("prune", str(movie))
    assert listed["unreferenced"] == [str(old_path)] and not listed["removed"]
    assert old_path.exists()
    removed = _cli("prune", str(movie), "--yes")
    assert removed["removed"] and not old_path.exists()
    # Every job still has its files: nothing referenced was removed.
    assert set(_states(movie).values()) <= {"kept", "failed"}
    assert _cli("prune", str(movie))["unreferenced"] == []


def test_prune_finds_the_movies_blobs_from_any_folder_and_never_touches_others(
    movie: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # config.json records the blob folder relative to the movie ("blobs"); run from elsewhere,
    # prune must read the movie's blobs, not a "blobs" folder of the current directory.
    elsewhere = tmp_path / "elsewhere"
    stranger = elsewhere / "blobs" / "ab" / ("ab" * 32 + ".jpg")
    stranger.parent.mkdir(parents=True)
    stranger.write_bytes(b"not the movie's")
    monkeypatch.chdir(elsewhere)
    removed = _cli("prune", str(movie), "--yes")
    assert Path(removed["blobs"]).resolve() == (movie / "blobs").resolve()
    assert stranger.exists()
