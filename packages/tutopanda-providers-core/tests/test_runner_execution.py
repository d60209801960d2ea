"""The runner: modes, manifest, event log, skipping, overrides, budget, fallbacks, resume.

Runs small plans through fake models registered directly on the registry (no entry points).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict
from tutopanda_providers import (
    Artefact,
    ModelCard,
    OutputSpec,
    ProducerKind,
    ProducerRequest,
    ProducerResult,
    ProviderMetadata,
    RegistryOptions,
    ResultMeta,
)
from tutopanda_providers.contracts import (
    Cost,
    PromptInputs,
    ProviderFailedError,
    ScriptInputs,
)
from tutopanda_providers.handler import HandlerContext
from tutopanda_providers.runner import (
    BudgetRefusedError,
    Catalog,
    FileProblemError,
    MovieBusyError,
    MovieStore,
    Runner,
    RunOptions,
    load_settings,
    parse_plan,
)
from tutopanda_providers.secrets import MappingSecretResolver
from tutopanda_providers.telemetry import ListSink
from tutopanda_providers_testing import fakes


class PictureInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str
    aspect_ratio: Literal["16:9", "1:1"] = "1:1"
    style: str = "plain"


class SpeechInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    voice: str = "default"


class Interrupted(BaseException):
    """Stands for the process dying in the middle of a job."""


@dataclass
class Behaviour:
    """What the fake models do, and what they were asked."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    die_after_create: set[str] = field(default_factory=set)


def _card(
    model: str, kind: str, inputs: type[BaseModel], usd: float | None, unit: str
) -> ModelCard:
    return fakes.make_card(
        "fake",
        model,
        kind=kind,
        input_model=inputs,
        output=OutputSpec(type="json", mime="application/json"),
        usd=usd,
        unit=unit,
        price_source="test prices",
        secret_names=("FAKE_API_KEY",),
    )


CARDS = [
    _card("writer", "script", ScriptInputs, 0.01, "call"),
    _card("prompter", "prompt", PromptInputs, 0.001, "call"),
    _card("painter", "image", PictureInputs, 0.04, "image"),
    _card("painter-2", "image", PictureInputs, 0.05, "image"),
    _card("speaker", "audio", SpeechInputs, None, "call"),
]


class FakeHandler(fakes.FakeHandler):
    """The kit's fake handler, answering with scripts, prompts and blobs the runner chains."""

    def __init__(self, context: HandlerContext, behaviour: Behaviour) -> None:
        super().__init__(context)
        self.behaviour = behaviour

    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        ref = f"{self.provider}/{self.model}"
        self.behaviour.calls.append(
            {
                "job": request.job.id,
                "model": ref,
                "mode": self.mode,
                "inputs": dict(request.inputs),
                "resume": dict(request.resume),
            }
        )
        if self.mode == "live":
            request.report_remote_job(f"p-{request.job.id}")
            if request.job.id in self.behaviour.die_after_create and not request.resume:
                raise Interrupted()
        if ref in self.behaviour.failing:
            raise ProviderFailedError(f"{ref} failed", provider=self.provider, model=self.model)
        artefact = self._artefact(request)
        estimate = self.card.estimate_cost(request.inputs)
        cost = (
            Cost.mocked(estimate)
            if self.mode == "mock"
            else estimate.model_copy(update={"status": "known"})
        )
        return ProducerResult(
            artefacts=[artefact],
            provider=ProviderMetadata(provider=self.provider, model=self.model, cost=cost),
            meta=ResultMeta(mocked=self.mode == "mock"),
        )

    def _artefact(self, request: ProducerRequest) -> Artefact:
        kind = self.card.kind
        inputs = request.inputs
        if kind == ProducerKind.SCRIPT:
            data = {
                "title": inputs["topic"],
                "summary": "s",
                "audience": inputs["audience"],
                "language": "en",
                "segments": [
                    {
                        "index": i,
                        "title": f"part {i}",
                        "narration": f"narration {i} of {inputs['topic']}",
                        "visual_ideas": [f"idea {i}"],
                        "duration_seconds": 10.0,
                    }
                    for i in range(inputs["segments"])
                ],
                "sources": [],
            }
            return Artefact(name="script", kind=kind, mime="application/json", data=data)
        if kind == ProducerKind.PROMPT:
            prompts = [
                {
                    "segment_index": s["index"],
                    "target": t["target"],
                    "prompt": f"{t['target']} of {s['title']}",
                    "negative_prompt": None,
                    "aspect_ratio": None,
                    "duration_seconds": None,
                }
                for s in inputs["segments"]
                for t in inputs["targets"]
            ]
            return Artefact(
                name="prompts", kind=kind, mime="application/json", data={"prompts": prompts}
            )
        body = json.dumps({"model": self.model, "inputs": dict(inputs)}, sort_keys=True).encode()
        blob = request.storage.write_bytes(body, mime="application/octet-stream", suffix=".bin")
        return Artefact(kind=kind, mime=blob.mime, blob=blob)


