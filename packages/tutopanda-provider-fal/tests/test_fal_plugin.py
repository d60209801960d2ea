"""The plugin is found through its entry point, registers 18 live cards and loads without httpx."""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from importlib.metadata import entry_points

import tutopanda_provider_fal.plugin as plugin
from tutopanda_provider_fal.cards import CARDS
from tutopanda_providers import Descriptor, create_provider_registry


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.strip()


def test_the_plugin_is_registered_under_its_entry_point() -> None:
    found = {e.name: e.value for e in entry_points(group="tutopanda.providers")}
    assert found["fal"] == "tutopanda_provider_fal.plugin"
    assert plugin.TUTOPANDA_HOOK_CONTRACT == 1


def test_loading_the_plugin_and_validating_inputs_imports_no_httpx() -> None:
    out = _run(
        "import sys, json\n"
        "from tutopanda_providers import create_provider_registry\n"
        "r = create_provider_registry(mode='live', allow_plugins=['fal'])\n"
        "cards = [c for c in r.list_models() if c.provider == 'fal']\n"
        "[c for c in cards if c.model == 'fal-ai/veo3/fast'][0].validate_inputs({'prompt': 'x'})\n"
        "print(json.dumps([len(cards), 'httpx' in sys.modules]))"
    )
    assert json.loads(out) == [18, False]


def test_every_card_is_served_live_through_the_entry_point() -> None:
    registry = create_provider_registry(mode="live", allow_plugins=["fal"])
    served = {c.model: c for c in registry.list_models() if c.provider == "fal"}
    assert set(served) == {c.model for c in CARDS}
    assert len(served) == 18
    for card in CARDS:
        assert registry.served_modes(Descriptor(provider="fal", model=card.model)) == ["live"]
        assert served[card.model].canonical_model == card.canonical_model


def test_the_handler_is_imported_inside_the_factory_only() -> None:
    # The handler module (another branch) brings httpx: the plugin must import it lazily.
    tree = ast.parse(inspect.getsource(plugin))
    top_level = [
        node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module is not None
    ]
    assert "tutopanda_provider_fal.handler" not in top_level
    factory = inspect.getsource(plugin.create_handler)
    assert "from tutopanda_provider_fal.handler import FalHandler" in factory
