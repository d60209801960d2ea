"""The ``fal`` plugin: registers a live implementation for every FAL card.

Loading this module imports no ``httpx``: the factory imports the handler (and with it the HTTP
client) only when the registry creates a handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tutopanda_providers import Implementation, hookimpl

from tutopanda_provider_fal.cards import CARDS

if TYPE_CHECKING:
    from tutopanda_providers.handler import HandlerContext, ProducerHandler

#: The hook-contract major version this plugin was written for. A literal on purpose: core
#: refuses a plugin whose number differs from its own, which an import of core's value defeats.
TUTOPANDA_HOOK_CONTRACT = 1
#: Bump when a handler's outputs change for the same inputs (part of cache keys).
HANDLER_VERSION = "1"


def create_handler(context: HandlerContext) -> ProducerHandler:
    """Build the live handler for ``context.descriptor`` (imports httpx)."""
    from tutopanda_provider_fal.handler import FalHandler

    handler: ProducerHandler = FalHandler(context)
    return handler


@hookimpl
def tutopanda_register_providers(register: Callable[[Implementation], None]) -> None:
    """Register the live implementation of each FAL endpoint of the seed's media models."""
    for card in CARDS:
        register(
            Implementation.for_card(card, create_handler, mode="live", version=HANDLER_VERSION)
        )
