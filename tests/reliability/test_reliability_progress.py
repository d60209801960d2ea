"""Progress a person can follow (issue 18, item 5): plain lines when stderr is not a terminal,
``-q`` and ``-v``, a word when waiting for a locked movie, a summary that fits 80 columns and
text from plans and plugins never read as markup."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from filelock import FileLock
from tutopanda_providers.contracts import Cost, ProducerKind
from tutopanda_providers.runner import JobOutcome, RunReport

from .conftest import clean_env, cli_command

PLAN = """[plan]
title = "Progress"

[jobs.image]
producer = "TextToImageProducer"
inputs.prompt = "a lighthouse at dusk"

[jobs.narration]
producer = "AudioProducer"
inputs.text = "The light turns."
"""
LINE = re.compile(r"^\d\d:\d\d:\d\d (image|narration) (started|succeeded|skipped) ")


def _run(tmp_path: Path, *args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    (tmp_path / "plan.toml").write_text(PLAN)
    env = clean_env(COLUMNS=str(columns))
    return subprocess.run(
        cli_command("run", "plan.toml", "--movie", "m", *args),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_plain_lines_per_state_change_then_a_summary_within_80_columns(tmp_path: Path) -> None:
    first = _run(tmp_path)
    assert first.returncode == 0, first.stderr
    lines = [line for line in first.stderr.splitlines() if LINE.match(line)]
    assert {tuple(line.split()[1:3]) for line in lines} == {
        ("image", "started"),
        ("image", "succeeded"),
        ("narration", "started"),
        ("narration", "succeeded"),
    }
    assert any("succeeded" in line and "$0 (mocked)" in line for line in lines)
    # No progress bar drawn into a log: no carriage returns, no escape sequences.
    assert "\r" not in first.stderr and "\x1b[" not in first.stderr
    # Every column of the summary is there, and no line passes 80 columns.
    header = next(line for line in first.stdout.splitlines() if "job" in line and "status" in line)
    for column in ("job", "model", "status", "artefacts", "time", "cost", "live"):
        assert column in header, first.stdout
    assert max(len(line) for line in first.stdout.splitlines()) <= 80, first.stdout

    again = _run(tmp_path)
    assert [line.split(" ", 1)[1] for line in again.stderr.splitlines() if LINE.match(line)] == [
        "image skipped (up to date, kept) $0",
        "narration skipped (up to date, kept) $0",
    ]


def test_quiet_prints_no_progress_and_verbose_adds_inputs(tmp_path: Path) -> None:
    quiet = _run(tmp_path, "-q")
    assert quiet.returncode == 0, quiet.stderr
    assert not [line for line in quiet.stderr.splitlines() if LINE.match(line)]
    assert "image" in quiet.stdout  # the summary still comes
    verbose = _run(tmp_path, "-v", "--force")
    assert re.search(
        r'^\d\d:\d\d:\d\d image inputs \{.*"prompt": "a lighthouse at dusk"', verbose.stderr, re.M
    )


def test_waiting_for_a_locked_movie_says_so_and_names_wait(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    with FileLock(str(tmp_path / "m" / ".lock")):
        busy = _run(tmp_path, "--json")
        waited = _run(tmp_path, "--wait", "1")
    assert busy.returncode == 5
    assert "--wait" in json.loads(busy.stdout)["error"]["message"]
    assert waited.returncode == 5
    assert "waiting up to 1s for another run of this movie to finish (--wait)" in waited.stderr
    assert "after waiting 1s" in waited.stderr


def test_text_from_plans_and_plugins_is_never_markup(monkeypatch: pytest.MonkeyPatch) -> None:
    from tutopanda_providers.cli import running

    report = RunReport(movie="m", plan="p[bold].toml", dry_run=False, live=False)
    report.outcomes = [
        JobOutcome(
            job_id="clip[live]",
            producer="TextToVideoProducer",
            kind=ProducerKind.VIDEO,
            model="acme/[red]model",
            mode="mock",
            status="failed",
            error={"message": "the plugin said [/] and [bold]no[/bold]"},
            cost=Cost.unknown("not run"),
        )
    ]
    out = io.StringIO()
    from rich.console import Console

    monkeypatch.setattr(running, "console", lambda stderr=False: Console(file=out, width=80))
    running._print_summary(report)  # a stray [/] used to raise MarkupError
    text = out.getvalue()
    assert "clip[live]" in text.replace("\n", "").replace(" ", "") or "clip[live]" in text
    assert "the plugin said [/] and [bold]no[/bold]" in text
    assert "p[bold].toml" in text
