"""The movie's records in object storage, and the worker's options (no servers needed)."""

from __future__ import annotations

import uuid

import pytest
from tutopanda_providers import ConfigurationError
from tutopanda_providers.runner import FileProblemError
from tutopanda_providers_temporal.records import ObjectMovie, movie_id_of
from tutopanda_providers_temporal.worker import parse_rate_limits


@pytest.fixture
def movie() -> ObjectMovie:
    return ObjectMovie(f"memory://movies-{uuid.uuid4().hex[:8]}/sky")


def test_segments_are_read_in_write_order_and_fold_into_the_manifest(movie: ObjectMovie) -> None:
    record = {"status": "succeeded", "artefacts": [], "model": "mock/x"}
    movie.write_segment("20261129T100000000000-aaaa-00001", [{"type": "run.started"}])
    movie.write_segment(
        "20261129T100000000000-aaaa-00002",
        [{"type": "artefact.produced", "job_id": "image", "manifest_record": record}],
    )
    movie.write_segment("20261129T090000000000-bbbb-00001", [{"type": "run.finished"}])
    # A retried write puts the same bytes under the same name: nothing is duplicated.
    movie.write_segment("20261129T100000000000-aaaa-00001", [{"type": "run.started"}])

    assert [e["type"] for e in movie.events()] == [
        "run.finished",
        "run.started",
        "artefact.produced",
    ]
    assert movie.manifest()["jobs"] == {"image": record}
    assert movie.manifest()["movie"] == "sky"


def test_config_and_manifest_are_whole_objects(movie: ObjectMovie) -> None:
    assert movie.config() == {"overrides": {}}
    movie.write_config({"overrides": {"AudioProducer": "replicate/minimax/speech-02-hd"}})
    movie.write_manifest({"version": 1, "movie": "sky", "jobs": {"a": {"status": "failed"}}})
    assert movie.config()["overrides"] == {"AudioProducer": "replicate/minimax/speech-02-hd"}
    assert movie.manifest()["jobs"] == {"a": {"status": "failed"}}


def test_bad_records_are_named_with_their_place(movie: ObjectMovie) -> None:
    movie.write_segment("0001", [{"type": "run.started"}])
    movie.fs.pipe_file(movie._path("events", "0002.jsonl"), b'{"type": "x"}\nnot json\n')
    with pytest.raises(FileProblemError) as found:
        movie.events()
    assert "events/0002.jsonl:2" in str(found.value.problems)
    movie.write_config({"overrides": {"AudioProducer": 3}})
    with pytest.raises(FileProblemError):
        movie.config()


def test_a_movie_id_is_its_last_name() -> None:
    assert movie_id_of("s3://bucket/movies/sky/") == "sky"
    assert movie_id_of("out/lesson-1") == "lesson-1"
    with pytest.raises(ValueError, match="names no movie"):
        movie_id_of("s3://")


def test_rate_limits_are_parsed_and_bad_ones_say_how_to_write_them() -> None:
    limits = parse_rate_limits(["replicate=10/1", "openai=500/60", "x=3"])
    assert (limits["replicate"].requests, limits["replicate"].window_seconds) == (10, 1)
    assert (limits["openai"].requests, limits["openai"].window_seconds) == (500, 60)
    assert limits["x"].window_seconds == 1
    for bad in ("replicate", "replicate=0/1", "replicate=ten/1", "=3/1", "replicate=3/"):
        with pytest.raises(ConfigurationError, match="KEY=REQUESTS/SECONDS"):
            parse_rate_limits([bad])
