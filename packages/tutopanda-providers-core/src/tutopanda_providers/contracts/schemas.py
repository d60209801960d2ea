"""Output and input schemas shared by every script and prompt producer.

The mock, gpt-5, gpt-5-mini and gemini-2.5-flash producers all return these shapes, so code
written against one works with the others. Output models have every field required and no
extra fields, which is what OpenAI's strict structured output asks for.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PromptTarget = Literal["narration", "image", "video", "music"]


# defer_build: schemas are built on first use, so loading the plugins that import these models
# builds none of them (the first schema built in a process costs ~50 ms of start-up).
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Source(_Strict):
    """A source the script draws on."""

    title: str
    url: str


class ScriptSegment(_Strict):
    """One segment of the lesson: what is said and what is shown."""

    index: int
    title: str
    narration: str
    visual_ideas: list[str]
    duration_seconds: float


class Script(_Strict):
    """A researched, narrated lesson script."""

    title: str
    summary: str
    audience: str
    language: str
    segments: list[ScriptSegment]
    sources: list[Source]


class GeneratedPrompt(_Strict):
    """One prompt for a downstream producer, ready to use as it is."""

    segment_index: int
    target: PromptTarget
    prompt: str
    negative_prompt: str | None
    aspect_ratio: str | None
    duration_seconds: float | None


class PromptSet(_Strict):
    """The prompts made for a batch of segments."""

    prompts: list[GeneratedPrompt]


class ScriptInputs(BaseModel):
    """Producer-level inputs of every script model (models add their own options)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    topic: str = Field(min_length=3, max_length=2000)
    audience: str = "general audience"
    language: str = "en"
    duration_seconds: float = Field(default=120, gt=0, le=3600)
    segments: int = Field(default=6, ge=1, le=50)
    style: str = "clear, friendly and factual"
    instructions: str | None = Field(default=None, max_length=4000)


class TargetConstraints(BaseModel):
    """What the model that will use a prompt accepts, so the prompt fits it as it is."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    target: PromptTarget
    model: str | None = None
    aspect_ratios: list[str] | None = None
    durations_seconds: list[float] | None = None
    max_prompt_chars: int | None = None


class PromptInputs(BaseModel):
    """Producer-level inputs of every prompt model."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    segments: list[ScriptSegment] = Field(min_length=1)
    targets: list[TargetConstraints] = Field(
        default_factory=lambda: [
            TargetConstraints(target="image"),
            TargetConstraints(target="video"),
        ],
        min_length=1,
    )
    style: str = "cinematic, educational"
    language: str = "en"


__all__ = [
    "GeneratedPrompt",
    "PromptInputs",
    "PromptSet",
    "PromptTarget",
    "Script",
    "ScriptInputs",
    "ScriptSegment",
    "Source",
    "TargetConstraints",
]
