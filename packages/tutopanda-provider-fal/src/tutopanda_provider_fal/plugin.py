"""The ``fal`` plugin: the cards of FAL's endpoints for the seed's models and the hook that
registers them (placeholder until the cards and handler land)."""

from __future__ import annotations

from collections.abc import Callable

from tutopanda_providers import Implementation, hookimpl

#: The hook-contract major version this plugin was written for (a literal on purpose).
TUTOPANDA_HOOK_CONTRACT = 1


@hookimpl
def tutopanda_register_providers(register: Callable[[Implementation], None]) -> None:
    """Register FAL's models (none yet)."""
