"""Settings: shipped defaults for the seed's models; errors with file, line and fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from tutopanda_providers.contracts import ConfigurationError, Descriptor, ProducerKind
from tutopanda_providers.runner import Catalog, FileProblemError, load_settings, parse_overrides


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return path


def test_shipped_defaults_map_every_producer_to_a_seed_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TUTOPANDA_SETTINGS", raising=False)
    settings = load_settings()
    models = {name: (p.kind.value, p.model) for name, p in settings.producers.items()}
    assert models["ScriptProducer"] == ("script", "openai/gpt-5")
    assert models["PromptProducer"] == ("prompt", "openai/gpt-5-mini")
    # Media models are named once, by their makers' names, served by Replicate then FAL.
    assert models["AudioProducer"] == ("audio", "minimax/speech-02-hd")
    assert models["TextToImageProducer"] == ("image", "bytedance/seedream-4")
    assert models["TextToVideoProducer"] == ("video", "bytedance/seedance-1-lite")
    assert models["TextToMusicProducer"] == ("music", "stability-ai/stable-audio-2.5")
    media = ("AudioProducer", "TextToImageProducer", "TextToVideoProducer", "TextToMusicProducer")
    assert all(settings.producers[m].providers == ["replicate", "fal"] for m in media)
    assert len(settings.sources) == 1


def test_a_user_file_changes_only_the_producer_keys_it_gives_and_single_runner_keys(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        """
[runner]
concurrency = 9

[producers.TextToImageProducer]
kind = "image"
model = "replicate/google/nano-banana"
""",
    )
    settings = load_settings(path)
    image = settings.producers["TextToImageProducer"]
    # As with --override: the producer's inputs (16:9), fallbacks and providers stay (the
    # model named by a card's ref: that card first, then the same model on the others).
    assert image.model == "replicate/google/nano-banana"
    assert image.fallbacks == ["google/imagen-4"]
    assert image.providers == ["replicate", "fal"]
    assert image.inputs == {"aspect_ratio": "16:9"}
    assert settings.runner.concurrency == 9 and settings.runner.timeout_seconds == 900
    assert settings.producers["AudioProducer"].model == "minimax/speech-02-hd"


def test_settings_come_from_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[producers.X]\nkind = "image"\nmodel = "a/b"\n')
    monkeypatch.setenv("TUTOPANDA_SETTINGS", str(path))
    assert "X" in load_settings().producers


def test_a_producer_without_model_is_refused_with_line_and_fix(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """version = 1

[producers.AudioProducer]
kind = "audio"
fallbacks = ["replicate/elevenlabs/v3"]
""",
    )
    with pytest.raises(FileProblemError) as info:
        load_settings(path)
    assert info.value.problems == [
        f"{path}:3: producers.AudioProducer.model: has no model; add model = "
        '"provider/model" (a model is never implied; list them with `tutopanda-providers models`)'
    ]


def test_bad_kind_bad_reference_and_unknown_key_each_name_their_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """[producers.A]
kind = "picture"
model = "replicate/google/imagen-4"

[producers.B]
kind = "image"
model = "imagen-4"

[producers.C]
kind = "image"
model = "replicate/google/imagen-4"
fallback = ["x/y"]
""",
    )
    with pytest.raises(FileProblemError) as info:
        load_settings(path, use_defaults=False)
    problems = info.value.problems
    assert problems[0].startswith(
        f"{path}:2: producers.A.kind: 'picture' is not a kind; use one of script"
    )
    assert problems[1].startswith(
        f"{path}:7: producers.B.model: 'imagen-4' is not a model reference"
    )
    assert problems[2] == (
        f"{path}:12: producers.C.fallback: is not a producer key; use kind, model, fallbacks, "
        "inputs, model_defaults, environment, allow_unresearched_script, providers"
    )


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileProblemError, match="not valid TOML"):
        load_settings(write(tmp_path, "[producers\n"))
    with pytest.raises(FileProblemError, match="cannot read the settings file"):
        load_settings(tmp_path / "nope.toml")


def test_catalog_merges_model_defaults_producer_inputs_and_job_inputs(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """[producers.TextToImageProducer]
kind = "image"
model = "replicate/google/imagen-4"
inputs = { aspect_ratio = "16:9", prompt = "default" }

[producers.TextToImageProducer.model_defaults."replicate/google/imagen-4"]
output_format = "png"
aspect_ratio = "1:1"
""",
    )
    catalog = Catalog.from_settings(load_settings(path, use_defaults=False))
    entry = catalog.entry("TextToImageProducer")
    assert entry.kind == ProducerKind.IMAGE
    merged = entry.inputs_for(Descriptor.parse("replicate/google/imagen-4"), {"prompt": "fox"})
    assert merged == {"output_format": "png", "aspect_ratio": "16:9", "prompt": "fox"}


def test_overrides_replace_the_model_and_keep_the_other_fallbacks(tmp_path: Path) -> None:
    catalog = Catalog.from_settings(
        load_settings(),
        parse_overrides(["TextToImageProducer=replicate/google/imagen-4"]),
    )
    entry = catalog.entry("TextToImageProducer")
    assert str(entry.model) == "replicate/google/imagen-4"
    assert entry.source == "override"
    # Expanded over its providers: the model named first, once; the old model gone.
    from tutopanda_providers import create_provider_registry

    chain = [
        str(d)
        for d in catalog.expanded(create_provider_registry(mode="mock"))
        .entry("TextToImageProducer")
        .candidates()
    ]
    assert chain[0] == "replicate/google/imagen-4"
    assert chain.count("replicate/google/imagen-4") == 1
    assert not [ref for ref in chain if "seedream" in ref]


def test_bad_overrides_are_refused_with_an_example() -> None:
    with pytest.raises(ConfigurationError, match="write it as Producer=provider/model"):
        parse_overrides(["TextToImageProducer"])
    with pytest.raises(ConfigurationError, match="did you mean TextToImageProducer"):
        Catalog.from_settings(load_settings(), {"TextToImagProducer": "a/b"})
