"""The demo: ``examples/lesson.toml`` in mock mode makes real media for a whole lesson.

This is what ``make demo`` runs. ``estimate`` and ``--dry-run`` work on the same plan and call
nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("tutopanda_provider_mock")
av = pytest.importorskip("av")

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "examples" / "lesson.toml"
MAGIC = {
    "image/png": b"\x89PNG",
    "image/jpeg": b"\xff\xd8\xff",
    "image/webp": b"RIFF",
}


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "REPLICATE_", "TUTOPANDA_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "tutopanda_providers.cli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    folder = tmp_path_factory.mktemp("demo")
    result = cli(folder, "run", str(LESSON), "--movie", "movie", "--json")
    assert result.returncode == 0, result.stderr + result.stdout[-3000:]
    return folder / "movie", json.loads(result.stdout)


def test_every_job_of_the_lesson_succeeds_in_mock_mode(demo: tuple[Path, dict]) -> None:
    _, report = demo
    jobs = report["jobs"]
    assert len(jobs) == 13
    assert {j["status"] for j in jobs} == {"succeeded"}
    assert all(j["mocked"] and j["mode"] == "mock" for j in jobs)
    assert report["spent"]["known_usd"] == 0
    assert report["live_estimate"]["known_usd"] > 0  # what the same run would cost live


def test_the_lesson_media_are_real_files_with_their_facts(demo: tuple[Path, dict]) -> None:
    movie, _ = demo
    manifest = json.loads((movie / "manifest.json").read_text())
    seen = set()
    for job, record in manifest["jobs"].items():
        for artefact in record["artefacts"]:
            assert artefact["mocked"] is True
            if "blob" not in artefact:
                continue
            path = Path(movie, artefact["blob"]["uri"].removeprefix("file://"))
            data = path.read_bytes()
            assert len(data) == artefact["blob"]["size"] > 0
            kind = artefact["kind"]
            seen.add(kind)
            facts = artefact["facts"]
            if kind == "image":
                assert data.startswith(MAGIC[artefact["mime"]]), job
                assert facts["width"] > 0 and facts["height"] > 0
            else:
                with av.open(str(path)) as container:
                    streams = (
                        container.streams.video if kind == "video" else container.streams.audio
                    )
                    assert len(streams) >= 1, job
                    assert float(container.duration or 0) / 1_000_000 == pytest.approx(
                        facts["duration_seconds"], abs=0.5
                    )
    assert seen == {"audio", "image", "video", "music"}


def test_each_narration_reads_its_own_segment_of_the_script(demo: tuple[Path, dict]) -> None:
    movie, _ = demo
    events = [json.loads(line) for line in (movie / "events.jsonl").read_text().splitlines()]
    started = {e["job_id"]: e for e in events if e["type"] == "job.started"}
    manifest = json.loads((movie / "manifest.json").read_text())
    segments = manifest["jobs"]["script"]["artefacts"][0]["data"]["segments"]
    assert len(segments) == 3
    for i in range(3):
        assert started[f"narration_{i}"]["fingerprint"]
    record = manifest["jobs"]["narration_1"]
    assert record["provider"]["model"] == "minimax/speech-02-hd"


def test_a_second_demo_run_keeps_every_artefact(demo: tuple[Path, dict]) -> None:
    movie, _ = demo
    result = cli(movie.parent, "run", str(LESSON), "--movie", "movie", "--json")
    assert result.returncode == 0
    assert {j["status"] for j in json.loads(result.stdout)["jobs"]} == {"skipped"}


def test_estimate_and_dry_run_of_the_lesson_call_nothing(tmp_path: Path) -> None:
    estimate = cli(tmp_path, "estimate", str(LESSON), "--json")
    assert estimate.returncode == 0, estimate.stderr
    data = json.loads(estimate.stdout)
    assert len(data["jobs"]) == 13 and data["problems"] == []
    assert data["total"]["known_usd"] > 0
    dry = cli(tmp_path, "run", str(LESSON), "--movie", "movie", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    previews = json.loads(dry.stdout)["previews"]
    assert all(p["payload"] for p in previews)
    assert not (tmp_path / "movie").exists()
