"""How a fake server decides whether a request carries the key: pluggable auth schemes.

    FakeServer(auth=HeaderAuth())                                   # Authorization: Bearer <key>
    FakeServer(auth=HeaderAuth(schemes=("Bearer", "Token")))        # Replicate accepts both
    FakeServer(auth=HeaderAuth(schemes=("Key",)))                   # Authorization: Key <key>
    FakeServer(auth=HeaderAuth(header="X-API-Key", schemes=()))     # the bare key in a header
    FakeServer(auth=NO_AUTH)                                        # an open API

A scheme only reads the credential; the server compares it with its ``api_key`` (any
non-empty credential is accepted when ``api_key`` is ``None``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from tutopanda_providers_testing.requestlog import RecordedRequest


@runtime_checkable
class AuthScheme(Protocol):
    """Reads the credential a request carries."""

    @property
    def open(self) -> bool:
        """Whether every request is let through (an API with no auth)."""
        ...

    def credential(self, request: RecordedRequest) -> str | None:
        """The key the request carries, or ``None`` when it carries none in this scheme."""
        ...


@dataclass(frozen=True)
class HeaderAuth:
    """A key in a header, optionally after a scheme word (``Bearer``, ``Token``, ``Key``).

    Attributes:
        header: the header's name (case-insensitive), ``Authorization`` by default.
        schemes: the scheme words accepted before the key (case-insensitive); empty when the
            header holds the bare key, as ``X-API-Key: <key>`` does.
    """

    header: str = "Authorization"
    schemes: tuple[str, ...] = ("Bearer",)
    open: bool = False

    def credential(self, request: RecordedRequest) -> str | None:
        """The key after one of :attr:`schemes` (or the whole value when there are none)."""
        value = (request.header(self.header) or "").strip()
        if not value:
            return None
        if not self.schemes:
            return value
        scheme, _, token = value.partition(" ")
        accepted = {s.lower() for s in self.schemes}
        return token.strip() or None if scheme.lower() in accepted else None


@dataclass(frozen=True)
class NoAuth:
    """An API without authentication: every request is let through."""

    open: bool = True

    def credential(self, request: RecordedRequest) -> str | None:
        """Always ``None``: there is no credential to read."""
        return None


#: ``Authorization: Bearer <key>`` (OpenAI and most APIs).
BEARER = HeaderAuth()
#: ``Authorization: Bearer <key>`` or ``Authorization: Token <key>`` (Replicate).
BEARER_OR_TOKEN = HeaderAuth(schemes=("Bearer", "Token"))
#: ``Authorization: Key <key>`` (fal.ai style).
KEY = HeaderAuth(schemes=("Key",))
#: No authentication at all.
NO_AUTH = NoAuth()


def authorised(scheme: AuthScheme, request: RecordedRequest, api_key: str | None) -> bool:
    """Whether ``request`` passes ``scheme`` for ``api_key`` (``None``: any non-empty key)."""
    if scheme.open:
        return True
    token = scheme.credential(request)
    if token is None:
        return False
    return api_key is None or token == api_key
