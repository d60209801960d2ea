"""The mock provider's own demo models: ``mock/script``, ``mock/prompt``, ``mock/audio``,
``mock/image``, ``mock/video`` and ``mock/music``.

They let a machine with only core and this package installed run a whole lesson. Their inputs
use the producer-level names (:class:`~tutopanda_providers.cards.GenericInputs`: ``prompt``,
``text``, ``duration_seconds``, ``aspect_ratio``...) so no input adapter is needed, and they are
served by the same wildcard handler as every other model.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from tutopanda_providers.contracts import (
    ModelCard,
    OutputSpec,
    Price,
    PriceRate,
    ProducerKind,
    PromptInputs,
    ScriptInputs,
)

PROVIDER = "mock"
AspectRatio = Literal["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9"]
Resolution = Literal["480p", "720p", "1080p"]

#: Nothing is billed: one free call.
FREE = Price(
    rates=(PriceRate(name="call", unit="call", usd=0.0),),
    source="tutopanda-provider-mock (runs locally, free)",
    confidence="high",
)


class _Inputs(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class NarrationInputs(_Inputs):
    """Inputs of ``mock/audio``: the text to speak, a voice and a speed."""

    text: str = Field(min_length=1, max_length=10000)
    voice: str = "narrator"
    speed: float = Field(default=1.0, ge=0.5, le=2.0)
    sample_rate: Literal[16000, 22050, 24000, 44100, 48000] = 24000


class ImageInputs(_Inputs):
    """Inputs of ``mock/image``: a prompt and an aspect ratio or an exact size."""

    prompt: str = Field(min_length=1, max_length=4000)
    negative_prompt: str | None = None
    aspect_ratio: AspectRatio = "16:9"
    width: int | None = Field(default=None, ge=64, le=4096)
    height: int | None = Field(default=None, ge=64, le=4096)
    seed: int | None = None


class VideoInputs(_Inputs):
    """Inputs of ``mock/video``: a prompt, a duration, a resolution and an aspect ratio."""

    prompt: str = Field(min_length=1, max_length=4000)
    negative_prompt: str | None = None
    duration_seconds: float = Field(default=5.0, gt=0, le=30)
    aspect_ratio: AspectRatio = "16:9"
    resolution: Resolution = "480p"
    width: int | None = Field(default=None, ge=64, le=3840)
    height: int | None = Field(default=None, ge=64, le=2160)
    fps: int = Field(default=24, ge=1, le=60)
    generate_audio: bool = False
    image_urls: list[str] | None = None
    seed: int | None = None


class MusicInputs(_Inputs):
    """Inputs of ``mock/music``: a prompt and a duration."""

    prompt: str = Field(min_length=1, max_length=4000)
    duration_seconds: float = Field(default=30.0, gt=0, le=600)
    seed: int | None = None


def _card(
    model: str,
    kind: ProducerKind,
    inputs: type[BaseModel],
    output: OutputSpec,
    description: str,
    capabilities: frozenset[str] = frozenset(),
) -> ModelCard:
    return ModelCard(
        provider=PROVIDER,
        model=model,
        kind=kind,
        input_model=inputs,
        output=output,
        price=FREE,
        capabilities=capabilities,
        description=description,
    )


def demo_cards() -> list[ModelCard]:
    """The six demo cards, one per kind."""
    return [
        _card(
            "script",
            ProducerKind.SCRIPT,
            ScriptInputs,
            OutputSpec(type="json", mime="application/json"),
            "Mock lesson script from a topic (shared Script schema)",
        ),
        _card(
            "prompt",
            ProducerKind.PROMPT,
            PromptInputs,
            OutputSpec(type="json", mime="application/json"),
            "Mock prompts for segments (shared PromptSet schema)",
        ),
        _card(
            "audio",
            ProducerKind.AUDIO,
            NarrationInputs,
            OutputSpec(type="audio", mime="audio/wav"),
            "Mock narration: speech-like WAV timed at 150 words per minute",
        ),
        _card(
            "image",
            ProducerKind.IMAGE,
            ImageInputs,
            OutputSpec(type="image", mime="image/png"),
            "Mock image: PNG showing the prompt, model and job",
        ),
        _card(
            "video",
            ProducerKind.VIDEO,
            VideoInputs,
            OutputSpec(type="video", mime="video/mp4"),
            "Mock video: H.264 MP4 with a running timecode, optional AAC track",
            frozenset({"image_input"}),
        ),
        _card(
            "music",
            ProducerKind.MUSIC,
            MusicInputs,
            OutputSpec(type="audio", mime="audio/wav"),
            "Mock music: a WAV chord loop of the requested length",
        ),
    ]


__all__ = [
    "FREE",
    "PROVIDER",
    "ImageInputs",
    "MusicInputs",
    "NarrationInputs",
    "VideoInputs",
    "demo_cards",
]
