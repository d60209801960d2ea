"""A movie is a folder you can move (issue 15, item 3).

Before, the manifest and the event log recorded blob URIs as absolute paths, and a job whose
inputs named an upstream blob was fingerprinted with that path: after the folder was renamed,
every such job (and every job whose blob was no longer found at its recorded path) ran, and
paid, again. Now blob URIs are recorded relative to the movie and fingerprints see blobs by
hash. Movies an older version wrote (absolute URIs, scheme-2 fingerprints) still work in place
and are understood, then rewritten, once moved.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from tutopanda_providers.runner import Catalog, Runner, RunOptions, load_plan, load_settings
from tutopanda_providers.runner.movie import MovieStore

PLAN = """[plan]
title = "Movable"

[jobs.image]
producer = "TextToImageProducer"
inputs.prompt = "a lighthouse at dusk"

[jobs.clip]
producer = "TextToVideoProducer"
inputs.prompt = "the beam sweeps the sea"
inputs.image = "${image}"
after = ["image"]

[jobs.narration]
producer = "AudioProducer"
inputs.text = "The light turns."
"""


def _runner(tmp_path: Path, movie: Path, **options: Any) -> Runner:
    (tmp_path / "plan.toml").write_text(PLAN)
    catalog = Catalog.from_settings(load_settings(None))
    plan = load_plan(tmp_path / "plan.toml", catalog.entries)
    return Runner(plan, catalog, movie, RunOptions(**options))


def _statuses(tmp_path: Path, movie: Path) -> dict[str, str]:
    report = asyncio.run(_runner(tmp_path, movie).run())
    return {o.job_id: o.status for o in report.outcomes}


def _files_text(movie: Path) -> str:
    return "".join(
        (movie / name).read_text()
        for name in ("manifest.json", "events.jsonl", "config.json")
        if (movie / name).exists()
    )


def test_a_moved_movie_pays_for_nothing_again(tmp_path: Path) -> None:
    movie = tmp_path / "movie"
    assert set(_statuses(tmp_path, movie).values()) == {"succeeded"}
    # The video job's inputs name the image blob: the path that used to be fingerprinted.
    preview = {p.job.id: p for p in _runner(tmp_path, movie).preview()}
    assert str(movie.resolve()) in json.dumps(preview["clip"].payload)
    # Nothing in the movie names the folder it lies in.
    assert str(movie.resolve()) not in _files_text(movie)
    assert json.loads((movie / "config.json").read_text())["storage"] == "blobs"

    moved = tmp_path / "renamed" / "movie-2"
    moved.parent.mkdir()
    shutil.move(movie, moved)
    assert _statuses(tmp_path, moved) == dict.fromkeys(("image", "clip", "narration"), "skipped")
    # The kept artefacts point at the blobs where they are now.
    manifest = MovieStore(moved).manifest()
    for record in manifest["jobs"].values():
        for artefact in record["artefacts"]:
            if "blob" in artefact:
                assert artefact["blob"]["uri"].startswith(moved.resolve().as_uri())


def _make_old(movie: Path, located: dict[str, str]) -> None:
    """Rewrite a movie as the version before this one wrote it: absolute blob URIs and
    scheme-2 fingerprints (computed with the upstream blob paths in the inputs)."""
    root = movie.resolve()

    def absolute(value: Any) -> Any:
        if isinstance(value, dict):
            if (
                isinstance(value.get("uri"), str)
                and "sha256" in value
                and "://" not in value["uri"]
            ):
                return {**value, "uri": (root / value["uri"]).as_uri()}
            return {k: absolute(v) for k, v in value.items()}
        if isinstance(value, list):
            return [absolute(v) for v in value]
        return value

    def old_record(job: str, record: dict[str, Any]) -> dict[str, Any]:
        return {**absolute(record), "fingerprint": located[job], "fingerprint_scheme": 2}

    manifest = json.loads((movie / "manifest.json").read_text())
    manifest["jobs"] = {job: old_record(job, r) for job, r in manifest["jobs"].items()}
    (movie / "manifest.json").write_text(json.dumps(manifest))
    lines = []
    for line in (movie / "events.jsonl").read_text().splitlines():
        event = json.loads(line)
        if event.get("type") == "artefact.produced":
            job = event["job_id"]
            event["manifest_record"] = old_record(job, event["manifest_record"])
            event["fingerprint"] = located[job]
        event = absolute(event)
        lines.append(json.dumps(event))
    (movie / "events.jsonl").write_text("\n".join(lines) + "\n")
    config = json.loads((movie / "config.json").read_text())
    config["storage"] = str(root / "blobs")
    (movie / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("moved", [False, True], ids=["in place", "moved"])
def test_an_old_movie_with_absolute_paths_still_works(tmp_path: Path, moved: bool) -> None:
    movie = tmp_path / "movie"
    assert set(_statuses(tmp_path, movie).values()) == {"succeeded"}
    located = {p.job.id: p.located_fingerprints[0] for p in _runner(tmp_path, movie).preview()}
    _make_old(movie, located)
    assert str(movie.resolve()) in _files_text(movie)
    where = movie
    if moved:
        where = tmp_path / "elsewhere"
        shutil.move(movie, where)
    assert _statuses(tmp_path, where) == dict.fromkeys(("image", "clip", "narration"), "skipped")
    if moved:
        # Understood, then rewritten: the manifest no longer names the old folder.
        assert str(movie.resolve()) not in (where / "manifest.json").read_text()
        assert str(movie.resolve()) not in (where / "config.json").read_text()
