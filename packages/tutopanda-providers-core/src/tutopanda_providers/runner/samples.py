"""Stand-in outputs for jobs that have not run, so a dry run can resolve every reference.

A dry run or an estimate calls nothing, yet a narration's ``text`` comes from the script and a
video's ``prompt`` from the prompt set. Each kind gets a sample of the right shape, built from
the upstream job's own inputs: a :class:`~tutopanda_providers.schemas.Script` with as many
segments as asked, a :class:`~tutopanda_providers.schemas.PromptSet` with a prompt for every
(segment, target), and a ``dry-run://`` URI for media. A reference that cannot be followed in
the sample (``segments[5]`` of a three-segment script) is a real mistake in the plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tutopanda_providers.contracts import Artefact, BlobRef, ProducerKind

#: Narration is spoken at about 150 words a minute; with the space, about 6 characters a
#: word: 15 characters a second. A stand-in narration is that long, so what a narration job
#: is estimated at (TTS is priced per character) follows the script's asked duration.
SPEAKING_CHARS_PER_SECOND = 15.0


def _stand_in(head: str, chars: int) -> str:
    """``head`` padded to ``chars`` characters with a visible filler (never cut shorter)."""
    filler = " (stand-in text)"
    text = head
    while len(text) + len(filler) <= chars:
        text += filler
    return text


def _closest(seconds: float, allowed: Any) -> float | None:
    """The allowed duration closest to ``seconds`` (``seconds`` when any is allowed)."""
    if isinstance(allowed, list) and allowed:
        numbers = [float(a) for a in allowed if isinstance(a, int | float)]
        if numbers:
            return min(numbers, key=lambda a: (abs(a - seconds), a))
    return seconds if seconds > 0 else None


_MIME = {
    ProducerKind.AUDIO: "audio/mpeg",
    ProducerKind.IMAGE: "image/png",
    ProducerKind.VIDEO: "video/mp4",
    ProducerKind.MUSIC: "audio/mpeg",
}


def sample_script(job_id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A script of the shape a script producer returns for ``inputs``."""
    count = int(inputs.get("segments", 6) or 6)
    total = float(inputs.get("duration_seconds", 120) or 120)
    topic = str(inputs.get("topic", "the topic"))
    seconds = round(total / count, 3)
    chars = round(seconds * SPEAKING_CHARS_PER_SECOND)
    return {
        "title": f"(title of the lesson on {topic})",
        "summary": f"(summary written by job {job_id})",
        "audience": str(inputs.get("audience", "general audience")),
        "language": str(inputs.get("language", "en")),
        "segments": [
            {
                "index": i,
                "title": f"(title of segment {i})",
                # As long as the narration of `seconds` spoken: estimates of what reads it
                # (text to speech, prompts) follow the script's asked duration.
                "narration": _stand_in(
                    f"(narration of segment {i}, written by job {job_id})", chars
                ),
                "visual_ideas": [f"(visual idea for segment {i})"],
                "duration_seconds": seconds,
            }
            for i in range(count)
        ],
        "sources": [],
    }


def sample_prompts(job_id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A prompt set with one prompt per (segment, target) of ``inputs``."""
    segments = inputs.get("segments") or [{"index": 0}]
    targets = inputs.get("targets") or [{"target": "image"}, {"target": "video"}]
    prompts = []
    for segment in segments:
        facts = segment if isinstance(segment, Mapping) else {}
        index = facts.get("index", 0)
        seconds = float(facts.get("duration_seconds") or 0)
        for target in targets:
            asked = target if isinstance(target, Mapping) else {"target": str(target)}
            name = str(asked.get("target", "image"))
            ratios = asked.get("aspect_ratios")
            # What a prompt model answers (see prompt_set_json_schema): the allowed duration
            # nearest the segment's, the first allowed ratio; estimates downstream follow it.
            timed = name in ("video", "music", "narration")
            prompts.append(
                {
                    "segment_index": index,
                    "target": name,
                    "prompt": f"({name} prompt for segment {index}, written by job {job_id})",
                    "negative_prompt": None,
                    "aspect_ratio": ratios[0] if isinstance(ratios, list) and ratios else None,
                    "duration_seconds": _closest(seconds, asked.get("durations_seconds"))
                    if timed
                    else None,
                }
            )
    return {"prompts": prompts}


def sample_artefacts(job_id: str, kind: ProducerKind, inputs: Mapping[str, Any]) -> list[Artefact]:
    """What ``job_id`` of ``kind`` would make from ``inputs``, as a stand-in."""
    if kind == ProducerKind.SCRIPT:
        return [
            Artefact(
                name="script",
                kind=kind,
                mime="application/json",
                data=sample_script(job_id, inputs),
            )
        ]
    if kind == ProducerKind.PROMPT:
        return [
            Artefact(
                name="prompts",
                kind=kind,
                mime="application/json",
                data=sample_prompts(job_id, inputs),
            )
        ]
    mime = _MIME.get(kind, "application/octet-stream")
    blob = BlobRef(uri=f"dry-run://{job_id}/output", sha256="0" * 64, size=0, mime=mime)
    return [Artefact(name="output", kind=kind, mime=mime, blob=blob)]


__all__ = [
    "SPEAKING_CHARS_PER_SECOND",
    "sample_artefacts",
    "sample_prompts",
    "sample_script",
]
