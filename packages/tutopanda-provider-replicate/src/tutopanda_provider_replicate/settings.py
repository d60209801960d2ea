"""The live handler's settings, read from the registry's ``provider_options["replicate"]``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

DEFAULT_BASE_URL = "https://api.replicate.com"


@dataclass(frozen=True)
class HandlerSettings:
    """How the live handler talks to Replicate. Every field has a working default.

    Attributes:
        base_url: the API's origin; else ``REPLICATE_BASE_URL``, else Replicate's.
        timeout: seconds for one API request (read/write/pool).
        connect_timeout: seconds to connect to the API.
        poll_initial: seconds before the first poll of a prediction.
        poll_max: the longest wait between two polls.
        poll_factor: how much the wait grows after each poll.
        cancel_timeout: seconds allowed for canceling a prediction on the way out.
        download_timeout: seconds allowed between two reads of an output file.
        adopt_grace: seconds to wait, after a create whose answer was lost, before listing
            predictions to see whether it was created.
        adopt_window: seconds of clock difference allowed when matching a listed prediction's
            ``created_at`` against the time the create was sent (2 s: a wider window lets a
            run adopt another run's prediction of the same input made just before its own).
        read_facts: read media facts from stored files (Pillow/PyAV when installed).
    """

    base_url: str | None = None
    timeout: float = 30.0
    connect_timeout: float = 5.0
    poll_initial: float = 0.5
    poll_max: float = 5.0
    poll_factor: float = 1.5
    cancel_timeout: float = 10.0
    download_timeout: float = 60.0
    adopt_grace: float = 1.0
    adopt_window: float = 2.0
    read_facts: bool = True

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> HandlerSettings:
        """Settings from provider options; unknown keys are ignored (they belong to others)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in options.items() if k in known})


__all__ = ["DEFAULT_BASE_URL", "HandlerSettings"]
