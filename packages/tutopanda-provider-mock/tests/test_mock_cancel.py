"""A job the caller gives up on stops making media and stores nothing."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from tutopanda_provider_mock import handler as mock_handler
from tutopanda_provider_mock.fingerprint import fingerprint
from tutopanda_provider_mock.job import MockJob
from tutopanda_provider_mock.producers import image, music, narration, video
from tutopanda_provider_mock.request import interpret
from tutopanda_providers import Descriptor, JobInfo, ProviderRegistry
from tutopanda_providers.contracts import CanceledError


def wait_until_no_media_job_runs() -> None:
    # Holding every slot means no producer thread is running any more.
    slots = mock_handler._media_slots
    taken = [slots.acquire(timeout=60) for _ in range(mock_handler.MEDIA_SLOTS)]
    for ok in taken:
        if ok:
            slots.release()
    assert all(taken), "a media job is still running"


@pytest.mark.parametrize(
    ("ref", "inputs", "produce"),
    [
        ("mock/video", {"prompt": "lava", "duration_seconds": 2}, video.produce),
        ("mock/image", {"prompt": "lava"}, image.produce),
        ("mock/audio", {"text": "Lava flows."}, narration.produce),
        ("mock/music", {"prompt": "calm", "duration_seconds": 3}, music.produce),
    ],
)
def test_a_stopped_job_raises_canceled_and_stores_nothing(
    registry: ProviderRegistry,
    blob_root: Path,
    ref: str,
    inputs: dict[str, object],
    produce: object,
) -> None:
    descriptor = Descriptor.parse(ref)
    card = registry.card(descriptor)
    validated = card.validate_inputs(inputs)
    request = registry.new_request(
        descriptor, validated, job=JobInfo(id="job-c", producer="Test", kind=card.kind)
    )
    job = MockJob(
        card=card,
        request=request,
        media=interpret(card, validated),
        digest=fingerprint(card.provider, card.model, validated, "job-c"),
    )
    job.stop.set()
    with pytest.raises(CanceledError, match="canceled"):
        produce(job)  # type: ignore[operator]
    assert not [p for p in blob_root.rglob("*") if p.is_file()]


async def test_cancelling_a_running_video_stops_it_before_anything_is_stored(
    registry: ProviderRegistry, blob_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = threading.Event()
    original = video.render

    def render_and_signal(job: MockJob, index: int) -> bytes:
        started.set()
        return original(job, index)

    descriptor = Descriptor.parse("mock/video")
    request = registry.new_request(
        descriptor,
        {"prompt": "a very long take", "duration_seconds": 30, "resolution": "1080p"},
        job=JobInfo(id="job-long", producer="Test", kind="video"),
    )
    monkeypatch.setattr(video, "render", render_and_signal)
    task = asyncio.ensure_future(registry.resolve(descriptor).invoke(request))
    await asyncio.to_thread(started.wait, 60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.to_thread(wait_until_no_media_job_runs)
    assert not list(blob_root.rglob("*.mp4"))
