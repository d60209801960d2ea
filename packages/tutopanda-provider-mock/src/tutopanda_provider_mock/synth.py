"""Audible signals made with numpy: a speech-like babble for narration, a chord loop for music.

Neither is meant to sound good; both are meant to be unmistakably *not silence*, to have the
right length, and to differ from one request to the next (the seed picks pitches and timbre).
Both are generated in blocks of one second, float32 arrays shaped ``(channels, samples)`` in
``[-1, 1]``, so memory stays flat for a three-minute track.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

Signal = npt.NDArray[np.float32]

_VOWEL_GROUPS = re.compile(r"[aeiouy]+", re.IGNORECASE)
# Harmonic weights per vowel-ish timbre: a crude formant pattern for each syllable.
_TIMBRES = np.array(
    [
        [1.0, 0.7, 0.5, 0.2, 0.1, 0.05],
        [1.0, 0.3, 0.6, 0.4, 0.15, 0.05],
        [1.0, 0.5, 0.2, 0.35, 0.25, 0.1],
        [1.0, 0.8, 0.3, 0.1, 0.2, 0.1],
        [1.0, 0.4, 0.4, 0.3, 0.1, 0.2],
    ],
    dtype=np.float32,
)


def voice_pitch(voice: str) -> float:
    """The base pitch in Hz of a voice name: the same name always sounds the same."""
    digest = hashlib.sha256(voice.strip().lower().encode()).digest()
    return 95.0 + (digest[0] / 255.0) * 130.0


def speech(
    text: str,
    *,
    duration: float,
    sample_rate: int,
    channels: int,
    voice: str,
    seed: int,
) -> Iterator[Signal]:
    """A speech-like babble of exactly ``duration`` seconds, in blocks of one second.

    One voiced burst per syllable; words get time in proportion to their syllables and a
    sentence end leaves a longer gap. The pitch follows the voice name, drifts a little per
    word and falls slowly over the text, like intonation. Blocks keep memory flat however long
    the text is.
    """
    rng = np.random.default_rng(seed)
    total = max(1, round(duration * sample_rate))
    words = text.split() or ["mock"]
    syllables = [max(1, len(_VOWEL_GROUPS.findall(w))) for w in words]
    gaps = [0.5 if w[-1:] in ".!?" else (0.25 if w[-1:] in ",;:" else 0.08) for w in words]
    weights = np.array(syllables, dtype=np.float64) + np.array(gaps)
    bounds = np.concatenate([[0.0], np.cumsum(weights) / weights.sum()]) * total
    base = voice_pitch(voice)
    word_start = bounds[:-1].astype(np.int64)
    word_pitch = (base * (1.0 + 0.12 * (rng.random(len(words)) - 0.5))).astype(np.float32)
    starts: list[int] = []
    ends: list[int] = []
    for i, count in enumerate(syllables):
        start, end = bounds[i], bounds[i + 1]
        voiced_end = start + (end - start) * count / (count + gaps[i])
        edges = np.linspace(start, voiced_end, count + 1).astype(np.int64)
        starts.extend(edges[:-1].tolist())
        ends.extend(edges[1:].tolist())
    syl_start = np.array(starts, dtype=np.int64)
    syl_length = np.maximum(np.array(ends, dtype=np.int64) - syl_start, 1)
    syl_timbre = rng.integers(0, len(_TIMBRES), size=len(starts))
    gain = np.float32(0.6 / _TIMBRES.sum(axis=1).max())
    stereo = _Spreader(channels)
    phase_start = 0.0
    for first in range(0, total, sample_rate):
        index = np.arange(first, min(total, first + sample_rate), dtype=np.int64)
        word = np.searchsorted(word_start, index, side="right") - 1
        pitch = word_pitch[word] * (1.08 - 0.16 * index / total).astype(np.float32)
        phase = phase_start + np.cumsum(pitch * (2 * np.pi / sample_rate), dtype=np.float64)
        phase_start = float(phase[-1] % (2 * np.pi))
        phase32 = (phase % (2 * np.pi)).astype(np.float32)
        syllable = np.searchsorted(syl_start, index, side="right") - 1
        position = (index - syl_start[syllable]) / syl_length[syllable]
        envelope = np.where(
            position < 1.0, (0.5 - 0.5 * np.cos(2 * np.pi * position)) ** 0.8, 0.0
        ).astype(np.float32)
        timbre = _TIMBRES[syl_timbre[syllable]]
        wave = np.zeros(index.size, dtype=np.float32)
        for k in range(_TIMBRES.shape[1]):
            wave += timbre[:, k] * np.sin(np.float32(k + 1) * phase32)
        yield stereo(wave * envelope * gain)


def chords(
    *,
    duration: float,
    sample_rate: int,
    channels: int,
    seed: int,
    level: float = 0.5,
) -> Iterator[Signal]:
    """A looping four-chord progression with a bass line, ``duration`` seconds long, in blocks."""
    rng = np.random.default_rng(seed)
    total = max(1, round(duration * sample_rate))
    tempo = float(rng.uniform(80, 128))
    beat = 60.0 / tempo
    bar = max(1, round(4 * beat * sample_rate))
    root = 48 + int(rng.integers(0, 12))  # a MIDI note between C3 and B3
    progressions = ([0, 7, 9, 5], [0, 5, 7, 5], [0, 9, 5, 7], [0, 3, 8, 10])
    degrees = progressions[int(rng.integers(0, len(progressions)))]
    minor = bool(rng.integers(0, 2))
    t = np.arange(bar, dtype=np.float32) / sample_rate
    decay = np.exp(-t * 1.5).astype(np.float32)
    beat_samples = max(1, int(beat * sample_rate))
    pulse = np.exp(-(np.arange(bar) % beat_samples) / (0.12 * sample_rate)).astype(np.float32)
    bars = []
    for degree in degrees:
        note = root + degree
        third = 3 if minor else 4
        voiced = np.zeros(bar, dtype=np.float32)
        for offset in (0, third, 7, 12):
            freq = 440.0 * 2 ** ((note + offset + 12 - 69) / 12)
            voiced += np.sin(2 * np.pi * freq * t).astype(np.float32)
        bass_freq = 440.0 * 2 ** ((note - 12 - 69) / 12)
        bass = np.sin(2 * np.pi * bass_freq * t).astype(np.float32) * pulse
        bars.append(0.2 * voiced * decay + 0.5 * bass)
    loop = np.concatenate(bars)
    loop *= np.float32(level / (float(np.max(np.abs(loop))) or 1.0))
    fade = max(1, min(total // 4, int(0.05 * sample_rate)))
    stereo = _Spreader(channels)
    for first in range(0, total, sample_rate):
        index = np.arange(first, min(total, first + sample_rate), dtype=np.int64)
        ramp = np.clip(np.minimum(index, total - 1 - index) / fade, 0.0, 1.0).astype(np.float32)
        yield stereo(loop[index % loop.size] * ramp)


class _Spreader:
    """Turns mono blocks into ``channels`` channels; the second lags by 32 samples across blocks,
    so stereo is not two identical channels."""

    LAG = 32

    def __init__(self, channels: int) -> None:
        self.channels = channels
        self._tail = np.zeros(self.LAG, dtype=np.float32)

    def __call__(self, mono: npt.NDArray[np.float32]) -> Signal:
        mono = mono.astype(np.float32, copy=False)
        if self.channels == 1:
            return mono[np.newaxis, :]
        joined = np.concatenate([self._tail, mono])
        lagged = joined[: mono.size]
        self._tail = joined[mono.size :][-self.LAG :]
        rows = [mono, lagged] + [mono] * (self.channels - 2)
        return np.stack(rows).astype(np.float32)


__all__ = ["Signal", "chords", "speech", "voice_pitch"]
