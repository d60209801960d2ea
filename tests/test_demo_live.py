"""The product's acceptance test: ``make demo-live``.

``examples/lesson.toml`` runs live — the real ``openai`` and ``replicate`` SDKs, real sockets —
against the fake servers started for it, on a fresh movie folder. Every job must succeed and
every media file must decode; the script must have the segments asked, the prompts every pair.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

av = pytest.importorskip("av")
Image = pytest.importorskip("PIL.Image")
pytest.importorskip("tutopanda_provider_openai")
pytest.importorskip("tutopanda_provider_replicate")

from tutopanda_providers_testing.demo_live import DemoOutcome, report, run_demo  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "examples" / "lesson.toml"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoOutcome, str]:
    movie = tmp_path_factory.mktemp("demo-live") / "movie"
    outcome = run_demo(LESSON, movie, capture=True, timeout=300)
    out = io.StringIO()
    report(outcome, out)
    return outcome, out.getvalue()


def manifest(outcome: DemoOutcome) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((outcome.movie / "manifest.json").read_text())
    return data


def test_every_job_of_the_lesson_succeeds_live_on_the_fakes(
    demo: tuple[DemoOutcome, str],
) -> None:
    outcome, text = demo
    assert outcome.exit_code == 0, outcome.jobs
    assert len(outcome.jobs) == 13
    assert outcome.succeeded == 13, {j: s for j, s in outcome.jobs.items() if s != "succeeded"}
    jobs = manifest(outcome)["jobs"]
    assert all(r["mode"] == "live" and r["mocked"] is False for r in jobs.values())
    assert "13 of 13 jobs succeeded" in text
    assert str(outcome.movie / "blobs") in text
    assert outcome.spent_usd > 0 and f"${outcome.spent_usd:.4f}" in text


def test_every_media_file_of_the_live_lesson_decodes(demo: tuple[DemoOutcome, str]) -> None:
    outcome, _ = demo
    kinds: set[str] = set()
    for job, record in manifest(outcome)["jobs"].items():
        for artefact in record["artefacts"]:
            if "blob" not in artefact:
                continue
            path = Path(outcome.movie, artefact["blob"]["uri"].removeprefix("file://"))
            kind = artefact["kind"]
            kinds.add(kind)
            if kind == "image":
                with Image.open(path) as picture:
                    picture.load()  # decodes every pixel
                    assert picture.size == (artefact["facts"]["width"], artefact["facts"]["height"])
                continue
            with av.open(str(path)) as container:
                streams = container.streams.video if kind == "video" else container.streams.audio
                assert len(streams) >= 1, job
                frames = sum(1 for _ in container.decode(streams[0]))
                assert frames > 0, job
    assert kinds == {"audio", "image", "video", "music"}


def test_the_live_script_and_prompts_are_what_the_plan_asked(
    demo: tuple[DemoOutcome, str],
) -> None:
    outcome, _ = demo
    jobs = manifest(outcome)["jobs"]
    script = jobs["script"]["artefacts"][0]["data"]
    assert len(script["segments"]) == 3
    assert script["sources"], "a researched script lists its sources"
    assert jobs["script"]["provider"]["extra"]["researched"] is True
    prompts = jobs["prompts"]["artefacts"][0]["data"]["prompts"]
    pairs = {(p["segment_index"], p["target"]) for p in prompts}
    assert pairs == {(i, t) for i in range(3) for t in ("image", "video")}
    # The allowed durations come from the video model's card (seedance-1-lite: 2 to 12 s),
    # and each video job was made at its prompt's duration.
    for p in prompts:
        if p["target"] == "video":
            assert 2 <= p["duration_seconds"] <= 12
            video = jobs[f"video_{p['segment_index']}"]["artefacts"][0]["facts"]
            assert video["duration_seconds"] > 0
    text = json.dumps([script, prompts], ensure_ascii=False)
    assert not any(ch in text for ch in "\ue200\ue201\ue202")
