"""The ``mock`` plugin: a wildcard mock implementation for every model, and six demo models.

Registered under the entry point ``tutopanda.providers: mock``. Loading it imports neither
PyAV, Pillow nor numpy: those are imported inside the handler, on the first job that needs
them.
"""

from __future__ import annotations

from collections.abc import Callable

from tutopanda_providers import Implementation, Match, hookimpl
from tutopanda_providers.handler import HandlerContext, ProducerHandler

from tutopanda_provider_mock.cards import demo_cards
from tutopanda_provider_mock.fingerprint import HANDLER_VERSION

#: The hook-contract major version this plugin was written for.
TUTOPANDA_HOOK_CONTRACT = 1


def create_handler(context: HandlerContext) -> ProducerHandler:
    """Build the mock handler for the model in ``context`` (its card says what to make)."""
    from tutopanda_provider_mock.handler import MockHandler

    return MockHandler.from_context(context)


@hookimpl
def tutopanda_register_providers(register: Callable[[Implementation], None]) -> None:
    """Register the wildcard mock implementation and the demo cards."""
    register(
        Implementation(
            match=Match("*", "*", "*"),
            mode="mock",
            factory=create_handler,
            version=HANDLER_VERSION,
        )
    )
    for card in demo_cards():
        register(
            Implementation.for_card(card, create_handler, mode="mock", version=HANDLER_VERSION)
        )
