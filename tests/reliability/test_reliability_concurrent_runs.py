"""Two runner processes on one movie folder, many jobs in flight: the event log stays valid
JSON lines, the manifest stays valid JSON, and no job is lost or recorded twice."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from .conftest import clean_env, cli_command, scan_storage

JOBS = [f"narration_{i}" for i in range(16)] + [f"image_{i}" for i in range(8)]
PLAN = "\n".join(
    [
        '[plan]\ntitle = "Many jobs"\n',
        *(
            f'[jobs.narration_{i}]\nproducer = "AudioProducer"\n'
            f'inputs.text = "Sentence number {i} of the lesson."\n'
            for i in range(16)
        ),
        *(
            f'[jobs.image_{i}]\nproducer = "TextToImageProducer"\n'
            f'inputs.prompt = "a diagram, take {i}"\n'
            for i in range(8)
        ),
    ]
)


def _lines(movie: Path) -> list[dict[str, object]]:
    lines = (movie / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]  # every line must parse


def _start(tmp_path: Path, movie: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_command("run", "plan.toml", "--movie", str(movie), "--concurrency", "12", *extra),
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str], timeout: float) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, out, err


def _check_movie(movie: Path) -> dict[str, object]:
    manifest = json.loads((movie / "manifest.json").read_text())
    assert sorted(manifest["jobs"]) == sorted(JOBS)
    events = _lines(movie)
    produced = Counter(e["job_id"] for e in events if e.get("type") == "artefact.produced")
    started = Counter(e["job_id"] for e in events if e.get("type") == "job.started")
    assert set(produced) == set(JOBS), f"lost jobs: {set(JOBS) - set(produced)}"
    assert set(produced.values()) == {1}, f"recorded twice: {produced}"
    assert started == produced
    for job in JOBS:
        for artefact in manifest["jobs"][job]["artefacts"]:
            assert artefact["mocked"] is True
    scan = scan_storage(movie / "blobs")
    assert not scan.strays, scan.strays
    uris = {
        a["blob"]["uri"] for j in manifest["jobs"].values() for a in j["artefacts"] if a.get("blob")
    }
    assert len(uris) == len(JOBS)
    # Recorded relative to the movie (it can move).
    assert {p.resolve().relative_to(movie.resolve()).as_posix() for p in scan.blobs} >= uris
    return manifest


@pytest.mark.slow
def test_two_runs_started_together_never_interleave(tmp_path: Path) -> None:
    """Both started at once without ``--wait``: one runs every job, the other exits 5 (busy)
    without touching the movie."""
    (tmp_path / "plan.toml").write_text(PLAN)
    movie = tmp_path / "movie"
    runs = [_start(tmp_path, movie, "--json"), _start(tmp_path, movie, "--json")]
    results = [_finish(p, 300) for p in runs]
    codes = sorted(code for code, _, _ in results)
    assert codes in ([0, 5], [0, 0]), [(c, err[-2000:]) for c, _, err in results]
    if codes == [0, 5]:
        busy = next(out for code, out, _ in results if code == 5)
        assert json.loads(busy)["exit_code"] == 5
    _check_movie(movie)
    runs_started = [e for e in _lines(movie) if e.get("type") == "run.started"]
    assert len(runs_started) == codes.count(0)


@pytest.mark.slow
def test_a_waiting_second_run_keeps_every_entry_once(tmp_path: Path) -> None:
    """With ``--wait`` the second run waits for the lock, then finds every job up to date: the
    log gains skips, never a second artefact, and the manifest is unchanged."""
    (tmp_path / "plan.toml").write_text(PLAN)
    movie = tmp_path / "movie"
    runs = [_start(tmp_path, movie, "--wait", "300"), _start(tmp_path, movie, "--wait", "300")]
    results = [_finish(p, 600) for p in runs]
    assert [code for code, _, _ in results] == [0, 0], [err[-2000:] for _, _, err in results]
    manifest = _check_movie(movie)
    events = _lines(movie)
    assert [e["type"] for e in events].count("run.started") == 2
    skipped = Counter(e["job_id"] for e in events if e.get("type") == "job.skipped")
    assert skipped == Counter(JOBS)
    # A third run reads a manifest the two left valid and changes none of its artefacts.
    third = subprocess.run(
        cli_command("run", "plan.toml", "--movie", str(movie), "--json"),
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert third.returncode == 0, third.stderr[-2000:]
    after = json.loads((movie / "manifest.json").read_text())
    assert after["jobs"] == manifest["jobs"]
