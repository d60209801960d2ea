"""Shared pieces of the FAL plugin's tests: the fake FAL (``fake_fal`` from the test kit's
pytest plugin), the cards of three endpoints, and a handler and request built directly so a
test sees every HTTP call the handler makes."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest
from tutopanda_provider_fal.cards import card_for
from tutopanda_provider_fal.handler import FalHandler
from tutopanda_providers import (
    Descriptor,
    HandlerContext,
    InputModel,
    JobInfo,
    ModelCard,
    ProducerRequest,
)
from tutopanda_providers.contracts import EventEmitter
from tutopanda_providers.handler import RemoteJob
from tutopanda_providers.secrets import MappingSecretResolver
from tutopanda_providers.storage import BlobStore
from tutopanda_providers.telemetry import ListSink
from tutopanda_providers_testing.fake_fal import CANARY_FAL_KEY, FakeFal


class VideoInputs(InputModel):
    """``fal-ai/veo3/fast``'s inputs, loosened so a test can send what FAL refuses."""

    prompt: str | None = None
    aspect_ratio: str = "16:9"
    duration: str = "8s"
    generate_audio: bool = False


# The plugin's own cards (their result keys and billing rules), so the handler is tested with
# what it serves; the video card takes loosened inputs so a test can reach FAL's 422.
IMAGE_CARD = card_for("fal-ai/imagen4/preview/fast")
VIDEO_CARD = dataclasses.replace(card_for("fal-ai/veo3/fast"), input_model=VideoInputs)
SPEECH_CARD = card_for("fal-ai/minimax/speech-02-hd")
FAST = {"poll_interval": 0.005, "poll_max": 0.02}


class Harness:
    """A handler on the fake and the requests it runs, with what they reported."""

    def __init__(self, fake: FakeFal, tmp_path: Path) -> None:
        self.fake = fake
        self.store = BlobStore(tmp_path / "blobs")
        self.events = ListSink()
        self.reported: list[RemoteJob] = []

    def handler(
        self, card: ModelCard = IMAGE_CARD, key: str = CANARY_FAL_KEY, **options: Any
    ) -> FalHandler:
        context = HandlerContext(
            descriptor=Descriptor.parse(f"fal/{card.model}"),
            mode="live",
            card=card,
            secrets=MappingSecretResolver({"FAL_KEY": key} if key else {}),
            telemetry=self.events,
            options={"base_url": self.fake.base_url, **FAST, **options},
        )
        return FalHandler(context)

    def request(
        self,
        inputs: dict[str, Any],
        card: ModelCard = IMAGE_CARD,
        *,
        resume: dict[str, Any] | None = None,
        timeout: float | None = None,
        job_id: str = "job-1",
    ) -> ProducerRequest:
        validated = card.input_model.model_validate(inputs).model_dump()
        descriptor = Descriptor.parse(f"fal/{card.model}")
        return ProducerRequest(
            job=JobInfo(id=job_id, producer="Test", kind=card.kind),
            descriptor=descriptor,
            inputs=validated,
            storage=self.store,
            telemetry=EventEmitter(self.events, {"job_id": job_id}),
            deadline=time.monotonic() + timeout if timeout is not None else None,
            resume=resume or {},
            validated=True,
            on_remote_job=self.reported.append,
        )

    def event_names(self) -> list[str]:
        """The names of the events emitted so far."""
        return [e.name for e in self.events.events]


@pytest.fixture
def harness(fake_fal: FakeFal, tmp_path: Path) -> Harness:
    """A :class:`Harness` on this test's fake FAL."""
    return Harness(fake_fal, tmp_path)
