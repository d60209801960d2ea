"""Plans: jobs form a graph; every mistake names the file, the line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from tutopanda_providers.contracts import Artefact, BlobRef, ProducerKind
from tutopanda_providers.runner import FileProblemError, load_plan, parse_plan
from tutopanda_providers.runner.references import (
    BadReferenceError,
    parse_reference,
    resolve_inputs,
)

PRODUCERS = ["ScriptProducer", "PromptProducer", "TextToImageProducer", "AudioProducer"]


def problems_of(text: str) -> list[str]:
    with pytest.raises(FileProblemError) as info:
        parse_plan(text, "lesson.toml", PRODUCERS)
    return info.value.problems


def test_jobs_are_layered_by_their_references() -> None:
    plan = parse_plan(
        """
[jobs.image]
producer = "TextToImageProducer"
inputs.prompt = "A picture of ${script.title}"

[jobs.script]
producer = "ScriptProducer"
inputs = { topic = "tides" }

[jobs.voice]
producer = "AudioProducer"
inputs.text = "${script.segments[0].narration}"
after = ["image"]
""",
        "lesson.toml",
        PRODUCERS,
    )
    assert plan.layers == [["script"], ["image"], ["voice"]]
    assert plan.jobs["voice"].depends_on == ("script", "image")
    assert plan.downstream_of(["script"]) == {"image", "voice"}


def test_unknown_producer_names_the_line_and_the_closest_producer() -> None:
    problems = problems_of(
        """[jobs.script]
producer = "ScriptProducer"
inputs = { topic = "tides" }

[jobs.image]
producer = "TextToImagProducer"
"""
    )
    assert problems == [
        "lesson.toml:6: jobs.image: unknown producer 'TextToImagProducer'; did you mean "
        "'TextToImageProducer'? the settings define: AudioProducer, PromptProducer, "
        "ScriptProducer, TextToImageProducer"
    ]


def test_reference_to_a_missing_job_names_the_line_and_suggests_one() -> None:
    problems = problems_of(
        """[jobs.script]
producer = "ScriptProducer"

[jobs.voice]
producer = "AudioProducer"

[jobs.voice.inputs]
text = "${scrpt.segments[0].narration}"
"""
    )
    assert len(problems) == 1
    assert problems[0].startswith("lesson.toml:8: jobs.voice.inputs.text refers to")
    assert "there is no job 'scrpt'; did you mean ${script...}?" in problems[0]


def test_a_cycle_is_refused_and_shown() -> None:
    problems = problems_of(
        """[jobs.a]
producer = "ScriptProducer"
inputs.topic = "${b}"

[jobs.b]
producer = "ScriptProducer"
inputs.topic = "${a}"
"""
    )
    assert problems == [
        "lesson.toml:1: the jobs form a cycle (a -> b -> a); remove one of these references"
    ]


def test_a_malformed_reference_says_what_is_wrong() -> None:
    problems = problems_of(
        """[jobs.script]
producer = "ScriptProducer"
inputs.topic = "${script..title}"
"""
    )
    assert problems[0].startswith("lesson.toml:3: ${script..title}: cannot read '..title'")


def test_an_unknown_job_key_and_a_missing_producer_are_both_reported() -> None:
    problems = problems_of(
        """[jobs.script]
producer = "ScriptProducer"
input = { topic = "x" }

[jobs.image]
inputs.prompt = "p"
"""
    )
    assert any(
        p.startswith("lesson.toml:3: jobs.script.input: is not a known key") for p in problems
    )
    assert any(p.startswith("lesson.toml:5: jobs.image.producer: is missing") for p in problems)


def test_invalid_toml_and_a_missing_file_are_clear(tmp_path: Path) -> None:
    with pytest.raises(FileProblemError, match="not valid TOML"):
        parse_plan("[jobs.a\n", "x.toml")
    with pytest.raises(FileProblemError, match="cannot read the plan"):
        load_plan(tmp_path / "missing.toml")


SCRIPT = Artefact(
    name="script",
    kind=ProducerKind.SCRIPT,
    mime="application/json",
    data={
        "title": "Tides",
        "segments": [
            {"index": 0, "narration": "The moon pulls."},
            {"index": 1, "narration": "Twice a day."},
        ],
    },
)
PROMPTS = Artefact(
    name="prompts",
    kind=ProducerKind.PROMPT,
    mime="application/json",
    data={
        "prompts": [
            {"segment_index": 0, "target": "image", "prompt": "moon"},
            {"segment_index": 0, "target": "video", "prompt": "moving moon"},
            {"segment_index": 1, "target": "video", "prompt": "waves"},
        ]
    },
)
IMAGE = Artefact(
    kind=ProducerKind.IMAGE,
    mime="image/png",
    blob=BlobRef(uri="file:///blobs/ab/ab.png", sha256="ab" * 32, size=10, mime="image/png"),
)
OUTPUTS = {"script": [SCRIPT], "prompts": [PROMPTS], "image": [IMAGE]}


def test_a_whole_value_reference_keeps_its_type() -> None:
    resolved = resolve_inputs(
        {"segments": "${script.segments}", "first": "${script.segments[0]}"}, OUTPUTS
    )
    assert resolved["segments"] == SCRIPT.data["segments"]
    assert resolved["first"] == {"index": 0, "narration": "The moon pulls."}


def test_references_inside_text_nested_lists_and_escapes() -> None:
    resolved = resolve_inputs(
        {
            "prompt": "Lesson: ${script.title}, cost $${not.a.ref}",
            "image_urls": ["${image}"],
        },
        OUTPUTS,
    )
    assert resolved == {
        "prompt": "Lesson: Tides, cost ${not.a.ref}",
        "image_urls": ["file:///blobs/ab/ab.png"],
    }


def test_a_filter_picks_the_first_item_with_every_value() -> None:
    value = resolve_inputs(
        {"p": "${prompts.prompts[segment_index=1,target=video].prompt}"}, OUTPUTS
    )
    assert value == {"p": "waves"}


def test_media_artefacts_expose_their_record_to_paths() -> None:
    value = resolve_inputs(
        {"size": "${image.blob.size}", "sha": "${image:output.blob.sha256}"}, OUTPUTS
    )
    assert value == {"size": 10, "sha": "ab" * 32}


def test_a_reference_to_nothing_says_what_exists() -> None:
    with pytest.raises(BadReferenceError, match=r"no item of prompts.prompts has target=music"):
        resolve_inputs({"p": "${prompts.prompts[target=music].prompt}"}, OUTPUTS)
    with pytest.raises(BadReferenceError, match=r"script has no field 'titel' \(segments, title\)"):
        resolve_inputs({"p": "${script.titel}"}, OUTPUTS)
    with pytest.raises(BadReferenceError, match="has no artefact 'thumb'"):
        resolve_inputs({"p": "${image:thumb}"}, OUTPUTS)


def test_parse_reference_reads_job_artefact_and_steps() -> None:
    ref = parse_reference("prompts:list.items[2][a=1,b=x].text")
    assert (ref.job, ref.artefact) == ("prompts", "list")
    assert ref.steps == ("items", 2, (("a", "1"), ("b", "x")), "text")
