from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points

import pytest
from tutopanda_provider_openai.cards import PROMPT_CARD, SCRIPT_CARD
from tutopanda_providers import Descriptor, ModelCard, ProducerKind, create_provider_registry
from tutopanda_providers.contracts import ConfigurationError, InvalidInputError


def test_plugin_is_found_through_its_real_entry_point() -> None:
    found = {e.name: e.value for e in entry_points(group="tutopanda.providers")}
    assert found["openai"] == "tutopanda_provider_openai.plugin"
    registry = create_provider_registry(mode="live", allow_plugins=["openai"])
    report = next(p for p in registry.plugins if p.name == "openai")
    assert report.status == "loaded"
    assert registry.card("openai/gpt-5").kind is ProducerKind.SCRIPT
    assert registry.card("openai/gpt-5-mini").kind is ProducerKind.PROMPT
    assert registry.served_modes(Descriptor.parse("openai/gpt-5")) == ["live"]


def test_loading_the_plugin_and_listing_models_does_not_import_openai() -> None:
    code = (
        "import sys, json\n"
        "from tutopanda_providers import create_provider_registry\n"
        "r = create_provider_registry(mode='live', allow_plugins=['openai'])\n"
        "cards = [c.ref for c in r.list_models()]\n"
        "print(json.dumps({'cards': cards, 'openai': 'openai' in sys.modules,"
        " 'httpx2': 'httpx2' in sys.modules}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert "openai/gpt-5" in seen["cards"]
    assert seen["openai"] is False
    assert seen["httpx2"] is False


def test_resolving_a_live_handler_imports_the_sdk_only_then() -> None:
    code = (
        "import sys\n"
        "from tutopanda_providers import Descriptor, create_provider_registry\n"
        "r = create_provider_registry(mode='live', allow_plugins=['openai'])\n"
        "before = 'openai' in sys.modules\n"
        "r.resolve(Descriptor.parse('openai/gpt-5'))\n"
        "print(before, 'openai' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["False", "True"]


def test_cards_carry_price_source_secret_and_rate_key() -> None:
    for card in (SCRIPT_CARD, PROMPT_CARD):
        assert card.secret_names == ("OPENAI_API_KEY",)
        assert card.effective_rate_key == "openai"
        assert "provider-apis.md" in card.price.source
        assert {r.name for r in card.price.rates} >= {"input", "cached_input", "output"}
    assert SCRIPT_CARD.price.rate("input").usd == 1.25  # type: ignore[union-attr]
    assert SCRIPT_CARD.price.rate("cached_input").usd == 0.125  # type: ignore[union-attr]
    assert SCRIPT_CARD.price.rate("output").usd == 10.0  # type: ignore[union-attr]
    assert SCRIPT_CARD.price.rate("web_search").usd == 0.01  # type: ignore[union-attr]
    assert PROMPT_CARD.price.rate("input").usd == 0.25  # type: ignore[union-attr]
    assert PROMPT_CARD.price.rate("output").usd == 2.0  # type: ignore[union-attr]
    assert {"web_search", "reasoning"} <= SCRIPT_CARD.capabilities


def test_script_defaults_are_filled_in() -> None:
    inputs = SCRIPT_CARD.validate_inputs({"topic": "volcanoes"})
    assert inputs["reasoning_effort"] == "medium"
    assert inputs["web_search"] is True
    assert inputs["search_context_size"] == "medium"
    assert inputs["segments"] == 6


def test_the_generic_prompt_input_becomes_the_topic() -> None:
    assert SCRIPT_CARD.validate_inputs({"prompt": "volcanoes"})["topic"] == "volcanoes"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"temperature": 0.2}, "temperature"),
        ({"top_p": 0.9}, "top_p"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort"),
        ({"search_context_size": "huge"}, "search_context_size"),
        ({"max_output_tokens": 10}, "max_output_tokens"),
        ({"max_output_tokens": 1_000_000}, "max_output_tokens"),
    ],
)
def test_script_inputs_refuse_what_gpt5_does_not_take(bad: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        SCRIPT_CARD.validate_inputs({"topic": "volcanoes", **bad})
    assert field in info.value.message


def test_web_search_with_minimal_reasoning_is_refused_before_any_call() -> None:
    with pytest.raises(InvalidInputError, match="minimal"):
        SCRIPT_CARD.validate_inputs({"topic": "volcanoes", "reasoning_effort": "minimal"})
    offline = SCRIPT_CARD.validate_inputs(
        {"topic": "volcanoes", "reasoning_effort": "minimal", "web_search": False}
    )
    assert offline["reasoning_effort"] == "minimal"


SEGMENT = {
    "index": 0,
    "title": "t",
    "narration": "n",
    "visual_ideas": ["v"],
    "duration_seconds": 5.0,
}


def test_prompt_defaults_are_low_effort_and_batches_of_eight() -> None:
    inputs = PROMPT_CARD.validate_inputs({"segments": [SEGMENT]})
    assert inputs["reasoning_effort"] == "low"
    assert inputs["batch_size"] == 8
    assert [t["target"] for t in inputs["targets"]] == ["image", "video"]


def test_prompt_inputs_refuse_repeated_segment_indexes_and_targets() -> None:
    with pytest.raises(InvalidInputError, match="repeated"):
        PROMPT_CARD.validate_inputs({"segments": [SEGMENT, SEGMENT]})
    with pytest.raises(InvalidInputError, match="repeated"):
        PROMPT_CARD.validate_inputs(
            {"segments": [SEGMENT], "targets": [{"target": "image"}, {"target": "image"}]}
        )
    with pytest.raises(InvalidInputError, match="temperature"):
        PROMPT_CARD.validate_inputs({"segments": [SEGMENT], "temperature": 1})


def test_one_factory_builds_the_handler_of_each_card() -> None:
    import dataclasses

    from tutopanda_provider_openai.plugin import create_handler
    from tutopanda_provider_openai.prompt_handler import PromptHandler
    from tutopanda_provider_openai.script_handler import ScriptHandler
    from tutopanda_providers.handler import HandlerContext
    from tutopanda_providers.secrets import EnvSecretResolver
    from tutopanda_providers.telemetry import ListSink

    def context(card: ModelCard) -> HandlerContext:
        return HandlerContext(
            descriptor=Descriptor.parse(card.ref),
            mode="live",
            card=card,
            secrets=EnvSecretResolver(),
            telemetry=ListSink(),
        )

    assert isinstance(create_handler(context(SCRIPT_CARD)), ScriptHandler)
    assert isinstance(create_handler(context(PROMPT_CARD)), PromptHandler)
    image_card = dataclasses.replace(SCRIPT_CARD, kind=ProducerKind.IMAGE, model="gpt-image")
    with pytest.raises(ConfigurationError, match="makes scripts and prompts, not image"):
        create_handler(context(image_card))
