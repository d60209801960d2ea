"""Helpers for handlers that speak HTTP to a provider: what every media provider does.

- :func:`parse_retry_after` reads how long a provider asked us to wait, from headers or body
  text.
- :func:`error_for_status` and :func:`error_for_response` turn an HTTP error answer into the
  right :class:`~tutopanda_providers.contracts.ProviderError` kind;
  :func:`error_for_transport` does the same for an ``httpx`` network error, and says whether
  the request may have reached the provider (``request_sent``).
- :class:`OutputDownloader` streams a remote output file (or a ``data:`` URI) into storage:
  hashed as it arrives, its type sniffed from its first bytes, truncation detected against
  ``Content-Length``, a size limit, and credentials sent to the provider's own hosts only.
- :func:`facts_or_empty` reads a stored file's media facts, or none when no reader can.

``httpx`` is imported when a function that needs it runs, so importing this module for
:func:`parse_retry_after` costs nothing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import logging
import re
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

from tutopanda_providers.contracts import (
    SNIFF_BYTES,
    AuthError,
    BlobRef,
    InvalidInputError,
    MediaFacts,
    NotFoundError,
    ProviderError,
    ProviderFailedError,
    ProviderTimeoutError,
    QuotaError,
    RateLimitedError,
    TransientError,
    base_mime,
    read_media_facts,
    sniff_mime,
    suffix_for,
)

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

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


# -- HTTP statuses and network errors -> error kinds ----------------------------------------

_FIELD = re.compile(r"\binput\.([A-Za-z_][\w.]*)")


def error_for_status(
    status: int,
    *,
    provider: str,
    model: str | None = None,
    action: str = "answer the request",
    detail: str = "",
    headers: Mapping[str, str] | None = None,
    request_sent: bool = True,
    secret_names: Collection[str] = (),
) -> ProviderError:
    """The :class:`ProviderError` for an HTTP error ``status`` a provider answered.

    ======================  =====================================================
    status                  kind (class)
    ======================  =====================================================
    401, 403                ``auth`` (:class:`AuthError`), naming ``secret_names``
    402                     ``quota`` (:class:`QuotaError`)
    404, 410                ``not_found`` (:class:`NotFoundError`)
    408                     ``timeout`` (:class:`ProviderTimeoutError`), retryable
    409, 422                ``invalid_input`` (:class:`InvalidInputError`); fields written
                            ``input.<name>`` in ``detail`` go to ``details["fields"]``
    429                     ``rate_limited`` (:class:`RateLimitedError`); ``retry_after``
                            from the headers or the detail (:func:`parse_retry_after`)
    5xx                     ``transient`` (:class:`TransientError`), retryable
    any other               ``provider_failed`` (:class:`ProviderFailedError`)
    ======================  =====================================================

    Args:
        status: the HTTP status code (400-599).
        provider: the provider's name, for the message and the error.
        model: the model, when known.
        action: what was being done, as a verb phrase (``create the prediction``).
        detail: the provider's explanation (problem details, an error message); never a
            request header, so no secret can reach the message.
        headers: the answer's headers, for ``Retry-After``.
        request_sent: for a 5xx or 408, whether a paid job may exist despite the error (a
            ``GET`` that failed made nothing: pass ``False``).
        secret_names: the secrets the request used, named in an ``auth`` message.
    """
    detail = " ".join(detail.split()) or "no detail given"
    where = f"{provider} refused to {action}" + (f" for {model}" if model else "")
    common: dict[str, Any] = {
        "provider": provider,
        "model": model,
        "details": {"status": status},
    }
    if status == 429:
        wait = parse_retry_after(headers, detail)
        return RateLimitedError(
            f"{where}: rate limited (429): {detail}"
            + (f"; it asks to wait {wait:g}s" if wait is not None else ""),
            retry_after=wait,
            **common,
        )
    if status in (409, 422):
        fields = sorted(set(_FIELD.findall(detail)))
        common["details"]["fields"] = fields
        return InvalidInputError(
            f"{where}: invalid input ({status}): {detail}. Fix "
            f"{', '.join(fields) if fields else 'the inputs'} and try again.",
            **common,
        )
    if status in (401, 403):
        names = ", ".join(secret_names) or "the credentials"
        return AuthError(
            f"{where}: the credentials were refused ({status}): {detail}. Check {names}.",
            **common,
        )
    if status == 402:
        return QuotaError(
            f"{where}: payment required (402): {detail}. Add credit to the account.", **common
        )
    if status in (404, 410):
        return NotFoundError(f"{where}: not found ({status}): {detail}", **common)
    if status == 408:
        return ProviderTimeoutError(
            f"{where}: the request timed out (408): {detail}",
            retryable=True,
            request_sent=request_sent,
            **common,
        )
    if status >= 500:
        return TransientError(
            f"{where}: server error ({status}): {detail}", request_sent=request_sent, **common
        )
    return ProviderFailedError(f"{where}: HTTP {status}: {detail}", **common)


def error_for_response(
    response: httpx.Response,
    *,
    provider: str,
    model: str | None = None,
    action: str = "answer the request",
    request_sent: bool = True,
    secret_names: Collection[str] = (),
) -> ProviderError:
    """:func:`error_for_status` for an ``httpx`` error response, its detail read from the body.

    The detail is the body's ``detail``, ``error.message``, ``message`` or ``error`` (JSON),
    else its first 300 characters of text. The body must have been read (a streamed response:
    ``await response.aread()`` first).
    """
    return error_for_status(
        response.status_code,
        provider=provider,
        model=model,
        action=action,
        detail=_response_detail(response),
        headers=response.headers,
        request_sent=request_sent,
        secret_names=secret_names,
    )


def _response_detail(response: httpx.Response) -> str:
    try:
        text = response.text
    except Exception:  # a streamed body that was not read: no detail rather than a crash
        return ""
    try:
        body = response.json()
    except ValueError:
        return text[:300]
    if isinstance(body, dict):
        error = body.get("error")
        for value in (
            body.get("detail"),
            error.get("message") if isinstance(error, dict) else error,
            body.get("message"),
            body.get("title"),
        ):
            if isinstance(value, str) and value.strip():
                return value
    return text[:300]


def request_may_have_been_sent(exc: httpx.HTTPError) -> bool:
    """Whether the request behind ``exc`` may have reached the provider.

    ``False`` only when no connection was made (``ConnectError``, ``ConnectTimeout``,
    ``PoolTimeout``, an invalid URL): the provider cannot have started a job. A read or write
    timeout, a reset connection or a protocol error may come after the provider received the
    request: ``True``.
    """
    import httpx

    return not isinstance(
        exc,
        httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.UnsupportedProtocol,
    ) and not isinstance(exc, httpx.InvalidURL)


def error_for_transport(
    exc: httpx.HTTPError,
    *,
    provider: str,
    model: str | None = None,
    action: str = "send the request",
    creates_job: bool = True,
) -> ProviderError:
    """The :class:`ProviderError` for an ``httpx`` network error (no HTTP answer).

    | error | kind | ``request_sent`` |
    |---|---|---|
    | ``ConnectError``, ``ConnectTimeout``, ``PoolTimeout`` | ``transient`` | ``False`` |
    | ``ReadTimeout``, ``WriteTimeout`` | ``timeout`` (retryable) | ``True`` |
    | a reset connection, a protocol error, any other | ``transient`` | ``True`` |
    | an unsupported scheme or an invalid URL | ``provider_failed`` (check the base URL) | ``False`` |

    Args:
        exc: what ``httpx`` raised.
        provider / model / action: for the message (``could not <action> for <model>``).
        creates_job: ``False`` for a request that creates nothing paid (a poll, a download, a
            ``GET``): ``request_sent`` is then always ``False``, so a retry is safe.
    """
    import httpx

    sent = creates_job and request_may_have_been_sent(exc)
    name = type(exc).__name__
    message = (
        f"could not {action}" + (f" for {model}" if model else "") + f" on {provider}: "
        f"{name}: {exc or 'no detail'}"
    )
    common: dict[str, Any] = {
        "provider": provider,
        "model": model,
        "request_sent": sent,
        "details": {"error": name, "request_sent": sent},
    }
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return ProviderFailedError(message + "; check the provider's base URL", **common)
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
        return ProviderTimeoutError(
            message
            + (
                "; the provider may have received the request"
                if sent
                else "; nothing was created, trying again is safe"
            ),
            retryable=True,
            **common,
        )
    if not sent and creates_job:
        message += "; no connection was made, so nothing was sent"
    return TransientError(message, **common)


# -- output files into storage ---------------------------------------------------------------


class BlobWriterLike(Protocol):
    """What :class:`OutputDownloader` needs of a blob writer (a :class:`~tutopanda_providers.
    storage.BlobWriter`)."""

    def write(self, data: bytes) -> None:
        """Append ``data``."""

    def commit(self, *, expected_size: int | None = None) -> BlobRef:
        """Verify and publish; raise :class:`TransientError` when the size is not as expected."""

    def __enter__(self) -> BlobWriterLike: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class BlobStoreLike(Protocol):
    """What :class:`OutputDownloader` needs of storage (a :class:`~tutopanda_providers.storage.
    BlobStore`, as handed to a handler in ``request.storage``)."""

    def open_writer(self, *, mime: str, suffix: str = "") -> Any:
        """A :class:`BlobWriterLike` for one blob."""

    def local_path(self, ref: BlobRef) -> Path | None:
        """The blob's local file, when storage is local."""


