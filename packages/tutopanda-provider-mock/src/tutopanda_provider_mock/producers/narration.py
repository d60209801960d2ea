"""Narration (``audio``): a speech-like babble as long as the text takes to say."""

from __future__ import annotations

from tutopanda_providers.contracts import Artefact

from tutopanda_provider_mock.encode import encode_audio
from tutopanda_provider_mock.job import MockJob
from tutopanda_provider_mock.synth import speech


def produce(job: MockJob) -> list[Artefact]:
    """One audio file per requested output, timed at 150 words per minute times ``speed``."""
    media = job.media
    duration = media.duration_seconds or 1.0
    artefacts = []
    for index in range(media.count):
        blocks = speech(
            media.text or media.prompt,
            duration=duration,
            sample_rate=media.sample_rate,
            channels=media.channels,
            voice=media.voice,
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
