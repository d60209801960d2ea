"""Former home of the fake-server base; kept so older imports keep working.

Use :mod:`tutopanda_providers_testing.fakeserver` (public and documented) instead.
"""

from __future__ import annotations

from tutopanda_providers_testing.fakeserver.reply import Reply
from tutopanda_providers_testing.fakeserver.server import (
    FakeServer,
    TokenBucket,
    _Handler,
    _HTTPServer,
)

__all__ = ["FakeServer", "Reply", "TokenBucket", "_HTTPServer", "_Handler"]
