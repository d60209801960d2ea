"""Telemetry: structured lifecycle events delivered to an injected sink.

Events are plain data (:class:`Event`): a name such as ``provider.invoke.start`` and flat
attributes. Sinks decide where they go: :class:`LoggingSink` (the default) writes them to the
standard :mod:`logging` module, :class:`ListSink` keeps them for tests, and the OpenTelemetry
adapter (see :mod:`tutopanda_providers.otel`) turns them into spans and metrics. Every attribute
value passes through :func:`tutopanda_providers.secrets.scrub` before any sink sees it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from tutopanda_providers.secrets import has_known_secrets, scrub

#: Names of the events the registry and the pipeline emit.
INVOKE_START = "provider.invoke.start"
INVOKE_END = "provider.invoke.end"
INVOKE_ERROR = "provider.invoke.error"
INVOKE_RETRY = "provider.invoke.retry"
RATE_LIMIT_WAIT = "provider.ratelimit.wait"
FALLBACK = "provider.invoke.fallback"
CACHE_HIT = "provider.cache.hit"
WARM_START = "provider.warm_start"
PLUGIN_ERROR = "provider.plugin.error"


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


class LoggingSink:
    """Writes events to the ``tutopanda_providers.events`` logger at INFO (errors at WARNING)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("tutopanda_providers.events")

    def emit(self, event: Event) -> None:
        """Log the event with its attributes as ``extra``-free ``key=value`` text."""
        if not self.logger.isEnabledFor(logging.INFO):
            return
        level = logging.WARNING if event.name.endswith(".error") else logging.INFO
        attrs = " ".join(f"{k}={v}" for k, v in event.attributes.items())
        self.logger.log(level, "%s %s", event.name, attrs)


class ListSink:
    """Keeps every event in :attr:`events` (thread-safe); for tests and the CLI's summaries."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        """Append the event."""
        with self._lock:
            self.events.append(event)

    def names(self) -> list[str]:
        """The names of the events so far, in order."""
        return [e.name for e in self.events]


class FanOutSink:
    """Delivers every event to several sinks; a sink that raises is skipped, not fatal."""

    def __init__(self, sinks: Iterable[TelemetrySink]) -> None:
        self.sinks = list(sinks)

    def emit(self, event: Event) -> None:
        """Deliver the event to each sink."""
        for sink in self.sinks:
            try:
                sink.emit(event)
            except Exception:
                logging.getLogger(__name__).exception("telemetry sink %r failed", sink)


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


__all__ = [
    "CACHE_HIT",
    "FALLBACK",
    "INVOKE_END",
    "INVOKE_ERROR",
    "INVOKE_RETRY",
    "INVOKE_START",
    "PLUGIN_ERROR",
    "RATE_LIMIT_WAIT",
    "WARM_START",
    "Event",
    "EventEmitter",
    "FanOutSink",
    "ListSink",
    "LoggingSink",
    "TelemetrySink",
]
