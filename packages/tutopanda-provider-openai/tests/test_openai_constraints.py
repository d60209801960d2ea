from __future__ import annotations

import pytest
from tutopanda_provider_openai.constraints import (
    enforce_constraints,
    nearest_aspect_ratio,
    nearest_value,
    parse_ratio,
    shorten,
)
from tutopanda_providers.contracts import (
    GeneratedPrompt,
    PromptSet,
    ProviderFailedError,
    ScriptSegment,
    TargetConstraints,
)

SEGMENTS = [
    ScriptSegment(index=i, title=f"s{i}", narration="n", visual_ideas=["v"], duration_seconds=d)
    for i, d in ((0, 5.0), (1, 9.0))
]
VEO = TargetConstraints(
    target="video",
    model="google/veo-3",
    aspect_ratios=["16:9", "9:16"],
    durations_seconds=[4, 6, 8],
)
IMAGE = TargetConstraints(
    target="image",
    model="google/imagen-4",
    aspect_ratios=["1:1", "4:3", "16:9"],
    max_prompt_chars=40,
)


def prompt(index: int, target: str, **values: object) -> GeneratedPrompt:
    base: dict[str, object] = {
        "segment_index": index,
        "target": target,
        "prompt": "a leaf in the sun",
        "negative_prompt": None,
        "aspect_ratio": "16:9",
        "duration_seconds": None,
    }
    base.update(values)
    return GeneratedPrompt.model_validate(base)


def run(prompts: list[GeneratedPrompt], targets: list[TargetConstraints] | None = None):  # type: ignore[no-untyped-def]
    return enforce_constraints(
        PromptSet(prompts=prompts),
        SEGMENTS,
        targets or [IMAGE, VEO],
        provider="openai",
        model="gpt-5-mini",
    )


def test_prompts_that_fit_pass_unchanged_and_come_back_in_order() -> None:
    given = [
        prompt(1, "video", duration_seconds=8.0),
        prompt(0, "image"),
        prompt(1, "image"),
        prompt(0, "video", duration_seconds=6.0),
    ]
    fitted, changes = run(given)
    assert changes == []
    assert [(p.segment_index, p.target) for p in fitted] == [
        (0, "image"),
        (0, "video"),
        (1, "image"),
        (1, "video"),
    ]


def test_values_outside_a_target_move_to_the_nearest_allowed_and_are_recorded() -> None:
    given = [
        prompt(0, "image", aspect_ratio="3:2", duration_seconds=5.0),
        prompt(0, "video", aspect_ratio="4:5", duration_seconds=5.0),
        prompt(1, "image", prompt="a very long prompt " * 5),
        prompt(1, "video", duration_seconds=None),
    ]
    fitted, changes = run(given)
    by_pair = {(p.segment_index, p.target): p for p in fitted}
    assert by_pair[(0, "image")].aspect_ratio == "4:3"
    assert by_pair[(0, "image")].duration_seconds is None  # a still has no duration
    assert by_pair[(0, "video")].aspect_ratio == "9:16"
    assert by_pair[(0, "video")].duration_seconds == 6  # 5 s: tie between 4 and 6 → longer
    assert len(by_pair[(1, "image")].prompt) <= 40
    assert by_pair[(1, "video")].duration_seconds == 8  # none given: nearest to the 9 s segment
    recorded = {(c.segment_index, c.target, c.field) for c in changes}
    assert recorded == {
        (0, "image", "aspect_ratio"),
        (0, "image", "duration_seconds"),
        (0, "video", "aspect_ratio"),
        (0, "video", "duration_seconds"),
        (1, "image", "prompt"),
        (1, "video", "duration_seconds"),
    }
    reason = next(c.reason for c in changes if c.field == "aspect_ratio" and c.target == "video")
    assert "google/veo-3 accepts 16:9, 9:16" in reason


def test_prompts_not_asked_for_and_repeats_are_dropped_and_recorded() -> None:
    given = [
        prompt(0, "image"),
        prompt(0, "image", prompt="second"),
        prompt(7, "image"),
        prompt(0, "music", aspect_ratio=None),
        prompt(1, "image"),
    ]
    fitted, changes = run(given, [IMAGE])
    assert [p.prompt for p in fitted] == ["a leaf in the sun", "a leaf in the sun"]
    assert sum(1 for c in changes if c.before == "(dropped)") == 3


def test_a_missing_prompt_fails_the_batch_naming_it() -> None:
    with pytest.raises(ProviderFailedError, match="video for segment 1"):
        run([prompt(0, "image"), prompt(0, "video", duration_seconds=4.0), prompt(1, "image")])


def test_narration_and_music_prompts_carry_no_aspect_ratio() -> None:
    targets = [TargetConstraints(target="narration"), TargetConstraints(target="music")]
    given = [prompt(i, t, duration_seconds=5.0) for i in (0, 1) for t in ("narration", "music")]
    fitted, changes = run(given, targets)
    assert all(p.aspect_ratio is None for p in fitted)
    assert all(p.duration_seconds == 5.0 for p in fitted)
    assert {c.field for c in changes} == {"aspect_ratio"}


def test_ratio_helpers() -> None:
    assert parse_ratio("16:9") == pytest.approx(16 / 9)
    assert parse_ratio("3x2") == pytest.approx(1.5)
    assert parse_ratio("wide") is None
    assert nearest_aspect_ratio("21:9", ["1:1", "16:9"]) == "16:9"
    assert nearest_aspect_ratio(None, ["1:1", "16:9"]) == "1:1"
    assert nearest_aspect_ratio("2:1", ["1:2", "1:1"]) == "1:1"
    assert nearest_value(7, [4, 6, 8]) == 8
    assert nearest_value(5.2, [4, 6, 8]) == 6
    assert shorten("one two three four", 12) == "one two"
    assert shorten("short", 12) == "short"
