"""What came back, held against what was asked.

Some video models ignore a 4 s request and return 8 s; a speech model may stop early. After a
live or mock result, every audio or video artefact whose measured duration differs from the
job's asked ``duration_seconds`` by more than :data:`DURATION_TOLERANCE` gives a warning,
kept on the result (the manifest record and the outcome) and in the event log.

The cost then follows what the provider bills: a cost priced per second (of video, of audio)
is recomputed for the seconds that came back and labelled ``estimated`` (the provider does
not report its bill), with the reason; the cost computed from the asked duration is kept
beside it as ``cost_as_asked``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tutopanda_providers.contracts import Cost, CostItem, ProducerResult

#: A clip within this share of the asked duration (or half a second) is what was asked.
DURATION_TOLERANCE = 0.1


@dataclass
class HeldResult:
    """The warnings about a result and, when the bill follows them, its corrected cost."""

    warnings: list[str] = field(default_factory=list)
    cost: Cost | None = None


def _asked_seconds(inputs: Mapping[str, Any]) -> float | None:
    value = inputs.get("duration_seconds")
    return float(value) if isinstance(value, int | float) and value > 0 else None


def _per_second(item: CostItem) -> bool:
    return "second" in item.unit.lower() or "second" in item.name.lower()


def held_against_asked(
    job_id: str, model: str, asked_inputs: Mapping[str, Any], result: ProducerResult
) -> HeldResult:
    """Check ``result`` against ``asked_inputs`` (the job's producer-level inputs).

    Returns:
        The warnings (``video_0: asked 4 s, replicate/google/veo-3-fast returned 8.0 s``) and,
        when a per-second cost was computed from the asked duration, that cost recomputed
        for the returned seconds (status ``estimated``).
    """
    held = HeldResult()
    asked = _asked_seconds(asked_inputs)
    if asked is None:
        return held
    returned: float | None = None
    for artefact in result.artefacts:
        family = (artefact.blob.mime if artefact.blob else artefact.mime).split("/")[0]
        seconds = artefact.facts.duration_seconds
        if family not in ("audio", "video") or seconds is None:
            continue
        if abs(seconds - asked) > max(0.5, asked * DURATION_TOLERANCE):
            held.warnings.append(
                f"{job_id}: asked {asked:g} s, {model} returned {seconds:.1f} s ({artefact.name})"
            )
            returned = seconds if returned is None else max(returned, seconds)
    cost = result.provider.cost
    if returned is None or result.meta.mocked or not any(_per_second(i) for i in cost.items):
        return held
    items = [
        i.model_copy(update={"quantity": returned}) if _per_second(i) else i for i in cost.items
    ]
    held.cost = Cost.from_items(items, source=cost.source or "price list", status="estimated")
    held.cost = held.cost.model_copy(
        update={
            "reason": f"billed for the {returned:.1f} s returned, not the {asked:g} s asked "
            "(the provider does not report its bill)"
        }
    )
    return held


__all__ = ["DURATION_TOLERANCE", "HeldResult", "held_against_asked"]
