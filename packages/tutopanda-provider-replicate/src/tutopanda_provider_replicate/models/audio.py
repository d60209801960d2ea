"""Narration models: minimax/speech-02-hd, elevenlabs/v3, elevenlabs/turbo-v2.5."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from tutopanda_providers.contracts import GenericInputs, OutputSpec, Price, PriceRate, ProducerKind

from tutopanda_provider_replicate.adapters import InputMapping
from tutopanda_provider_replicate.models._base import ReplicateInputs, replicate_card
from tutopanda_provider_replicate.pricing import CHARACTERS, per_thousand_characters

MinimaxEmotion = Literal[
    "auto", "neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"
]
MinimaxLanguage = Literal[
    "None",
    "Automatic",
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
]


class MinimaxSpeechInputs(ReplicateInputs):
    """Inputs of minimax/speech-02-hd (not the speech-2.6-hd schema, which differs)."""

    text: str = Field(
        min_length=1,
        max_length=5000,
        description="Text to speak; one character is one billed token; <#x#> inserts a pause.",
    )
    voice_id: str = Field(
        default="Wise_Woman", description="A system voice id or a cloned voice id."
    )
    speed: float = Field(default=1, ge=0.5, le=2)
    volume: float = Field(default=1, ge=0, le=10)
    pitch: int = Field(default=0, ge=-12, le=12)
    emotion: MinimaxEmotion = "auto"
    english_normalization: bool = False
    sample_rate: Literal[8000, 16000, 22050, 24000, 32000, 44100] = 32000
    bitrate: Literal[32000, 64000, 128000, 256000] = 128000
    channel: Literal["mono", "stereo"] = "mono"
    language_boost: MinimaxLanguage = "None"


ElevenLabsVoice = Literal[
    "Rachel",
    "Drew",
    "Clyde",
    "Paul",
    "Aria",
    "Domi",
    "Dave",
    "Roger",
    "Fin",
    "Sarah",
    "James",
    "Jane",
    "Juniper",
    "Arabella",
    "Hope",
    "Bradford",
    "Reginald",
    "Gaming",
    "Austin",
    "Kuon",
    "Blondie",
    "Priyanka",
    "Alexandra",
    "Monika",
    "Mark",
    "Grimblewood",
]


class _ElevenLabsCommon(ReplicateInputs):
    prompt: str = Field(min_length=1, description="Text to speak (Replicate names it prompt).")
    stability: float = Field(default=0.5, ge=0, le=1)
    similarity_boost: float = Field(default=0.75, ge=0, le=1)
    style: float = Field(default=0, ge=0, le=1, description="Style exaggeration.")
    speed: float = Field(default=1, ge=0.7, le=1.2, description="Enforced bounds 0.7-1.2.")
    language_code: str = Field(default="en", description="ISO language code, e.g. en, es, fr.")
    previous_text: str = Field(default="", description="Context before this text.")
    next_text: str = Field(default="", description="Context after this text.")


class ElevenLabsV3Inputs(_ElevenLabsCommon):
    """Inputs of elevenlabs/v3."""

    voice: ElevenLabsVoice = "Rachel"


class ElevenLabsTurboInputs(_ElevenLabsCommon):
    """Inputs of elevenlabs/turbo-v2.5 (schema taken from its sibling flash-v2.5)."""

    voice: str = Field(
        default="Rachel", min_length=1, description="Preset voice name (enum unverified)."
    )


_TEXT_TO = {
    GenericInputs.TEXT: "text",
    GenericInputs.PROMPT: "text",
    GenericInputs.VOICE: "voice_id",
}
_PROMPT_TO = {
    GenericInputs.TEXT: "prompt",
    GenericInputs.PROMPT: "prompt",
    GenericInputs.VOICE: "voice",
}

MINIMAX_SPEECH_02_HD = replicate_card(
    "minimax/speech-02-hd",
    ProducerKind.AUDIO,
    MinimaxSpeechInputs,
    OutputSpec(type="audio", mime="audio/mpeg"),
    Price(
        rates=(PriceRate(name=CHARACTERS, unit="1K characters", usd=0.10),),
        source="Replicate model page (tutopanda copy, Nov 2025): $0.10 per 1K input tokens, "
        "one character is one token",
        confidence="medium",
    ),
    input_adapter=InputMapping("minimax/speech-02-hd", _TEXT_TO),
    cost_estimator=per_thousand_characters("text"),
    capabilities={"narration"},
    description="MiniMax Speech-02-HD narration (mp3)",
    cost_from_inputs=True,
)

ELEVENLABS_V3 = replicate_card(
    "elevenlabs/v3",
    ProducerKind.AUDIO,
    ElevenLabsV3Inputs,
    OutputSpec(type="audio", mime="audio/mpeg"),
    Price(
        rates=(PriceRate(name=CHARACTERS, unit="1K characters", usd=0.10),),
        source="Replicate model page (tutopanda copy, Nov 2025): $0.10 per 1K characters",
        confidence="medium",
    ),
    input_adapter=InputMapping("elevenlabs/v3", _PROMPT_TO),
    cost_estimator=per_thousand_characters("prompt"),
    capabilities={"narration"},
    description="ElevenLabs v3 narration (mp3)",
    cost_from_inputs=True,
)

ELEVENLABS_TURBO_V2_5 = replicate_card(
    "elevenlabs/turbo-v2.5",
    ProducerKind.AUDIO,
    ElevenLabsTurboInputs,
    OutputSpec(type="audio", mime="audio/mpeg"),
    Price(
        rates=(PriceRate(name=CHARACTERS, unit="1K characters", usd=None),),
        source="not found in our sources",
        confidence="unknown",
    ),
    input_adapter=InputMapping("elevenlabs/turbo-v2.5", _PROMPT_TO),
    cost_estimator=per_thousand_characters("prompt"),
    capabilities={"narration"},
    description="ElevenLabs Turbo v2.5 narration (mp3)",
    unknowns=(
        "schema assumed identical to elevenlabs/flash-v2.5 (low confidence)",
        "voice: the list of preset names is not confirmed, so any name is accepted",
        "price: not found",
    ),
    cost_from_inputs=True,
)

CARDS = (MINIMAX_SPEECH_02_HD, ELEVENLABS_V3, ELEVENLABS_TURBO_V2_5)

__all__ = [
    "CARDS",
    "ELEVENLABS_TURBO_V2_5",
    "ELEVENLABS_V3",
    "MINIMAX_SPEECH_02_HD",
    "ElevenLabsTurboInputs",
    "ElevenLabsV3Inputs",
    "MinimaxSpeechInputs",
]
