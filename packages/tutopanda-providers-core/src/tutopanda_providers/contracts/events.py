"""Telemetry events: plain data (:class:`Event`), the sink protocol and the emitter handlers use.

Every attribute value passes through :func:`~tutopanda_providers.contracts.redaction.scrub`
before a sink sees it. Where events go (logging, a list, OpenTelemetry) is
:mod:`tutopanda_providers.telemetry`'s job.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from tutopanda_providers.contracts.redaction import has_known_secrets, scrub


@dataclass(frozen=True)
class Event:
    """One telemetry event: a name, when it happened, and flat attributes."""

    name: str
    attributes: Mapping[str, Any]
    timestamp: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-able dict."""
        return {"name": self.name, "timestamp": self.timestamp, **dict(self.attributes)}


@runtime_checkable
class TelemetrySink(Protocol):
    """Receives events. Must not raise; must be cheap (it runs on every invoke)."""

    def emit(self, event: Event) -> None:
        """Deliver one event."""
        ...


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    return scrub(str(value))


class EventEmitter:
    """Emits events to a sink with a fixed set of attributes (job id, provider, model).

    Handlers get one in ``request.telemetry`` and call ``emit("replicate.prediction.created",
    prediction_id=...)``; every value is scrubbed of secrets on the way.
    """

    __slots__ = ("attributes", "sink")

    def __init__(self, sink: TelemetrySink, attributes: Mapping[str, Any] | None = None) -> None:
        self.sink = sink
        self.attributes = dict(attributes or {})

    def emit(self, name: str, **attributes: Any) -> None:
        """Emit ``name`` with the bound attributes plus ``attributes``."""
        merged = {**self.attributes, **attributes}
        if has_known_secrets():
            merged = {k: _clean(v) for k, v in merged.items()}
        else:
            # Nothing to scrub yet: only turn objects into plain text (the common, hot path).
            for key, value in merged.items():
                if type(value) not in _PLAIN:
                    merged[key] = _clean(value)
        self.sink.emit(Event(name, merged))

    def bind(self, **attributes: Any) -> EventEmitter:
        """A new emitter with more bound attributes."""
        return EventEmitter(self.sink, {**self.attributes, **attributes})


__all__ = ["Event", "EventEmitter", "TelemetrySink"]
