"""Downloading a prediction's output files into storage, at once and verified.

Replicate's output URLs expire (about an hour), so files are fetched as soon as a prediction
succeeds and streamed into the request's storage handle, which hashes (sha256) and counts them
as they arrive. A file is stored only when it is complete: a body shorter than its
``Content-Length`` (or a connection cut mid-body) raises a retryable :class:`TransientError` and
leaves nothing under a final name. The file's type must be what the model promised (an audio
model must return audio), read from the file's first bytes, and it must not be empty.

Files are fetched with an ``httpx.AsyncClient`` of this module, which never sends Replicate's
``Authorization`` header to a file host (the SDK's ``FileOutput`` would). ``data:`` URIs are
decoded locally.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

import httpx
from tutopanda_providers.contracts import (
    SNIFF_BYTES,
    BlobRef,
    MediaFacts,
    ProviderError,
    ProviderFailedError,
    TransientError,
    base_mime,
    read_media_facts,
    sniff_mime,
    suffix_for,
)
from tutopanda_providers.storage import BlobStore

log = logging.getLogger(__name__)

_GENERIC = {None, "application/octet-stream", "binary/octet-stream"}


def facts_or_empty(path: Path, mime: str) -> MediaFacts:
    """The media facts of the stored file at ``path``, or empty facts when they cannot be read.

    Pillow and PyAV are not dependencies of this package: without them (or with a file they
    choke on) the facts stay empty rather than guessed, and the paid job still succeeds.
    """
    try:
        return read_media_facts(path, mime)
    except Exception as exc:  # a reader failing on a file must not fail a paid job
        log.debug("could not read media facts of %s: %s", path, exc)
        return MediaFacts()


@dataclass
class StoredOutput:
    """One output file, stored: its blob reference, MIME and the facts read from it."""

    blob: BlobRef
    mime: str
    facts: MediaFacts


class OutputDownloader:
    """Fetches output files (``https:``/``http:`` URLs and ``data:`` URIs) into storage.

    Args:
        timeout: seconds allowed between two reads of a file, and to connect.
        chunk_size: bytes per read.
        read_facts: read media facts from the stored file (Pillow/PyAV when installed; see
            :func:`facts_or_empty`).
    """

    def __init__(
        self, *, timeout: float = 60.0, chunk_size: int = 256 * 1024, read_facts: bool = True
    ) -> None:
        self._timeout = timeout
        self._chunk_size = chunk_size
        self._read_facts = read_facts
        self._http: httpx.AsyncClient | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        """The file client: no Authorization header, follows redirects, no retries."""
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self._timeout),
                follow_redirects=True,
                transport=httpx.AsyncHTTPTransport(retries=0),
            )
        return self._http

    async def aclose(self) -> None:
        """Close the file client."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def fetch(
        self, url: str, *, storage: BlobStore, expected: str, promised_mime: str, model: str
    ) -> StoredOutput:
        """Store the file at ``url`` and return what was stored.

        Args:
            url: an ``http(s):`` URL or a ``data:`` URI.
            storage: where the blob goes.
            expected: the major type the model promises: ``image``, ``audio`` or ``video``.
            promised_mime: the card's MIME, used only when neither the file's signature nor
                the server names a specific type.
            model: ``owner/name``, for messages.

        Raises:
            TransientError: the download failed or was cut short (retryable; nothing stored).
            ProviderFailedError: the URL has expired, or the file is empty or not the promised
                type.
        """
        if url.startswith("data:"):
            declared, data = _decode_data_uri(url, model)
            ref, mime = self._store_bytes(data, declared, storage, expected, promised_mime, model)
        else:
            ref, mime = await self._stream(url, storage, expected, promised_mime, model)
        facts = MediaFacts()
        path = storage.local_path(ref)
        if self._read_facts and path is not None:
            facts = await asyncio.to_thread(facts_or_empty, path, mime)
        return StoredOutput(blob=ref, mime=mime, facts=facts)

    def _store_bytes(
        self,
        data: bytes,
        declared: str | None,
        storage: BlobStore,
        expected: str,
        promised: str,
        model: str,
    ) -> tuple[BlobRef, str]:
        mime = _decide_mime(data[:SNIFF_BYTES], declared, expected, promised, model, "data: URI")
        return storage.write_bytes(data, mime=mime, suffix=suffix_for(mime)), mime

    async def _stream(
        self, url: str, storage: BlobStore, expected: str, promised: str, model: str
    ) -> tuple[BlobRef, str]:
        host = urlsplit(url).netloc
        try:
            async with self.http.stream("GET", url) as response:
                _check_status(response, model, host)
                declared = base_mime(response.headers.get("content-type"))
                length = _content_length(response)
                chunks = response.aiter_bytes(self._chunk_size)
                head = b""
                async for chunk in chunks:
                    head += chunk
                    if len(head) >= SNIFF_BYTES:
                        break
                mime = _decide_mime(head[:SNIFF_BYTES], declared, expected, promised, model, host)
                with storage.open_writer(mime=mime, suffix=suffix_for(mime)) as writer:
                    writer.write(head)
                    async for chunk in chunks:
                        writer.write(chunk)
                    try:
                        ref = writer.commit(expected_size=length)
                    except TransientError as exc:
                        raise TransientError(
                            f"the {model} output from {host} was cut short and was not stored "
                            f"({exc.message}); fetching it again may work",
                            provider="replicate",
                            model=model,
                            details={"reason": "truncated_download"},
                        ) from exc
                return ref, mime
        except ProviderError:
            raise
        except httpx.HTTPError as exc:
            raise TransientError(
                f"downloading the {model} output from {host} failed: {type(exc).__name__}: "
                f"{exc or 'no detail'}; nothing was stored",
                provider="replicate",
                model=model,
                details={"reason": "download_failed", "error": type(exc).__name__},
            ) from exc


