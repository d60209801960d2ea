"""The plugin's source imports only core's public API, never the test kit, and never the
official ``fal_client`` (whose retries and module globals break the plugin's rules)."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "tutopanda_provider_fal"
PRIVATE = (
    "tutopanda_providers.registry",
    "tutopanda_providers.pipeline",
    "tutopanda_providers.plugins",
    "tutopanda_providers.runner",
    "tutopanda_providers.cli",
    "tutopanda_providers_testing",
)


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_the_source_imports_nothing_private() -> None:
    modules = sorted(SOURCE.rglob("*.py"))
    assert len(modules) >= 5  # handler, queue, errors, settings, names... were found
    bad = [
        f"{path.name}: {name}"
        for path in modules
        for name in _imports(path)
        if any(name == p or name.startswith(p + ".") for p in PRIVATE)
    ]
    assert bad == []


def test_nothing_names_fal_client() -> None:
    users = [
        f"{path.name}: {name}"
        for path in sorted(SOURCE.rglob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] == "fal_client"
    ]
    assert users == []
    # Nor by a dynamic import.
    assert not [
        p.name for p in SOURCE.rglob("*.py") if 'import_module("fal_client' in p.read_text()
    ]


def test_the_checker_sees_a_private_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from tutopanda_providers.registry import x\nimport fal_client\n")
    assert "tutopanda_providers.registry" in _imports(sample)
    assert "fal_client" in _imports(sample)
