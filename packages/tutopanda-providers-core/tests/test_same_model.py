"""One model on several providers: the registry's view, settings with ``providers``, the
failover between providers and its record (issue 17, point 5).

Two in-test providers, ``alpha`` and ``beta``, serve the model ``maker/pic-1``; beta serves it
through two variants (a text-to-image and an image-to-image endpoint), as FAL does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    ConfigurationError,
    Cost,
    FailedAttempt,
    ProviderFailedError,
    UnknownModelError,
)
from tutopanda_providers.handler import HandlerContext
from tutopanda_providers.registry import create_provider_registry
from tutopanda_providers.runner import (
    Catalog,
    FileProblemError,
    MovieStore,
    Runner,
    RunOptions,
    load_settings,
    parse_plan,
)
from tutopanda_providers_testing import fakes


class AlphaInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str
    image_urls: list[str] | None = None


class BetaTextInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str
    size: str = "square"


class BetaEditInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str
    image_url: str


def _beta_edit_adapter(inputs: dict[str, Any]) -> dict[str, Any]:
    out = dict(inputs)
    urls = out.pop("image_urls", None)
    if urls:
        out["image_url"] = urls[0]
    return out


def _card(
    provider: str,
    model: str,
    canonical: str | None,
    inputs: type[BaseModel],
    usd: float,
    adapter: Any = None,
) -> ModelCard:
    card = fakes.make_card(
        provider,
        model,
        kind="image",
        input_model=inputs,
        output=OutputSpec(type="json", mime="application/json"),
        usd=usd,
        unit="image",
        input_adapter=adapter,
    )
    return dataclasses.replace(card, canonical_model=canonical)


CARDS = [
    _card("alpha", "pic-1", "maker/pic-1", AlphaInputs, 0.04),
    _card("alpha", "pic-2", "maker/pic-2", AlphaInputs, 0.06),
    _card("beta", "maker/pic-1/edit", "maker/pic-1", BetaEditInputs, 0.03, _beta_edit_adapter),
    _card("beta", "maker/pic-1", "maker/pic-1", BetaTextInputs, 0.025),
    _card("gamma", "pic-3", "maker/pic-3", AlphaInputs, 0.01),
    _card("gamma", "solo", None, AlphaInputs, 0.01),
]


@dataclass
class Behaviour:
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)  # providers whose every call fails
    request_sent: bool = False


class Handler(fakes.FakeHandler):
    def __init__(self, context: HandlerContext, behaviour: Behaviour) -> None:
        super().__init__(context)
        self.behaviour = behaviour

    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        ref = f"{self.provider}/{self.model}"
        self.behaviour.calls.append((ref, request.job.id, dict(request.inputs)))
        if self.provider in self.behaviour.failing:
            raise ProviderFailedError(
                f"{self.provider} is down",
                provider=self.provider,
                model=self.model,
                request_sent=self.behaviour.request_sent,
            )
        body = json.dumps({"model": ref, "inputs": dict(request.inputs)}).encode()
        blob = request.storage.write_bytes(body, mime="application/octet-stream", suffix=".bin")
        cost = self.card.estimate_cost(request.inputs).model_copy(update={"status": "known"})
        return ProducerResult(
            artefacts=[Artefact(kind=ProducerKind.IMAGE, mime=blob.mime, blob=blob)],
            provider=ProviderMetadata(provider=self.provider, model=self.model, cost=cost),
            meta=ResultMeta(mocked=self.mode == "mock"),
        )


def _options(behaviour: Behaviour) -> RegistryOptions:
    plugin = fakes.FakePlugin.for_cards(CARDS, lambda context: Handler(context, behaviour))
    return RegistryOptions(plugins=[("fake", plugin)], entry_points=False, mode="live")


def _registry(behaviour: Behaviour | None = None) -> Any:
    return create_provider_registry(_options(behaviour or Behaviour()))


# -- the registry -----------------------------------------------------------------------------
def test_the_registry_finds_every_card_of_a_model_by_name_or_by_any_serving_card() -> None:
    registry = _registry()
    expected = ["alpha/pic-1", "beta/maker/pic-1", "beta/maker/pic-1/edit"]
    assert [c.ref for c in registry.same_model("maker/pic-1")] == expected
    assert [c.ref for c in registry.same_model("beta/maker/pic-1/edit")] == expected
    assert [c.ref for c in registry.same_model("alpha/pic-1")] == expected
    # A card without canonical_model is its own model.
    assert [c.ref for c in registry.same_model("gamma/solo")] == ["gamma/solo"]
    assert [c.ref for c in registry.twins(registry.card("alpha/pic-1"))] == expected[1:]
    assert registry.twins(registry.card("alpha/pic-2")) == []


def test_an_unknown_model_name_is_refused_with_the_way_to_list_models() -> None:
    with pytest.raises(UnknownModelError, match="tutopanda-providers models"):
        _registry().same_model("maker/nothing")


def test_a_name_expands_over_the_providers_in_their_order() -> None:
    registry = _registry()
    found = registry.expand_model("maker/pic-1", ["beta", "alpha"])
    assert [c.ref for c in found.cards] == [
        "beta/maker/pic-1",
        "beta/maker/pic-1/edit",
        "alpha/pic-1",
    ]
    skipped = registry.expand_model("maker/pic-2", ["alpha", "beta"])
    assert [c.ref for c in skipped.cards] == ["alpha/pic-2"]
    assert skipped.skipped == ["beta"] and skipped.hosts == ["alpha"]


# -- settings ---------------------------------------------------------------------------------
SETTINGS = """
[producers.TextToImageProducer]
kind = "image"
model = "maker/pic-1"
providers = ["alpha", "beta"]
fallbacks = ["maker/pic-2"]
"""

PLAN = """
[jobs.text]
producer = "TextToImageProducer"
inputs.prompt = "a lighthouse"

