"""Audible signals made with numpy: a speech-like babble for narration, a chord loop for music.

Neither is meant to sound good; both are meant to be unmistakably *not silence*, to have the
right length, and to differ from one request to the next (the seed picks pitches and timbre).
Signals are float32 arrays shaped ``(channels, samples)`` in ``[-1, 1]``.
"""

from __future__ import annotations

import hashlib
import re

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
) -> Signal:
    """A speech-like babble of exactly ``duration`` seconds: one voiced burst per syllable.

    Words get time in proportion to their syllables; a sentence end leaves a longer gap. The
    pitch follows the voice name and drifts a little per word, like intonation.
    """
    rng = np.random.default_rng(seed)
    total = max(1, round(duration * sample_rate))
    words = text.split() or ["mock"]
    syllables = [max(1, len(_VOWEL_GROUPS.findall(w))) for w in words]
    gaps = [0.5 if w[-1:] in ".!?" else (0.25 if w[-1:] in ",;:" else 0.08) for w in words]
    weights = np.array(syllables, dtype=np.float64) + np.array(gaps)
    bounds = np.concatenate([[0.0], np.cumsum(weights) / weights.sum()]) * total
    bounds[-1] = total

    base = voice_pitch(voice)
    pitch = np.full(total, base, dtype=np.float32)
    envelope = np.zeros(total, dtype=np.float32)
    timbre_index = np.zeros(total, dtype=np.int8)
    for i, count in enumerate(syllables):
        start, end = int(bounds[i]), int(bounds[i + 1])
        voiced_end = start + int((end - start) * count / (count + gaps[i]))
        pitch[start:end] = base * (1.0 + 0.12 * (rng.random() - 0.5))
        edges = np.linspace(start, voiced_end, count + 1).astype(np.int64)
        for s in range(count):
            a, b = edges[s], edges[s + 1]
            if b - a < 4:
                continue
            # A syllable: raised-cosine swell, slightly shorter than its slot.
            n = b - a
            envelope[a:b] = (0.5 - 0.5 * np.cos(np.linspace(0, 2 * np.pi, n))) ** 0.8
            timbre_index[a:b] = rng.integers(0, len(_TIMBRES))
    # A slow falling intonation over the whole text.
    pitch *= np.linspace(1.08, 0.92, total, dtype=np.float32)
    phase = np.cumsum(pitch * np.float32(2 * np.pi / sample_rate), dtype=np.float64)
    phase %= 2 * np.pi  # keep the float32 harmonics below exact
    phase32 = phase.astype(np.float32)
    del phase
    wave = np.zeros(total, dtype=np.float32)
    for k in range(_TIMBRES.shape[1]):
        wave += _TIMBRES[timbre_index, k] * np.sin(np.float32(k + 1) * phase32)
    wave *= envelope
    return _finish(wave, channels, peak=0.6)


def chords(
    *,
    duration: float,
    sample_rate: int,
    channels: int,
    seed: int,
    level: float = 0.5,
) -> Signal:
    """A looping four-chord progression with a bass line, ``duration`` seconds long."""
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
    repeats = total // loop.size + 1
    wave = np.tile(loop, repeats)[:total]
    fade = min(total // 4, int(0.05 * sample_rate))
    if fade > 0:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        wave[:fade] *= ramp
        wave[-fade:] *= ramp[::-1]
    return _finish(wave, channels, peak=level)


def _finish(wave: npt.NDArray[np.float32], channels: int, *, peak: float) -> Signal:
    top = float(np.max(np.abs(wave))) or 1.0
    mono = (wave * (peak / top)).astype(np.float32)
    if channels == 1:
        return mono[np.newaxis, :]
    # A small inter-channel delay so stereo is not two identical channels.
    delayed = (
        np.concatenate([np.zeros(32, dtype=np.float32), mono[:-32]]) if mono.size > 32 else mono
    )
    return np.stack([mono, delayed] + [mono] * (channels - 2)).astype(np.float32)


__all__ = ["Signal", "chords", "speech", "voice_pitch"]
