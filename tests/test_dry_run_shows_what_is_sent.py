"""The dry run shows what would be sent: for every live handler (the LLM ones included),
``run --live --dry-run`` shows the exact body of each request, and the live call sends that
very body (one code path builds both). Checked against what the fake servers received."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("tutopanda_provider_openai")
pytest.importorskip("tutopanda_provider_replicate")

from tutopanda_providers.registry import RegistryOptions
from tutopanda_providers.runner import Catalog, Runner, RunOptions, load_settings, parse_plan
from tutopanda_providers.secrets import MappingSecretResolver
from tutopanda_providers_testing import FakeOpenAIServer, FakeReplicateServer
from tutopanda_providers_testing.pytest_plugin import canary_secrets, fake_provider_options

PLAN = """
[jobs.script]
producer = "ScriptProducer"
inputs = { topic = "Why do cats purr?", audience = "children", segments = 1, duration_seconds = 10 }

[jobs.prompts]
producer = "PromptProducer"
inputs.segments = "${script.segments}"
inputs.targets = [{ target = "image" }]

[jobs.narration_0]
producer = "AudioProducer"
inputs.text = "${script.segments[0].narration}"

[jobs.image_0]
producer = "TextToImageProducer"
inputs.prompt = "${prompts.prompts[segment_index=0,target=image].prompt}"
"""


def _runner(
    movie: Path, servers: tuple[FakeReplicateServer, FakeOpenAIServer], dry: bool
) -> Runner:
    catalog = Catalog.from_settings(load_settings(None))
    plan = parse_plan(PLAN, "plan.toml", catalog.entries)
    registry_options = RegistryOptions(
        secrets=MappingSecretResolver(canary_secrets()),
        provider_options=fake_provider_options(*servers),
    )
    options = RunOptions(live=True, dry_run=dry, warm_start=False)
    return Runner(plan, catalog, movie, options, registry_options=registry_options)


def _previewed(
    movie: Path, servers: tuple[FakeReplicateServer, FakeOpenAIServer]
) -> dict[str, Any]:
    report = asyncio.run(_runner(movie, servers, dry=True).run())
    return {p.job.id: p.requests for p in report.previews}


def test_the_dry_run_shows_the_exact_bodies_the_live_run_sends(tmp_path: Path) -> None:
    with FakeReplicateServer() as replicate, FakeOpenAIServer() as openai:
        servers = (replicate, openai)
        movie = tmp_path / "movie"
        before = _previewed(movie, servers)
        assert openai.log.for_route("responses") == [] and replicate.log.for_route("create") == []
        for job in ("script", "prompts", "narration_0", "image_0"):
            assert before[job], f"{job}: no request shown"
        report = asyncio.run(_runner(movie, servers, dry=False).run())
        assert not report.failed, [o.error for o in report.failed]
        # After the run, upstream artefacts exist: the preview is built from the real ones.
        after = _previewed(tmp_path / "movie", servers)
        sent_openai = [r.json for r in openai.log.for_route("responses")]
        sent_replicate = {r.path: r.json for r in replicate.log.for_route("create")}
    # The script had no upstream job: what the first dry run showed is what was sent.
    assert before["script"][0]["body"] == sent_openai[0]
    for job in ("script", "prompts"):
        (shown,) = after[job]
        assert shown["method"] == "POST" and shown["path"] == "/responses"
        assert shown["body"] in sent_openai, job
    for job, model in (
        ("narration_0", "minimax/speech-02-hd"),
        ("image_0", "bytedance/seedream-4"),
    ):
        (shown,) = after[job]
        assert shown["path"] == f"/v1/models/{model}/predictions"
        assert sent_replicate[shown["path"]] == shown["body"], job
    # The prompts request carries the target's allowed values, read from seedream-4's card.
    schema = json.dumps(after["prompts"][0]["body"]["text"]["format"]["schema"])
    assert '"16:9"' in schema


def test_the_dry_run_prints_each_live_request(tmp_path: Path) -> None:
    from tutopanda_providers.cli import app
    from typer.testing import CliRunner

    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["run", str(plan), "--live", "--dry-run", "--movie", str(tmp_path / "m")]
    )
    assert result.exit_code == 0, result.output
    assert "script would send POST /responses:" in result.stdout
    assert "image_0 would send POST /v1/models/bytedance/seedream-4/predictions:" in result.stdout
    assert '"reasoning": {' in result.stdout
    # Printed as JSON a person can copy: no line breaks inserted inside long strings.
    start = result.stdout.index("script would send POST /responses:\n") + 35
    end = result.stdout.index("\n\n", start)
    assert json.loads(result.stdout[start:end])["model"] == "gpt-5"
