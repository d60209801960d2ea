"""Disk full and permission denied while an artefact is written: a clear error, the run stops
cleanly (exit code 1, valid manifest and event log), earlier artefacts stay intact and no
partial file is left behind under any name."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tutopanda_providers.storage import BlobWriter

from .conftest import clean_env, cli_command, scan_storage

FIRST = '[plan]\ntitle = "Storage"\n\n[jobs.first]\nproducer = "TextToImageProducer"\ninputs.prompt = "a first picture"\n'
# Music: its producer has no fallback, so the storage error itself is what the job reports.
MORE = "".join(
    f'\n[jobs.more_{i}]\nproducer = "TextToMusicProducer"\ninputs.prompt = "calm strings {i}"\n'
    "inputs.duration_seconds = 5\n"
    for i in range(3)
)
# Narration: its producer has a fallback (elevenlabs/v3 behind minimax/speech-02-hd).
NARRATION = (
    '\n[jobs.narration]\nproducer = "AudioProducer"\n'
    'inputs.text = "Narration that cannot be stored."\n'
)


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command("run", "plan.toml", "--movie", "movie", "--json", *args),
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _first_blob(movie: Path) -> tuple[Path, bytes]:
    manifest = json.loads((movie / "manifest.json").read_text())
    [artefact] = manifest["jobs"]["first"]["artefacts"]
    from urllib.parse import unquote, urlparse

    path = Path(movie, unquote(urlparse(artefact["blob"]["uri"]).path))  # relative to the movie
    return path, path.read_bytes()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs (needs root and mount rights; skipped without them)."""
    mount = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _assert_clean_stop(result: subprocess.CompletedProcess[str], movie: Path) -> dict[str, object]:
    assert result.returncode == 1, result.stderr[-3000:]
    report = json.loads(result.stdout)
    failed = [j for j in report["jobs"] if j["status"] == "failed"]
    assert failed, report
    for job in failed:
        text = json.dumps(job).lower()
        assert "disk" in text or "permission" in text or "writable" in text, job
    assert "Traceback" not in result.stderr
    json.loads((movie / "manifest.json").read_text())
    for line in (movie / "events.jsonl").read_text().splitlines():
        json.loads(line)
    return report


def test_disk_full_while_storing_fails_the_job_clearly_and_keeps_earlier_blobs(
    tmp_path: Path, tiny_disk: Path
) -> None:
    """Real ENOSPC: the blobs live on a tiny tmpfs that a filler file nearly fills."""
    (tmp_path / "plan.toml").write_text(FIRST)
    storage = tiny_disk / "blobs"
    first = _run(tmp_path, "--storage", str(storage))
    assert first.returncode == 0, first.stderr[-3000:]
    path, data = _first_blob(tmp_path / "movie")
    assert path.is_relative_to(tiny_disk)

    stat = os.statvfs(tiny_disk)
    free = stat.f_bavail * stat.f_frsize
    (tiny_disk / "filler").write_bytes(b"\0" * max(0, free - 8 * 1024))

    (tmp_path / "plan.toml").write_text(FIRST + MORE)
    second = _run(tmp_path, "--storage", str(storage))
    report = _assert_clean_stop(second, tmp_path / "movie")
    statuses = {j["job"]: j["status"] for j in report["jobs"]}
    assert statuses["first"] == "skipped"
    assert path.read_bytes() == data  # the earlier artefact is intact
    scan = scan_storage(storage)
    assert not scan.strays, f"partial files left on the full disk: {scan.strays}"
    assert scan.blobs == [path]


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "free disk space"),
        (PermissionError(errno.EACCES, "Permission denied"), "permission"),
    ],
    ids=["disk-full", "permission-denied"],
)
async def test_write_error_in_process_stops_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, words: str
) -> None:
    await _write_error_run(
        tmp_path, monkeypatch, error, words, MORE, {f"more_{i}" for i in range(3)}
    )


async def test_disk_full_is_not_hidden_by_a_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _write_error_run(
        tmp_path,
        monkeypatch,
        OSError(errno.ENOSPC, "No space left on device"),
        "free disk space",
        NARRATION,
        {"narration"},
    )


async def _write_error_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    error: OSError,
    words: str,
    more: str,
    expected_failures: set[str],
) -> None:
    """The runner's own error path, in process: the writer's ``write`` fails on the OS level
    after the first blob; each later job fails with the storage message, nothing partial."""
    from tutopanda_providers.runner import Catalog, Runner, RunOptions, load_plan, load_settings

    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.toml").write_text(FIRST)
    settings = load_settings()
    movie = tmp_path / "movie"
    plan = load_plan(tmp_path / "plan.toml", settings.producers)
    report = await Runner(plan, Catalog.from_settings(settings), movie, RunOptions()).run()
    assert not report.failed
    path, data = _first_blob(movie)

    real_write = BlobWriter.write

    def refusing(self: BlobWriter, chunk: bytes) -> None:
        real_write(self, chunk[: len(chunk) // 2])  # a partial file exists on disk now
        self._file.flush()
        raise_from = self._file.write

        def boom(_: bytes) -> int:
            raise error

        self._file.write = boom  # type: ignore[method-assign]
        try:
            real_write(self, chunk)  # the real error path: abort, then StorageError
        finally:
            self._file.write = raise_from  # type: ignore[method-assign]

    monkeypatch.setattr(BlobWriter, "write", refusing)
    (tmp_path / "plan.toml").write_text(FIRST + more)
    plan = load_plan(tmp_path / "plan.toml", settings.producers)
    report = await Runner(plan, Catalog.from_settings(settings), movie, RunOptions()).run()
    failed = {o.job_id: o for o in report.failed}
    assert set(failed) == expected_failures
    for outcome in failed.values():
        assert words in json.dumps(outcome.error).lower(), outcome.error
    assert path.read_bytes() == data
    scan = scan_storage(movie / "blobs")
    assert not scan.strays, scan.strays
    assert scan.blobs == [path]
    manifest = json.loads((movie / "manifest.json").read_text())
    assert set(manifest["jobs"]) == {"first"}
    events = [json.loads(line) for line in (movie / "events.jsonl").read_text().splitlines()]
    failures = {e["job_id"] for e in events if e["type"] == "job.failed"}
    assert failures == set(failed)
