"""Everything that can be checked before the first paid call is checked before it (issue 15,
item 6).

Before, a plan with a veo-3-fast job asking for 10 s ran its seven other paid jobs and then
failed that one on a validation the dry run already knew; a fallback named in a settings file
that could not take the job's inputs passed ``run`` and ``--dry-run``. Now a run validates
every job whose inputs do not depend on upstream output, and each fallback against those
inputs, before any job starts, and refuses with exit 2 listing every problem with its
``file:line``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tutopanda_providers_testing.fake_replicate import FakeReplicateServer
from tutopanda_providers_testing.keys import CANARY_REPLICATE_TOKEN

from .conftest import clean_env, cli_command
from .test_reliability_never_twice import read_events

SEVEN_PAID = "".join(
    f'[jobs.image_{i}]\nproducer = "TextToImageProducer"\ninputs.prompt = "a lighthouse, take {i}"\n\n'
    for i in range(7)
)
PLAN = (
    '[plan]\ntitle = "Checked first"\n\n'
    + SEVEN_PAID
    + '[jobs.clip]\nproducer = "TextToVideoProducer"\nmodel = "replicate/google/veo-3-fast"\n'
    'inputs.prompt = "the beam sweeps the sea"\ninputs.duration_seconds = 10\n\n'
    '[jobs.voice]\nproducer = "AudioProducer"\ninputs.text = ""\n'
)


def _run(
    tmp_path: Path, server: FakeReplicateServer, *args: str
) -> subprocess.CompletedProcess[str]:
    env = clean_env(REPLICATE_API_TOKEN=CANARY_REPLICATE_TOKEN, REPLICATE_BASE_URL=server.base_url)
    return subprocess.run(
        cli_command(*args), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_job_the_model_refuses_stops_the_run_before_any_paid_job(
    tmp_path: Path, fake_replicate: FakeReplicateServer
) -> None:
    (tmp_path / "plan.toml").write_text(PLAN)
    result = _run(tmp_path, fake_replicate, "run", "plan.toml", "--movie", "m", "--live", "--json")
    assert result.returncode == 2, result.stderr + result.stdout
    message = json.loads(result.stdout)["error"]["message"]
    # Every problem, each with the plan's line of its job.
    assert f"plan.toml:{_line_of(PLAN, '[jobs.clip]')}: jobs.clip:" in message
    assert "duration" in message
    assert f"plan.toml:{_line_of(PLAN, '[jobs.voice]')}: jobs.voice:" in message
    # Nothing was paid for: the fake saw no create, no job started.
    assert fake_replicate.predictions_created == 0
    assert not [e for e in read_events(tmp_path / "m") if e.get("type") == "job.started"]


SETTINGS = """version = 1

[producers.TextToVideoProducer]
kind = "video"
model = "replicate/bytedance/seedance-1-lite"
fallbacks = ["replicate/google/veo-3-fast"]
"""
FALLBACK_PLAN = """[plan]
title = "A fallback that cannot do the job"

[jobs.clip]
producer = "TextToVideoProducer"
inputs.prompt = "the beam sweeps the sea"
inputs.duration_seconds = 10
"""


def test_a_settings_fallback_that_cannot_take_the_inputs_is_named_by_dry_run_and_run(
    tmp_path: Path, fake_replicate: FakeReplicateServer
) -> None:
    (tmp_path / "plan.toml").write_text(FALLBACK_PLAN)
    (tmp_path / "settings.toml").write_text(SETTINGS)
    common = ("plan.toml", "--movie", "m", "--settings", "settings.toml", "--json")
    dry = _run(tmp_path, fake_replicate, "run", *common, "--dry-run")
    assert dry.returncode == 2, dry.stderr + dry.stdout
    problems = json.loads(dry.stdout)["problems"]
    assert any(
        "fallback replicate/google/veo-3-fast" in p and "settings.toml:6" in p for p in problems
    ), problems

    live = _run(tmp_path, fake_replicate, "run", *common, "--live")
    assert live.returncode == 2, live.stderr + live.stdout
    message = json.loads(live.stdout)["error"]["message"]
    assert "plan.toml:4: jobs.clip: fallback replicate/google/veo-3-fast" in message
    assert fake_replicate.predictions_created == 0
