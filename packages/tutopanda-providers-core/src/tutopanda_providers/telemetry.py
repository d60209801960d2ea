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
from collections.abc import Iterable

from tutopanda_providers.contracts import Event, TelemetrySink

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
    "FanOutSink",
    "ListSink",
    "LoggingSink",
]