[jobs.edit]
producer = "TextToImageProducer"
inputs.prompt = "the lighthouse at night"
inputs.image_urls = ["https://example.invalid/lighthouse.png"]
"""


def _settings(tmp_path: Path, text: str = SETTINGS) -> Any:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return load_settings(path, use_defaults=False)


def test_providers_make_model_and_fallbacks_model_names(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    producer = settings.producers["TextToImageProducer"]
    assert producer.providers == ["alpha", "beta"]
    catalog = Catalog.from_settings(settings).expanded(_registry())
    entry = catalog.entries["TextToImageProducer"]
    assert [str(d) for d in entry.candidates()] == [
        "alpha/pic-1",
        "beta/maker/pic-1",
        "beta/maker/pic-1/edit",
        "alpha/pic-2",
    ]
    assert catalog.check(_registry()) == []
    assert entry.to_dict()["providers"] == ["alpha", "beta"]


def test_a_provider_that_does_not_host_a_name_is_skipped_with_one_note(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    catalog = Catalog.from_settings(_settings(tmp_path))
    said: set[str] = set()
    catalog.expanded(_registry(), said)
    catalog.expanded(_registry(), said)
    notes = [r.getMessage() for r in caplog.records if "does not serve" in r.getMessage()]
    assert notes == [
        "TextToImageProducer: beta does not serve maker/pic-2 (served by alpha); that "
        "fallback is tried on alpha only."
    ]


def test_a_name_no_listed_provider_hosts_is_refused_naming_who_does(tmp_path: Path) -> None:
    text = SETTINGS.replace('model = "maker/pic-1"', 'model = "maker/pic-3"')
    catalog = Catalog.from_settings(_settings(tmp_path, text)).expanded(_registry())
    problems = catalog.check(_registry())
    assert len(problems) == 1
    assert "settings.toml:4" in problems[0]  # the model line
    assert "none of its providers (alpha, beta) serves it" in problems[0]
    assert "served by gamma" in problems[0]
    assert "tutopanda-providers models" in problems[0]


def test_a_card_ref_in_place_of_a_name_means_that_cards_model(tmp_path: Path) -> None:
    # Its provider goes first (the user picked it); its variants keep their order, so a text
    # job does not start on the edit endpoint it named.
    text = SETTINGS.replace('model = "maker/pic-1"', 'model = "beta/maker/pic-1/edit"')
    catalog = Catalog.from_settings(_settings(tmp_path, text)).expanded(_registry())
    entry = catalog.entries["TextToImageProducer"]
    assert [str(d) for d in entry.candidates()][:3] == [
        "beta/maker/pic-1",
        "beta/maker/pic-1/edit",
        "alpha/pic-1",
    ]


def test_a_provider_name_with_a_slash_is_refused_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(FileProblemError) as info:
        _settings(tmp_path, SETTINGS.replace('["alpha", "beta"]', '["alpha/pic-1"]'))
    assert "is not a provider name" in info.value.problems[0]


def test_an_override_names_a_model_served_by_the_same_providers(tmp_path: Path) -> None:
    catalog = Catalog.from_settings(_settings(tmp_path))
    catalog.override("TextToImageProducer", "beta/maker/pic-1")  # a card: its model
    entry = catalog.expanded(_registry()).entries["TextToImageProducer"]
    # As with refs, the old fallbacks stay (minus the new model); the old model goes.
    assert entry.names == ("beta/maker/pic-1", "maker/pic-2")
    assert entry.source == "override"
    assert [str(d) for d in entry.candidates()] == [
        "beta/maker/pic-1",  # the card named goes first
        "beta/maker/pic-1/edit",
        "alpha/pic-1",
        "alpha/pic-2",
    ]


def test_variants_of_one_provider_are_checked_as_one(tmp_path: Path) -> None:
    # beta's edit variant requires an image the primary does not: alone it would be refused,
    # beside beta's text variant it is fine (a job only gets the variant taking its inputs).
    registry = _registry()
    registry.check_fallbacks({"TextToImageProducer": ["beta/maker/pic-1", "beta/maker/pic-1/edit"]})
    registry.check_fallbacks({"alpha/pic-1": ["beta/maker/pic-1", "beta/maker/pic-1/edit"]})
    with pytest.raises(ConfigurationError, match="requires"):
        registry.check_fallbacks({"alpha/pic-1": ["beta/maker/pic-1/edit"]})


# -- a run: failover between providers, and its record ---------------------------------------
@dataclass
class Setup:
    tmp_path: Path
    behaviour: Behaviour = field(default_factory=Behaviour)
    settings_text: str = SETTINGS

    @property
    def movie(self) -> Path:
        return self.tmp_path / "movie"

    def runner(self, **options: Any) -> Runner:
        settings = _settings(self.tmp_path, self.settings_text)
        plan = parse_plan(PLAN, "plan.toml", settings.producers)
        return Runner(
            plan,
            Catalog.from_settings(settings),
            self.movie,
            RunOptions(live=True, **options),
            registry_options=_options(self.behaviour),
        )

    def run(self, **options: Any) -> Any:
        return asyncio.run(self.runner(**options).run())


def _calls(behaviour: Behaviour) -> list[tuple[str, str]]:
    return [(ref, job) for ref, job, _ in behaviour.calls]


def test_each_job_gets_the_variant_that_takes_its_inputs(tmp_path: Path) -> None:
    text = SETTINGS.replace('["alpha", "beta"]', '["beta"]').replace("maker/pic-2", "maker/pic-1")
    setup = Setup(tmp_path, settings_text=text)
    report = setup.run()
    assert [o.status for o in report.outcomes] == ["succeeded", "succeeded"]
    assert sorted(_calls(setup.behaviour)) == [
        ("beta/maker/pic-1", "text"),
        ("beta/maker/pic-1/edit", "edit"),
    ]
    edit_inputs = next(i for ref, job, i in setup.behaviour.calls if job == "edit")
    assert edit_inputs["image_url"] == "https://example.invalid/lighthouse.png"


def test_a_provider_failing_every_call_fails_over_once_per_job_and_says_why(
    tmp_path: Path,
) -> None:
    setup = Setup(tmp_path)
    setup.behaviour.failing = {"alpha"}
    report = setup.run()

    assert [o.status for o in report.outcomes] == ["succeeded", "succeeded"]
    # alpha once per job, then beta exactly once, with the variant that takes the inputs.
    assert sorted(_calls(setup.behaviour)) == [
        ("alpha/pic-1", "edit"),
        ("alpha/pic-1", "text"),
        ("beta/maker/pic-1", "text"),
        ("beta/maker/pic-1/edit", "edit"),
    ]
    by_job = {o.job_id: o for o in report.outcomes}
    assert by_job["text"].model == "beta/maker/pic-1"
    assert by_job["text"].failures == [
        {"model": "alpha/pic-1", "kind": "provider_failed", "message": "alpha is down"}
    ]
    assert by_job["text"].failover == (
        "served by beta/maker/pic-1 after alpha/pic-1 failed: provider_failed: alpha is down"
    )
    assert by_job["text"].to_dict()["failover"] == by_job["text"].failover
    # The manifest and the event log keep the record.
    record = MovieStore(setup.movie).manifest()["jobs"]["edit"]
    assert record["model"] == "beta/maker/pic-1/edit"
    assert record["tried"] == ["alpha/pic-1", "beta/maker/pic-1/edit"]
    assert record["failures"][0]["model"] == "alpha/pic-1"
    produced = [e for e in MovieStore(setup.movie).events() if e["type"] == "artefact.produced"]
    assert all(e["meta"]["failures"][0]["kind"] == "provider_failed" for e in produced)
    # The next run keeps what beta made: no job is made twice.
    setup.behaviour.calls.clear()
    again = setup.run()
    assert [o.status for o in again.outcomes] == ["skipped", "skipped"]
    assert setup.behaviour.calls == []
    assert again.outcomes[0].failover is not None


def test_no_failover_when_the_failed_request_may_have_reached_the_provider(
    tmp_path: Path,
) -> None:
    setup = Setup(tmp_path)
    setup.behaviour.failing = {"alpha"}
    setup.behaviour.request_sent = True
    report = setup.run()

    assert [o.status for o in report.outcomes] == ["failed", "failed"]
    assert all(ref.startswith("alpha/") for ref, _ in _calls(setup.behaviour))
    message = report.outcomes[0].error["message"]
    assert "not failed over to beta/maker/pic-1" in message
    assert "could pay twice" in message
    assert report.outcomes[0].failures == []


def test_the_record_says_each_model_left(tmp_path: Path) -> None:
    meta = ResultMeta(
        tried=["alpha/pic-1", "beta/maker/pic-1"],
        failures=[FailedAttempt(model="alpha/pic-1", kind="transient", message="busy")],
    )
    assert meta.failover_text() == (
        "served by beta/maker/pic-1 after alpha/pic-1 failed: transient: busy"
    )
    assert ResultMeta(tried=["alpha/pic-1"]).failover_text() is None


def test_estimates_of_a_job_on_each_provider(tmp_path: Path) -> None:
    # Used by `estimate`: each card's estimate from the job's inputs adapted per card.
    registry = _registry()
    cheapest = min(
        registry.same_model("maker/pic-1"),
        key=lambda c: (
            Cost.model_validate(
                c.estimate_cost(c.validate_inputs({"prompt": "x"}))
                if c.model != "maker/pic-1/edit"
                else Cost.unknown("edit")
            ).amount_usd
            or 99
        ),
    )
    assert cheapest.ref == "beta/maker/pic-1"


def test_a_chain_cut_short_by_the_attempt_budget_says_what_was_not_tried(
    tmp_path: Path,
) -> None:
    from tutopanda_providers import PipelineOptions, RetryPolicy

    setup = Setup(tmp_path)
    setup.behaviour.failing = {"alpha", "beta"}
    options = dataclasses.replace(
        _options(setup.behaviour),
        pipeline=PipelineOptions(retry=RetryPolicy(max_attempts=2, attempts_per_model=1)),
    )
    settings = _settings(tmp_path, setup.settings_text)
    plan = parse_plan(PLAN, "plan.toml", settings.producers)
    runner = Runner(
        plan,
        Catalog.from_settings(settings),
        setup.movie,
        RunOptions(live=True),
        registry_options=options,
    )
    report = asyncio.run(runner.run())
    text = next(o for o in report.outcomes if o.job_id == "text")
    assert text.status == "failed"
    # alpha and beta were tried (2 attempts); the fallback model pic-2 was not, and it says so.
    assert [ref for ref, job in _calls(setup.behaviour) if job == "text"] == [
        "alpha/pic-1",
        "beta/maker/pic-1",
    ]
    message = text.error["message"]
    assert "not tried: alpha/pic-2" in message
    assert "the job's 2 attempts" in message and "RetryPolicy.max_attempts" in message


def test_a_misspelt_provider_is_said_once_as_unknown_not_as_not_serving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = SETTINGS.replace('["alpha", "beta"]', '["alpha", "bta"]')
    catalog = Catalog.from_settings(_settings(tmp_path, text)).expanded(_registry())
    notes = [r.getMessage() for r in caplog.records]
    assert any(
        "provider bta is unknown (misspelt, or its plugin is not installed; known providers: "
        "alpha, beta, gamma); it is not tried." in n
        for n in notes
    ), notes
    assert not [n for n in notes if "bta does not serve" in n]
    assert [str(d) for d in catalog.entries["TextToImageProducer"].candidates()] == [
        "alpha/pic-1",
        "alpha/pic-2",
    ]
