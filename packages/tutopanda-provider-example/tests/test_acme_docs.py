"""The guide and the conformance docs show this package's files as they are (in this
repository; a copy elsewhere has no docs and skips)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DOCS = HERE.parents[2] / "docs"
SUITE_FILE = HERE / "test_acme_conformance.py"


def _class_lines(markdown: str) -> list[str]:
    block = re.search(
        r"class TestAcmeConformance\(ProviderConformance\):\n(.*?)```", markdown, re.S
    )
    assert block, "the page has no TestAcmeConformance example"
    return [
        line.strip() for line in block.group(1).splitlines() if line.strip() and "..." not in line
    ]


@pytest.mark.parametrize("page", ["writing-a-plugin.md", "conformance.md"])
def test_the_docs_recipe_is_the_packages_own(page: str) -> None:
    if not (DOCS / page).exists():
        pytest.skip("outside the tutopanda repository: no docs to compare with")
    real = {line.strip() for line in SUITE_FILE.read_text().splitlines()}
    shown = _class_lines((DOCS / page).read_text())
    missing = [line for line in shown if line not in real]
    assert not missing, f"{page} shows lines the real suite file does not have: {missing}"
