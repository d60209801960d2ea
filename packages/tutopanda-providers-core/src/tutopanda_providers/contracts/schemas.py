"""Output and input schemas shared by every script and prompt producer.

The mock, gpt-5, gpt-5-mini and gemini-2.5-flash producers all return these shapes, so code
written against one works with the others. Output models have every field required and no
extra fields, which is what OpenAI's strict structured output asks for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from tutopanda_providers.contracts.errors import ProviderFailedError

PromptTarget = Literal["narration", "image", "video", "music"]


# defer_build: schemas are built on first use, so loading the plugins that import these models
# builds none of them (the first schema built in a process costs ~50 ms of start-up).
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Source(_Strict):
    """A source the script draws on."""

    title: str
    url: str


class ScriptSegment(_Strict):
    """One segment of the lesson: what is said and what is shown."""

    index: int
    title: str
    narration: str
    visual_ideas: list[str]
    duration_seconds: float


class Script(_Strict):
    """A researched, narrated lesson script."""

    title: str
    summary: str
    audience: str
    language: str
    segments: list[ScriptSegment]
    sources: list[Source]


class GeneratedPrompt(_Strict):
    """One prompt for a downstream producer, ready to use as it is."""

    segment_index: int
    target: PromptTarget
    prompt: str
    negative_prompt: str | None
    aspect_ratio: str | None
    duration_seconds: float | None
    #: ``"1080p"``, ``"1024x1024"``… when the target model takes a resolution; else ``None``.
    resolution: str | None = None


class PromptSet(_Strict):
    """The prompts made for a batch of segments."""

    prompts: list[GeneratedPrompt]


class ScriptInputs(BaseModel):
    """Producer-level inputs of every script model (models add their own options)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    topic: str = Field(min_length=3, max_length=2000)
    audience: str = "general audience"
    language: str = "en"
    duration_seconds: float = Field(default=120, gt=0, le=3600)
    segments: int = Field(default=6, ge=1, le=50)
    style: str = "clear, friendly and factual"
    instructions: str | None = Field(default=None, max_length=4000)


class TargetConstraints(BaseModel):
    """What the model that will use a prompt accepts, so the prompt fits it as it is."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    target: PromptTarget
    model: str | None = None
    aspect_ratios: list[str] | None = None
    durations_seconds: list[float] | None = None
    resolutions: list[str] | None = None
    max_prompt_chars: int | None = None


class PromptInputs(BaseModel):
    """Producer-level inputs of every prompt model."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    segments: list[ScriptSegment] = Field(min_length=1)
    targets: list[TargetConstraints] = Field(
        default_factory=lambda: [
            TargetConstraints(target="image"),
            TargetConstraints(target="video"),
        ],
        min_length=1,
    )
    style: str = "cinematic, educational"
    language: str = "en"


# -- what the model is asked for, as JSON schema -------------------------------------------------


def script_json_schema(segments: int) -> dict[str, Any]:
    """The :class:`Script` JSON schema with ``segments`` pinned to exactly ``segments`` items
    (``minItems`` = ``maxItems``), so the count asked is part of what the model must answer."""
    schema = Script.model_json_schema()
    field = schema["properties"]["segments"]
    field["minItems"] = field["maxItems"] = segments
    field["description"] = f"exactly {segments} segments, indexed 0..{segments - 1} in order"
    return schema


def _enum_or_null(kind: str, values: Sequence[Any] | None, wanted: bool) -> dict[str, Any]:
    if not wanted:
        return {"type": "null"}
    if values:
        return {"type": kind, "enum": list(values)}
    return {"anyOf": [{"type": kind}, {"type": "null"}]}


def prompt_set_json_schema(
    segment_indices: Sequence[int], targets: Sequence[TargetConstraints]
) -> dict[str, Any]:
    """The :class:`PromptSet` JSON schema for one call: exactly one prompt per (segment,
    target) pair, and per target only the aspect ratios, durations and resolutions its model
    accepts (``enum``), ``null`` where the target has no such field.

    Every object lists all its properties as required and forbids others (OpenAI's strict
    mode); the prompt-length limit goes into the description (strict mode has no
    ``maxLength``) and is enforced after parsing.
    """
    branches: list[dict[str, Any]] = []
    for target in targets:
        visual = target.target in VISUAL_TARGETS
        timed = target.target in TIMED_TARGETS
        prompt: dict[str, Any] = {"type": "string"}
        if target.max_prompt_chars:
            prompt["description"] = f"at most {target.max_prompt_chars} characters"
        negative = {"anyOf": [{"type": "string"}, {"type": "null"}]} if visual else {"type": "null"}
        branches.append(
            {
                "type": "object",
                "additionalProperties": False,
                "required": list(GeneratedPrompt.model_fields),
                "properties": {
                    "segment_index": {"type": "integer", "enum": list(segment_indices)},
                    "target": {"type": "string", "enum": [target.target]},
                    "prompt": prompt,
                    "negative_prompt": negative,
                    "aspect_ratio": _enum_or_null("string", target.aspect_ratios, visual),
                    "duration_seconds": _enum_or_null("number", target.durations_seconds, timed),
                    "resolution": _enum_or_null("string", target.resolutions, visual),
                },
            }
        )
    pairs = len(segment_indices) * len(targets)
    return {
        "type": "object",
        "title": "PromptSet",
        "additionalProperties": False,
        "required": ["prompts"],
        "properties": {
            "prompts": {
                "type": "array",
                "minItems": pairs,
                "maxItems": pairs,
                "description": "one prompt per (segment_index, target) pair",
                "items": branches[0] if len(branches) == 1 else {"anyOf": branches},
            }
        },
    }


