"""Prompts: a :class:`~tutopanda_providers.schemas.PromptSet`, one prompt per segment and target.

Each prompt fits the model that will use it as it is: its aspect ratio is one the target
accepts, its duration is the allowed one closest to the segment's, and it is no longer than
``max_prompt_chars``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tutopanda_providers.contracts import (
    Artefact,
    GeneratedPrompt,
    ProducerKind,
    PromptSet,
    ScriptSegment,
    TargetConstraints,
)

from tutopanda_provider_mock.job import MockJob

_NEGATIVE = "blurry, distorted text, watermark, low quality"
_PREFERRED_RATIOS = ("16:9", "3:2", "4:3", "1:1")


def produce(job: MockJob) -> list[Artefact]:
    """The prompt set as inline JSON (``data``) and its text (``text``)."""
    prompts = build_prompts(job.request.inputs)
    data = prompts.model_dump(mode="json")
    return [
        Artefact(
            kind=ProducerKind.PROMPT,
            mime="application/json",
            data=data,
            text=json.dumps(data, ensure_ascii=False, indent=2),
        )
    ]


def build_prompts(inputs: Mapping[str, Any]) -> PromptSet:
    """A mock :class:`PromptSet` for ``inputs`` (``segments``, ``targets``, ``style``)."""
    segments = _segments(inputs)
    targets = _targets(inputs.get("targets"))
    style = str(inputs.get("style") or "cinematic, educational")
    out: list[GeneratedPrompt] = []
    for segment in segments:
        for target in targets:
            out.append(_prompt(segment, target, style))
    return PromptSet(prompts=out)


def _prompt(segment: ScriptSegment, target: TargetConstraints, style: str) -> GeneratedPrompt:
    idea = segment.visual_ideas[0] if segment.visual_ideas else segment.title
    ratio: str | None = None
    duration: float | None = None
    negative: str | None = None
    if target.target == "image":
        text = f"{style} still image: {idea}. Theme: {segment.title}."
        ratio = _ratio(target.aspect_ratios)
        negative = _NEGATIVE
    elif target.target == "video":
        text = f"{style} video shot, slow camera move: {idea}. Theme: {segment.title}."
        ratio = _ratio(target.aspect_ratios)
        duration = _closest(segment.duration_seconds, target.durations_seconds)
        negative = _NEGATIVE
    elif target.target == "music":
        text = f"Instrumental background music, {style}, matching the mood of '{segment.title}'."
        duration = _closest(segment.duration_seconds, target.durations_seconds)
    else:
        text = segment.narration
        duration = _closest(segment.duration_seconds, target.durations_seconds)
    if target.max_prompt_chars is not None and len(text) > target.max_prompt_chars:
        text = text[: max(1, target.max_prompt_chars - 1)].rstrip() + "…"
    return GeneratedPrompt(
        segment_index=segment.index,
        target=target.target,
        prompt=text,
        negative_prompt=negative,
        aspect_ratio=ratio,
        duration_seconds=duration,
    )


def _ratio(allowed: Sequence[str] | None) -> str:
    if not allowed:
        return "16:9"
    return next((r for r in _PREFERRED_RATIOS if r in allowed), allowed[0])


def _closest(wanted: float, allowed: Sequence[float] | None) -> float:
    if not allowed:
        return wanted
    return min(allowed, key=lambda d: (abs(d - wanted), d))


def _segments(inputs: Mapping[str, Any]) -> list[ScriptSegment]:
    raw = inputs.get("segments")
    if isinstance(raw, list) and raw:
        return [ScriptSegment.model_validate(s) for s in raw]
    # A model with native inputs (one prompt): treat its text as a single segment.
    text = next(
        (str(inputs[n]) for n in ("prompt", "input", "text") if isinstance(inputs.get(n), str)),
        "an untitled segment",
    )
    return [
        ScriptSegment(
            index=0,
            title=" ".join(text.split()[:8]),
            narration=text,
            visual_ideas=[text[:200]],
            duration_seconds=10.0,
        )
    ]


def _targets(raw: Any) -> list[TargetConstraints]:
    if isinstance(raw, list) and raw:
        return [TargetConstraints.model_validate(t) for t in raw]
    return [TargetConstraints(target="image"), TargetConstraints(target="video")]