def fake_plugin(behaviour: Behaviour) -> fakes.FakePlugin:
    """The fake cards, live and mock, served by :class:`FakeHandler` with ``behaviour``."""
    return fakes.FakePlugin.for_cards(CARDS, lambda context: FakeHandler(context, behaviour))


SETTINGS = """
[runner]
concurrency = 2

[producers.ScriptProducer]
kind = "script"
model = "fake/writer"

[producers.PromptProducer]
kind = "prompt"
model = "fake/prompter"

[producers.TextToImageProducer]
kind = "image"
model = "fake/painter"
fallbacks = ["fake/painter-2"]

[producers.TextToImageProducer.model_defaults."fake/painter-2"]
style = "fallback style"

[producers.AudioProducer]
kind = "audio"
model = "fake/speaker"
"""

PLAN = """
[jobs.script]
producer = "ScriptProducer"
inputs = { topic = "tides", segments = 2 }

[jobs.prompts]
producer = "PromptProducer"
inputs.segments = "${script.segments}"
inputs.targets = [{ target = "image" }]

[jobs.image_0]
producer = "TextToImageProducer"
inputs.prompt = "${prompts.prompts[segment_index=0,target=image].prompt}"
inputs.aspect_ratio = "16:9"

[jobs.image_1]
producer = "TextToImageProducer"
inputs.prompt = "${prompts.prompts[segment_index=1].prompt}"

[jobs.narration_1]
producer = "AudioProducer"
inputs.text = "${script.segments[1].narration}"
"""


@dataclass
class Setup:
    tmp_path: Path
    behaviour: Behaviour = field(default_factory=Behaviour)
    sink: ListSink = field(default_factory=ListSink)
    plan_text: str = PLAN
    settings_text: str = SETTINGS

    @property
    def movie(self) -> Path:
        return self.tmp_path / "movie"

    def runner(self, **options: Any) -> Runner:
        settings_file = self.tmp_path / "settings.toml"
        settings_file.write_text(self.settings_text)
        settings = load_settings(settings_file, use_defaults=False)
        plan = parse_plan(self.plan_text, "plan.toml", settings.producers)
        registry_options = RegistryOptions(
            plugins=[("fake", fake_plugin(self.behaviour))],
            entry_points=False,
            secrets=MappingSecretResolver({"FAKE_API_KEY": "test-canary-secret-123"}),
            telemetry=self.sink,
        )
        return Runner(
            plan,
            Catalog.from_settings(settings),
            self.movie,
            RunOptions(**options),
            registry_options=registry_options,
        )

    def run(self, **options: Any) -> Any:
        return asyncio.run(self.runner(**options).run())

    def manifest(self) -> dict[str, Any]:
        return MovieStore(self.movie).manifest()

    def events(self) -> list[dict[str, Any]]:
        return MovieStore(self.movie).events()


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


