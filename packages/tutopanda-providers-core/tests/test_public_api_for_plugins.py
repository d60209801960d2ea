"""What the docs tell a plugin author to import exists where the import contract allows it.

Plugins may import only the top-level ``tutopanda_providers`` and the public lower modules
(``pyproject.toml``); the middleware types they need are therefore exported at the top level,
and every ``tutopanda_providers.X`` the docs name for plugin code is one of those.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import tutopanda_providers
from tutopanda_providers.pipeline import context

ROOT = Path(__file__).resolve().parents[3]
PLUGIN_DOCS = ("docs/hooks.md", "docs/writing-a-plugin.md")


def forbidden_for_plugins() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for contract in config["tool"]["importlinter"]["contracts"]:
        if "tutopanda_provider_mock" in contract.get("source_modules", ()):
            return list(contract["forbidden_modules"])
    raise AssertionError("no import contract for the plugins")


def test_middleware_types_are_public() -> None:
    for name in ("Middleware", "InvokeContext", "Next", "ORDER_PLUGIN", "InputModel"):
        assert name in tutopanda_providers.__all__, name
    assert tutopanda_providers.Middleware is context.Middleware
    assert tutopanda_providers.InvokeContext is context.InvokeContext
    assert tutopanda_providers.Next is context.Next
    assert tutopanda_providers.ORDER_PLUGIN == context.ORDER_PLUGIN


def test_plugin_docs_name_no_module_a_plugin_may_not_import() -> None:
    forbidden = forbidden_for_plugins()
    for doc in PLUGIN_DOCS:
        text = (ROOT / doc).read_text(encoding="utf-8")
        # Imports, and names of things to use (`tutopanda_providers.pipeline.Middleware`);
        # a sentence saying which packages are internal names them without an object.
        named = re.findall(r"from (tutopanda_providers(?:\.\w+)+) import", text)
        named += re.findall(r"import (tutopanda_providers(?:\.\w+)+)", text)
        named += re.findall(r"(tutopanda_providers(?:\.[a-z_]+)+)\.[A-Z]\w*", text)
        bad = [n for n in named if any(n == f or n.startswith(f + ".") for f in forbidden)]
        assert not bad, f"{doc} tells plugin authors to use {sorted(set(bad))}"


def test_plugin_docs_import_input_model_from_the_top_level() -> None:
    for doc in PLUGIN_DOCS:
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert "contracts.cards import InputModel" not in text, doc
        assert "contracts.cards.InputModel" not in text, doc


def test_the_public_lower_modules_are_listed_in_full() -> None:
    modules = ("contracts", "handler", "storage", "secrets", "telemetry", "pricing", "http_helpers")
    hooks = (ROOT / "docs/hooks.md").read_text(encoding="utf-8")
    section = hooks.split("## What a plugin may import", 1)[1].split("\n## ", 1)[0]
    architecture = (ROOT / "docs/architecture.md").read_text(encoding="utf-8")
    sentence = architecture.split("Plugins and the testing kit use only", 1)[1].split(";", 1)[0]
    for module in modules:
        assert f"`tutopanda_providers.{module}`" in section, module
        assert f"`{module}`" in sentence, module
    assert "..." not in section and "..." not in sentence