#: MIME types that say nothing about a file.
_GENERIC_MIMES = {None, "application/octet-stream", "binary/octet-stream"}
#: Headers that carry credentials; sent only to the provider's own hosts.
_CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie")
#: The default size limit of one output file: 2 GiB.
DEFAULT_MAX_BYTES = 2 * 1024**3


def facts_or_empty(path: str | Path, mime: str) -> MediaFacts:
    """The media facts of the file at ``path``, or empty facts when they cannot be read.

    Pillow and PyAV are an extra of core (``tutopanda-providers-core[media]``): without them,
    or with a file they choke on, the facts stay empty rather than guessed, and a paid job
    still succeeds.
    """
    try:
        return read_media_facts(path, mime)
    except Exception as exc:  # a reader failing on a file must not fail a paid job
        log.debug("could not read media facts of %s: %s", path, exc)
        return MediaFacts()


@dataclass
class StoredOutput:
    """One output file, stored: its blob reference, MIME type and the facts read from it."""

    blob: BlobRef
    mime: str
    facts: MediaFacts


class OutputDownloader:
    """Fetches a provider's output files (``https:``/``http:`` URLs, ``data:`` URIs) into storage.

    A file is stored only when it is complete and what was promised: it is streamed into a
    blob writer (sha256 and size counted as it arrives); a body shorter than its
    ``Content-Length``, or cut mid-way, raises a retryable :class:`TransientError` and leaves
    nothing stored. Its type comes from its first bytes (:func:`~tutopanda_providers.contracts.
    sniff_mime`), then from the server's ``Content-Type``, then from the card's promise.

    Credentials (``headers`` such as ``Authorization``) are sent only to ``credential_hosts``
    (``api.example.com``, or ``*.example.com``); redirects are followed one by one (at most
    ``max_redirects``) so a redirect to a file host never carries them.

    Args:
        provider: the provider's name, for messages and errors.
        headers: headers for requests to ``credential_hosts`` (an API key when the provider's
            files need one); never sent elsewhere.
        credential_hosts: host names (or ``*.suffix`` patterns) that may receive ``headers``.
        timeout: seconds allowed to connect and between two reads.
        chunk_size: bytes per read.
        max_bytes: the largest file accepted; a bigger one is refused (``ProviderFailedError``,
            ``details["reason"] == "too_large"``) and nothing is stored.
        read_facts: read media facts from the stored file (:func:`facts_or_empty`).
        gone_hint: appended to the message when the file host answers 403/404/410 (for
            example: the provider's output URLs expire after an hour).
        max_redirects: redirects followed per file.
        transport: an ``httpx`` transport (tests); the default makes no retries.
    """

    def __init__(
        self,
        *,
        provider: str,
        headers: Mapping[str, str] | None = None,
        credential_hosts: Collection[str] = (),
        timeout: float = 60.0,
        chunk_size: int = 256 * 1024,
        max_bytes: int = DEFAULT_MAX_BYTES,
        read_facts: bool = True,
        gone_hint: str = "",
        max_redirects: int = 5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.provider = provider
        self._headers = dict(headers or {})
        self._hosts = tuple(h.lower() for h in credential_hosts)
        self._timeout = timeout
        self._chunk_size = chunk_size
        self.max_bytes = max_bytes
        self._read_facts = read_facts
        self._gone_hint = gone_hint
        self._max_redirects = max_redirects
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        """The file client: no default headers, redirects followed by hand, no retries."""
        if self._http is None:
            import httpx

            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self._timeout),
                follow_redirects=False,
                transport=self._transport or httpx.AsyncHTTPTransport(retries=0),
            )
        return self._http

    async def aclose(self) -> None:
        """Close the file client (it is rebuilt on next use)."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def may_receive_credentials(self, url: str) -> bool:
        """Whether ``url``'s host is one of ``credential_hosts`` (https, or loopback http)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host or not self._headers:
            return False
        if parts.scheme != "https" and host not in ("127.0.0.1", "localhost", "::1"):
            return False  # a key never travels in clear text
        return any(
            host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
            for pattern in self._hosts
        )

    async def fetch(
        self,
        url: str,
        *,
        storage: BlobStoreLike,
        expected: str | None,
        promised_mime: str,
        model: str,
    ) -> StoredOutput:
        """Store the file at ``url`` and return what was stored.

        Args:
            url: an ``http(s):`` URL or a ``data:`` URI.
            storage: where the blob goes (``request.storage``).
            expected: the major type the model promises (``image``, ``audio``, ``video``), or
                ``None`` to accept any type.
            promised_mime: the card's MIME type, used only when neither the file's signature
                nor the server names a specific type.
            model: the model, for messages.

        Raises:
            TransientError: the download failed, was cut short, or the host answered 429/5xx
                (retryable; nothing stored). ``details["reason"]`` is ``truncated_download``
                or ``download_failed``.
            ProviderFailedError: the file is gone (403/404/410: ``output_expired``), empty
                (``empty_output``), not the promised type (``wrong_type``), bigger than
                ``max_bytes`` (``too_large``), or the URL is not one we can fetch.
        """
        if url.startswith("data:"):
            declared, data = self._decode_data_uri(url, model)
            if len(data) > self.max_bytes:
                raise self._too_large(model, "data: URI", len(data))
            mime = self._decide_mime(
                data[:SNIFF_BYTES], declared, expected, promised_mime, model, "data: URI"
            )
            ref = _write_all(storage, data, mime)
        else:
            ref, mime = await self._stream(url, storage, expected, promised_mime, model)
        facts = MediaFacts()
        path = storage.local_path(ref)
        if self._read_facts and path is not None:
            facts = await asyncio.to_thread(facts_or_empty, path, mime)
        return StoredOutput(blob=ref, mime=mime, facts=facts)

    async def _stream(
        self, url: str, storage: BlobStoreLike, expected: str | None, promised: str, model: str
    ) -> tuple[BlobRef, str]:
        import httpx

        if urlsplit(url).scheme not in ("http", "https"):
            raise ProviderFailedError(
                f"{model} returned an output that is not a URL we can fetch: {url[:80]!r}",
                provider=self.provider,
                model=model,
                details={"reason": "bad_url"},
            )
        host = urlsplit(url).netloc
        try:
            response = await self._open(url)
            try:
                host = urlsplit(str(response.url)).netloc
                self._check_status(response, model, host)
                return await self._store_body(response, storage, expected, promised, model, host)
            finally:
                await response.aclose()
        except ProviderError:
            raise
        except httpx.HTTPError as exc:
            raise TransientError(
                f"downloading the {model} output from {host} failed: {type(exc).__name__}: "
                f"{exc or 'no detail'}; nothing was stored",
                provider=self.provider,
                model=model,
                details={"reason": "download_failed", "error": type(exc).__name__, "host": host},
            ) from exc

    async def _open(self, url: str) -> httpx.Response:
        """Send the GET, following redirects one by one with credentials only where allowed."""
        for _ in range(self._max_redirects + 1):
            headers = self._headers if self.may_receive_credentials(url) else {}
            request = self.http.build_request("GET", url, headers=headers)
            response = await self.http.send(request, stream=True)
            location = response.headers.get("location")
            if not (response.is_redirect and location):
                return response
            await response.aclose()
            url = urljoin(url, location)
        raise ProviderFailedError(
            f"the output at {urlsplit(url).netloc} redirected more than {self._max_redirects} "
            "times; nothing was stored",
            provider=self.provider,
            details={"reason": "too_many_redirects"},
        )

    async def _store_body(
        self,
        response: httpx.Response,
        storage: BlobStoreLike,
        expected: str | None,
        promised: str,
        model: str,
        host: str,
    ) -> tuple[BlobRef, str]:
        declared = base_mime(response.headers.get("content-type"))
        length = _content_length(response)
        if length is not None and length > self.max_bytes:
            raise self._too_large(model, host, length)
        chunks = response.aiter_bytes(self._chunk_size)
        head = b""
        async for chunk in chunks:
            head += chunk
            if len(head) >= SNIFF_BYTES:
                break
        mime = self._decide_mime(head[:SNIFF_BYTES], declared, expected, promised, model, host)
        size = len(head)
        if size > self.max_bytes:
            raise self._too_large(model, host, size)
        with storage.open_writer(mime=mime, suffix=suffix_for(mime)) as writer:
            writer.write(head)
            async for chunk in chunks:
                size += len(chunk)
                if size > self.max_bytes:
                    raise self._too_large(model, host, size)
                writer.write(chunk)
            try:
                ref: BlobRef = writer.commit(expected_size=length)
            except TransientError as exc:
                raise TransientError(
                    f"the {model} output from {host} was cut short and was not stored "
                    f"({exc.message}); fetching it again may work",
                    provider=self.provider,
                    model=model,
                    details={"reason": "truncated_download", "host": host},
                ) from exc
        return ref, mime

    def _too_large(self, model: str, source: str, size: int) -> ProviderFailedError:
        return ProviderFailedError(
            f"the {model} output from {source} is {size} bytes, over the limit of "
            f"{self.max_bytes}; nothing was stored (raise max_bytes if it is expected)",
            provider=self.provider,
            model=model,
            details={"reason": "too_large", "bytes": size, "max_bytes": self.max_bytes},
        )

    def _check_status(self, response: httpx.Response, model: str, host: str) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        details: dict[str, Any] = {"status": status, "host": host}
        if status in (403, 404, 410):
            hint = f": {self._gone_hint}" if self._gone_hint else ""
            raise ProviderFailedError(
                f"the {model} output at {host} is gone ({status}){hint}",
                provider=self.provider,
                model=model,
                details={**details, "reason": "output_expired"},
            )
        if status == 429 or status >= 500:
            raise TransientError(
                f"the file host {host} answered {status} for the {model} output",
                provider=self.provider,
                model=model,
                retry_after=parse_retry_after(response.headers) if status == 429 else None,
                details={**details, "reason": "download_failed"},
            )
        raise ProviderFailedError(
            f"the file host {host} answered {status} for the {model} output",
            provider=self.provider,
            model=model,
            details=details,
        )

    def _decide_mime(
        self,
        head: bytes,
        declared: str | None,
        expected: str | None,
        promised: str,
        model: str,
        source: str,
    ) -> str:
        if not head:
            raise ProviderFailedError(
                f"the {model} output from {source} is empty; nothing was stored",
                provider=self.provider,
                model=model,
                details={"reason": "empty_output"},
            )
        mime = sniff_mime(head) or (promised if declared in _GENERIC_MIMES else declared)
        assert mime is not None
        if expected is not None and mime.split("/", 1)[0] != expected:
            served = f" (served as {declared})" if declared and declared != mime else ""
            raise ProviderFailedError(
                f"{model} promised {expected}, but its output from {source} is {mime}{served}; "
                "nothing was stored",
                provider=self.provider,
                model=model,
                details={"reason": "wrong_type", "mime": mime, "declared": declared},
            )
        return mime

    def _decode_data_uri(self, url: str, model: str) -> tuple[str | None, bytes]:
        header, sep, payload = url[5:].partition(",")
        if not sep:
            raise ProviderFailedError(
                f"{model} returned a malformed data: URI (no comma)",
                provider=self.provider,
                model=model,
                details={"reason": "bad_url"},
            )
        params = header.split(";")
        declared = base_mime(params[0])
        try:
            if "base64" in params[1:]:
                return declared, base64.b64decode(payload, validate=False)
            return declared, unquote_to_bytes(payload)
        except (binascii.Error, ValueError) as exc:
            raise ProviderFailedError(
                f"{model} returned a data: URI that does not decode: {exc}",
                provider=self.provider,
                model=model,
                details={"reason": "bad_url"},
            ) from exc


def _write_all(storage: BlobStoreLike, data: bytes, mime: str) -> BlobRef:
    with storage.open_writer(mime=mime, suffix=suffix_for(mime)) as writer:
        writer.write(data)
        ref: BlobRef = writer.commit()
    return ref


def _content_length(response: httpx.Response) -> int | None:
    # A compressed body is decoded as it is read: its Content-Length counts other bytes.
    if response.headers.get("content-encoding", "identity").lower() not in ("", "identity"):
        return None
    value = response.headers.get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


__all__ = [
    "DEFAULT_MAX_BYTES",
    "BlobStoreLike",
    "BlobWriterLike",
    "OutputDownloader",
    "StoredOutput",
    "error_for_response",
    "error_for_status",
    "error_for_transport",
    "facts_or_empty",
    "parse_retry_after",
    "request_may_have_been_sent",
]