def test_mock_run_records_every_artefact_in_manifest_log_and_blobs(setup: Setup) -> None:
    report = setup.run()
    assert [o.status for o in report.outcomes] == ["succeeded"] * 5
    assert all(call["mode"] == "mock" for call in setup.behaviour.calls)
    manifest = setup.manifest()
    image = manifest["jobs"]["image_0"]
    assert image["mocked"] is True and image["artefacts"][0]["mocked"] is True
    stored = MovieStore(setup.movie).blobs_root
    blob_path = Path(image["artefacts"][0]["blob"]["uri"].removeprefix("file://"))
    assert blob_path.is_file() and str(blob_path).startswith(str(Path(stored).resolve()))
    body = json.loads(blob_path.read_bytes())
    assert body["inputs"]["prompt"] == "image of part 0"  # resolved through two references
    types = [e["type"] for e in setup.events()]
    assert types[0] == "run.started" and types[-1] == "run.finished"
    assert types.count("artefact.produced") == 5 and types.count("job.started") == 5


def test_live_estimate_of_a_mock_run_sums_the_models_prices(setup: Setup) -> None:
    report = setup.run()
    estimate = report.live_estimate()
    assert estimate.known_usd == pytest.approx(0.01 + 0.001 + 0.04 + 0.04)
    assert estimate.unknown == ["narration_1"]  # its price is unknown, never counted as 0
    assert report.spent().known_usd == 0


def test_rerun_skips_jobs_whose_inputs_are_unchanged_and_artefacts_exist(setup: Setup) -> None:
    setup.run()
    setup.behaviour.calls.clear()
    report = setup.run()
    assert [o.status for o in report.outcomes] == ["skipped"] * 5
    assert setup.behaviour.calls == []


def test_results_logged_before_a_crash_are_not_paid_for_again(setup: Setup) -> None:
    # A run that dies after logging its results but before rewriting manifest.json (which is
    # written at most once a second) must still find them: the event log is the truth.
    setup.run()
    (setup.movie / "manifest.json").unlink()
    setup.behaviour.calls.clear()
    report = setup.run()
    assert [o.status for o in report.outcomes] == ["skipped"] * 5
    assert setup.behaviour.calls == []


def test_changed_input_reruns_the_job_and_only_what_depends_on_it(setup: Setup) -> None:
    setup.run()
    setup.behaviour.calls.clear()
    setup.plan_text = PLAN.replace('inputs.aspect_ratio = "16:9"', 'inputs.aspect_ratio = "1:1"')
    report = setup.run()
    ran = {o.job_id for o in report.outcomes if o.status == "succeeded"}
    # The prompt job runs again too: its image target is now asked for a 1:1 frame (prompts
    # fit the model and inputs that use them); the script does not.
    assert ran == {"prompts", "image_0"}


def test_deleted_blob_makes_the_job_run_again(setup: Setup) -> None:
    setup.run()
    uri = setup.manifest()["jobs"]["image_1"]["artefacts"][0]["blob"]["uri"]
    Path(uri.removeprefix("file://")).unlink()
    setup.behaviour.calls.clear()
    report = setup.run()
    assert {o.job_id for o in report.outcomes if o.status == "succeeded"} == {"image_1"}


def test_force_reruns_every_job(setup: Setup) -> None:
    setup.run()
    report = setup.run(force=True)
    assert all(o.status == "succeeded" for o in report.outcomes)


def test_live_run_with_use_mock_mixes_modes_and_the_manifest_says_which(setup: Setup) -> None:
    report = setup.run(live=True, use_mock=frozenset({"ScriptProducer", "audio"}))
    modes = {call["job"]: call["mode"] for call in setup.behaviour.calls}
    assert modes == {
        "script": "mock",
        "prompts": "live",
        "image_0": "live",
        "image_1": "live",
        "narration_1": "mock",
    }
    jobs = setup.manifest()["jobs"]
    assert {j: r["mocked"] for j, r in jobs.items()} == {
        "script": True,
        "prompts": False,
        "image_0": False,
        "image_1": False,
        "narration_1": True,
    }
    assert report.spent().known_usd == pytest.approx(0.001 + 0.04 + 0.04)


