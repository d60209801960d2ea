"""Making generated prompts fit the models that will use them.

The instructions ask the model to honour each target's constraints; this module makes sure of
it after parsing, so a prompt can be handed on as it is. A value outside what the target
accepts is moved to the nearest allowed value (an aspect ratio to the closest shape, a duration
to the closest allowed length, a prompt cut at a word boundary to its maximum length) and every
such change is recorded as an :class:`Adjustment`. A missing prompt is not invented: it fails
the job.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tutopanda_providers.contracts import (
    GeneratedPrompt,
    PromptSet,
    ProviderFailedError,
    ScriptSegment,
    TargetConstraints,
)

#: Targets whose prompts describe pictures and so carry an aspect ratio.
_VISUAL_TARGETS = frozenset({"image", "video"})
#: Targets whose prompts carry a duration.
_TIMED_TARGETS = frozenset({"video", "music", "narration"})


@dataclass(frozen=True)
class Adjustment:
    """One change made to a generated prompt so that its target accepts it."""

    segment_index: int
    target: str
    field: str
    before: Any
    after: Any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """The adjustment as a JSON-able dict."""
        return asdict(self)


#: A (segment index, target name) pair: what one prompt is for.
Pair = tuple[int, str]


def enforce_constraints(
    prompts: PromptSet,
    segments: Sequence[ScriptSegment],
    targets: Sequence[TargetConstraints],
    *,
    provider: str,
    model: str,
) -> tuple[list[GeneratedPrompt], list[Adjustment]]:
    """Keep exactly one prompt per (segment, target) and make each fit its target.

    Prompts for segments or targets that were not asked for, and repeats, are dropped (and
    recorded). The result is ordered by segment, then by target as ``targets`` lists them.

    Raises:
        ProviderFailedError: a (segment, target) pair has no prompt, or a prompt is empty.
    """
    chosen, dropped = select_prompts(prompts, segments, targets)
    fitted, changes = fit_selected(chosen, segments, targets, provider=provider, model=model)
    return fitted, dropped + changes


def select_prompts(
    prompts: PromptSet, segments: Sequence[ScriptSegment], targets: Sequence[TargetConstraints]
) -> tuple[dict[Pair, GeneratedPrompt], list[Adjustment]]:
    """The first prompt for each asked-for (segment, target) pair, and what was dropped."""
    wanted_targets = {t.target for t in targets}
    wanted_segments = {s.index for s in segments}
    chosen: dict[Pair, GeneratedPrompt] = {}
    dropped: list[Adjustment] = []
    for prompt in prompts.prompts:
        key = (prompt.segment_index, prompt.target)
        if prompt.segment_index not in wanted_segments or prompt.target not in wanted_targets:
            dropped.append(Adjustment(*key, "prompt", "(dropped)", None, "not asked for"))
        elif key in chosen:
            dropped.append(
                Adjustment(*key, "prompt", "(dropped)", None, "a second prompt for this pair")
            )
        else:
            chosen[key] = prompt
    return chosen, dropped


def missing_pairs(
    chosen: Mapping[Pair, GeneratedPrompt],
    segments: Sequence[ScriptSegment],
    targets: Sequence[TargetConstraints],
) -> list[tuple[ScriptSegment, TargetConstraints]]:
    """The (segment, target) pairs that have no prompt yet, in order."""
    return [(s, t) for s in segments for t in targets if (s.index, t.target) not in chosen]


def fit_selected(
    chosen: Mapping[Pair, GeneratedPrompt],
    segments: Sequence[ScriptSegment],
    targets: Sequence[TargetConstraints],
    *,
    provider: str,
    model: str,
) -> tuple[list[GeneratedPrompt], list[Adjustment]]:
    """Every pair's prompt fitted to its target, ordered by segment then target.

    Raises:
        ProviderFailedError: a pair has no prompt, or a prompt is empty.
    """
    missing = [
        f"{t.target} for segment {s.index}" for s, t in missing_pairs(chosen, segments, targets)
    ]
    if missing:
        raise ProviderFailedError(
            f"{provider}/{model} left out prompts: {', '.join(missing)}. "
            "Run the job again, or lower batch_size so each call has less to write.",
            provider=provider,
            model=model,
            details={"missing": missing},
        )
    result: list[GeneratedPrompt] = []
    adjustments: list[Adjustment] = []
    for segment in segments:
        for target in targets:
            fitted, changes = fit_prompt(chosen[(segment.index, target.target)], target, segment)
            if not fitted.prompt.strip():
                raise ProviderFailedError(
                    f"{provider}/{model} wrote an empty {target.target} prompt for segment "
                    f"{segment.index}. Run the job again.",
                    provider=provider,
                    model=model,
                )
            result.append(fitted)
            adjustments.extend(changes)
    return result, adjustments


def fit_prompt(
    prompt: GeneratedPrompt, target: TargetConstraints, segment: ScriptSegment
) -> tuple[GeneratedPrompt, list[Adjustment]]:
    """``prompt`` changed where needed to fit ``target``, with the changes made."""
    changes: list[Adjustment] = []
    updates: dict[str, Any] = {}

    def change(field: str, before: Any, after: Any, reason: str) -> None:
        updates[field] = after
        changes.append(Adjustment(segment.index, target.target, field, before, after, reason))

    ratio = prompt.aspect_ratio
    if target.target not in _VISUAL_TARGETS:
        if ratio is not None:
            change("aspect_ratio", ratio, None, f"a {target.target} prompt has no aspect ratio")
    elif target.aspect_ratios and ratio not in target.aspect_ratios:
        nearest = nearest_aspect_ratio(ratio, target.aspect_ratios)
        change(
            "aspect_ratio",
            ratio,
            nearest,
            f"{target.model or target.target} accepts {', '.join(target.aspect_ratios)}",
        )

    duration = prompt.duration_seconds
    if target.target not in _TIMED_TARGETS:
        if duration is not None:
            change("duration_seconds", duration, None, f"a {target.target} prompt has no duration")
    elif target.durations_seconds:
        allowed = target.durations_seconds
        if duration not in allowed:
            nearest_d = nearest_value(
                duration if duration is not None else segment.duration_seconds, allowed
            )
            listed = ", ".join(f"{d:g}" for d in allowed)
            change(
                "duration_seconds",
                duration,
                nearest_d,
                f"{target.model or target.target} accepts {listed} seconds",
            )

    resolution = prompt.resolution
    if target.target not in _VISUAL_TARGETS:
        if resolution is not None:
            change("resolution", resolution, None, f"a {target.target} prompt has no resolution")
    elif target.resolutions and resolution not in target.resolutions:
        change(
            "resolution",
            resolution,
            nearest_resolution(resolution, target.resolutions),
            f"{target.model or target.target} accepts {', '.join(target.resolutions)}",
        )

    text = prompt.prompt.strip()
    if target.max_prompt_chars is not None and len(text) > target.max_prompt_chars:
        cut = shorten(text, target.max_prompt_chars)
        change(
            "prompt",
            f"{len(text)} characters",
            f"{len(cut)} characters",
            f"{target.model or target.target} takes at most {target.max_prompt_chars} characters",
        )
        updates["prompt"] = cut
    elif text != prompt.prompt:
        updates["prompt"] = text
    return (prompt.model_copy(update=updates) if updates else prompt), changes


def parse_ratio(value: str | None) -> float | None:
    """``"16:9"`` (or ``"16/9"``, ``"16x9"``) as a width/height number, or ``None``."""
    if not value:
        return None
    for sep in (":", "/", "x"):
        if sep in value:
            left, _, right = value.partition(sep)
            try:
                width, height = float(left), float(right)
            except ValueError:
                return None
            return width / height if width > 0 and height > 0 else None
    return None


def nearest_aspect_ratio(value: str | None, allowed: Sequence[str]) -> str:
    """The allowed ratio closest in shape to ``value``; the first allowed one if ``value`` is
    missing or unreadable."""
    wanted = parse_ratio(value)
    best, best_gap = allowed[0], math.inf
    if wanted is None:
        return best
    for candidate in allowed:
        ratio = parse_ratio(candidate)
        if ratio is None:
            continue
        # Compare shapes on a log scale so 2:1 and 1:2 are equally far from 1:1.
        gap = abs(math.log(ratio / wanted))
        if gap < best_gap:
            best, best_gap = candidate, gap
    return best


def resolution_lines(value: str | None) -> float | None:
    """The height in lines of ``"720p"``, or the geometric mean side of ``"1024x768"``
    (``"1K"``/``"2K"``/``"4K"``: 1024/2048/4096); ``None`` when unreadable."""
    if not value:
        return None
    text = value.strip().lower()
    try:
        if text.endswith("p"):
            return float(text[:-1])
        if text.endswith("k"):
            return float(text[:-1]) * 1024
        if "x" in text or "*" in text:
            width, _, height = text.replace("*", "x").partition("x")
            return math.sqrt(float(width) * float(height))
    except ValueError:
        return None
    return None


def nearest_resolution(value: str | None, allowed: Sequence[str]) -> str:
    """The allowed resolution closest in size to ``value``; the first allowed one (the
    target's default) if ``value`` is missing or unreadable."""
    wanted = resolution_lines(value)
    if wanted is None:
        return allowed[0]
    sized = [(a, resolution_lines(a)) for a in allowed]
    known = [(a, size) for a, size in sized if size is not None]
    if not known:
        return allowed[0]
    return min(known, key=lambda pair: abs(math.log(pair[1] / wanted)))[0]


def nearest_value(value: float, allowed: Sequence[float]) -> float:
    """The allowed value closest to ``value``; on a tie the longer, so a clip covers its
    segment."""
    return min(allowed, key=lambda a: (abs(a - value), -a))


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a word boundary when there is one."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-")


__all__ = [
    "Adjustment",
    "Pair",
    "enforce_constraints",
    "fit_prompt",
    "fit_selected",
    "missing_pairs",
    "select_prompts",
    "nearest_aspect_ratio",
    "nearest_resolution",
    "resolution_lines",
    "nearest_value",
    "parse_ratio",
    "shorten",
]
