"""The contracts every handler, plugin and runner shares.

Pydantic models for what crosses a boundary as data (descriptors, artefacts, costs, results) and
protocols for what is behaviour (handlers). Nothing here imports a vendor SDK.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Data(BaseModel):
    # Schemas are built on first use: building the first one in a process costs about 50 ms,
    # and creating a registry and listing models needs none of them.
    model_config = ConfigDict(defer_build=True)


class ProducerKind(StrEnum):
    """What a producer makes."""

    SCRIPT = "script"
    PROMPT = "prompt"
    AUDIO = "audio"
    IMAGE = "image"
    VIDEO = "video"
    MUSIC = "music"


Environment = Literal["local", "cloud"]
Mode = Literal["live", "mock"]
ENVIRONMENTS: tuple[Environment, ...] = ("local", "cloud")
MODES: tuple[Mode, ...] = ("live", "mock")


class Descriptor(_Data):
    """Which model to use: ``(provider, model, environment)``."""

    model_config = ConfigDict(frozen=True)

    provider: str
    model: str
    environment: Environment = "local"

    @classmethod
    def parse(cls, text: str, environment: Environment = "local") -> Descriptor:
        """Parse ``provider/model`` (the model may itself contain ``/``): ``replicate/google/imagen-4``."""
        provider, sep, model = text.strip().partition("/")
        if not sep or not provider or not model:
            raise ValueError(
                f"{text!r} is not a model reference; write it as provider/model, "
                "for example replicate/google/imagen-4 or openai/gpt-5"
            )
        return cls(provider=provider, model=model, environment=environment)

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}"


class JobInfo(_Data):
    """Who is asking: the runner's job id, the producer it runs for and the attempt number."""

    id: str
    producer: str
    kind: ProducerKind
    attempt: int = 1
    movie_id: str | None = None


class MediaFacts(_Data):
    """Facts about a media file, read from the file itself."""

    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    codec: str | None = None
    has_audio: bool | None = None


class BlobRef(_Data):
    """A blob in storage, addressed by its content."""

    uri: str
    sha256: str
    size: int
    mime: str


class Artefact(_Data):
    """One thing a producer made: a stored blob, or inline text or JSON."""

    name: str = "output"
    kind: ProducerKind
    mime: str
    blob: BlobRef | None = None
    text: str | None = None
    data: Any = None
    facts: MediaFacts = Field(default_factory=MediaFacts)


class CostItem(_Data):
    """One priced line of a cost: a quantity of a unit at a price."""

    name: str
    unit: str
    quantity: float
    usd_per_unit: float

    @property
    def amount_usd(self) -> float:
        """The line's total in US dollars."""
        return self.quantity * self.usd_per_unit


class Cost(_Data):
    """What a call cost (or would cost): a number with its unit and price source, or unknown.

    ``status`` is ``known`` for a computed cost, ``estimated`` for a pre-call estimate,
    ``unknown`` when it cannot be told (then ``amount_usd`` is ``None`` and ``reason`` says
    why). A mocked call has ``amount_usd == 0`` and carries ``estimated_live`` beside it.
    """

    status: Literal["known", "estimated", "unknown"]
    amount_usd: float | None = None
    unit: str | None = None
    quantity: float | None = None
    source: str | None = None
    reason: str | None = None
    items: list[CostItem] = Field(default_factory=list)
    estimated_live: Cost | None = None

    @classmethod
    def unknown(cls, reason: str) -> Cost:
        """A cost that cannot be told, with the reason."""
        return cls(status="unknown", reason=reason)

    @classmethod
    def from_items(
        cls,
        items: list[CostItem],
        *,
        source: str,
        status: Literal["known", "estimated"] = "known",
    ) -> Cost:
        """Sum priced lines into one cost."""
        amount = sum(item.amount_usd for item in items)
        unit = items[0].unit if len(items) == 1 else "mixed"
        quantity = items[0].quantity if len(items) == 1 else None
        return cls(
            status=status,
            amount_usd=round(amount, 8),
            unit=unit,
            quantity=quantity,
            source=source,
            items=items,
        )

    @classmethod
    def mocked(cls, estimated_live: Cost) -> Cost:
        """The zero cost of a mocked call, with what the live call would have cost."""
        return cls(
            status="known",
            amount_usd=0.0,
            unit="mock",
            quantity=1,
            source="mock",
            estimated_live=estimated_live,
        )


