"""Script: a :class:`~tutopanda_providers.schemas.Script` built from the topic and its numbers.

The text is plainly a mock (it says so) but has the shape and the proportions of a real
script: as many segments as asked, durations that add up to the requested length, narration
long enough to fill each segment at 150 words per minute, and sources on example.org.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tutopanda_providers.contracts import Artefact, ProducerKind, Script, ScriptSegment, Source

from tutopanda_provider_mock.job import MockJob
from tutopanda_provider_mock.request import WORDS_PER_MINUTE

_ANGLES = (
    ("Why {topic} matters", "an opening image that sets the scene for {topic}"),
    ("Where {topic} comes from", "a timeline of the history of {topic}"),
    ("The key idea behind {topic}", "a simple diagram of the core idea of {topic}"),
    ("{topic} at work", "a real-world example of {topic} in action"),
    ("A common mistake about {topic}", "a before-and-after comparison about {topic}"),
    ("How to remember {topic}", "a memorable visual metaphor for {topic}"),
    ("Recap of {topic}", "a summary board with the main points about {topic}"),
)
_SENTENCES = (
    "This segment looks at {title_lc} for {audience}.",
    "In this mock script, segment {number} of {total} explains one step of {topic} in plain words.",
    "Picture {idea}, and notice how each part connects to the next.",
    "A careful narrator would pause here so the idea can settle before moving on.",
    "The point to keep is simple: {topic} makes more sense once you see how its pieces fit.",
    "Try to predict what comes next before the following segment begins.",
)


def produce(job: MockJob) -> list[Artefact]:
    """The script as inline JSON (``data``) and its text (``text``)."""
    script = build_script(job.request.inputs, job.digest)
    data = script.model_dump(mode="json")
    return [
        Artefact(
            kind=ProducerKind.SCRIPT,
            mime="application/json",
            data=data,
            text=json.dumps(data, ensure_ascii=False, indent=2),
        )
    ]


def build_script(inputs: Mapping[str, Any], digest: str) -> Script:
    """A mock :class:`Script` for ``inputs`` (``topic``/``prompt``, ``segments``, ...)."""
    topic = _topic(inputs)
    audience = str(inputs.get("audience") or "general audience")
    language = str(inputs.get("language") or "en")
    total = max(1, int(_number(inputs.get("segments"), 6)))
    duration = _number(inputs.get("duration_seconds"), 120.0)
    each = round(duration / total, 3)
    words_per_segment = max(8, round(each * WORDS_PER_MINUTE / 60.0))
    offset = int(digest[:4], 16)
    segments = []
    for index in range(total):
        title_t, idea_t = _ANGLES[(index + offset) % len(_ANGLES)]
        title = title_t.format(topic=topic)
        idea = idea_t.format(topic=topic)
        values = {
            "topic": topic,
            "audience": audience,
            "title_lc": title[0].lower() + title[1:],
            "idea": idea,
            "number": index + 1,
            "total": total,
        }
        segments.append(
            ScriptSegment(
                index=index,
                title=title,
                narration=_fill(words_per_segment, values, start=index),
                visual_ideas=[idea, f"close-up detail illustrating {title.lower()}"],
                duration_seconds=each,
            )
        )
    slug = _slug(topic)
    sources = [
        Source(
            title=f"Mock source {n}: {topic} ({kind})", url=f"https://example.org/mock/{slug}/{n}"
        )
        for n, kind in enumerate(("overview", "history", "worked examples"), start=1)
    ]
    return Script(
        title=f"{topic[:1].upper()}{topic[1:]}: a mock lesson in {total} parts",
        summary=(
            f"A mock {duration:g}-second lesson on {topic} for {audience}, in {total} segments. "
            "Generated locally by tutopanda-provider-mock; no model was called."
        ),
        audience=audience,
        language=language,
        segments=segments,
        sources=sources,
    )


def _fill(words: int, values: Mapping[str, Any], *, start: int) -> str:
    out: list[str] = []
    count = 0
    i = start
    while count < words:
        sentence = _SENTENCES[i % len(_SENTENCES)].format(**values)
        out.append(sentence)
        count += len(sentence.split())
        i += 1
    return " ".join(out)


def _topic(inputs: Mapping[str, Any]) -> str:
    for name in ("topic", "prompt", "input", "text"):
        value = inputs.get(name)
        if isinstance(value, str) and value.strip():
            text = " ".join(value.split())
            return text if len(text) <= 120 else text[:117].rstrip() + "..."
    return "an untitled topic"


def _number(value: Any, default: float) -> float:
    return (
        float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
        else default
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "topic"
