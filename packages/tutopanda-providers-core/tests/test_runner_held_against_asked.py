"""What came back is held against what was asked: a clip of another duration gives a warning,
and a per-second cost follows the seconds returned, labelled estimated."""

from __future__ import annotations

from tutopanda_providers.contracts import (
    Artefact,
    BlobRef,
    Cost,
    CostItem,
    ProducerKind,
    ProducerResult,
    ProviderMetadata,
    ResultMeta,
)
from tutopanda_providers.contracts.media import MediaFacts
from tutopanda_providers.runner.delivered import held_against_asked

VEO = "replicate/google/veo-3-fast"


def _result(seconds: float, *, mocked: bool = False) -> ProducerResult:
    blob = BlobRef(uri="file:///x.mp4", sha256="0" * 64, size=1, mime="video/mp4")
    cost = Cost.from_items(
        [CostItem(name="second", unit="second of video", quantity=4, usd_per_unit=0.1)],
        source="price list",
    )
    return ProducerResult(
        artefacts=[
            Artefact(
                kind=ProducerKind.VIDEO,
                mime="video/mp4",
                blob=blob,
                facts=MediaFacts(duration_seconds=seconds),
            )
        ],
        provider=ProviderMetadata(
            provider="replicate", model="google/veo-3-fast", environment="local", cost=cost
        ),
        meta=ResultMeta(mocked=mocked),
    )


def test_a_clip_longer_than_asked_warns_and_is_billed_for_what_came_back() -> None:
    held = held_against_asked("video_0", VEO, {"duration_seconds": 4}, _result(8.0))
    assert held.warnings == [f"video_0: asked 4 s, {VEO} returned 8.0 s (output)"]
    assert held.cost is not None
    assert held.cost.status == "estimated" and held.cost.amount_usd == 0.8
    assert "8.0 s returned" in (held.cost.reason or "")


def test_a_clip_of_the_asked_length_is_quiet() -> None:
    held = held_against_asked("video_0", VEO, {"duration_seconds": 4}, _result(4.04))
    assert held.warnings == [] and held.cost is None
    assert held_against_asked("video_0", VEO, {}, _result(8.0)).warnings == []


def test_a_mocked_clip_warns_but_costs_nothing_more() -> None:
    held = held_against_asked("video_0", VEO, {"duration_seconds": 4}, _result(8.0, mocked=True))
    assert held.warnings and held.cost is None
