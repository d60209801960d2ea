"""Estimates for jobs fed by upstream output come from what the plan asks (narration from the
script's asked duration at a speaking rate, prompts from the asked targets and the durations
the video model allows), are marked as estimates, and land within 25 % of what the live run
on the fakes reports as spent, job by job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("tutopanda_provider_openai")
pytest.importorskip("tutopanda_provider_replicate")

from tutopanda_providers.cli import app
from tutopanda_providers.runner.preview import UPSTREAM_ESTIMATE
from tutopanda_providers_testing.demo_live import run_demo

LESSON = Path(__file__).resolve().parent.parent / "examples" / "lesson.toml"
#: Jobs of the lesson fed by upstream output whose price follows their inputs (per character,
#: per second, per image, per file). The LLM prompt jobs are priced by tokens the fake
#: server makes up (its reasoning tokens are not the estimator's); they are not held here.
HELD = [
    *(f"narration_{i}" for i in range(3)),
    *(f"image_{i}" for i in range(3)),
    *(f"video_{i}" for i in range(3)),
    "music",
]


def test_estimates_of_jobs_fed_by_upstream_output_hold_within_25_percent(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["estimate", str(LESSON), "--movie", str(tmp_path / "empty"), "--json"]
    )
    assert result.exit_code == 0, result.output
    estimates = {j["job"]: j["estimate"] for j in json.loads(result.stdout)["jobs"]}
    movie = tmp_path / "movie"
    outcome = run_demo(LESSON, movie, capture=True, timeout=300)
    assert outcome.exit_code == 0, outcome.jobs
    spent = json.loads((movie / "manifest.json").read_text())["jobs"]
    off = {}
    for job in HELD:
        estimate = estimates[job]
        assert estimate["status"] == "estimated" and estimate["reason"] == UPSTREAM_ESTIMATE
        # The fake server returns 1 s clips whatever is asked, so a video's bill follows 1 s
        # (with a warning); the estimate is held against what the asked clip is billed.
        live = (spent[job].get("cost_as_asked") or spent[job]["cost"])["amount_usd"]
        ratio = estimate["amount_usd"] / live
        if not 0.75 <= ratio <= 1.25:
            off[job] = (estimate["amount_usd"], live)
    assert off == {}, off
    # What came back is held against what was asked: the 1 s clips are warned about, in the
    # manifest and in the event log, and billed (estimated) for the second that came back.
    video = spent["video_0"]
    assert video["warnings"] and "returned 1.0 s" in video["warnings"][0]
    assert video["cost"]["status"] == "estimated"
    assert video["cost"]["amount_usd"] < video["cost_as_asked"]["amount_usd"]
    events = [json.loads(x) for x in (movie / "events.jsonl").read_text().splitlines()]
    assert any(e.get("job_id") == "video_0" and e.get("warnings") for e in events)
