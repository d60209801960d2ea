"""What a newcomer hit following the docs: each fault, as a user meets it, through the real CLI.

A malformed key said once (not once per model), command-line mistakes named as such, refused
runs drawing and creating nothing, files saved with a byte-order mark, a folder at
``./tutopanda.toml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("tutopanda_provider_mock")
pytest.importorskip("tutopanda_provider_openai")
pytest.importorskip("tutopanda_provider_replicate")

from tutopanda_providers.cli import app
from tutopanda_providers.runner import FileProblemError, load_plan, load_settings

SECRET_VARS = ("OPENAI_API_KEY", "REPLICATE_API_TOKEN", "TUTOPANDA_SETTINGS", "TUTOPANDA_PLUGINS")
PLAN = """
[plan]
title = "Why do cats purr?"

[jobs.narration]
producer = "AudioProducer"
inputs = { text = "Cats purr." }

[jobs.image]
producer = "TextToImageProducer"
inputs.prompt = "A purring cat"

[jobs.music]
producer = "TextToMusicProducer"
inputs.prompt = "calm piano"
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


# -- 3: a malformed key -------------------------------------------------------------------------
def test_a_malformed_key_is_said_once_with_every_model_it_affects(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_abc\u201c")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    result = cli("run", "lesson.toml", "--movie", "m", "--live")
    assert result.exit_code == 4, result.output
    out = " ".join(result.output.split())
    assert out.count("U+201C") == 1, out
    assert "quote).;" not in out
    for model in ("minimax/speech-02-hd", "stability-ai/stable-audio-2.5"):
        assert f"replicate/{model}" in out
    assert "`tutopanda-providers doctor --live`" in out


# -- 4: command-line mistakes name the option ---------------------------------------------------
def test_a_bad_override_model_names_the_option_not_the_default_settings() -> None:
    result = cli(
        "run", "lesson.toml", "--movie", "m", "--override",
        "TextToImageProducer=replicate/google/nano-banan",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert "default-settings.toml" not in out
    assert "tutopanda.toml" not in out
    assert "--override TextToImageProducer=replicate/google/nano-banan: unknown model" in out
    assert "replicate/google/nano-banana" in out  # the closest match is still offered


def test_an_override_kept_by_the_movie_says_so_and_how_to_drop_it(tmp_path: Path) -> None:
    movie = tmp_path / "m"
    movie.mkdir()
    (movie / "config.json").write_text(
        '{"overrides": {"TextToImageProducer": "replicate/google/nano-banan"}}'
    )
    result = cli("run", "lesson.toml", "--movie", "m")
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert "--override TextToImageProducer=replicate/google/nano-banan (kept from" in out
    assert "--clear-overrides" in out
    assert "default-settings.toml" not in out


# -- 5: a refused run leaves nothing behind -----------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ("--override", "TextToImageProducer=replicate/google/nano-banan"),
        ("--override", "TextToImageProducr=replicate/google/nano-banana"),
        ("--use-mock", "TextToImageProducr"),
        ("--live", "--max-cost", "0.0001"),
    ],
)
def test_a_refused_run_creates_no_movie_folder(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = cli("run", "lesson.toml", "--movie", "deep/m", *args)
    assert result.exit_code != 0, result.output
    assert not (tmp_path / "deep" / "m").exists()


def test_a_refused_run_keeps_an_existing_movie_folder(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    result = cli("run", "lesson.toml", "--movie", "m", "--use-mock", "Nope")
    assert result.exit_code == 2
    assert (tmp_path / "m").is_dir()


def test_progress_bars_are_drawn_only_once_a_job_starts() -> None:
    import io

    from rich.console import Console
    from rich.progress import Progress
    from tutopanda_providers.cli.running import _ProgressListener
    from tutopanda_providers.contracts import ProducerKind
    from tutopanda_providers.runner import JobOutcome

    progress = Progress(console=Console(file=io.StringIO()))
    listener = _ProgressListener(progress, ["a", "b", "c"])
    assert progress.tasks == []  # a refused run draws no "waiting" rows
    outcome = JobOutcome(
        job_id="b",
        producer="P",
        kind=ProducerKind.IMAGE,
        model="mock/x",
        mode="mock",
        status="failed",
    )
    listener.job_finished(outcome)
    assert [t.description for t in progress.tasks] == ["a", "b", "c"]
    assert progress.tasks[1].completed == 1


# -- 6: a byte-order mark, a folder at ./tutopanda.toml -----------------------------------------
BOM = "\ufeff"


def test_a_plan_saved_with_a_bom_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_text(BOM + PLAN, encoding="utf-8")
    assert [job.id for job in load_plan(path).ordered()]


def test_a_settings_file_saved_with_a_bom_loads(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(BOM + "[runner]\nconcurrency = 3\n", encoding="utf-8")
    assert load_settings(path).runner.concurrency == 3


def test_a_bom_plan_runs_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "lesson.toml").write_text(BOM + PLAN, encoding="utf-8")
    result = cli("run", "lesson.toml", "--movie", "m", "--dry-run")
    assert result.exit_code == 0, result.output


def test_other_encodings_keep_their_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "utf16.toml"
    path.write_text(PLAN, encoding="utf-16")
    with pytest.raises(FileProblemError, match="is not UTF-8 text"):
        load_plan(path)


def test_a_folder_at_local_tutopanda_toml_is_refused_like_settings(tmp_path: Path) -> None:
    (tmp_path / "tutopanda.toml").mkdir()
    with pytest.raises(FileProblemError, match="is a folder, not a settings file"):
        load_settings()
    result = cli("run", "lesson.toml", "--movie", "m", "--dry-run")
    assert result.exit_code == 2, result.output
    assert "is a folder" in result.output


# -- 1: a job the stop canceled is never resumed -----------------------------------------------
def test_a_job_listed_canceled_by_run_interrupted_is_not_in_flight(tmp_path: Path) -> None:
    from tutopanda_providers.runner.movie import MovieStore

    movie = MovieStore(tmp_path / "m")
    movie.folder.mkdir()
    for job, remote in (("a", "p1"), ("b", "p2")):
        movie.append_event(
            {"type": "job.remote_started", "job_id": job, "remote_job_id": remote, "model": "x/y"}
        )
    # The stop canceled both remote jobs; only the run's own line says so for "b".
    movie.append_event({"type": "job.canceled", "job_id": "a", "remote_job_id": "p1"})
    movie.append_event({"type": "run.interrupted", "canceled": ["a", "b"], "finished": []})
    assert movie.in_flight() == {}
    # A later run that starts "b" again and dies: that new remote job is in flight.
    movie.append_event(
        {"type": "job.remote_started", "job_id": "b", "remote_job_id": "p3", "model": "x/y"}
    )
    assert movie.in_flight()["b"]["remote_job_id"] == "p3"


# -- 8: small output bugs -----------------------------------------------------------------------
def test_models_show_json_gives_defaults_as_json_values() -> None:
    import json

    result = cli("models", "show", "replicate/google/veo-3-fast", "--json")
    inputs = {row["name"]: row for row in json.loads(result.stdout)["inputs"]}
    assert inputs["seed"]["default"] is None and inputs["seed"]["has_default"] is True
    assert inputs["duration"]["default"] == 8
    assert inputs["generate_audio"]["default"] is True
    assert inputs["aspect_ratio"]["default"] == "16:9"
    assert inputs["prompt"]["has_default"] is False
    assert not [r for r in inputs.values() if r["default"] in ("null", "true", "8")]


def test_a_tool_rate_the_model_never_uses_is_labelled() -> None:
    import json

    mini = cli("models", "show", "openai/gpt-5-mini")
    assert "web_search (not used by this model)" in mini.stdout
    full = cli("models", "show", "openai/gpt-5")  # it searches: the rate applies
    assert "not used" not in full.stdout
    rates = {r["name"]: r for r in json.loads(cli("models", "show", "openai/gpt-5-mini", "--json").stdout)["rates"]}  # fmt: skip
    assert rates["web_search"]["used"] is False and rates["output"]["used"] is True
    listing = " ".join(cli("models", "--kind", "prompt").stdout.split())
    assert "$0.01 / call (web search; not used by this model)" in listing


def _pieces(line: str, width: int) -> list[str]:
    from itertools import pairwise

    from tutopanda_providers.cli.render import break_points

    cuts = [0, *break_points(line, width), len(line)]
    return [line[a:b].rstrip() for a, b in pairwise(cuts)]


def test_long_words_break_after_slash_at_or_underscore_never_mid_word() -> None:
    assert _pieces("replicate/google/gemini-2.5-flash@* [live]", 31) == [
        "replicate/google/",
        "gemini-2.5-flash@* [live]",
    ]
    assert _pieces("block_low_and_above, block_medium_and_above", 20) == [
        "block_low_and_above,",
        "block_medium_and_",
        "above",
    ]
    assert _pieces("a short line", 80) == ["a short line"]
    assert _pieces("jpg, png, webp", 9) == ["jpg, png,", "webp"]  # spaces first
    assert _pieces("abcdefghij", 4) == ["abcd", "efgh", "ij"]  # no break point: folded


def test_plugins_and_models_show_at_80_columns_keep_names_whole() -> None:
    plugins = cli("plugins").stdout
    assert "gemini-2.5-fla\n" not in plugins.replace(" ", "")
    assert "gemini-2.5-flash@*" in plugins
    shown = cli("models", "show", "replicate/google/imagen-4").stdout
    lines = [line.strip() for line in shown.splitlines()]
    assert "ove" not in [line.split()[0] for line in lines if line]
    flat = "".join(shown.split())
    assert "block_medium_and_above" in flat
