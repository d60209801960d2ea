"""No module of core imports, even lazily or under ``TYPE_CHECKING``, a module that imports it
back: each layer's modules stay movable and testable on their own (issue 13)."""

from __future__ import annotations

from typing import Any

import pytest

# grimp comes with import-linter (the workspace's dev tools); a slim install skips this check.
grimp: Any = pytest.importorskip("grimp")

# The kit and the example are checked here too: core's tests are where the workspace's
# structural rules live (the import-linter contracts are checked beside them).
PACKAGES = ["tutopanda_providers", "tutopanda_providers_testing", "tutopanda_provider_example"]


def cycles(package: str) -> list[tuple[str, str]]:
    """``(a, b)`` for every direct import ``a -> b`` where ``b`` also reaches ``a``."""
    graph = grimp.build_graph(package, cache_dir=None)
    return sorted(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        # A package's __init__ re-exporting its submodules is not a cycle of code.
        if not importer.startswith(imported + ".")
        and not imported.startswith(importer + ".")
        and graph.find_shortest_chain(importer=imported, imported=importer) is not None
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_imports_back_a_module_that_imports_it(package: str) -> None:
    pytest.importorskip(package)
    found = cycles(package)
    assert not found, f"import cycles in {package} (importer -> imported): {found}"
