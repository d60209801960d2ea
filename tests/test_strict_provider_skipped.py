"""The same model on two providers, where the first refuses a job's inputs (issue 17).

FAL's imagen-4 wants a prompt of 3 characters or more; Replicate's takes any. With
``providers = ["fal", "replicate"]`` a job with a 2-character prompt starts on Replicate (the
first provider of the model that takes it), and with ``["replicate", "fal"]`` FAL is simply not
its failover: neither refuses the run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tutopanda_providers.cli import app
from typer.testing import CliRunner

pytest.importorskip("tutopanda_provider_fal")
pytest.importorskip("tutopanda_provider_replicate")
pytest.importorskip("tutopanda_provider_mock")

PLAN = '[jobs.tiny]\nproducer = "TextToImageProducer"\ninputs.prompt = "ab"\n'
SETTINGS = """
[producers.TextToImageProducer]
kind = "image"
model = "google/imagen-4"
providers = {providers}
"""


@pytest.mark.parametrize(
    ("providers", "model"),
    [
        ('["fal", "replicate"]', "replicate/google/imagen-4"),
        ('["replicate", "fal"]', "replicate/google/imagen-4"),
    ],
)
def test_a_job_starts_on_the_first_provider_of_its_model_that_takes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, providers: str, model: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TUTOPANDA_SETTINGS", raising=False)
    (tmp_path / "plan.toml").write_text(PLAN)
    (tmp_path / "s.toml").write_text(SETTINGS.format(providers=providers))
    result = CliRunner().invoke(
        app, ["run", "plan.toml", "--settings", "s.toml", "--dry-run", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    jobs = report.get("jobs") or report.get("previews") or []
    tiny = next(j for j in jobs if j.get("job") == "tiny" or j.get("job_id") == "tiny")
    assert tiny["model"] == model, tiny
    assert not tiny.get("problems"), tiny
