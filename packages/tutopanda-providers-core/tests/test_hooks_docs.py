"""docs/hooks.md documents every hook and every argument (after datasette's test_docs)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tutopanda_providers.plugins import hookspecs
from tutopanda_providers.plugins.discovery import ALLOW_ENV, DISABLE_ENV

DOC = Path(__file__).resolve().parents[3] / "docs" / "hooks.md"


def specs() -> dict[str, Callable[..., Any]]:
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    return {
        name: fn for name, fn in vars(hookspecs).items() if callable(fn) and hasattr(fn, marker)
    }


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def section(doc: str, hook: str) -> str:
    match = re.search(rf"^### `{hook}`\n(.*?)(?=^##)", doc, flags=re.S | re.M)
    assert match, f"docs/hooks.md has no '### `{hook}`' section"
    return match.group(1)


def test_hook_names_lists_every_spec() -> None:
    assert sorted(hookspecs.HOOK_NAMES) == sorted(specs())


def test_every_hook_is_prefixed() -> None:
    assert all(name.startswith("tutopanda_") for name in specs())


@pytest.mark.parametrize("hook", sorted(specs()))
def test_every_hook_has_a_section_naming_each_argument(doc: str, hook: str) -> None:
    text = section(doc, hook)
    for argument in inspect.signature(specs()[hook]).parameters:
        assert f"`{argument}`" in text, f"argument {argument!r} of {hook} is not documented"
    assert "**When:**" in text and "**Returns:**" in text


@pytest.mark.parametrize("hook", sorted(specs()))
def test_every_spec_docstring_says_when_and_what_it_returns(hook: str) -> None:
    doc = inspect.getdoc(specs()[hook]) or ""
    assert "Called" in doc and "Returns:" in doc and "Args:" in doc
    for argument in inspect.signature(specs()[hook]).parameters:
        assert f"{argument}:" in doc


def test_contract_version_entry_point_group_and_variables_are_documented(doc: str) -> None:
    assert f"HOOK_CONTRACT_VERSION = {hookspecs.HOOK_CONTRACT_VERSION}" in doc
    assert f"`{hookspecs.ENTRY_POINT_GROUP}`" in doc
    assert f"`{ALLOW_ENV}`" in doc and f"`{DISABLE_ENV}`" in doc
    assert "## Resolution precedence" in doc
