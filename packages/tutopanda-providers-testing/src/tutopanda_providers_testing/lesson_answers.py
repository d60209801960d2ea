"""Answers that mean what tutopanda's own requests ask, for the fake OpenAI and Replicate servers.

A schema-valid random answer is not enough for a whole lesson to run: the script must have the
number of segments asked, and the prompt set one prompt for every asked (segment, target) pair
within each target's constraints. The fakes read the request as a model would — the output
schema first (the pinned segment count, the per-target ``enum`` values), the instructions and
input text second — and answer with :func:`script_answer` or :func:`prompt_set_answer`.
Requests that are neither get ``None`` here, and the fakes fall back to schema-valid data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

_SEGMENTS = re.compile(r"exactly (\d+) segments", re.I)
_DURATION = re.compile(r"about ([\d.]+) seconds", re.I)
_TOPIC = re.compile(r"Topic:\s*(.+)")
_LANGUAGE = re.compile(
    r"language(?: with code| of the narration)?:?\s*'?([a-z]{2}(?:-[A-Z]{2})?)'?"
)
_TARGET_LINE = re.compile(r"^- (narration|image|video|music):(.*)$", re.M)
_ONE_OF = {
    "aspect_ratios": re.compile(r"`aspect_ratio` must be one of ([^;]+)"),
    "durations_seconds": re.compile(r"`duration_seconds` must be one of ([\d., ]+)"),
    "resolutions": re.compile(r"`resolution` must be one of ([^;]+)"),
}
_MAX_CHARS = re.compile(r"at most (\d+) characters")


def _segments_field(schema: Mapping[str, Any]) -> Mapping[str, Any] | None:
    props = schema.get("properties")
    if isinstance(props, Mapping) and isinstance(props.get("segments"), Mapping):
        return props["segments"]  # type: ignore[no-any-return]
    return None


def is_script_request(schema: Mapping[str, Any] | None, text: str) -> bool:
    """Whether a request asks for a tutopanda script (a ``Script`` schema, or its wording)."""
    if schema is not None:
        return _segments_field(schema) is not None and "sources" in (schema.get("properties") or {})
    return bool(_SEGMENTS.search(text)) and "segment" in text.lower()


def is_prompt_request(schema: Mapping[str, Any] | None) -> bool:
    """Whether a request's output schema is a tutopanda ``PromptSet``."""
    props = (schema or {}).get("properties")
    return isinstance(props, Mapping) and set(props) == {"prompts"}


