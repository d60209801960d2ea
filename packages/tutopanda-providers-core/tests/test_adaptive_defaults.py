"""The shipped defaults adapt to the installed plugins; `init` writes a starter plan and settings."""

from __future__ import annotations

import json
import logging
import tomllib
from pathlib import Path

import pytest
from tutopanda_providers.contracts import ProducerKind
from tutopanda_providers.runner import load_settings
from tutopanda_providers.runner.defaults import InstalledModel, replacement
from tutopanda_providers.runner.starter import starter_plan_text, starter_settings_text
from typer.testing import CliRunner

K = ProducerKind
#: What `pip install tutopanda-provider-replicate tutopanda-provider-mock` installs.
REPLICATE_AND_MOCK = {
    **{f"mock/{k.value}": InstalledModel(k, live=False) for k in ProducerKind},
    "replicate/google/gemini-2.5-flash": InstalledModel(K.SCRIPT, live=True),
    "replicate/minimax/speech-02-hd": InstalledModel(K.AUDIO, live=True),
    "replicate/elevenlabs/v3": InstalledModel(K.AUDIO, live=True),
    "replicate/bytedance/seedream-4": InstalledModel(K.IMAGE, live=True),
    "replicate/bytedance/seedance-1-lite": InstalledModel(K.VIDEO, live=True),
    "replicate/stability-ai/stable-audio-2.5": InstalledModel(K.MUSIC, live=True),
}


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("TUTOPANDA_SETTINGS", "TUTOPANDA_PLUGINS", "TUTOPANDA_DISABLE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)


def test_a_missing_default_model_is_replaced_by_an_installed_one_and_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="tutopanda_providers.settings"):
        settings = load_settings(installed=REPLICATE_AND_MOCK)
    producers = settings.producers
    # The script's installed fallback takes over; nothing of kind prompt is live: the mock.
    assert producers["ScriptProducer"].model == "replicate/google/gemini-2.5-flash"
    assert producers["ScriptProducer"].fallbacks == []
    assert producers["PromptProducer"].model == "mock/prompt"
    # Installed defaults stay, on the providers installed (fal is not: dropped quietly); a
    # fallback no installed provider serves is dropped, with a note.
    image = producers["TextToImageProducer"]
    assert (image.model, image.providers, image.fallbacks) == (
        "bytedance/seedream-4",
        ["replicate"],
        [],
    )
    assert any("default fallback google/imagen-4 is not installed" in n for n in settings.adapted)
    assert producers["AudioProducer"].fallbacks == ["elevenlabs/v3"]
    assert producers["AudioProducer"].providers == ["replicate"]
    notes = [n for n in settings.adapted if "ScriptProducer" in n]
    assert len(notes) == 1 and "openai/gpt-5 is not installed" in notes[0]
    assert "an installed fallback" in notes[0]
    prompt_note = next(n for n in settings.adapted if n.startswith("PromptProducer"))
    assert "mock only" in prompt_note
    logged = [r.getMessage() for r in caplog.records]
    assert all(logged.count(note) == 1 for note in settings.adapted)


def test_a_producer_the_user_wrote_is_never_adapted(tmp_path: Path) -> None:
    (tmp_path / "tutopanda.toml").write_text(
        '[producers.ScriptProducer]\nkind = "script"\nmodel = "openai/gpt-5"\n'
    )
    settings = load_settings(installed=REPLICATE_AND_MOCK)
    assert settings.producers["ScriptProducer"].model == "openai/gpt-5"
    assert settings.producers["PromptProducer"].model == "mock/prompt"
    assert not any(n.startswith("ScriptProducer") for n in settings.adapted)


def test_everything_installed_changes_nothing() -> None:
    every = {
        **REPLICATE_AND_MOCK,
        "openai/gpt-5": InstalledModel(K.SCRIPT, live=True),
        "openai/gpt-5-mini": InstalledModel(K.PROMPT, live=True),
        "replicate/google/imagen-4": InstalledModel(K.IMAGE, live=True),
        "replicate/bytedance/seedance-1-pro-fast": InstalledModel(K.VIDEO, live=True),
    }
    settings = load_settings(installed=every)
    assert settings.adapted == []
    assert settings.producers["ScriptProducer"].model == "openai/gpt-5"