def test_a_live_job_reuses_no_mocked_artefact(setup: Setup) -> None:
    setup.run()
    setup.behaviour.calls.clear()
    setup.run(live=True, use_mock=frozenset({"ScriptProducer", "PromptProducer", "AudioProducer"}))
    assert sorted(c["job"] for c in setup.behaviour.calls) == ["image_0", "image_1"]


def test_max_cost_refuses_a_live_run_before_any_call(setup: Setup) -> None:
    with pytest.raises(BudgetRefusedError, match="over --max-cost"):
        setup.run(live=True, use_mock=frozenset({"audio"}), max_cost=0.05)
    assert setup.behaviour.calls == []
    assert not (setup.movie / "manifest.json").exists()


def test_unknown_cost_under_max_cost_is_refused_unless_allowed(setup: Setup) -> None:
    with pytest.raises(BudgetRefusedError, match="narration_1"):
        setup.run(live=True, max_cost=10)
    assert setup.behaviour.calls == []
    report = setup.run(live=True, max_cost=10, allow_unknown_cost=True)
    assert not report.failed


def test_max_cost_is_ignored_in_mock_mode_where_nothing_is_spent(setup: Setup) -> None:
    report = setup.run(max_cost=0.0)
    assert not report.failed


def test_dry_run_validates_inputs_with_stand_ins_and_calls_nothing(setup: Setup) -> None:
    report = setup.run(dry_run=True)
    assert setup.behaviour.calls == []
    assert not setup.movie.exists()
    by_job = {p.job.id: p for p in report.previews}
    assert by_job["image_0"].payload == {
        "prompt": "(image prompt for segment 0, written by job prompts)",
        "aspect_ratio": "16:9",
        "style": "plain",
    }
    assert by_job["image_0"].uses_samples and not by_job["script"].uses_samples
    assert by_job["image_0"].estimate.amount_usd == pytest.approx(0.04)
    assert report.problems == []


def test_dry_run_reports_inputs_a_model_refuses(setup: Setup) -> None:
    setup.plan_text = PLAN.replace('inputs.aspect_ratio = "16:9"', 'inputs.aspect_ratio = "4:3"')
    report = setup.run(dry_run=True)
    assert len(report.problems) == 1
    assert report.problems[0].startswith("image_0: invalid inputs for fake/painter")
    assert "aspect_ratio" in report.problems[0]


def test_dry_run_reports_a_reference_past_the_end_of_the_script(setup: Setup) -> None:
    setup.plan_text = PLAN.replace("script.segments[1].narration", "script.segments[5].narration")
    report = setup.run(dry_run=True)
    assert report.problems == [
        "narration_1: ${script.segments[5].narration}: script.segments[5] is out of range "
        "(script.segments has 2 items)"
    ]


def test_overrides_are_persisted_and_replayed_by_later_runs(setup: Setup) -> None:
    setup.run(overrides={"TextToImageProducer": "fake/painter-2"})
    config = json.loads((setup.movie / "config.json").read_text())
    assert config["overrides"] == {"TextToImageProducer": "fake/painter-2"}
    providers = json.loads((setup.movie / "providers.json").read_text())
    assert providers["TextToImageProducer"]["model"] == "fake/painter-2"
    assert providers["TextToImageProducer"]["source"] == "override"
    setup.behaviour.calls.clear()
    report = setup.run(force=True)  # no --override: the movie's choice is replayed
    images = {c["model"] for c in setup.behaviour.calls if c["job"].startswith("image")}
    assert images == {"fake/painter-2"}
    assert {o.model for o in report.outcomes if o.job_id.startswith("image")} == {"fake/painter-2"}


