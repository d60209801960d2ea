"""Plugins: the hook specifications, what a plugin registers, and how plugins are found."""

from __future__ import annotations

from tutopanda_providers.plugins.hookspecs import (
    ENTRY_POINT_GROUP,
    HOOK_CONTRACT_VERSION,
    HOOK_NAMES,
    PROJECT_NAME,
    hookimpl,
)
from tutopanda_providers.plugins.implementation import HandlerFactory, Implementation, Match

__all__ = [
    "ENTRY_POINT_GROUP",
    "HOOK_CONTRACT_VERSION",
    "HOOK_NAMES",
    "PROJECT_NAME",
    "HandlerFactory",
    "Implementation",
    "Match",
    "hookimpl",
]
