"""The mock handler: one object per served model, dispatching on the card's kind.

It is created by the wildcard implementation for any (provider, model) that has a card, so its
card is the served model's: the registry has already validated the inputs against that card
(in the model's own field names) before :meth:`MockHandler.invoke` runs.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import threading
from collections.abc import Callable
from typing import Any

from tutopanda_providers.contracts import (
    Artefact,
    Cost,
    Environment,
    Mode,
    ModelCard,
    ProducerKind,
    ProducerResult,
    ProviderMetadata,
    ResultMeta,
)
from tutopanda_providers.handler import HandlerContext, ProducerRequest, WarmStartContext

from tutopanda_provider_mock.fingerprint import HANDLER_VERSION, fingerprint
from tutopanda_provider_mock.job import MockJob
from tutopanda_provider_mock.request import interpret

_PRODUCERS = {
    ProducerKind.SCRIPT: "script",
    ProducerKind.PROMPT: "prompt",
    ProducerKind.AUDIO: "narration",
    ProducerKind.MUSIC: "music",
    ProducerKind.IMAGE: "image",
    ProducerKind.VIDEO: "video",
}
#: Media jobs encoding at once in this process: more threads than cores only add memory.
MEDIA_SLOTS = max(1, min(4, os.cpu_count() or 1))
_media_slots = threading.BoundedSemaphore(MEDIA_SLOTS)
_MEDIA_KINDS = frozenset(
    {ProducerKind.AUDIO, ProducerKind.MUSIC, ProducerKind.IMAGE, ProducerKind.VIDEO}
)


class MockHandler:
    """Makes real, deterministic media for the model of ``card``; never touches the network.

    Args:
        card: the card of the model being served.
        environment: ``local`` or ``cloud`` (as asked; the mock runs here either way).
    """

    mode: Mode = "mock"

    def __init__(self, card: ModelCard, environment: Environment = "local") -> None:
        self.card = card
        self.provider = card.provider
        self.model = card.model
        self.environment: Environment = environment

    @classmethod
    def from_context(cls, context: HandlerContext) -> MockHandler:
        """The factory the plugin registers: a handler for ``context.card``."""
        return cls(context.card, context.descriptor.environment)

    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        """Produce the artefacts of ``request`` (media in a worker thread) and describe them."""
        digest = fingerprint(self.provider, self.model, request.inputs, request.job.id)
        job = MockJob(
            card=self.card,
            request=request,
            media=interpret(self.card, request.inputs),
            digest=digest,
        )
        produce = _producer(self.card.kind)
        if self.card.kind in _MEDIA_KINDS:
            try:
                artefacts = await asyncio.to_thread(_in_a_slot, produce, job)
            except asyncio.CancelledError:
                job.stop.set()  # the worker thread cannot be killed: ask it to stop
                raise
        else:
            artefacts = produce(job)
        return ProducerResult(
            artefacts=artefacts,
            provider=ProviderMetadata(
                provider=self.provider,
                model=self.model,
                environment=self.environment,
                model_version=f"mock-{HANDLER_VERSION}",
                remote_job_id=f"mock-{digest[:24]}",
                cost=Cost.mocked(estimate_live_cost(self.card, request.inputs)),
                extra={"fingerprint": digest, "mime": job.media.mime},
            ),
            meta=ResultMeta(mocked=True, handler_version=HANDLER_VERSION),
        )

    async def warm_start(self, context: WarmStartContext) -> None:
        """Import the encoders (PyAV, Pillow, numpy) now so the first job does not pay for it."""
        if self.card.kind in _MEDIA_KINDS:
            await asyncio.to_thread(_producer, self.card.kind)

    def __repr__(self) -> str:
        return f"MockHandler({self.card.ref}, kind={self.card.kind.value})"


def estimate_live_cost(card: ModelCard, inputs: Any) -> Cost:
    """What the live call would cost; unknown (with the reason) if the estimator fails."""
    try:
        return card.estimate_cost(inputs)
    except Exception as exc:  # a plugin's estimator must not break a free mock run
        return Cost.unknown(f"the cost estimator of {card.ref} failed: {type(exc).__name__}: {exc}")


def _in_a_slot(produce: Callable[[MockJob], list[Artefact]], job: MockJob) -> list[Artefact]:
    with _media_slots:
        job.check()
        return produce(job)


def _producer(kind: ProducerKind) -> Callable[[MockJob], list[Artefact]]:
    module = importlib.import_module(f"tutopanda_provider_mock.producers.{_PRODUCERS[kind]}")
    produce: Callable[[MockJob], list[Artefact]] = module.produce
    return produce


__all__ = ["HANDLER_VERSION", "MEDIA_SLOTS", "MockHandler", "estimate_live_cost"]