def test_a_new_override_replaces_the_remembered_one_and_clear_forgets_it(setup: Setup) -> None:
    setup.run(overrides={"TextToImageProducer": "fake/painter-2"})
    setup.run(overrides={"TextToImageProducer": "fake/painter"})
    assert json.loads((setup.movie / "config.json").read_text())["overrides"] == {
        "TextToImageProducer": "fake/painter"
    }
    setup.run(clear_overrides=True)
    assert json.loads((setup.movie / "config.json").read_text())["overrides"] == {}


def test_override_to_a_model_of_another_kind_is_refused_with_the_fix(setup: Setup) -> None:
    with pytest.raises(FileProblemError) as info:
        setup.run(overrides={"TextToImageProducer": "fake/speaker"})
    assert "makes image, but its model fake/speaker makes audio" in str(info.value)
    assert "tutopanda-providers models --kind image" in str(info.value)


def test_fallback_serves_when_the_model_fails_and_gets_its_own_defaults(setup: Setup) -> None:
    setup.behaviour.failing.add("fake/painter")
    report = setup.run()
    image = next(o for o in report.outcomes if o.job_id == "image_0")
    assert image.status == "succeeded" and image.model == "fake/painter-2"
    assert image.tried == ["fake/painter", "fake/painter-2"]
    fallback_call = next(
        c for c in setup.behaviour.calls if c["job"] == "image_0" and c["model"] == "fake/painter-2"
    )
    assert fallback_call["inputs"]["style"] == "fallback style"
    assert setup.manifest()["jobs"]["image_0"]["fell_back"] is True


def test_a_failed_job_blocks_what_depends_on_it_and_the_rest_runs(setup: Setup) -> None:
    setup.behaviour.failing.add("fake/prompter")
    report = setup.run()
    status = {o.job_id: o.status for o in report.outcomes}
    assert status == {
        "script": "succeeded",
        "prompts": "failed",
        "narration_1": "succeeded",
        "image_0": "blocked",
        "image_1": "blocked",
    }
    failed = [e for e in setup.events() if e["type"] == "job.failed"]
    assert failed[0]["job_id"] == "prompts" and failed[0]["error"]["kind"] == "provider_failed"


def test_a_remote_job_in_flight_when_the_run_died_is_resumed(setup: Setup) -> None:
    setup.behaviour.die_after_create.add("image_0")
    with pytest.raises(Interrupted):
        setup.run(live=True, concurrency=1)
    remote = [e for e in setup.events() if e["type"] == "job.remote_started"]
    assert {e["job_id"] for e in remote} >= {"image_0"}
    setup.behaviour.calls.clear()
    setup.run(live=True, concurrency=1)
    image_0 = [c for c in setup.behaviour.calls if c["job"] == "image_0"]
    assert image_0[0]["resume"] == {"remote_job_id": "p-image_0"}
    # Jobs that finished before the crash were not paid for twice.
    assert "script" not in {c["job"] for c in setup.behaviour.calls}


def test_a_second_run_on_a_movie_in_use_is_refused(setup: Setup) -> None:
    with MovieStore(setup.movie).locked(), pytest.raises(MovieBusyError, match="another run"):
        setup.run()
    assert setup.behaviour.calls == []


def test_blobs_can_go_to_any_fsspec_url(setup: Setup) -> None:
    report = setup.run(storage="memory://runner-test-blobs")
    image = next(o for o in report.outcomes if o.job_id == "image_0")
    assert image.artefacts[0]["blob"]["uri"].startswith("memory://")
    setup.behaviour.calls.clear()
    again = setup.run(storage="memory://runner-test-blobs")
    assert all(o.status == "skipped" for o in again.outcomes)


def test_telemetry_and_logs_never_hold_the_secret(setup: Setup) -> None:
    setup.run(live=True, use_mock=frozenset({"audio"}))
    text = (setup.movie / "events.jsonl").read_text() + (setup.movie / "manifest.json").read_text()
    assert "test-canary-secret-123" not in text


