"""How long Replicate asks us to wait after a 429.

Replicate's documented 429 body says ``"Your rate limit resets in ~30s."``; a ``Retry-After``
header is honoured when present (seconds, or an HTTP date). The header wins over the text.

Core's pipeline is gaining a shared ``parse_retry_after``; this module stays the one place this
package reads the wait from, so switching to the shared helper is a one-line change here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_RESETS_IN = re.compile(
    r"resets?\s+in\s+~?\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?|m|min|minutes?)?\b", re.I
)


def parse_retry_after(header: str | None, detail: str | None = None) -> float | None:
    """Seconds to wait: from ``Retry-After`` (seconds or HTTP date), else from the text.

    Returns ``None`` when neither says; never a negative number.
    """
    if header:
        value = header.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
    if detail:
        match = _RESETS_IN.search(detail)
        if match:
            amount = float(match.group(1))
            unit = (match.group(2) or "s").lower()
            if unit == "ms":
                return amount / 1000
            if unit.startswith("m"):
                return amount * 60
            return amount
    return None


__all__ = ["parse_retry_after"]
