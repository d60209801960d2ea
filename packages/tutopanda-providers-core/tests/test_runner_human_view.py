"""The human view of a movie (``files/``) and its page (``index.html``), opened in a real
headless chromium: every image, audio and video element loads, after the folder moved."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

# The movie is made by a mock run: it needs the mock plugin (not installed in nox's core session).
pytest.importorskip("tutopanda_provider_mock")
from tutopanda_providers.runner import Catalog, Runner, RunOptions, load_settings, parse_plan
from tutopanda_providers.runner.view import write_view

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

PLAN = """
[plan]
title = "Sky <b>blue</b> & \\"why\\" <script>alert(1)</script>"

[jobs.script]
producer = "ScriptProducer"
inputs = { topic = "Why is the sky blue?", audience = "teens", segments = 1, duration_seconds = 8 }

[jobs.prompts]
producer = "PromptProducer"
inputs.segments = "${script.segments}"
inputs.targets = [{ target = "image" }, { target = "video" }]

[jobs.narration_0]
producer = "AudioProducer"
inputs.text = "${script.segments[0].narration}"

[jobs.image_0]
producer = "TextToImageProducer"
inputs.prompt = "${prompts.prompts[segment_index=0,target=image].prompt}"

[jobs.video_0]
producer = "TextToVideoProducer"
inputs.prompt = "${prompts.prompts[segment_index=0,target=video].prompt}"
inputs.duration_seconds = 5

[jobs.narration_9]
producer = "AudioProducer"
inputs.text = "${script.segments[9].narration}"
"""


@pytest.fixture(scope="module")
def movie(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mock run of a small lesson (with one job that fails), then the movie moved away."""
    root = tmp_path_factory.mktemp("view")
    plan_file = root / "lesson.toml"
    plan_file.write_text(PLAN, encoding="utf-8")
    settings = load_settings(None)
    catalog = Catalog.from_settings(settings)
    plan = parse_plan(PLAN, str(plan_file), catalog.entries)
    report = asyncio.run(Runner(plan, catalog, root / "movie", RunOptions()).run())
    assert [o.job_id for o in report.failed] == ["narration_9"]
    assert report.page == str(root / "movie" / "index.html")
    moved = root / "moved" / "movie"
    moved.parent.mkdir()
    (root / "movie").rename(moved)
    return moved


def test_each_artefact_has_a_file_named_after_its_job_linked_to_its_blob(movie: Path) -> None:
    files = sorted(p.name for p in (movie / "files").iterdir())
    assert files == [
        "image_0.jpg",
        "narration_0.mp3",
        "prompts.json",
        "script.json",
        "video_0.mp4",
    ]
    manifest = json.loads((movie / "manifest.json").read_text())
    blob = manifest["jobs"]["image_0"]["artefacts"][0]["blob"]
    stored = movie / "blobs" / blob["sha256"][:2] / f"{blob['sha256']}.jpg"
    assert os.path.samefile(movie / "files" / "image_0.jpg", stored)  # a hard link, no copy
    script = json.loads((movie / "files" / "script.json").read_text())
    assert len(script["segments"]) == 1


def test_the_view_is_rebuilt_and_drops_files_of_jobs_no_longer_there(tmp_path: Path) -> None:
    from tutopanda_providers.storage import BlobStore

    store = BlobStore(tmp_path / "blobs")
    ref = store.write_bytes(b"\xff\xd8\xff\xe0 not really", mime="image/jpeg", suffix=".jpg")
    record = {
        "status": "succeeded",
        "artefacts": [
            {"name": "output", "kind": "image", "mime": "image/jpeg", "blob": ref.model_dump()}
        ],
    }
    stale = tmp_path / "files" / "old_job.png"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    made = write_view(tmp_path, {"jobs": {"cover": record}}, store)
    assert [f.name for f in made] == ["cover.jpg"]
    assert not stale.exists()
    assert (tmp_path / "files" / "cover.jpg").read_bytes() == store.read_bytes(ref)


def test_the_page_uses_relative_links_only_and_escapes_every_text(movie: Path) -> None:
    html = (movie / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in html  # the plan's title is text, not markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;blue&lt;/b&gt; &amp; &quot;why&quot;" in html
    for url in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert url.startswith("files/"), url
    assert "http://" not in html and "https://" not in html
    # The failure is on the page with its reason.
    assert 'id="narration_9"' in html and "segments[9]" in html
    for word in ("replicate/", "openai/gpt-5", "mocked", "cost"):
        assert word in html


HARNESS = """<!DOCTYPE html><html><body><pre id="out">pending</pre>
<iframe id="f" src="PAGE" width="1200" height="900"></iframe>
<script>
function report() {
  const d = document.getElementById('f').contentDocument;
  const r = [];
  for (const e of d.querySelectorAll('img'))
    r.push({tag: 'img', src: e.getAttribute('src'), ok: e.complete && e.naturalWidth > 0});
  for (const e of d.querySelectorAll('audio, video'))
    r.push({tag: e.tagName.toLowerCase(), src: e.getAttribute('src'),
            ok: e.readyState >= 1 && e.duration > 0});
  document.getElementById('out').textContent = JSON.stringify(r);
}
window.addEventListener('load', () => setTimeout(report, 2000));
</script></body></html>
"""


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed (.ci/run)")
def test_every_image_audio_and_video_of_the_page_loads_in_a_real_browser(
    movie: Path, tmp_path: Path
) -> None:
    page = (movie / "index.html").resolve().as_uri()
    harness = tmp_path / "check.html"
    harness.write_text(HARNESS.replace("PAGE", page), encoding="utf-8")
    dom = subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            "--allow-file-access-from-files",  # the harness reads the page's frame
            "--virtual-time-budget=10000",
            "--dump-dom",
            harness.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    found = re.search(r'<pre id="out">([^<]*)</pre>', dom)
    assert found, dom[:2000]
    elements = json.loads(found.group(1).replace("&quot;", '"'))
    tags = sorted(e["tag"] for e in elements)
    assert tags == ["audio", "img", "video"], elements
    assert all(e["ok"] for e in elements), elements
    shot = tmp_path / "index.png"
    subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, "--window-size=1280,2400", f"--screenshot={shot}", page],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 10_000
    print(f"screenshot of the movie's page: {shot}")
