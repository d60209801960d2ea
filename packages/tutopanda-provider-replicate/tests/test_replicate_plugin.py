"""The plugin is found through its entry point and loads without the SDK."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points

from tutopanda_provider_replicate.cards import CARDS
from tutopanda_providers import Descriptor, create_provider_registry


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.strip()


def test_the_plugin_is_registered_under_its_entry_point() -> None:
    found = {e.name: e.value for e in entry_points(group="tutopanda.providers")}
    assert found["replicate"] == "tutopanda_provider_replicate.plugin"


def test_loading_the_plugin_and_its_cards_imports_neither_replicate_nor_httpx() -> None:
    out = _run(
        "import sys, json\n"
        "from tutopanda_providers import create_provider_registry\n"
        "r = create_provider_registry(mode='live', allow_plugins=['replicate'])\n"
        "cards = r.list_models()\n"
        "[c for c in cards if c.kind == 'script'][0].validate_inputs({'topic': 'bees'})\n"
        "print(json.dumps([len(cards), 'replicate' in sys.modules, 'httpx' in sys.modules]))"
    )
    assert json.loads(out) == [len(CARDS), False, False]


def test_the_sdk_is_imported_when_a_handler_is_created() -> None:
    out = _run(
        "import sys\n"
        "from tutopanda_providers import create_provider_registry, Descriptor\n"
        "r = create_provider_registry(mode='live', allow_plugins=['replicate'])\n"
        "r.resolve(Descriptor(provider='replicate', model='google/veo-3-fast'))\n"
        "print('replicate' in sys.modules)"
    )
    assert out == "True"


def test_every_card_is_served_live_through_the_entry_point() -> None:
    registry = create_provider_registry(mode="live", allow_plugins=["replicate"])
    served = {c.model for c in registry.list_models() if c.provider == "replicate"}
    assert served == {c.model for c in CARDS}
    for card in CARDS:
        assert registry.served_modes(Descriptor(provider="replicate", model=card.model)) == ["live"]
