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
    return {
        "title": f"(title of the lesson on {topic})",
        "summary": f"(summary written by job {job_id})",
        "audience": str(inputs.get("audience", "general audience")),
        "language": str(inputs.get("language", "en")),
        "segments": [
            {
                "index": i,
                "title": f"(title of segment {i})",
                "narration": f"(narration of segment {i}, written by job {job_id})",
                "visual_ideas": [f"(visual idea for segment {i})"],
                "duration_seconds": round(total / count, 3),
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
        index = segment.get("index", 0) if isinstance(segment, Mapping) else 0
        for target in targets:
            name = target.get("target", "image") if isinstance(target, Mapping) else str(target)
            prompts.append(
                {
                    "segment_index": index,
                    "target": name,
                    "prompt": f"({name} prompt for segment {index}, written by job {job_id})",
                    "negative_prompt": None,
                    "aspect_ratio": None,
                    "duration_seconds": None,
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


__all__ = ["sample_artefacts", "sample_prompts", "sample_script"]
