"""Loading every installed plugin imports no vendor SDK (each check runs in a fresh interpreter).

Plugins hold cards and factories; ``openai`` and ``replicate`` (and the HTTP stacks they bring)
may be imported only inside a factory, when a job resolves to that provider.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from typing import Any

import pytest

SDKS = ("openai", "replicate", "httpx2")
#: Heavy libraries the registry must not need for creating itself and listing models.
HEAVY = ("fsspec", "typer", "rich", "tenacity", "limits", "av", "numpy", "opentelemetry")
PLUGIN_MODULES = {
    "mock": "tutopanda_provider_mock.plugin",
    "openai": "tutopanda_provider_openai.plugin",
    "replicate": "tutopanda_provider_replicate.plugin",
}

PROBE = """
import json, sys
from tutopanda_providers import create_provider_registry, RegistryOptions
options = json.loads(sys.argv[1])
registry = create_provider_registry(RegistryOptions(**options))
models = registry.list_models()
print(json.dumps({
    "models": [c.ref for c in models],
    "plugins": {p.name: {"status": p.status, "error": p.error} for p in registry.plugins},
    "modules": sorted(m for m in sys.modules if "." not in m),
}))
"""


def probe(**options: Any) -> dict[str, Any]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TUTOPANDA_PLUGINS", "TUTOPANDA_DISABLE_PLUGINS")
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(options)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def installed_plugins() -> list[str]:
    return [
        name
        for name, module in PLUGIN_MODULES.items()
        if importlib.util.find_spec(module.rpartition(".")[0]) is not None
        and importlib.util.find_spec(module) is not None
    ]


def test_all_installed_plugins_load_without_importing_a_vendor_sdk() -> None:
    result = probe()
    loaded = [name for name, report in result["plugins"].items() if report["status"] == "loaded"]
    broken = {
        name: report["error"]
        for name, report in result["plugins"].items()
        if report["status"] == "failed"
    }
    assert broken == {}, f"installed plugins failed to load: {broken}"
    assert set(installed_plugins()) <= set(loaded)
    imported = [sdk for sdk in SDKS if sdk in result["modules"]]
    assert imported == [], f"loading {loaded} imported {imported}"


@pytest.mark.parametrize("plugin", sorted(PLUGIN_MODULES))
def test_each_plugin_alone_lists_its_models_without_its_sdk(plugin: str) -> None:
    if plugin not in installed_plugins():
        pytest.skip(f"{PLUGIN_MODULES[plugin]} is not installed")
    result = probe(allow_plugins=[plugin])
    assert result["plugins"][plugin]["status"] == "loaded", result["plugins"][plugin]
    assert result["models"], f"plugin {plugin} advertises no model"
    assert [sdk for sdk in SDKS if sdk in result["modules"]] == []


def test_core_alone_creates_a_registry_without_heavy_libraries() -> None:
    result = probe(entry_points=False)
    assert [m for m in (*SDKS, *HEAVY) if m in result["modules"]] == []


def test_registry_with_every_plugin_needs_no_heavy_library_either() -> None:
    result = probe()
    assert [m for m in HEAVY if m in result["modules"]] == []


def test_creating_a_registry_and_listing_models_imports_neither_asyncio_nor_the_pipeline() -> None:
    # The top level serves the pipeline's names (PipelineOptions, Middleware ...) lazily: every
    # command builds a registry at start-up and needs none of them.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from tutopanda_providers import create_provider_registry\n"
        "create_provider_registry(mode='mock').list_models()\n"
        "print(sorted(m for m in ('asyncio', 'tutopanda_providers.pipeline') if m in sys.modules))\n"
        "from tutopanda_providers import PipelineOptions, Middleware\n"
        "print(PipelineOptions.__module__, Middleware.__module__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first == "[]"
    assert second == "tutopanda_providers.pipeline.options tutopanda_providers.pipeline.context"
