"""Each shipped plugin declares the hook contract it was written for as a literal number.

``TUTOPANDA_HOOK_CONTRACT = HOOK_CONTRACT_VERSION`` (core's own value) would always match, so
core could never refuse a plugin built for another contract: the declaration must be an ``int``
literal in the module's source, equal to the contract core speaks today.
"""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest
from tutopanda_providers import HOOK_CONTRACT_VERSION

PLUGIN_MODULES = [
    "tutopanda_provider_mock.plugin",
    "tutopanda_provider_openai.plugin",
    "tutopanda_provider_replicate.plugin",
]


def declared_contract(source: str) -> ast.expr:
    """The value expression of the module-level ``TUTOPANDA_HOOK_CONTRACT = ...``."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "TUTOPANDA_HOOK_CONTRACT" for t in node.targets
        ):
            return node.value
    raise AssertionError("no module-level TUTOPANDA_HOOK_CONTRACT assignment")


@pytest.mark.parametrize("module_name", PLUGIN_MODULES)
def test_plugin_declares_its_hook_contract_as_an_int_literal(module_name: str) -> None:
    module = importlib.import_module(module_name)
    value = declared_contract(inspect.getsource(module))
    assert isinstance(value, ast.Constant) and type(value.value) is int, ast.dump(value)
    assert value.value == module.TUTOPANDA_HOOK_CONTRACT == HOOK_CONTRACT_VERSION


def test_an_imported_declaration_is_caught() -> None:
    value = declared_contract(
        "from tutopanda_providers import HOOK_CONTRACT_VERSION\n"
        "TUTOPANDA_HOOK_CONTRACT = HOOK_CONTRACT_VERSION\n"
    )
    assert not isinstance(value, ast.Constant)
