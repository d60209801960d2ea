"""The script producer's prompt for google/gemini-2.5-flash, and the parsing of its answer.

gemini-2.5-flash on Replicate has no structured-output switch, so the prompt carries the
:class:`~tutopanda_providers.schemas.Script` JSON schema and asks for one JSON object. The
answer arrives as a list of text chunks; they are joined with ``""`` and validated. Anything
that is not a complete, valid script (cut off at the token limit, prose around it, a missing
field) is a :class:`ProviderFailedError` naming what was wrong — never a truncated script.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError
from tutopanda_providers.contracts import ProviderFailedError, Script, ScriptInputs

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


def system_instruction() -> str:
    """The system instruction: the role, and the exact JSON shape to answer in."""
    schema = json.dumps(Script.model_json_schema(), separators=(",", ":"))
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
        "Sources: list the sources you draw on, with their titles and URLs; an empty list if none.",
    ]
    if lesson.instructions:
        lines.append(f"Further instructions: {lesson.instructions}")
    return "\n".join(lines)


def replicate_input(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The prediction's input: prompt, system instruction and the model options given."""
    payload: dict[str, Any] = {
        "prompt": user_prompt(inputs),
        "system_instruction": system_instruction(),
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


def parse_script(text: str, *, model: str = "google/gemini-2.5-flash") -> Script:
    """Validate the model's text into a :class:`Script`.

    Raises:
        ProviderFailedError: the text is empty, is not JSON (or is cut off), or does not fit
            the schema; the message names the problem and shows the text's start.
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
        return Script.model_validate_json(body)
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


__all__ = [
    "MODEL_OPTIONS",
    "join_chunks",
    "parse_script",
    "replicate_input",
    "system_instruction",
    "user_prompt",
]