def test_a_run_told_to_wait_starts_once_the_other_run_ends(setup: Setup) -> None:
    import threading

    holding = threading.Event()
    release = threading.Event()

    def other_run() -> None:
        with MovieStore(setup.movie).locked():
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=other_run)
    thread.start()
    holding.wait(30)
    runner = setup.runner(lock_timeout=60)
    threading.Timer(0.2, release.set).start()
    report = asyncio.run(runner.run())
    thread.join()
    assert [o.status for o in report.outcomes] == ["succeeded"] * 5


def test_a_fallback_of_another_kind_is_refused_before_any_call_with_its_line(setup: Setup) -> None:
    setup.settings_text = SETTINGS.replace(
        'fallbacks = ["fake/painter-2"]', 'fallbacks = ["fake/speaker"]'
    )
    with pytest.raises(FileProblemError) as info:
        setup.run()
    (problem,) = info.value.problems
    line = setup.settings_text.splitlines().index('fallbacks = ["fake/speaker"]') + 1
    assert problem.startswith(
        f"{setup.tmp_path / 'settings.toml'}:{line}: TextToImageProducer makes image"
    )
    assert "fallback fake/speaker makes audio" in problem
    assert setup.behaviour.calls == []


def test_a_misspelt_use_mock_name_is_refused_rather_than_run_live(setup: Setup) -> None:
    from tutopanda_providers.contracts import ConfigurationError

    with pytest.raises(
        ConfigurationError, match=r"'ScriptProduce' \(did you mean ScriptProducer\?\)"
    ):
        setup.run(live=True, use_mock=frozenset({"ScriptProduce"}))
    assert setup.behaviour.calls == []


def test_a_job_can_pin_its_own_model_and_a_wrong_pin_names_its_line(setup: Setup) -> None:
    setup.plan_text = PLAN.replace(
        'inputs.aspect_ratio = "16:9"', 'inputs.aspect_ratio = "16:9"\nmodel = "fake/painter-2"'
    )
    report = setup.run()
    assert next(o for o in report.outcomes if o.job_id == "image_0").model == "fake/painter-2"
    assert next(o for o in report.outcomes if o.job_id == "image_1").model == "fake/painter"
    setup.plan_text = PLAN.replace(
        'inputs.aspect_ratio = "16:9"', 'inputs.aspect_ratio = "16:9"\nmodel = "fake/speaker"'
    )
    with pytest.raises(FileProblemError) as info:
        setup.run()
    line = setup.plan_text.splitlines().index('model = "fake/speaker"') + 1
    assert info.value.problems == [
        f"plan.toml:{line}: jobs.image_0.model fake/speaker makes audio, but TextToImageProducer "
        "makes image; pin a model of kind image or use another producer"
    ]


# -- one job prepared once, one fingerprint, remote jobs through the typed callback -------
def test_a_job_moved_from_local_to_cloud_is_not_skipped_as_up_to_date(setup: Setup) -> None:
    setup.run()
    setup.behaviour.calls.clear()
    setup.settings_text = SETTINGS.replace(
        'model = "fake/painter"\n', 'model = "fake/painter"\nenvironment = "cloud"\n'
    )
    report = setup.run()
    status = {o.job_id: o.status for o in report.outcomes}
    assert status == {
        "script": "skipped",
        "prompts": "skipped",
        "image_0": "succeeded",
        "image_1": "succeeded",
        "narration_1": "skipped",
    }
    assert {c["job"] for c in setup.behaviour.calls} == {"image_0", "image_1"}


