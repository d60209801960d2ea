"""The example lesson on two Temporal workers, live against the fakes, movie and blobs in S3."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from tutopanda_providers.storage import BlobStore
from tutopanda_providers_temporal.records import ObjectMovie

from .conftest import LESSON, Fakes, Workers, finished, image_plan

pytestmark = pytest.mark.slow


def test_the_example_lesson_runs_on_two_workers_with_its_movie_in_s3(
    workers: Workers, fakes: Fakes, s3: dict[str, str]
) -> None:
    workers.env.update({k: v for k, v in s3.items() if k != "BUCKET"})
    workers.start_many(["worker-a", "worker-b"], "--live", "--max-jobs", "2")
    movie_url = f"s3://{s3['BUCKET']}/movies/sky"

    code, report, err = finished(workers.submit(LESSON, movie_url, "--live", "--max-cost", "5"))

    assert code == 0, (report, err)
    jobs = report["jobs"]
    assert len(jobs) == 13
    assert {j["status"] for j in jobs} == {"succeeded"}
    assert all(j["mode"] == "live" and not j["mocked"] for j in jobs)
    assert report["engine"] == "temporal" and report["spent"]["known_usd"] > 0
    movie = ObjectMovie(movie_url)
    manifest = movie.manifest()
    assert set(manifest["jobs"]) == {j["job"] for j in jobs}
    events = movie.events()
    produced = Counter(e["job_id"] for e in events if e["type"] == "artefact.produced")
    assert produced == Counter({j["job"]: 1 for j in jobs}), "each job recorded exactly once"
    assert events[0]["type"] == "run.started"
    assert events[-1]["type"] == "run.finished"
    store = BlobStore(f"s3://{s3['BUCKET']}/movies/sky/blobs")
    blobs = [a for r in manifest["jobs"].values() for a in r["artefacts"] if "blob" in a]
    assert blobs and all(a["blob"]["uri"].startswith("s3://") for a in blobs)
    from tutopanda_providers.contracts import Artefact

    for record in blobs:
        artefact = Artefact.model_validate({k: v for k, v in record.items() if k != "mocked"})
        assert artefact.blob is not None and store.exists(artefact.blob)
    on_replicate = [
        r for r in manifest["jobs"].values() if r["provider"]["provider"] == "replicate"
    ]
    assert len(fakes.creates()) == len(on_replicate), "one prediction per Replicate job"
    assert movie.config()["live"] is True
    assert set(movie.providers()) >= {"ScriptProducer", "TextToImageProducer"}


def test_a_mock_lesson_on_local_disk_and_its_second_submit_keeps_every_job(
    workers: Workers, tmp_path: Path
) -> None:
    workers.start("worker-a")
    movie = str(tmp_path / "movie")
    plan = image_plan(tmp_path / "images.toml", 3)

    code, first, err = finished(workers.submit(plan, movie))
    assert code == 0, (first, err)
    assert {j["status"] for j in first["jobs"]} == {"succeeded"}
    assert all(j["mocked"] for j in first["jobs"])
    assert (tmp_path / "movie" / "manifest.json").exists()

    code, again, err = finished(workers.submit(plan, movie))
    assert code == 0, (again, err)
    assert {j["status"] for j in again["jobs"]} == {"skipped"}
    runs = [e for e in ObjectMovie(movie).events() if e["type"] == "run.started"]
    assert len(runs) == 2
