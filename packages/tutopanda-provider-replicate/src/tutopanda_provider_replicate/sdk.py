"""The ``replicate`` SDK client, with its own retries switched off.

``replicate.Client`` wraps whatever transport it is given in its ``RetryTransport`` (up to ten
attempts of every GET on 429/503/504), and there is no switch for that. The registry owns
retries, so :class:`NoRetryClient` hands the SDK an ``httpx.AsyncClient`` built here, on a plain
transport: each SDK call is exactly one HTTP request. The headers of the last error response
are kept (per task) so a 429's ``Retry-After`` reaches the error mapping; the SDK's
``ReplicateError`` drops them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping

import httpx
from replicate.__about__ import __version__ as SDK_VERSION
from replicate.client import Client

from tutopanda_provider_replicate import __version__

_error_headers: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "replicate_error_headers", default=None
)


async def _remember_error_headers(response: httpx.Response) -> None:
    if response.status_code >= 400:
        _error_headers.set({k.lower(): v for k, v in response.headers.items()})


def last_error_headers() -> Mapping[str, str]:
    """Headers of the last error response seen in this task (empty when none)."""
    return _error_headers.get() or {}


def clear_error_headers() -> None:
    """Forget the last error response's headers (call before each API call)."""
    _error_headers.set(None)


class NoRetryClient(Client):
    """``replicate.Client`` on an httpx client of ours: one HTTP request per SDK call.

    Only the async API is served; the sync one would build a retrying client behind our back.
    """

    def __init__(self, http: httpx.AsyncClient) -> None:
        super().__init__(base_url=str(http.base_url))
        self._http = http

    @property
    def _async_client(self) -> httpx.AsyncClient:
        return self._http

    @property
    def _client(self) -> httpx.Client:
        raise RuntimeError("tutopanda's Replicate client is async only")


def build_api_client(
    *, token: str, base_url: str, timeout: float, connect_timeout: float
) -> tuple[NoRetryClient, httpx.AsyncClient]:
    """The SDK client and the httpx client under it (close the latter when done)."""
    http = httpx.AsyncClient(
        base_url=base_url,
        headers={
            "Authorization": f"Bearer {token}",
            "User-Agent": f"replicate-python/{SDK_VERSION} tutopanda-provider-replicate/{__version__}",
        },
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        transport=httpx.AsyncHTTPTransport(retries=0),
        event_hooks={"response": [_remember_error_headers]},
    )
    return NoRetryClient(http), http


__all__ = [
    "NoRetryClient",
    "build_api_client",
    "clear_error_headers",
    "last_error_headers",
]
