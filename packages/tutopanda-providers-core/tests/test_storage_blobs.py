"""Blob storage: content-addressed, atomic, and never a partial file under a final name."""

from __future__ import annotations

import hashlib
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tutopanda_providers.contracts import ErrorKind, TransientError
from tutopanda_providers.storage import BlobStore, StorageError


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_blob_is_stored_under_its_sha256_with_its_facts(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = b"\x89PNG fake image bytes"
    ref = store.write_bytes(data, mime="image/png", suffix=".png")
    sha = hashlib.sha256(data).hexdigest()
    assert (ref.sha256, ref.size, ref.mime) == (sha, len(data), "image/png")
    path = store.local_path(ref)
    assert path == tmp_path / "blobs" / sha[:2] / f"{sha}.png"
    assert path is not None and path.read_bytes() == data
    assert ref.uri == path.as_uri()
    assert store.read_bytes(ref) == data
    assert store.exists(ref)


def test_same_content_twice_is_one_blob(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    first = store.write_bytes(b"same", mime="text/plain")
    second = store.write_chunks([b"sa", b"me"], mime="text/plain")
    assert first == second
    assert len([p for p in files_under(tmp_path) if ".tmp" not in p.parts]) == 1


def test_aborted_write_leaves_nothing_behind(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    with pytest.raises(RuntimeError), store.open_writer(mime="video/mp4", suffix=".mp4") as writer:
        writer.write(b"first half of a video")
        raise RuntimeError("connection reset")
    assert files_under(tmp_path) == []


def test_writer_left_without_commit_publishes_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    with store.open_writer(mime="audio/wav") as writer:
        writer.write(b"RIFF....")
    assert files_under(tmp_path) == []


async def test_stream_shorter_than_announced_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)

    async def chunks() -> AsyncIterator[bytes]:
        yield b"12345"
        yield b"678"

    with pytest.raises(TransientError) as caught:
        await store.write_stream(chunks(), mime="video/mp4", expected_size=10)
    assert "got 8 bytes where 10 were announced" in str(caught.value)
    assert caught.value.retryable
    assert files_under(tmp_path) == []


async def test_stream_of_the_announced_size_is_stored(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"x" * 1024

    ref = await store.write_stream(chunks(), mime="application/octet-stream", expected_size=4096)
    assert ref.size == 4096 and store.exists(ref)


async def test_stream_that_fails_midway_leaves_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)

    async def chunks() -> AsyncIterator[bytes]:
        yield b"partial"
        raise ConnectionResetError("peer went away")

    with pytest.raises(ConnectionResetError):
        await store.write_stream(chunks(), mime="image/png")
    assert files_under(tmp_path) == []


def test_empty_content_is_refused(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    with pytest.raises(TransientError, match="the content is empty"):
        store.write_bytes(b"", mime="image/png")
    assert files_under(tmp_path) == []


def test_content_with_another_sha256_than_expected_is_refused(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    with store.open_writer(mime="text/plain") as writer:
        writer.write(b"tampered")
        with pytest.raises(TransientError, match="sha256 does not match"):
            writer.commit(expected_sha256=hashlib.sha256(b"original").hexdigest())
    assert files_under(tmp_path) == []


def test_exists_is_false_for_a_truncated_blob(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    ref = store.write_bytes(b"0123456789", mime="text/plain")
    path = store.local_path(ref)
    assert path is not None
    path.write_bytes(b"01234")
    assert not store.exists(ref)
    path.unlink()
    assert not store.exists(ref)
    with pytest.raises(StorageError) as caught:
        store.read_bytes(ref)
    assert caught.value.kind == ErrorKind.NOT_FOUND


def test_local_store_does_not_import_fsspec(tmp_path: Path) -> None:
    import subprocess

    code = (
        "import sys; from tutopanda_providers.storage import BlobStore; "
        f"s = BlobStore({str(tmp_path)!r}); r = s.write_bytes(b'abc', mime='text/plain'); "
        "assert s.read_bytes(r) == b'abc' and s.exists(r); "
        "print('fsspec' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_unwritable_root_raises_a_storage_error_that_says_what_to_do(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    store = BlobStore(blocker / "blobs")
    with pytest.raises(StorageError, match="Check the folder exists and is writable"):
        store.write_bytes(b"data", mime="text/plain")


def test_memory_store_round_trips_blobs() -> None:
    store = BlobStore(f"memory://tutopanda-test-{uuid.uuid4().hex}")
    ref = store.write_bytes(b"in memory", mime="text/plain", suffix=".txt")
    assert ref.uri.startswith("memory://")
    assert ref.uri.endswith(f"/{ref.sha256[:2]}/{ref.sha256}.txt")
    assert store.read_bytes(ref) == b"in memory"
    assert store.exists(ref)
    assert store.local_path(ref) is None
    assert not store.is_local


def test_memory_store_refuses_an_empty_blob_and_stores_nothing() -> None:
    root = f"memory://tutopanda-test-{uuid.uuid4().hex}"
    store = BlobStore(root)
    with pytest.raises(TransientError):
        store.write_bytes(b"", mime="text/plain")
    assert not store.fs.exists(root)
