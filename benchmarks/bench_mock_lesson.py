"""A typical lesson's mock artefacts, made through the registry in mock mode.

The lesson (issue 3): 1 script, 12 prompts, 6 narrations of about 20 s, 6 images at 1024x576,
3 videos of 5 s at 480p and 1 music track of 30 s, on the mock provider's demo models. The
script comes first; its segments feed the prompts and the narrations; the media jobs then run
concurrently, as a runner would run them. Every artefact is a real file written to a temporary
blob store.

Figures: wall time of the whole lesson (the first run pays for importing PyAV, Pillow and
numpy; later runs use new job ids, so nothing is reused) and the process's peak resident
memory, as a delta over the registry being built and as an absolute figure. CPU time (user +
sys of the process) is printed too: on this shared 2-core machine it says more than wall time
when other work is running.
Budgets: 5 s and 300 MB. The figures are printed, never asserted.

    uv run --frozen python benchmarks/bench_mock_lesson.py            # 3 runs of the lesson
    uv run --frozen python benchmarks/bench_mock_lesson.py --smoke    # 1 run of a small lesson
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import tutopanda_provider_mock.plugin as mock_plugin
from tutopanda_providers import (
    Descriptor,
    JobInfo,
    ProducerResult,
    ProviderRegistry,
    RegistryOptions,
    create_provider_registry,
)
from tutopanda_providers.storage import BlobStore

BUDGET_SECONDS = 5.0
BUDGET_MB = 300.0


@dataclass(frozen=True)
class Lesson:
    segments: int
    seconds_per_segment: float
    prompts: int
    images: int
    image_size: tuple[int, int]
    videos: int
    video_seconds: float
    music_seconds: float


FULL = Lesson(6, 20.0, 12, 6, (1024, 576), 3, 5.0, 30.0)
SMOKE = Lesson(2, 5.0, 2, 2, (512, 288), 1, 2.0, 5.0)


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def row(name: str, value: float) -> None:
    print(f"{name:<44} {value:>10.2f} {'':>10}")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_lesson(registry: ProviderRegistry, lesson: Lesson, tag: str) -> dict[str, Any]:
    timings: dict[str, list[float]] = defaultdict(list)
    counter = 0

    async def call(ref: str, inputs: dict[str, Any]) -> ProducerResult:
        nonlocal counter
        counter += 1
        descriptor = Descriptor.parse(ref)
        card = registry.card(descriptor)
        job = JobInfo(id=f"{tag}-{counter:03d}", producer="Bench", kind=card.kind)
        request = registry.new_request(descriptor, inputs, job=job)
        started = time.perf_counter()
        result = await registry.resolve(descriptor).invoke(request)
        timings[card.kind.value].append(time.perf_counter() - started)
        return result

    started = time.perf_counter()
    cpu_started = cpu_seconds()
    script_result = await call(
        "mock/script",
        {
            "topic": "how photosynthesis feeds the planet",
            "segments": lesson.segments,
            "duration_seconds": lesson.segments * lesson.seconds_per_segment,
        },
    )
    segments = script_result.artefacts[0].data["segments"]
    targets = ("image", "video")
    prompt_jobs = [
        call(
            "mock/prompt",
            {
                "segments": [segments[i % len(segments)]],
                "targets": [{"target": targets[i % 2], "aspect_ratios": ["16:9"]}],
            },
        )
        for i in range(lesson.prompts)
    ]
    prompt_sets = await asyncio.gather(*prompt_jobs)
    prompts = [p for result in prompt_sets for p in result.artefacts[0].data["prompts"]]
    image_prompts = [p["prompt"] for p in prompts if p["target"] == "image"] or ["an image"]
    video_prompts = [p["prompt"] for p in prompts if p["target"] == "video"] or ["a video"]
    width, height = lesson.image_size
    media = [
        *(
            call("mock/audio", {"text": segments[i % len(segments)]["narration"]})
            for i in range(lesson.segments)
        ),
        *(
            call(
                "mock/image",
                {"prompt": image_prompts[i % len(image_prompts)], "width": width, "height": height},
            )
            for i in range(lesson.images)
        ),
        *(
            call(
                "mock/video",
                {
                    "prompt": video_prompts[i % len(video_prompts)],
                    "duration_seconds": lesson.video_seconds,
                    "resolution": "480p",
                    "aspect_ratio": "16:9",
                },
            )
            for i in range(lesson.videos)
        ),
        call(
            "mock/music",
            {"prompt": "calm, curious strings", "duration_seconds": lesson.music_seconds},
        ),
    ]
    results = await asyncio.gather(*media)
    wall = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_started
    durations = [
        a.facts.duration_seconds for r in results for a in r.artefacts if a.facts.duration_seconds
    ]
    return {
        "wall": wall,
        "cpu": cpu,
        "timings": dict(timings),
        "artefacts": 1 + len(prompt_sets) + len(results),
        "media_seconds": sum(durations),
        "bytes": sum(a.blob.size for r in results for a in r.artefacts if a.blob),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="one run of a small lesson")
    parser.add_argument("--runs", type=int, default=None, help="runs of the lesson (default 3)")
    args = parser.parse_args()
    lesson = SMOKE if args.smoke else FULL
    runs = args.runs or (1 if args.smoke else 3)

    with tempfile.TemporaryDirectory(prefix="bench-mock-") as root:
        registry = create_provider_registry(
            RegistryOptions(
                mode="mock",
                plugins=[("mock", mock_plugin)],
                entry_points=False,
                storage=BlobStore(root),
            )
        )
        baseline = peak_rss_mb()
        reports = [await run_lesson(registry, lesson, f"run{n}") for n in range(runs)]
        peak = peak_rss_mb()

    first, later = reports[0], reports[1:]
    print(
        f"lesson: 1 script, {lesson.prompts} prompts, {lesson.segments} narrations of "
        f"~{lesson.seconds_per_segment:g} s, {lesson.images} images at "
        f"{lesson.image_size[0]}x{lesson.image_size[1]}, {lesson.videos} videos of "
        f"{lesson.video_seconds:g} s at 480p, 1 music track of {lesson.music_seconds:g} s"
    )
    print(
        f"made {first['artefacts']} artefacts per run, {first['media_seconds']:.1f} s of media, "
        f"{first['bytes'] / 1e6:.1f} MB of files\n"
    )
    print(
        f"{'kind':<8} {'jobs':>5} {'mean s':>8} {'max s':>8}   (job latency, run 1; jobs overlap)"
    )
    for kind, values in first["timings"].items():
        print(f"{kind:<8} {len(values):>5} {statistics.mean(values):>8.3f} {max(values):>8.3f}")
    print()
    print(f"{'figure':<44} {'value':>10} {'budget':>10}")
    print(
        f"{'wall time, first run (imports included) s':<44} {first['wall']:>10.2f} {BUDGET_SECONDS:>10.1f}"
    )
    if later:
        median = statistics.median(r["wall"] for r in later)
        print(
            f"{f'wall time, median of {len(later)} later runs s':<44} {median:>10.2f} {BUDGET_SECONDS:>10.1f}"
        )
    row("CPU time (user+sys), first run s", first["cpu"])
    if later:
        row(
            f"CPU time, median of {len(later)} later runs s",
            statistics.median(r["cpu"] for r in later),
        )
    print(
        f"{'peak RSS over the built registry MB':<44} {peak - baseline:>10.1f} {BUDGET_MB:>10.0f}"
    )
    print(f"{'peak RSS of the process MB':<44} {peak:>10.1f} {'':>10}")


if __name__ == "__main__":
    asyncio.run(main())
