"""Narration endpoints: minimax speech-02-hd, ElevenLabs eleven-v3 and turbo-v2.5.

All three take the spoken text as ``text`` (Replicate's ElevenLabs wrappers call it ``prompt``).
MiniMax nests its voice and audio options: ``voice_setting.voice_id``, ``voice_setting.speed``,
``audio_setting.sample_rate`` ... The producer-level ``voice`` goes to
``voice_setting.voice_id`` there and to ``voice`` on ElevenLabs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from tutopanda_providers.contracts import GenericInputs, OutputSpec, Price, PriceRate, ProducerKind

from tutopanda_provider_fal.adapters import FalMapping
from tutopanda_provider_fal.models._base import FalInputs, fal_card
from tutopanda_provider_fal.pricing import CHARACTERS

MinimaxEmotion = Literal["happy", "sad", "angry", "fearful", "disgusted", "surprised", "neutral"]
MinimaxLanguage = Literal[
    "Chinese",
    "Chinese,Yue",
    "English",
    "Arabic",
    "Russian",
    "Spanish",
    "French",
    "Portuguese",
    "German",
    "Turkish",
    "Dutch",
    "Ukrainian",
    "Vietnamese",
    "Indonesian",
    "Japanese",
    "Italian",
    "Korean",
    "Thai",
    "Polish",
    "Romanian",
    "Greek",
    "Czech",
    "Finnish",
    "Hindi",
    "Bulgarian",
    "Danish",
    "Hebrew",
    "Malay",
    "Slovak",
    "Swedish",
    "Croatian",
    "Hungarian",
    "Norwegian",
    "Slovenian",
    "Catalan",
    "Nynorsk",
    "Afrikaans",
    "auto",
]
TextNormalization = Literal["auto", "on", "off"]


class MinimaxVoiceSetting(FalInputs):
    """``voice_setting`` of fal-ai/minimax/speech-02-hd."""

    voice_id: str = Field(
        default="Wise_Woman",
        description="A system voice (Wise_Woman, Friendly_Person, Deep_Voice_Man, Calm_Woman, "
        "Casual_Guy, ...) or a cloned voice id.",
    )
    speed: float = Field(default=1, ge=0.5, le=2)
    vol: float = Field(default=1, ge=0.01, le=10, description="Volume (Replicate: volume).")
    pitch: int = Field(default=0, ge=-12, le=12)
    emotion: MinimaxEmotion | None = Field(default=None, description="No 'auto' on FAL.")
    english_normalization: bool = False


class MinimaxAudioSetting(FalInputs):
    """``audio_setting`` of fal-ai/minimax/speech-02-hd."""

    sample_rate: Literal[8000, 16000, 22050, 24000, 32000, 44100] = 32000
    bitrate: Literal[32000, 64000, 128000, 256000] = 128000
    format: Literal["mp3", "pcm", "flac"] = "mp3"
    channel: Literal[1, 2] = Field(default=1, description="1 mono, 2 stereo.")


class MinimaxPronunciationDict(FalInputs):
    """``pronunciation_dict`` of fal-ai/minimax/speech-02-hd."""

    tone_list: list[str] | None = Field(
        default=None, description="Entries like 'text/(pronunciation)'."
    )


class MinimaxSpeechInputs(FalInputs):
    """Inputs of fal-ai/minimax/speech-02-hd."""

    text: str = Field(min_length=1, max_length=5000, description="Text to speak.")
    voice_setting: MinimaxVoiceSetting = Field(default_factory=MinimaxVoiceSetting)
    audio_setting: MinimaxAudioSetting = Field(default_factory=MinimaxAudioSetting)
    language_boost: MinimaxLanguage | None = None
    output_format: Literal["url", "hex"] = Field(
        default="hex", description="Format of MiniMax's output content (effect unconfirmed)."
    )
    pronunciation_dict: MinimaxPronunciationDict | None = None


class ElevenLabsV3Inputs(FalInputs):
    """Inputs of fal-ai/elevenlabs/tts/eleven-v3.

    ``similarity_boost``, ``style`` and ``speed`` were in the Jan-2026 OpenAPI only and are
    treated as removed (fal-models.json): they are refused.
    """

    text: str = Field(min_length=1, max_length=5000, description="Text to speak.")
    voice: str = Field(
        default="Rachel", description="Voice name (Aria, Roger, Sarah, ...) or an ElevenLabs id."
    )
    stability: float = Field(default=0.5, ge=0, le=1)
    language_code: str | None = Field(default=None, description="ISO 639-1.")
    timestamps: bool = Field(default=False, description="Return word timestamps.")
    apply_text_normalization: TextNormalization = "auto"


class ElevenLabsTurboInputs(FalInputs):
    """Inputs of fal-ai/elevenlabs/tts/turbo-v2.5."""

    text: str = Field(min_length=1, description="Text to speak (no maximum in the schema).")
    voice: str = "Rachel"
    stability: float = Field(default=0.5, ge=0, le=1)
    similarity_boost: float = Field(default=0.75, ge=0, le=1)
    style: float = Field(default=0, ge=0, le=1)
    speed: float = Field(default=1, ge=0.7, le=1.2)
    timestamps: bool = False
    previous_text: str | None = None
    next_text: str | None = None
    language_code: str | None = Field(default=None, description="ISO 639-1; error if unsupported.")
    apply_text_normalization: TextNormalization = "auto"


def _per_thousand(usd: float, source: str, confidence: str) -> Price:
    return Price(
        rates=(PriceRate(name=CHARACTERS, unit="1K characters", usd=usd),),
        source=source,
        confidence=confidence,
    )


_TEXT = {GenericInputs.PROMPT: "text", GenericInputs.TEXT: "text"}
_MP3 = OutputSpec(type="audio", mime="audio/mpeg")
_MP3_ASSUMED = "output MIME: mp3 assumed, not stated in the schema"

MINIMAX_SPEECH_02_HD = fal_card(
    "fal-ai/minimax/speech-02-hd",
    ProducerKind.AUDIO,
    MinimaxSpeechInputs,
    _MP3,
    _per_thousand(
        0.1,
        "fal catalog pricing, Jan 2026: '$0.1 per 1000 characters' (fal-models.json)",
        "high",
    ),
    canonical_model="minimax/speech-02-hd",
    result_key="audio",
    billing="characters",
    input_adapter=FalMapping(
        "fal-ai/minimax/speech-02-hd",
        _TEXT,
        nested={GenericInputs.VOICE: ("voice_setting", "voice_id")},
    ),
    capabilities={"narration"},
    description="MiniMax Speech-02-HD narration on FAL (mp3 by default)",
    unknowns=(
        "output_format hex vs url: its effect on FAL's result (an audio file either way in the "
        "schema) is not confirmed",
        "audio_setting.format pcm/flac: the file's MIME follows it; the card's is mp3's",
    ),
)

ELEVENLABS_V3 = fal_card(
    "fal-ai/elevenlabs/tts/eleven-v3",
    ProducerKind.AUDIO,
    ElevenLabsV3Inputs,
    _MP3,
    _per_thousand(
        0.1, "fal llms.txt of the endpoint: '$0.1 per 1000 characters' (fal-models.json)", "high"
    ),
    canonical_model="elevenlabs/v3",
    result_key="audio",
    billing="characters",
    input_adapter=FalMapping(
        "fal-ai/elevenlabs/tts/eleven-v3", {**_TEXT, GenericInputs.VOICE: "voice"}
    ),
    capabilities={"narration"},
    description="ElevenLabs v3 narration on FAL",
    unknowns=(
        "similarity_boost, style, speed: in the Jan-2026 OpenAPI only, treated as removed "
        "(refused)",
        "apply_text_normalization: in fal-js types 2026-04/08, not in the Jan-2026 OpenAPI",
        _MP3_ASSUMED,
    ),
)

ELEVENLABS_TURBO_V2_5 = fal_card(
    "fal-ai/elevenlabs/tts/turbo-v2.5",
    ProducerKind.AUDIO,
    ElevenLabsTurboInputs,
    _MP3,
    _per_thousand(
        0.05,
        "fal llms.txt and pricing API as captured 2026-10-01 by third-party code: "
        "'$0.05 per 1000 characters' (fal-models.json)",
        "medium",
    ),
    canonical_model="elevenlabs/turbo-v2.5",
    result_key="audio",
    billing="characters",
    input_adapter=FalMapping(
        "fal-ai/elevenlabs/tts/turbo-v2.5", {**_TEXT, GenericInputs.VOICE: "voice"}
    ),
    capabilities={"narration"},
    description="ElevenLabs Turbo v2.5 narration on FAL",
    unknowns=(_MP3_ASSUMED,),
)

CARDS = (MINIMAX_SPEECH_02_HD, ELEVENLABS_V3, ELEVENLABS_TURBO_V2_5)

__all__ = [
    "CARDS",
    "ELEVENLABS_TURBO_V2_5",
    "ELEVENLABS_V3",
    "MINIMAX_SPEECH_02_HD",
    "ElevenLabsTurboInputs",
    "ElevenLabsV3Inputs",
    "MinimaxAudioSetting",
    "MinimaxPronunciationDict",
    "MinimaxSpeechInputs",
    "MinimaxVoiceSetting",
]