def script_answer(
    schema: Mapping[str, Any] | None,
    text: str,
    *,
    sources: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """A script with the segment count and total duration the request asks for.

    The count comes from the schema's ``minItems`` on ``segments`` when pinned, else from
    "exactly N segments" in the text (3 if neither says). Durations split the asked total
    evenly. ``sources`` (the fake's search results) become the script's sources.
    """
    count = None
    field = _segments_field(schema) if schema is not None else None
    if field is not None and field.get("minItems") == field.get("maxItems"):
        count = field.get("minItems")
    if count is None:
        found = _SEGMENTS.search(text)
        count = int(found.group(1)) if found else 3
    duration_match = _DURATION.search(text)
    total = float(duration_match.group(1)) if duration_match else 10.0 * count
    topic_match = _TOPIC.search(text)
    topic = (topic_match.group(1) if topic_match else text).strip()[:120] or "the topic"
    language_match = _LANGUAGE.search(text)
    each = round(total / count, 2)
    segments = [
        {
            "index": i,
            "title": f"Part {i + 1}: {topic[:60]}",
            "narration": f"Part {i + 1} of {count}. Here we look at {topic}, "
            f"step {i + 1}, in plain spoken words.",
            "visual_ideas": [f"a diagram of {topic[:60]}, step {i + 1}", "a close-up example"],
            "duration_seconds": each,
        }
        for i in range(int(count))
    ]
    return {
        "title": topic[:80],
        "summary": f"A short lesson on {topic}.",
        "audience": "general audience",
        "language": language_match.group(1) if language_match else "en",
        "segments": segments,
        "sources": [{"title": f"Source {n + 1}", "url": s["url"]} for n, s in enumerate(sources)],
    }


def _targets_from_schema(schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = schema["properties"]["prompts"].get("items") or {}
    any_of = items.get("anyOf")
    branches: list[Any] = any_of if isinstance(any_of, list) else [items]
    targets: list[dict[str, Any]] = []
    for branch in branches:
        if not isinstance(branch, Mapping):
            return []
        props = branch.get("properties") or {}
        names = (props.get("target") or {}).get("enum") or []
        if len(names) != 1:
            return []
        prompt_desc = str((props.get("prompt") or {}).get("description") or "")
        chars = _MAX_CHARS.search(prompt_desc)
        targets.append(
            {
                "target": names[0],
                "aspect_ratios": (props.get("aspect_ratio") or {}).get("enum"),
                "durations_seconds": (props.get("duration_seconds") or {}).get("enum"),
                "resolutions": (props.get("resolution") or {}).get("enum"),
                "max_prompt_chars": int(chars.group(1)) if chars else None,
            }
        )
    return targets


def _targets_from_text(instructions: str) -> list[dict[str, Any]]:
    targets: list[dict[str, Any]] = []
    for name, rule in _TARGET_LINE.findall(instructions):
        target: dict[str, Any] = {"target": name}
        for key, pattern in _ONE_OF.items():
            found = pattern.search(rule)
            values = [v.strip().rstrip(".") for v in found.group(1).split(",")] if found else None
            if values and key == "durations_seconds":
                target[key] = [float(v) for v in values if v]
            else:
                target[key] = values
        chars = _MAX_CHARS.search(rule)
        target["max_prompt_chars"] = int(chars.group(1)) if chars else None
        targets.append(target)
    return targets


def _segments_from_input(text: str) -> list[dict[str, Any]]:
    start = text.find("[")
    if start == -1:
        return []
    try:
        data = json.loads(text[start:])
    except ValueError:
        return []
    return [s for s in data if isinstance(s, dict)] if isinstance(data, list) else []


def prompt_set_answer(
    schema: Mapping[str, Any], instructions: str, input_text: str
) -> dict[str, Any]:
    """One prompt for every (segment, target) pair asked, within each target's constraints.

    Targets come from the schema's per-target branches (their ``enum`` values), else from the
    instructions' "- target: …" lines; segments from the JSON list in the input. A duration is
    the allowed one closest to the segment's; an aspect ratio or resolution the first allowed.
    """
    targets = _targets_from_schema(schema) or _targets_from_text(instructions)
    segments = _segments_from_input(input_text)
    prompts: list[dict[str, Any]] = []
    for segment in segments:
        index = int(segment.get("index", 0))
        seconds = float(segment.get("duration_seconds") or 5)
        subject = str(segment.get("title") or "the lesson")
        for target in targets:
            name = target["target"]
            visual = name in ("image", "video")
            allowed = target.get("durations_seconds")
            duration: float | None = None
            if name != "image":
                duration = (
                    min(allowed, key=lambda d: (abs(d - seconds), -d)) if allowed else seconds
                )
            text = {
                "narration": str(segment.get("narration") or subject),
                "image": f"A clear educational illustration of {subject}, soft light, 16:9 frame",
                "video": f"A slow camera move across {subject}, gentle motion, documentary style",
                "music": f"Calm background music for a lesson on {subject}, piano and strings",
            }[name]
            limit = target.get("max_prompt_chars")
            prompts.append(
                {
                    "segment_index": index,
                    "target": name,
                    "prompt": text[:limit] if limit else text,
                    "negative_prompt": "blurry, watermark, text" if visual else None,
                    "aspect_ratio": ((target.get("aspect_ratios") or ["16:9"])[0])
                    if visual
                    else None,
                    "duration_seconds": duration,
                    "resolution": (target.get("resolutions") or [None])[0] if visual else None,
                }
            )
    return {"prompts": prompts}


__all__ = [
    "is_prompt_request",
    "is_script_request",
    "prompt_set_answer",
    "script_answer",
]
