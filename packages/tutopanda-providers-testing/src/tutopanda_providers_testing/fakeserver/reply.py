"""What a fake server's route answers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """What a route answers. ``reset`` closes the connection instead of answering."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False
    truncate: bool = False
    trickle_seconds: float = 0.0
    delay: float = 0.0

    @classmethod
    def json(cls, status: int, payload: Any, **kwargs: Any) -> Reply:
        """A JSON reply."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        return cls(status, body, **kwargs)