def test_a_one_job_run_validates_its_inputs_once(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup.plan_text = '[jobs.script]\nproducer = "ScriptProducer"\ninputs = { topic = "tides" }\n'
    calls: list[str] = []
    original = ModelCard.validate_inputs

    def counting(self: ModelCard, inputs: Any) -> dict[str, Any]:
        calls.append(self.ref)
        return original(self, inputs)

    monkeypatch.setattr(ModelCard, "validate_inputs", counting)
    report = setup.run()
    assert [o.status for o in report.outcomes] == ["succeeded"]
    assert calls == ["fake/writer"]
    calls.clear()
    assert [o.status for o in setup.run().outcomes] == ["skipped"]
    assert calls == ["fake/writer"]  # the re-run prepares it once too, and calls nothing


def test_the_runner_records_the_remote_job_from_the_typed_callback(setup: Setup) -> None:
    setup.run(live=True, use_mock=frozenset({"script", "prompt"}))
    remote = {e["job_id"]: e for e in setup.events() if e["type"] == "job.remote_started"}
    assert set(remote) == {"image_0", "image_1", "narration_1"}  # the live jobs only
    started = {e["job_id"]: e for e in setup.events() if e["type"] == "job.started"}
    for job_id, event in remote.items():
        assert event["remote_job_id"] == f"p-{job_id}"
        assert event["fingerprint"] == started[job_id]["fingerprint"]
        assert event["model"] == started[job_id]["model"]
    # No telemetry event carried it: the callback is the only channel.
    assert not [e for e in setup.sink.events if "remote_job_id" in e.attributes]


def test_the_fingerprint_of_a_job_is_its_result_cache_key(setup: Setup, tmp_path: Path) -> None:
    from tutopanda_providers.pipeline import PipelineOptions
    from tutopanda_providers.pipeline.cache import CacheOptions

    cache = tmp_path / "cache"
    runner = setup.runner()
    assert runner._registry_options is not None
    runner._registry_options.pipeline = PipelineOptions(
        cache=CacheOptions(enabled=True, directory=cache)
    )
    asyncio.run(runner.run())
    keys = {p.stem for p in cache.rglob("*.json")}
    fingerprints = {job["fingerprint"] for job in setup.manifest()["jobs"].values()}
    assert len(fingerprints) == 5 and fingerprints == keys


def _rewrite_events(setup: Setup, change: Callable[[dict[str, Any]], None]) -> None:
    path = setup.movie / "events.jsonl"
    events = [json.loads(line) for line in path.read_text().splitlines()]
    for event in events:
        change(event)
    path.write_text("".join(json.dumps(e) + "\n" for e in events))


def _legacy_fingerprints(setup: Setup) -> dict[str, str]:
    from tutopanda_providers.runner.recording import legacy_fingerprint

    previews = setup.runner(live=True).preview()
    return {
        p.job.id: legacy_fingerprint(p.descriptor, p.mode, p.payload or {}, p.handler.version)
        for p in previews
        if p.handler is not None
    }


def test_a_movie_recorded_before_the_change_is_still_skipped(setup: Setup) -> None:
    setup.run(live=True)
    legacy = _legacy_fingerprints(setup)

    def to_old_format(event: dict[str, Any]) -> None:
        record = event.get("manifest_record")
        if record is not None:
            record.pop("fingerprint_scheme")
            record["fingerprint"] = event["fingerprint"] = legacy[event["job_id"]]

    _rewrite_events(setup, to_old_format)
    (setup.movie / "manifest.json").unlink()
    setup.behaviour.calls.clear()
    report = setup.run(live=True)
    assert [o.status for o in report.outcomes] == ["skipped"] * 5
    assert setup.behaviour.calls == []


def test_an_old_event_log_naming_a_prediction_id_is_resumed(setup: Setup) -> None:
    setup.behaviour.die_after_create.add("image_0")
    with pytest.raises(Interrupted):
        setup.run(live=True, concurrency=1)
    legacy = _legacy_fingerprints(setup)

    def to_old_format(event: dict[str, Any]) -> None:
        if event["type"] == "job.remote_started":
            event["prediction_id"] = event.pop("remote_job_id")
            event.pop("fingerprint_scheme")
            event.pop("resumed")
            event["fingerprint"] = legacy[event["job_id"]]

    _rewrite_events(setup, to_old_format)
    setup.behaviour.calls.clear()
    setup.run(live=True, concurrency=1)
    image_0 = [c for c in setup.behaviour.calls if c["job"] == "image_0"]
    assert image_0[0]["resume"] == {"remote_job_id": "p-image_0"}
