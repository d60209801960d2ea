"""The script producer's prompt for google/gemini-2.5-flash, and the parsing of its answer.

gemini-2.5-flash on Replicate has no structured-output switch, so the prompt carries the
:class:`~tutopanda_providers.schemas.Script` JSON schema and asks for one JSON object. The
answer arrives as a list of text chunks; they are joined with ``""`` and validated. Anything
that is not a complete, valid script (cut off at the token limit, prose around it, a missing
field, another number of segments than asked) is a :class:`ProviderFailedError` naming what
was wrong — never a truncated or short script. The model has no web search: its scripts are
written from what it knows, and the prompt says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError
from tutopanda_providers.contracts import (
    ProviderFailedError,
    Script,
    ScriptInputs,
    check_segment_count,
    script_json_schema,
    strip_markers_from,
)

#: The Replicate inputs passed through from the card's inputs as they are.
MODEL_OPTIONS = (
    "temperature",
    "top_p",
    "max_output_tokens",
    "thinking_budget",
    "dynamic_thinking",
    "images",
    "videos",
)

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(?P<body>.*)\n\s*```\s*$", re.S)


def system_instruction(segments: int) -> str:
    """The system instruction: the role, and the exact JSON shape to answer in (its
    ``segments`` array pinned to ``segments`` items)."""
    schema = json.dumps(script_json_schema(segments), separators=(",", ":"))
    return (
        "You write narrated lesson scripts for short educational videos. Answer with exactly "
        "one JSON object and nothing else: no prose, no Markdown, no code fences. It must "
        f"validate against this JSON Schema: {schema}"
    )


def user_prompt(inputs: Mapping[str, Any]) -> str:
    """The prompt: the topic and the constraints of the lesson, from :class:`ScriptInputs`."""
    lesson = ScriptInputs.model_validate(
        {k: inputs[k] for k in ScriptInputs.model_fields if k in inputs}
    )
    lines = [
        f"Topic: {lesson.topic}",
        f"Audience: {lesson.audience}",
        f"Language of the narration: {lesson.language}",
        f"Total duration: about {lesson.duration_seconds:g} seconds of narration",
        f"Segments: exactly {lesson.segments}, indexed from 0, whose duration_seconds add up "
        "to the total",
        f"Style: {lesson.style}",
        "Sources: you cannot search the web; list only references you are sure exist, with "
        "their titles and URLs, or an empty list.",
        "Narration: plain spoken sentences, no citation marks, no URLs; it is read aloud as is.",
    ]
    if lesson.instructions:
        lines.append(f"Further instructions: {lesson.instructions}")
    return "\n".join(lines)


def asked_segments(inputs: Mapping[str, Any]) -> int:
    """The number of segments ``inputs`` ask for (:class:`ScriptInputs`' default if unset)."""
    value = inputs.get("segments")
    return int(value) if value is not None else int(ScriptInputs.model_fields["segments"].default)


def replicate_input(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The prediction's input: prompt, system instruction and the model options given."""
    payload: dict[str, Any] = {
        "prompt": user_prompt(inputs),
        "system_instruction": system_instruction(asked_segments(inputs)),
    }
    payload.update({k: inputs[k] for k in MODEL_OPTIONS if inputs.get(k) is not None})
    return payload


def join_chunks(output: Any) -> str:
    """The model's text: a list of chunks joined with ``""`` (a plain string is kept)."""
    if output is None:
        return ""
    if isinstance(output, str):
        return output
    if isinstance(output, Iterable):
        return "".join(str(chunk) for chunk in output)
    return str(output)


def parse_script(
    text: str, *, model: str = "google/gemini-2.5-flash", segments: int | None = None
) -> Script:
    """Validate the model's text into a :class:`Script`, without inline citation marks.

    Args:
        segments: the number of segments asked; another count fails (``None``: not checked).

    Raises:
        ProviderFailedError: the text is empty, is not JSON (or is cut off), does not fit
            the schema, or has another number of segments than asked; the message names the
            problem and shows the text's start.
    """
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group("body").strip()
    if not body:
        raise ProviderFailedError(
            f"{model} returned no text; no script was made", provider="replicate", model=model
        )
    try:
        script = Script.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(document)"
        if first["type"] == "json_invalid":
            problem = f"not complete, valid JSON ({first['msg']})"
        else:
            problem = f"not a valid Script: {where}: {first['msg']} ({exc.error_count()} problems)"
        preview = body[:120].replace("\n", " ")
        raise ProviderFailedError(
            f"{model} returned text that is {problem}; it starts {preview!r} and is "
            f"{len(body)} characters long. No script was stored.",
            provider="replicate",
            model=model,
            details={"chars": len(body), "errors": exc.error_count()},
        ) from None
    if segments is not None:
        check_segment_count(script, segments, provider="replicate", model=model)
    script, _ = strip_markers_from(script)
    return script


__all__ = [
    "asked_segments",
    "MODEL_OPTIONS",
    "join_chunks",
    "parse_script",
    "replicate_input",
    "system_instruction",
    "user_prompt",
]
