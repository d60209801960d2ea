"""Music: a seeded chord loop of the requested duration."""

from __future__ import annotations

from tutopanda_providers.contracts import Artefact

from tutopanda_provider_mock.encode import encode_audio
from tutopanda_provider_mock.job import MockJob
from tutopanda_provider_mock.synth import chords


def produce(job: MockJob) -> list[Artefact]:
    """One audio file per requested output, exactly ``duration_seconds`` long."""
    media = job.media
    artefacts = []
    for index in range(media.count):
        blocks = chords(
            duration=media.duration_seconds or 30.0,
            sample_rate=media.sample_rate,
            channels=media.channels,
            seed=job.seed(index),
        )
        data = encode_audio(
            job.watch(blocks),
            sample_rate=media.sample_rate,
            channels=media.channels,
            mime=media.mime,
            bitrate=media.bitrate,
        )
        artefacts.append(job.store(data, media.mime, index))
    return artefacts
