"""Scripts that are right, the shared parts: pinned schemas, the segment-count check, citation
marks, and the settings advice on script models that cannot research."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from tutopanda_providers.contracts import (
    ModelCard,
    ProviderFailedError,
    Script,
    ScriptSegment,
    Source,
    TargetConstraints,
    check_segment_count,
    cited_search_sources,
    prompt_set_json_schema,
    script_json_schema,
    strip_citation_markers,
    strip_markers_from,
)
from tutopanda_providers.runner import load_settings
from tutopanda_providers.runner.advice import script_research_advice, unresearched_script_models

CITE = "\ue200cite\ue202turn0search{}\ue201"


def script(segments: int, narration: str = "Words.") -> Script:
    return Script(
        title="T",
        summary="S",
        audience="a",
        language="en",
        segments=[
            ScriptSegment(
                index=i, title=f"s{i}", narration=narration, visual_ideas=[], duration_seconds=5
            )
            for i in range(segments)
        ],
        sources=[],
    )


# -- schemas ---------------------------------------------------------------------------------
def test_the_script_schema_pins_the_segment_count() -> None:
    segments = script_json_schema(4)["properties"]["segments"]
    assert segments["minItems"] == segments["maxItems"] == 4


def test_the_prompt_schema_has_one_branch_per_target_with_its_allowed_values() -> None:
    schema = prompt_set_json_schema(
        [0, 1],
        [
            TargetConstraints(target="image", aspect_ratios=["1:1"], resolutions=["1K", "2K"]),
            TargetConstraints(target="video", durations_seconds=[4, 6, 8]),
        ],
    )
    prompts = schema["properties"]["prompts"]
    assert prompts["minItems"] == prompts["maxItems"] == 4
    image, video = (b["properties"] for b in prompts["items"]["anyOf"])
    assert image["target"]["enum"] == ["image"] and image["duration_seconds"] == {"type": "null"}
    assert image["aspect_ratio"]["enum"] == ["1:1"] and image["resolution"]["enum"] == ["1K", "2K"]
    assert video["duration_seconds"]["enum"] == [4, 6, 8]
    assert video["segment_index"]["enum"] == [0, 1]
    for branch in prompts["items"]["anyOf"]:
        assert branch["additionalProperties"] is False
        assert set(branch["required"]) == set(branch["properties"])


# -- segment count ---------------------------------------------------------------------------
def test_a_script_with_another_segment_count_is_refused() -> None:
    check_segment_count(script(3), 3, provider="p", model="m")
    with pytest.raises(ProviderFailedError, match="wrote 2 segments where 3 were asked") as info:
        check_segment_count(script(2), 3, provider="p", model="m")
    assert info.value.details == {"asked": 3, "written": 2}
    with pytest.raises(ProviderFailedError, match="wrote 5 segments"):
        check_segment_count(script(5), 3, provider="p", model="m")


# -- citation marks --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "clean", "refs"),
    [
        (f"Blue scatters more {CITE.format(2)}.", "Blue scatters more.", [2]),
        (
            "A \ue200cite\ue202turn0search0\ue202turn1search3\ue201 and B",
            "A and B",
            [0, 3],
        ),
        ("News \ue200cite\ue202turn0news1\ue201.", "News.", []),
        ("Cut short \ue200cite\ue202turn0search4", "Cut short", [4]),  # no closing mark
        ("Stray \ue202 char", "Stray char", []),
        ("Nothing to strip.", "Nothing to strip.", []),
    ],
)
def test_citation_marks_are_stripped_with_the_results_they_point_at(
    text: str, clean: str, refs: list[int]
) -> None:
    assert strip_citation_markers(text) == (clean, refs)


def test_every_text_field_of_a_script_loses_its_marks() -> None:
    dirty = script(2, narration=f"Light bends {CITE.format(1)}.")
    dirty = dirty.model_copy(update={"summary": f"Sum {CITE.format(0)}"})
    cleaned, refs = strip_markers_from(dirty)
    assert [s.narration for s in cleaned.segments] == ["Light bends.", "Light bends."]
    assert cleaned.summary == "Sum"
    assert refs == [0, 1, 1]  # in field order: the summary comes before the segments
    found = [Source(title="", url=f"https://e.org/{i}") for i in range(3)]
    assert [s.url for s in cited_search_sources([*refs, 9], found)] == [
        "https://e.org/0",
        "https://e.org/1",
    ]


# -- research advice -------------------------------------------------------------------------
def _card(ref: str, *capabilities: str) -> ModelCard:
    from pydantic import BaseModel
    from tutopanda_providers.contracts import OutputSpec, Price, ProducerKind

    provider, _, model = ref.partition("/")
    return ModelCard(
        provider=provider,
        model=model,
        kind=ProducerKind.SCRIPT,
        input_model=BaseModel,
        output=OutputSpec(type="json", mime="application/json"),
        price=Price(rates=(), source="test"),
        capabilities=frozenset(capabilities),
    )


CARDS = {
    "openai/gpt-5": _card("openai/gpt-5", "web_search"),
    "replicate/google/gemini-2.5-flash": _card("replicate/google/gemini-2.5-flash"),
}


def _settings(tmp_path: Path, extra: str = "", model: str = "openai/gpt-5") -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(
        "[producers.ScriptProducer]\n"
        'kind = "script"\n'
        f'model = "{model}"\n'
        'fallbacks = ["replicate/google/gemini-2.5-flash"]\n' + extra
    )
    return path


def test_a_script_fallback_without_research_is_advised_against(tmp_path: Path) -> None:
    settings = load_settings(_settings(tmp_path), use_defaults=False)
    assert unresearched_script_models(settings, CARDS.get) == [
        ("ScriptProducer", "replicate/google/gemini-2.5-flash", "fallback")
    ]
    (line,) = script_research_advice(settings, CARDS.get)
    assert "settings.toml:4" in line and "cannot research" in line
    assert "allow_unresearched_script = true" in line


def test_a_script_model_without_research_is_advised_against(tmp_path: Path) -> None:
    path = _settings(tmp_path, model="replicate/google/gemini-2.5-flash")
    settings = load_settings(path, use_defaults=False)
    roles = [role for _, _, role in unresearched_script_models(settings, CARDS.get)]
    assert roles == ["model", "fallback"]


def test_opting_in_silences_the_advice(tmp_path: Path) -> None:
    path = _settings(tmp_path, "allow_unresearched_script = true\n")
    settings = load_settings(path, use_defaults=False)
    assert script_research_advice(settings, CARDS.get) == []


def test_loading_the_settings_logs_the_warning_with_the_installed_cards(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("tutopanda_provider_openai")
    pytest.importorskip("tutopanda_provider_replicate")
    with caplog.at_level(logging.WARNING, logger="tutopanda_providers.settings"):
        load_settings(_settings(tmp_path), use_defaults=False)
    assert any(
        "gemini-2.5-flash is a fallback of ScriptProducer" in r.message for r in caplog.records
    )


def test_the_shipped_defaults_opt_in_and_load_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TUTOPANDA_SETTINGS", raising=False)
    with caplog.at_level(logging.WARNING, logger="tutopanda_providers.settings"):
        settings = load_settings()
    assert settings.producers["ScriptProducer"].allow_unresearched_script is True
    assert not caplog.records


def test_models_shows_what_each_model_can_do() -> None:
    pytest.importorskip("tutopanda_provider_openai")
    pytest.importorskip("tutopanda_provider_replicate")
    import json
    import os
    import subprocess
    import sys

    def models(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "tutopanda_providers.cli", "models", "--kind", "script", *args],
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "160"},
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    rows = {f"{r['provider']}/{r['model']}": r for r in json.loads(models("--json"))["models"]}
    assert "web_search" in rows["openai/gpt-5"]["capabilities"]
    assert "web_search" not in rows["replicate/google/gemini-2.5-flash"]["capabilities"]
    table = models()
    assert "can" in table.splitlines()[2]
    gpt5 = next(line for line in table.splitlines() if "openai/gpt-5" in line)
    gemini = next(line for line in table.splitlines() if "gemini" in line)
    assert "search" in gpt5 and "search" not in gemini