#: Targets whose prompts describe pictures and so carry an aspect ratio and a resolution.
VISUAL_TARGETS = frozenset({"image", "video"})
#: Targets whose prompts carry a duration.
TIMED_TARGETS = frozenset({"video", "music", "narration"})


# -- checking what came back -----------------------------------------------------------------


def check_segment_count(script: Script, asked: int, *, provider: str, model: str) -> None:
    """Refuse a script with another number of segments than asked: the plan's downstream jobs
    refer to segments by index, so a short script would fail them one by one later.

    Raises:
        ProviderFailedError: ``len(script.segments) != asked`` (retryable: another answer may
            be right); ``details`` has ``asked`` and ``written``.
    """
    written = len(script.segments)
    if written != asked:
        raise ProviderFailedError(
            f"{provider}/{model} wrote {written} segments where {asked} were asked; the "
            "script was not stored. Run the job again, or ask for fewer segments.",
            provider=provider,
            model=model,
            retryable=True,
            details={"asked": asked, "written": written},
        )


#: An inline citation marker of a web-search model: U+E200, tokens separated by U+E202 (such
#: as ``cite`` and ``turn0search3``), U+E201. Matched up to the first whitespace when the
#: closing character is missing (an answer cut short).
_CITATION_MARKER = re.compile("\ue200[^\ue200\ue201\\s]*\ue201?")
_STRAY_MARKER_CHARS = re.compile("[\ue200-\ue202]")
_SEARCH_REF = re.compile(r"turn\d+search(\d+)")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([.,;:!?])")
_RUNS_OF_SPACES = re.compile(r"[ \t]{2,}")

M = TypeVar("M", bound=BaseModel)


def strip_citation_markers(text: str) -> tuple[str, list[int]]:
    """``text`` without inline citation markers, and the search results they pointed at.

    ``"Blue light scatters more \ue200cite\ue202turn0search2\ue201."`` becomes
    ``("Blue light scatters more.", [2])``: ``turnNsearchK`` tokens give ``K``, the index of
    the search result in the order the response's searches listed them; other tokens
    (``cite``, ``turn0news1``…) are dropped. Spaces left before punctuation are removed.
    """
    if not _STRAY_MARKER_CHARS.search(text):
        return text, []
    refs: list[int] = []

    def drop(match: re.Match[str]) -> str:
        for token in _STRAY_MARKER_CHARS.split(match.group(0)):
            found = _SEARCH_REF.fullmatch(token.strip())
            if found:
                refs.append(int(found.group(1)))
        return ""

    cleaned = _STRAY_MARKER_CHARS.sub("", _CITATION_MARKER.sub(drop, text))
    cleaned = _RUNS_OF_SPACES.sub(" ", _SPACE_BEFORE_PUNCT.sub(r"\1", cleaned))
    return cleaned.strip(), refs


def _clean(value: Any, refs: list[int]) -> Any:
    if isinstance(value, str):
        cleaned, found = strip_citation_markers(value)
        refs.extend(found)
        return cleaned
    if isinstance(value, list):
        return [_clean(v, refs) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v, refs) for k, v in value.items()}
    return value


def strip_markers_from(model: M) -> tuple[M, list[int]]:
    """``model`` (a :class:`Script`, a :class:`PromptSet`…) with inline citation markers taken
    out of every text field, and the search-result indices they pointed at, in order."""
    refs: list[int] = []
    cleaned = _clean(model.model_dump(mode="json"), refs)
    if not refs and cleaned == model.model_dump(mode="json"):
        return model, []
    return type(model).model_validate(cleaned), refs


def cited_search_sources(refs: Sequence[int], search_sources: Sequence[Source]) -> list[Source]:
    """The search results ``refs`` (from :func:`strip_citation_markers`) point at, one per
    index, in first-cited order; indices past the end are ignored."""
    seen: set[int] = set()
    cited: list[Source] = []
    for ref in refs:
        if ref not in seen and 0 <= ref < len(search_sources):
            seen.add(ref)
            cited.append(search_sources[ref])
    return cited


__all__ = [
    "TIMED_TARGETS",
    "VISUAL_TARGETS",
    "check_segment_count",
    "cited_search_sources",
    "prompt_set_json_schema",
    "script_json_schema",
    "strip_citation_markers",
    "strip_markers_from",
    "GeneratedPrompt",
    "PromptInputs",
    "PromptSet",
    "PromptTarget",
    "Script",
    "ScriptInputs",
    "ScriptSegment",
    "Source",
    "TargetConstraints",
]
