"""The instructions and input text sent to gpt-5 (scripts) and gpt-5-mini (prompts)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tutopanda_providers.contracts import ScriptSegment, TargetConstraints

#: Narration speed used to size a segment's text: about 150 words a minute.
WORDS_PER_MINUTE = 150


def script_instructions(inputs: Mapping[str, Any]) -> str:
    """The system instructions of a script call."""
    duration = float(inputs["duration_seconds"])
    segments = int(inputs["segments"])
    words = round(duration * WORDS_PER_MINUTE / 60)
    research = (
        "Before writing, research the topic with web search: check facts, dates and numbers "
        "against reliable sources. List every source you relied on in `sources` with its page "
        "title and URL."
        if inputs.get("web_search", True)
        else "Write from what you know; list in `sources` only references you are sure exist, "
        "with title and URL, or none."
    )
    lines = [
        "You write scripts for short narrated educational videos.",
        research,
        f"Write the whole script in the language with code {inputs['language']!r}.",
        f"The audience is: {inputs['audience']}. The style is: {inputs['style']}.",
        f"Split the lesson into exactly {segments} segments, indexed from 0 in order, whose "
        f"durations add up to about {duration:g} seconds. Size each segment's narration at "
        f"about {WORDS_PER_MINUTE} words a minute (about {words} words in total).",
        "Each segment's `narration` is exactly what the narrator says: plain spoken sentences, "
        "no stage directions, no markdown, no URLs, no citation marks: it is read aloud as "
        "it is.",
        "Each segment's `visual_ideas` lists two to four concrete things to show on screen "
        "while it is spoken.",
        "`title` names the lesson; `summary` says in two or three sentences what it teaches; "
        "`audience` and `language` repeat the audience and language code given above.",
    ]
    if inputs.get("instructions"):
        lines.append(f"Further instructions from the author: {inputs['instructions']}")
    return "\n".join(lines)


def script_input(inputs: Mapping[str, Any]) -> str:
    """The user input of a script call."""
    return f"Topic: {inputs['topic']}"


def prompt_instructions(targets: Sequence[TargetConstraints], *, style: str, language: str) -> str:
    """The system instructions of a prompt call, with every target's constraints spelled out."""
    lines = [
        "You turn segments of a narrated educational video into prompts for generative models.",
        "For every segment given and every target below, write exactly one prompt, with "
        "`segment_index` set to the segment's `index` and `target` set to the target's name.",
        f"Visual style of the video: {style}.",
        "Targets:",
    ]
    for target in targets:
        lines.append(f"- {target.target}: {_target_rule(target, language)}")
    lines.append(
        "Write each prompt so it can be used as it is: no placeholders, no references to other "
        "segments, no markdown, no citation marks."
    )
    return "\n".join(lines)


def _target_rule(target: TargetConstraints, language: str) -> str:
    what = {
        "narration": f"the text the narrator speaks, in language {language!r}, faithful to the "
        "segment's narration; `negative_prompt` and `aspect_ratio` null",
        "image": "one still picture in English: subject, composition, lighting and style",
        "video": "one short clip in English: subject, motion, camera movement and style",
        "music": "background music in English: genre, mood, instruments and tempo; "
        "`aspect_ratio` null",
    }[target.target]
    rules = [what]
    if target.model:
        rules.append(f"for the model {target.model}")
    if target.aspect_ratios:
        rules.append(f"`aspect_ratio` must be one of {', '.join(target.aspect_ratios)}")
    elif target.target in ("image", "video"):
        rules.append("`aspect_ratio` such as 16:9")
    if target.durations_seconds:
        allowed = ", ".join(f"{d:g}" for d in target.durations_seconds)
        rules.append(
            f"`duration_seconds` must be one of {allowed}, the one closest to the segment's"
        )
    elif target.target == "image":
        rules.append("`duration_seconds` null")
    else:
        rules.append("`duration_seconds` the segment's duration")
    if target.resolutions:
        rules.append(f"`resolution` must be one of {', '.join(target.resolutions)}")
    else:
        rules.append("`resolution` null")
    if target.max_prompt_chars:
        rules.append(f"`prompt` at most {target.max_prompt_chars} characters")
    if target.target in ("narration", "music"):
        rules.append("`negative_prompt` null")
    else:
        rules.append("`negative_prompt` what to avoid, or null")
    return "; ".join(rules) + "."


def prompt_input(segments: Sequence[ScriptSegment]) -> str:
    """The user input of a prompt call: the batch's segments as JSON."""
    data = [s.model_dump(mode="json") for s in segments]
    return "Segments:\n" + json.dumps(data, ensure_ascii=False, indent=1)


__all__ = [
    "WORDS_PER_MINUTE",
    "prompt_input",
    "prompt_instructions",
    "script_input",
    "script_instructions",
]
