"""The shared fake models: card builder, fake handler and factory, fake plugin, registries."""

from __future__ import annotations

from pathlib import Path

import pytest
from tutopanda_providers import (
    Descriptor,
    Implementation,
    ModelCard,
    OutputSpec,
    ProducerKind,
    ProducerRequest,
    ProviderFailedError,
    ProviderRegistry,
    TransientError,
)
from tutopanda_providers.storage import BlobStore
from tutopanda_providers_testing import (
    FakeFactory,
    FakeHandler,
    FakeInputs,
    FakePlugin,
    FakeReplicateServer,
    Fault,
    Script,
    fake_registry,
    fake_server_registry,
    make_card,
)
from tutopanda_providers_testing.keys import CANARY_REPLICATE_TOKEN

IMAGE_A = Descriptor.parse("fake/image-a")


def test_make_card_defaults_to_a_priced_image_model() -> None:
    card = make_card()
    assert (card.ref, card.kind, card.input_model) == (
        "fake/image-a",
        ProducerKind.IMAGE,
        FakeInputs,
    )
    assert card.output == OutputSpec(type="text", mime="text/plain")
    assert card.estimate_cost({"prompt": "x"}).amount_usd == pytest.approx(0.04)


def test_make_card_sets_every_field_it_is_given() -> None:
    card = make_card(
        "acme",
        "voice",
        kind="audio",
        usd=None,
        unit="second",
        output=OutputSpec(type="audio", mime="audio/wav"),
        secret_names=["ACME_KEY"],
        rate_key="acme-audio",
        capabilities=["generates_audio"],
        price_source="acme.example/pricing",
    )
    assert (card.ref, card.kind) == ("acme/voice", ProducerKind.AUDIO)
    assert card.price.rates[0].unit == "second" and card.price.rates[0].usd is None
    assert card.price.source == "acme.example/pricing"
    assert card.secret_names == ("ACME_KEY",)
    assert card.rate_key == "acme-audio"
    assert card.capabilities == frozenset({"generates_audio"})


def registry_of(
    tmp_path: Path, *cards_and_factories: tuple[ModelCard, FakeFactory]
) -> ProviderRegistry:
    implementations = [
        Implementation.for_card(card, factory, mode=each)
        for card, factory in cards_and_factories
        for each in ("live", "mock")
    ]
    return fake_registry([("fakes", FakePlugin(*implementations))], storage=tmp_path)


async def test_fake_handler_plays_its_script_then_answers(tmp_path: Path) -> None:
    script = Script(outcomes=[ProviderFailedError("down")])
    registry = registry_of(tmp_path, (make_card(), FakeFactory(script)))
    with pytest.raises(ProviderFailedError, match="down"):
        await registry.invoke(IMAGE_A, {"prompt": "one"})
    result = await registry.invoke(IMAGE_A, {"prompt": "two"})
    assert result.artefacts[0].text == "image-a"
    assert result.provider.cost.status == "known"
    assert result.provider.cost.amount_usd == pytest.approx(0.04)
    assert script.calls == [{"prompt": "one", "steps": 4}, {"prompt": "two", "steps": 4}]


async def test_fake_handler_awaits_a_callable_outcome_and_can_hide_its_cost(
    tmp_path: Path,
) -> None:
    seen: list[str] = []

    async def note(request: ProducerRequest) -> None:
        seen.append(request.job.id)

    script = Script(outcomes=[note], report_cost=False)
    registry = registry_of(tmp_path, (make_card(), FakeFactory(script, label="labelled")))
    result = await registry.invoke(IMAGE_A, {"prompt": "x"})
    assert len(seen) == 1
    assert result.artefacts[0].text == "labelled"
    assert result.provider.cost.status == "unknown"


def test_fake_factory_counts_the_handlers_it_makes(tmp_path: Path) -> None:
    factory = FakeFactory(label="only")
    registry = registry_of(tmp_path, (make_card(), factory))
    assert factory.calls == 0  # building a registry creates no handler
    handler = registry.resolve(IMAGE_A).handler
    assert isinstance(handler, FakeHandler) and handler.label == "only"
    registry.resolve(IMAGE_A)
    assert factory.calls == 1


async def test_fake_plugin_for_cards_registers_each_card_in_each_mode(tmp_path: Path) -> None:
    plugin = FakePlugin.for_cards([make_card(model="a"), make_card(model="b")], modes=("mock",))
    assert [(i.mode, i.card.ref if i.card else None) for i in plugin.implementations] == [
        ("mock", "fake/a"),
        ("mock", "fake/b"),
    ]
    registry = fake_registry([("fakes", plugin)], storage=BlobStore(tmp_path), mode="mock")
    assert [c.ref for c in registry.list_models()] == ["fake/a", "fake/b"]
    result = await registry.invoke(Descriptor.parse("fake/b"), {"prompt": "x"})
    assert result.artefacts[0].text == "b"


@pytest.mark.parametrize(("retries", "succeeds"), [(False, False), (2, True)])
async def test_fake_server_registry_talks_to_the_fake_with_the_attempts_asked(
    tmp_path: Path, retries: bool | int, succeeds: bool
) -> None:
    pytest.importorskip("tutopanda_provider_replicate")
    from tutopanda_provider_replicate import plugin

    imagen = Descriptor.parse("replicate/google/imagen-4")
    with FakeReplicateServer(api_key=CANARY_REPLICATE_TOKEN) as fake:
        fake.faults.add("create", Fault.status(503))
        registry = fake_server_registry(
            replicate=fake, storage=tmp_path, plugins=[("replicate", plugin)], retries=retries
        )
        assert [p.name for p in registry.plugins] == ["replicate"]  # no entry point loaded
        if succeeds:
            result = await registry.invoke(imagen, {"prompt": "a panda"})
            assert result.artefacts[0].mime.startswith("image/")
        else:
            with pytest.raises(TransientError):
                await registry.invoke(imagen, {"prompt": "a panda"})
        creates = [r for r in fake.log.requests if r.route == "create"]
        assert len(creates) == (2 if succeeds else 1)