def test_replacement_prefers_live_then_a_real_provider_then_reference_order() -> None:
    installed = {
        "mock/image": InstalledModel(K.IMAGE, live=False),
        "zeta/img": InstalledModel(K.IMAGE, live=True),
        "acme/img": InstalledModel(K.IMAGE, live=True),
        "acme/mock-only": InstalledModel(K.IMAGE, live=False),
        "acme/script": InstalledModel(K.SCRIPT, live=True),
    }
    assert replacement(K.IMAGE, [], installed) == "acme/img"
    assert replacement(K.IMAGE, ["zeta/img"], installed) == "zeta/img"  # a fallback first
    assert replacement(K.IMAGE, ["acme/script"], installed) == "acme/img"  # of the right kind
    assert replacement(K.AUDIO, [], installed) is None


def test_starter_settings_are_valid_settings_naming_installed_models(tmp_path: Path) -> None:
    text = starter_settings_text(REPLICATE_AND_MOCK)
    (tmp_path / "tutopanda.toml").write_text(text)
    settings = load_settings(installed=REPLICATE_AND_MOCK)
    assert settings.adapted == []  # every producer is the user's now, and installed
    # Each model and fallback is installed: a ref, or a model name on an installed provider.
    refs: set[str] = set()
    for producer in settings.producers.values():
        for name in (producer.model, *producer.fallbacks):
            refs |= {f"{p}/{name}" for p in producer.providers} or {name}
    assert refs <= set(REPLICATE_AND_MOCK)
    assert "ScriptProducer: the default model openai/gpt-5 is not installed" in text
    raw = tomllib.loads(text)
    assert raw["producers"]["AudioProducer"]["model_defaults"]["replicate/minimax/speech-02-hd"]


def test_the_starter_plan_is_shipped_and_names_only_default_producers() -> None:
    plan = tomllib.loads(starter_plan_text())
    producers = {job["producer"] for job in plan["jobs"].values()}
    assert producers <= set(load_settings(use_defaults=True).producers)


def _cli(*args: str) -> object:
    pytest.importorskip("tutopanda_provider_mock")
    from tutopanda_providers.cli import app

    return CliRunner().invoke(app, list(args))


def test_init_writes_a_plan_and_settings_and_refuses_to_overwrite(tmp_path: Path) -> None:
    result = _cli("init")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    plan, settings = tmp_path / "lesson.toml", tmp_path / "tutopanda.toml"
    assert plan.read_text() == starter_plan_text()
    tomllib.loads(settings.read_text())
    plan.write_text("# mine\n")
    again = _cli("init", "--json")
    assert again.exit_code == 2  # type: ignore[attr-defined]
    error = json.loads(again.stdout)["error"]  # type: ignore[attr-defined]
    assert "already exist" in error["message"] and "--force" in error["message"]
    assert plan.read_text() == "# mine\n"  # nothing written
    forced = _cli("init", "--force")
    assert forced.exit_code == 0 and plan.read_text() == starter_plan_text()  # type: ignore[attr-defined]


def test_init_into_another_folder_then_estimate_and_dry_run(tmp_path: Path) -> None:
    assert _cli("init", "lesson").exit_code == 0  # type: ignore[attr-defined]
    estimate = _cli(
        "estimate", "lesson/lesson.toml", "--settings", "lesson/tutopanda.toml", "--json"
    )
    assert estimate.exit_code == 0, estimate.output  # type: ignore[attr-defined]
    dry = _cli(
        "run", "lesson/lesson.toml", "--settings", "lesson/tutopanda.toml", "--dry-run", "--json"
    )
    assert dry.exit_code == 0, dry.output  # type: ignore[attr-defined]


def test_run_with_a_provider_missing_adapts_and_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tutopanda_provider_openai")
    monkeypatch.setenv("TUTOPANDA_DISABLE_PLUGINS", "openai")
    (tmp_path / "lesson.toml").write_text(starter_plan_text())
    result = _cli("estimate", "lesson.toml")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    output = result.output  # type: ignore[attr-defined]
    assert output.count("ScriptProducer: the default model openai/gpt-5 is not installed") == 1
