"""Every model any installed plugin registers runs in mock mode from producer-level inputs.

This goes through the real entry points, so it covers whatever plugins this environment has
(with only core and the mock installed, the six demo models). Inputs use the producer-level
names; each card's own adapter maps them onto the model's fields, as a runner's would.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tutopanda_providers import Descriptor, ModelCard, ProducerKind, create_provider_registry
from tutopanda_providers.storage import BlobStore

SEGMENT = {
    "index": 0,
    "title": "Tides",
    "narration": "The moon pulls the sea twice a day.",
    "visual_ideas": ["the moon over a beach"],
    "duration_seconds": 4,
}
GENERIC_INPUTS: dict[ProducerKind, dict[str, Any]] = {
    ProducerKind.SCRIPT: {"topic": "tides", "segments": 2, "duration_seconds": 30},
    ProducerKind.PROMPT: {"segments": [SEGMENT]},
    ProducerKind.AUDIO: {"text": "The moon pulls the sea twice a day."},
    ProducerKind.IMAGE: {"prompt": "the moon over a beach"},
    ProducerKind.VIDEO: {"prompt": "waves under the moon", "duration_seconds": 4},
    ProducerKind.MUSIC: {"prompt": "calm strings", "duration_seconds": 5},
}


#: Endpoints that only edit or animate an image (FAL's ``/edit`` and ``image-to-video``)
#: require one: they are given this upstream image (the mock never fetches it).
UPSTREAM_IMAGE = {"image_urls": ["https://example.com/moon.png"]}


def _generic_inputs(card: ModelCard) -> dict[str, Any]:
    inputs = dict(GENERIC_INPUTS[card.kind])
    required = {n for n, f in card.input_model.model_fields.items() if f.is_required()}
    if "image_input" in card.capabilities and required & {"image_url", "image_urls", "image"}:
        inputs.update(UPSTREAM_IMAGE)
    return inputs


async def test_every_installed_model_produces_its_kind_in_mock_mode(tmp_path: Path) -> None:
    registry = create_provider_registry(mode="mock", storage=BlobStore(tmp_path))
    failed = [r.name for r in registry.plugins if r.status == "failed"]
    assert not failed, f"plugins failed to load: {failed}"
    cards = registry.list_models()
    assert {c.kind for c in cards} == set(ProducerKind)
    results = await asyncio.gather(
        *(
            registry.invoke(Descriptor(provider=c.provider, model=c.model), _generic_inputs(c))
            for c in cards
        )
    )
    for card, result in zip(cards, results, strict=True):
        artefact = result.artefacts[0]
        assert result.meta.mocked, card.ref
        assert artefact.kind == card.kind, card.ref
        if card.kind in (ProducerKind.SCRIPT, ProducerKind.PROMPT):
            assert artefact.data, card.ref
            continue
        assert artefact.blob is not None and registry.storage.exists(artefact.blob), card.ref
        facts = artefact.facts
        if card.kind == ProducerKind.IMAGE:
            assert facts.width and facts.height, card.ref
        elif card.kind == ProducerKind.VIDEO:
            assert facts.duration_seconds == 4.0, card.ref
            assert facts.width and facts.height and facts.fps, card.ref
        elif card.kind == ProducerKind.MUSIC:
            assert facts.duration_seconds == 5.0, card.ref
        else:
            assert facts.duration_seconds and facts.sample_rate, card.ref