class TokenUsage(_Data):
    """Tokens a language model reported for one call (counts; ``None`` when not reported).

    ``input_tokens`` include ``cached_tokens``; ``output_tokens`` include ``reasoning_tokens``
    (the providers' own accounting).
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None

    def __add__(self, other: TokenUsage) -> TokenUsage:
        """The sum of two calls' usage (a field unknown on both sides stays unknown)."""

        def plus(a: int | None, b: int | None) -> int | None:
            return None if a is None and b is None else (a or 0) + (b or 0)

        return TokenUsage(
            input_tokens=plus(self.input_tokens, other.input_tokens),
            output_tokens=plus(self.output_tokens, other.output_tokens),
            reasoning_tokens=plus(self.reasoning_tokens, other.reasoning_tokens),
            cached_tokens=plus(self.cached_tokens, other.cached_tokens),
        )


class ProviderMetadata(_Data):
    """What the provider told us: ids, model version, attempts, latency, cost, token usage.

    Attributes:
        remote_job_id: the provider's id of the job it ran (a Replicate prediction, an OpenAI
            background response), when there is one; what a re-run resumes from.
        usage: tokens a language model reported, or ``None`` for models that report none.
    """

    provider: str
    model: str
    environment: Environment = "local"
    model_version: str | None = None
    response_ids: list[str] = Field(default_factory=list)
    remote_job_id: str | None = None
    attempts: int = 1
    latency_ms: float | None = None
    cost: Cost = Field(default_factory=lambda: Cost.unknown("the handler did not report a cost"))
    usage: TokenUsage | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


#: Characters of an error message a failover record keeps (the full error is in the log).
SHORT_MESSAGE = 300


def short_message(text: str, limit: int = SHORT_MESSAGE) -> str:
    """``text`` on one line, cut to ``limit`` characters with ``...``."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class FailedAttempt(_Data):
    """One model a job failed on before another served it (the failover record).

    Attributes:
        model: the ``provider/model`` ref that failed (``replicate/google/veo-3-fast``).
        kind: the error kind (``transient``, ``rate_limited``, ...; see ``ErrorKind``).
        message: the error's message, on one line and at most 300 characters.
    """

    model: str
    kind: str
    message: str

    def text(self) -> str:
        """``replicate/google/veo-3-fast failed: transient: the message``."""
        return f"{self.model} failed: {self.kind}: {self.message}"


class ResultMeta(_Data):
    """Where the result came from and what acted on it on the way back.

    Attributes:
        tried: every ``provider/model`` tried for the job, in order; the last one served it.
        fell_back: a model other than the first served the job.
        failures: why each model before the one that served the job was left, in order
            (empty when the first model served it).
    """

    mocked: bool = False
    cached: bool = False
    fell_back: bool = False
    tried: list[str] = Field(default_factory=list)
    middleware: list[str] = Field(default_factory=list)
    handler_version: str | None = None
    failures: list[FailedAttempt] = Field(default_factory=list)

    def failover_text(self) -> str | None:
        """``served by B after A failed: transient: ...``, or ``None`` without a failover."""
        return failover_text(self.tried[-1] if self.tried else "?", self.failures)


def failover_text(served: str, failures: list[FailedAttempt] | list[dict[str, Any]]) -> str | None:
    """``served by <served> after <A> failed: <kind>: <message>; <B> failed: ...``.

    ``failures`` are :class:`FailedAttempt` or their JSON (as a manifest record keeps them);
    ``None`` when there is none.
    """
    if not failures:
        return None
    parts = [
        f.text() if isinstance(f, FailedAttempt) else FailedAttempt.model_validate(f).text()
        for f in failures
    ]
    return f"served by {served} after {'; '.join(parts)}"


class ProducerResult(_Data):
    """What a handler returns: artefacts, provider metadata and where it came from."""

    artefacts: list[Artefact]
    provider: ProviderMetadata
    meta: ResultMeta = Field(default_factory=ResultMeta)

    def event_payload(self, job: JobInfo) -> dict[str, Any]:
        """The payload the runner appends to its event log for this result."""
        return {
            "type": "artefact.produced",
            "job": job.model_dump(mode="json"),
            "artefacts": [a.model_dump(mode="json", exclude_none=True) for a in self.artefacts],
            "provider": self.provider.model_dump(mode="json", exclude_none=True),
            "meta": self.meta.model_dump(mode="json"),
        }


__all__ = [
    "ENVIRONMENTS",
    "MODES",
    "Artefact",
    "BlobRef",
    "Cost",
    "CostItem",
    "Descriptor",
    "Environment",
    "FailedAttempt",
    "JobInfo",
    "MediaFacts",
    "Mode",
    "ProducerKind",
    "ProducerResult",
    "ProviderMetadata",
    "ResultMeta",
    "TokenUsage",
    "failover_text",
    "short_message",
]
