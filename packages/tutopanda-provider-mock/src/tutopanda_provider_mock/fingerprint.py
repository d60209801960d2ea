"""What makes two mock requests the same: a stable hash of model, inputs and job id.

A mock output is a function of ``(provider, model, validated inputs, job id)`` and nothing
else: not the attempt number, the time, nor the machine. The same request gives byte-identical
files; any different input gives a different file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

#: Version of the mock outputs; part of cache keys, so bump it when any output changes for the
#: same request.
HANDLER_VERSION = "1"


def fingerprint(provider: str, model: str, inputs: Mapping[str, Any], job_id: str) -> str:
    """The sha256 (hex) of the request's identity, from canonical JSON."""
    identity = {"provider": provider, "model": model, "inputs": dict(inputs), "job": job_id}
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def seed_of(digest: str, salt: str = "") -> int:
    """A 64-bit seed drawn from ``digest`` (and an optional ``salt`` for a second stream)."""
    if salt:
        digest = hashlib.sha256(f"{digest}:{salt}".encode()).hexdigest()
    return int(digest[:16], 16)


__all__ = ["HANDLER_VERSION", "fingerprint", "seed_of"]
