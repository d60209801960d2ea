"""The handler helpers: HTTP statuses and network errors to error kinds, output downloads."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from tutopanda_providers.contracts import ErrorKind, ProviderError
from tutopanda_providers.http_helpers import (
    OutputDownloader,
    error_for_response,
    error_for_status,
    error_for_transport,
)
from tutopanda_providers.storage import BlobStore

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
WAV = b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 100


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (401, ErrorKind.AUTH, False),
        (403, ErrorKind.AUTH, False),
        (402, ErrorKind.QUOTA, False),
        (404, ErrorKind.NOT_FOUND, False),
        (408, ErrorKind.TIMEOUT, True),
        (409, ErrorKind.INVALID_INPUT, False),
        (422, ErrorKind.INVALID_INPUT, False),
        (429, ErrorKind.RATE_LIMITED, True),
        (500, ErrorKind.TRANSIENT, True),
        (503, ErrorKind.TRANSIENT, True),
        (418, ErrorKind.PROVIDER_FAILED, False),
    ],
)
def test_statuses_map_to_error_kinds(status: int, kind: ErrorKind, retryable: bool) -> None:
    error = error_for_status(status, provider="acme", model="m", action="create the job")
    assert error.kind is kind and error.retryable is retryable
    assert error.provider == "acme" and error.model == "m"
    assert error.details["status"] == status
    assert "acme refused to create the job for m" in error.message


def test_429_carries_retry_after_from_the_header() -> None:
    error = error_for_status(429, provider="acme", headers={"Retry-After": "7"})
    assert error.retry_after == 7


def test_auth_names_the_secret_to_check() -> None:
    error = error_for_status(401, provider="acme", secret_names=("ACME_API_KEY",))
    assert "Check ACME_API_KEY" in error.message


def test_422_names_the_fields() -> None:
    error = error_for_status(422, provider="acme", detail="input.seed: bad; input.size: bad")
    assert error.details["fields"] == ["seed", "size"]


def test_5xx_request_sent_follows_the_caller() -> None:
    assert error_for_status(502, provider="a").request_sent is True
    assert error_for_status(502, provider="a", request_sent=False).request_sent is False


def test_error_for_response_reads_the_detail_from_json() -> None:
    response = httpx.Response(
        404, json={"error": {"message": "no such model"}}, request=httpx.Request("GET", "http://x")
    )
    error = error_for_response(response, provider="acme", model="m")
    assert error.kind is ErrorKind.NOT_FOUND and "no such model" in error.message


def _request() -> httpx.Request:
    return httpx.Request("POST", "https://api.acme.test/v1/jobs")


@pytest.mark.parametrize(
    ("exc", "kind", "sent"),
    [
        (httpx.ConnectError("refused", request=_request()), ErrorKind.TRANSIENT, False),
        (httpx.ConnectTimeout("slow", request=_request()), ErrorKind.TRANSIENT, False),
        (httpx.ReadTimeout("slow", request=_request()), ErrorKind.TIMEOUT, True),
        (httpx.RemoteProtocolError("cut", request=_request()), ErrorKind.TRANSIENT, True),
        (httpx.ReadError("reset", request=_request()), ErrorKind.TRANSIENT, True),
    ],
)
def test_network_errors_say_whether_the_request_was_sent(
    exc: httpx.HTTPError, kind: ErrorKind, sent: bool
) -> None:
    error = error_for_transport(exc, provider="acme", model="m", action="create the job")
    assert error.kind is kind and error.retryable
    assert error.request_sent is sent
    assert error.details["request_sent"] is sent


def test_a_request_that_creates_nothing_is_never_sent() -> None:
    exc = httpx.ReadTimeout("slow", request=_request())
    assert error_for_transport(exc, provider="acme", creates_job=False).request_sent is False


# -- downloads ---------------------------------------------------------------------------


def _downloader(handler: object, **kwargs: object) -> OutputDownloader:
    return OutputDownloader(
        provider="acme",
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        read_facts=False,
        **kwargs,  # type: ignore[arg-type]
    )


async def _fetch(downloader: OutputDownloader, store: BlobStore, url: str, expected: str = "image"):  # type: ignore[no-untyped-def]
    try:
        return await downloader.fetch(
            url, storage=store, expected=expected, promised_mime="image/png", model="m"
        )
    finally:
        await downloader.aclose()


def _stored(store: BlobStore) -> list[Path]:
    return [p for p in Path(store.root).rglob("*") if p.is_file() and ".tmp" not in p.parts]


async def test_a_file_is_stored_hashed_and_sniffed(tmp_path: Path) -> None:
    import hashlib

    store = BlobStore(tmp_path / "blobs")
    downloader = _downloader(
        lambda request: httpx.Response(
            200, content=PNG, headers={"content-type": "application/octet-stream"}
        )
    )
    out = await _fetch(downloader, store, "https://files.acme.test/out.bin")
    assert out.mime == "image/png"
    assert out.blob.sha256 == hashlib.sha256(PNG).hexdigest() and out.blob.size == len(PNG)
    path = store.local_path(out.blob)
    assert path is not None and path.read_bytes() == PNG and path.suffix == ".png"


async def test_a_truncated_body_is_transient_and_nothing_is_stored(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    downloader = _downloader(
        lambda request: httpx.Response(
            200, content=PNG, headers={"content-length": str(len(PNG) + 50)}
        )
    )
    with pytest.raises(ProviderError) as caught:
        await _fetch(downloader, store, "https://files.acme.test/out.png")
    assert caught.value.kind is ErrorKind.TRANSIENT
    assert caught.value.details["reason"] == "truncated_download"
    assert _stored(store) == []


async def test_the_wrong_type_is_refused(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    downloader = _downloader(lambda request: httpx.Response(200, content=WAV))
    with pytest.raises(ProviderError) as caught:
        await _fetch(downloader, store, "https://files.acme.test/out.png")
    assert caught.value.details["reason"] == "wrong_type"
    assert "audio/wav" in caught.value.message
    assert _stored(store) == []


async def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    downloader = _downloader(lambda request: httpx.Response(200, content=b""))
    with pytest.raises(ProviderError) as caught:
        await _fetch(downloader, store, "https://files.acme.test/out.png")
    assert caught.value.details["reason"] == "empty_output"


async def test_a_file_over_the_size_limit_is_refused_before_and_while_reading(
    tmp_path: Path,
) -> None:
    store = BlobStore(tmp_path / "blobs")
    announced = _downloader(lambda request: httpx.Response(200, content=PNG), max_bytes=100)
    with pytest.raises(ProviderError) as caught:
        await _fetch(announced, store, "https://files.acme.test/out.png")
    assert caught.value.details["reason"] == "too_large"

    async def unannounced_body():  # type: ignore[no-untyped-def]
        yield PNG[:50]
        yield PNG[50:]

    streamed = _downloader(
        lambda request: httpx.Response(200, content=unannounced_body()), max_bytes=100
    )
    with pytest.raises(ProviderError) as caught:
        await _fetch(streamed, store, "https://files.acme.test/out.png")
    assert caught.value.details["reason"] == "too_large"
    assert _stored(store) == []


@pytest.mark.parametrize("status", [403, 404, 410])
async def test_a_gone_file_says_so_with_the_providers_hint(tmp_path: Path, status: int) -> None:
    store = BlobStore(tmp_path / "blobs")
    downloader = _downloader(
        lambda request: httpx.Response(status), gone_hint="outputs expire after an hour"
    )
    with pytest.raises(ProviderError) as caught:
        await _fetch(downloader, store, "https://files.acme.test/out.png")
    assert caught.value.kind is ErrorKind.PROVIDER_FAILED
    assert caught.value.details["reason"] == "output_expired"
    assert "outputs expire after an hour" in caught.value.message


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_a_busy_file_host_is_transient(tmp_path: Path, status: int) -> None:
    store = BlobStore(tmp_path / "blobs")
    downloader = _downloader(lambda request: httpx.Response(status))
    with pytest.raises(ProviderError) as caught:
        await _fetch(downloader, store, "https://files.acme.test/out.png")
    assert caught.value.kind is ErrorKind.TRANSIENT


async def test_a_network_error_is_transient(tmp_path: Path) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset", request=request)

    store = BlobStore(tmp_path / "blobs")
    with pytest.raises(ProviderError) as caught:
        await _fetch(_downloader(fail), store, "https://files.acme.test/out.png")
    assert caught.value.kind is ErrorKind.TRANSIENT
    assert caught.value.details["reason"] == "download_failed"


async def test_credentials_go_to_the_providers_host_only_even_through_redirects(
    tmp_path: Path,
) -> None:
    seen: list[tuple[str, str | None, str | None]] = []

    def serve(request: httpx.Request) -> httpx.Response:
        seen.append(
            (request.url.host, request.headers.get("authorization"), request.headers.get("x-key"))
        )
        if request.url.host == "api.acme.test":
            return httpx.Response(302, headers={"location": "https://cdn.elsewhere.test/f.png"})
        return httpx.Response(200, content=PNG)

    store = BlobStore(tmp_path / "blobs")
    downloader = _downloader(
        serve,
        headers={"Authorization": "Bearer sk-secret", "X-Key": "sk-secret"},
        credential_hosts=("api.acme.test",),
    )
    out = await _fetch(downloader, store, "https://api.acme.test/files/1")
    assert out.mime == "image/png"
    assert seen == [
        ("api.acme.test", "Bearer sk-secret", "sk-secret"),
        ("cdn.elsewhere.test", None, None),
    ]


def test_credentials_never_travel_in_clear_text_to_a_remote_host() -> None:
    downloader = OutputDownloader(
        provider="acme", headers={"Authorization": "x"}, credential_hosts=("*.acme.test",)
    )
    assert downloader.may_receive_credentials("https://files.acme.test/a")
    assert not downloader.may_receive_credentials("http://files.acme.test/a")
    assert not downloader.may_receive_credentials("https://acme.test.evil.example/a")


async def test_data_uris_are_decoded_locally(tmp_path: Path) -> None:
    def never(request: httpx.Request) -> httpx.Response:
        raise AssertionError("a data: URI must not be fetched")

    store = BlobStore(tmp_path / "blobs")
    uri = "data:application/octet-stream;base64," + base64.b64encode(PNG).decode()
    out = await _fetch(_downloader(never), store, uri)
    assert out.mime == "image/png" and out.blob.size == len(PNG)


async def test_too_many_redirects_is_a_clear_error(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    loop = _downloader(
        lambda request: httpx.Response(302, headers={"location": "https://files.acme.test/x"})
    )
    with pytest.raises(ProviderError) as caught:
        await _fetch(loop, store, "https://files.acme.test/x")
    assert caught.value.details["reason"] == "too_many_redirects"