def _check_status(response: httpx.Response, model: str, host: str) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    details = {"status": status, "host": host}
    if status in (403, 404, 410):
        raise ProviderFailedError(
            f"the {model} output at {host} is gone ({status}): Replicate's output URLs expire "
            "after about an hour; run the job again to make a new one",
            provider="replicate",
            model=model,
            details={**details, "reason": "output_expired"},
        )
    if status == 429 or status >= 500:
        raise TransientError(
            f"the file host {host} answered {status} for the {model} output",
            provider="replicate",
            model=model,
            details=details,
        )
    raise ProviderFailedError(
        f"the file host {host} answered {status} for the {model} output",
        provider="replicate",
        model=model,
        details=details,
    )


def _content_length(response: httpx.Response) -> int | None:
    # A compressed body is decoded as it is read: its Content-Length counts other bytes.
    if response.headers.get("content-encoding", "identity").lower() not in ("", "identity"):
        return None
    value = response.headers.get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _decide_mime(
    head: bytes, declared: str | None, expected: str, promised: str, model: str, source: str
) -> str:
    if not head:
        raise ProviderFailedError(
            f"the {model} output from {source} is empty; nothing was stored",
            provider="replicate",
            model=model,
            details={"reason": "empty_output"},
        )
    mime = sniff_mime(head) or (promised if declared in _GENERIC else declared)
    assert mime is not None
    if mime.split("/", 1)[0] != expected:
        raise ProviderFailedError(
            f"{model} promised {expected}, but its output from {source} is {mime}"
            f"{f' (served as {declared})' if declared and declared != mime else ''}; "
            "nothing was stored",
            provider="replicate",
            model=model,
            details={"reason": "wrong_type", "mime": mime, "declared": declared},
        )
    return mime


def _decode_data_uri(url: str, model: str) -> tuple[str | None, bytes]:
    header, sep, payload = url[5:].partition(",")
    if not sep:
        raise ProviderFailedError(
            f"{model} returned a malformed data: URI (no comma)", provider="replicate", model=model
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
            provider="replicate",
            model=model,
        ) from exc


__all__ = ["OutputDownloader", "StoredOutput"]
