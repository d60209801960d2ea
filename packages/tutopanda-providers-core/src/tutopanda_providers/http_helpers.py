"""Helpers for handlers that speak HTTP to a provider.

:func:`parse_retry_after` reads how long a provider asked us to wait, from headers or body text.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Mapping

_RESETS_IN = re.compile(r"resets?\s+in\s+~?\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?)?\b", re.I)


def parse_retry_after(
    headers: Mapping[str, str] | None = None,
    body_text: str | None = None,
    *,
    now: Callable[[], float] = time.time,
) -> float | None:
    """Seconds a provider asked us to wait, or ``None`` when it did not say.

    Reads, in order: ``retry-after-ms``, ``Retry-After`` (seconds or an HTTP date),
    ``x-ratelimit-reset-requests`` style values such as ``"6s"``, then Replicate's
    ``"... resets in ~12s"`` in the body text. Header names are matched case-insensitively.
    """
    if headers:
        lowered = {k.lower(): v for k, v in headers.items()}
        ms = lowered.get("retry-after-ms")
        if ms is not None:
            try:
                return max(0.0, float(ms) / 1000.0)
            except ValueError:
                pass
        value = lowered.get("retry-after")
        if value is not None:
            value = value.strip()
            try:
                return max(0.0, float(value))
            except ValueError:
                try:
                    parsed = email.utils.parsedate_to_datetime(value)
                except (TypeError, ValueError):
                    parsed = None
                if parsed is not None:
                    return max(0.0, parsed.timestamp() - now())
        reset = lowered.get("x-ratelimit-reset-requests")
        if reset:
            seconds = _duration(reset)
            if seconds is not None:
                return seconds
    if body_text:
        match = _RESETS_IN.search(body_text)
        if match:
            amount = float(match.group(1))
            return amount / 1000.0 if (match.group(2) or "").lower() == "ms" else amount
    return None


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def _duration(text: str) -> float | None:
    """``"1m30s"`` / ``"6s"`` / ``"250ms"`` / ``"2.5"`` as seconds."""
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts:
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(n) * scale[u] for n, u in parts)


__all__ = ["parse_retry_after"]
