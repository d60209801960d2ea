"""Redaction: remember every secret value resolved in this process and blank it out of text.

Lowest layer on purpose: errors, events and results all scrub their text through here, and
:mod:`tutopanda_providers.secrets` remembers each value it resolves.
"""

from __future__ import annotations

import threading

MASK = "***"

_known_lock = threading.Lock()
_known_values: set[str] = set()


def remember_secret(value: str) -> None:
    """Add ``value`` to the set :func:`scrub` blanks out. Short values are ignored (too many
    false hits, and a 3-character key is no key)."""
    if len(value) >= 6:
        with _known_lock:
            _known_values.add(value)


def scrub(text: str) -> str:
    """Return ``text`` with every known secret value replaced by ``***``."""
    if not _known_values or not text:
        return text
    for value in tuple(_known_values):
        if value in text:
            text = text.replace(value, MASK)
    return text


def scrub_data(value: object) -> object:
    """``value`` with known secrets blanked out of every string inside it (dicts, lists, tuples);
    returns the same object when there is nothing to blank."""
    if not _known_values:
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: scrub_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(scrub_data(v) for v in value)
    return value


def has_known_secrets() -> bool:
    """True once any secret has been resolved in this process."""
    return bool(_known_values)


__all__ = ["MASK", "has_known_secrets", "remember_secret", "scrub", "scrub_data"]
