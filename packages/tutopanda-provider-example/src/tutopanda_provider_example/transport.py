"""HTTP details every media provider's handler needs: errors by status, network errors, and a
streamed download into storage.

Core is gaining shared versions of these in ``tutopanda_providers.http_helpers``; until a
release has them, a plugin keeps small local ones like these (see docs/writing-a-plugin.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from tutopanda_providers import (
    AuthError,
    BlobRef,
    ContentPolicyError,
    InvalidInputError,
    NotFoundError,
    ProviderError,
    ProviderFailedError,
    ProviderTimeoutError,
    QuotaError,
    RateLimitedError,
    TransientError,
)
from tutopanda_providers.contracts.media import base_mime, sniff_mime, suffix_for
from tutopanda_providers.http_helpers import parse_retry_after
from tutopanda_providers.storage import BlobStore

PROVIDER = "acme"


def error_for_status(
    status: int,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    code: str | None = None,
    model: str | None = None,
) -> ProviderError:
    """The error an HTTP error answer means: 401/403 ``auth``, 402 ``quota``, 400/422
    ``invalid_input``, 404/410 ``not_found``, 429 ``rate_limited`` (with the wait the API
    asked for), 408 ``timeout``, anything else (5xx) ``transient``. ``code ==
    "content_policy"`` is a ``content_policy`` refusal whatever the status.

    ``message`` is the API's own text; the error scrubs anything secret-looking from it.
    """
    text = f"acme answered {status}: {message}"
    kw: dict[str, Any] = {"provider": PROVIDER, "model": model}
    if code == "content_policy":
        return ContentPolicyError(text, **kw)
    if status in (401, 403):
        return AuthError(f"{text} (check ACME_API_KEY)", **kw)
    if status == 402:
        return QuotaError(f"{text} (add credit to the Acme account)", **kw)
    if status in (400, 422):
        return InvalidInputError(text, **kw)
    if status in (404, 410):
        return NotFoundError(text, **kw)
    wait = parse_retry_after(headers, message)
    if status == 429:
        return RateLimitedError(text, retry_after=wait, **kw)
    if status == 408:
        return ProviderTimeoutError(text, **kw)
    return TransientError(text, retry_after=wait, **kw)


def error_for_transport(
    exc: httpx.HTTPError, action: str, *, model: str | None = None
) -> ProviderError:
    """The error a network failure means: a timeout is ``timeout``, a refused or reset
    connection ``transient``. ``request_sent`` says whether the API may have acted on it."""
    kw: dict[str, Any] = {"provider": PROVIDER, "model": model}
    if isinstance(exc, httpx.TimeoutException):
        return ProviderTimeoutError(f"acme did not answer in time to {action}", **kw)
    sent = not isinstance(exc, httpx.ConnectError)
    return TransientError(
        f"the connection to acme failed to {action}: {type(exc).__name__}",
        request_sent=sent,
        **kw,
    )


async def download_to_storage(
    client: httpx.AsyncClient,
    url: str,
    storage: BlobStore,
    *,
    expected_mime: str | None = None,
    model: str | None = None,
) -> tuple[BlobRef, bytes]:
    """Stream the file at ``url`` into ``storage``; returns the blob and the first bytes.

    The stream is hashed while written; a body shorter than its ``Content-Length`` is not
    stored (``transient``). The type is sniffed from the bytes (the ``Content-Type`` header
    and ``expected_mime`` are only fallbacks). ``client`` must carry no credentials: output
    files live on another host than the API (a CDN), which must not see the key.

    Raises:
        NotFoundError: the URL has expired (404/410).
        ProviderTimeoutError / TransientError: the download stalled or broke off.
        ProviderFailedError: the host answered something that is not a file.
    """
    host = urlsplit(url).hostname or "?"
    try:
        async with client.stream("GET", url) as answer:
            if answer.status_code in (404, 410):
                raise NotFoundError(
                    f"the output file on {host} has expired ({answer.status_code})",
                    provider=PROVIDER,
                    model=model,
                )
            if answer.status_code >= 400:
                raise error_for_status(answer.status_code, f"download from {host}", model=model)
            announced = answer.headers.get("content-length")
            declared = base_mime(answer.headers.get("content-type")) or expected_mime
            head = b""
            writer = None
            try:
                async for chunk in answer.aiter_bytes():
                    if writer is None:
                        head = chunk[:64]
                        mime = sniff_mime(head) or declared or "application/octet-stream"
                        writer = storage.open_writer(mime=mime, suffix=suffix_for(mime))
                    writer.write(chunk)
                if writer is None:
                    raise TransientError(
                        f"the output file on {host} is empty", provider=PROVIDER, model=model
                    )
                blob = writer.commit(expected_size=int(announced) if announced else None)
            except BaseException:
                if writer is not None:
                    writer.abort()
                raise
    except httpx.HTTPError as exc:
        raise error_for_transport(exc, f"download the output from {host}", model=model) from exc
    if not blob.mime.startswith("image/"):
        raise ProviderFailedError(
            f"acme's output is {blob.mime}, not an image", provider=PROVIDER, model=model
        )
    return blob, head
