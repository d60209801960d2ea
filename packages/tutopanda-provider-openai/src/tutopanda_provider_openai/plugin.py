"""The tutopanda plugin of the OpenAI producers (entry point ``openai``).

Loading this module registers two live implementations with their cards and imports nothing
heavier than pydantic: the ``openai`` SDK is imported by the factories, when the registry
first resolves a job to one of these models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tutopanda_providers import Implementation, hookimpl

from tutopanda_provider_openai.cards import PROMPT_CARD, SCRIPT_CARD

if TYPE_CHECKING:
    from tutopanda_providers.handler import HandlerContext, ProducerHandler

#: The hook contract this plugin was written for.
TUTOPANDA_HOOK_CONTRACT = 1
#: Bump when what the handlers return changes (it is part of cache keys).
HANDLER_VERSION = "1"


def script_factory(context: HandlerContext) -> ProducerHandler:
    """Build the live gpt-5 script handler (imports ``openai``)."""
    from tutopanda_provider_openai.script_handler import ScriptHandler

    return ScriptHandler(context)


def prompt_factory(context: HandlerContext) -> ProducerHandler:
    """Build the live gpt-5-mini prompt handler (imports ``openai``)."""
    from tutopanda_provider_openai.prompt_handler import PromptHandler

    return PromptHandler(context)


@hookimpl
def tutopanda_register_providers(register: Callable[[Implementation], None]) -> None:
    """Register ``openai/gpt-5`` (script) and ``openai/gpt-5-mini`` (prompt), live."""
    register(
        Implementation.for_card(SCRIPT_CARD, script_factory, mode="live", version=HANDLER_VERSION)
    )
    register(
        Implementation.for_card(PROMPT_CARD, prompt_factory, mode="live", version=HANDLER_VERSION)
    )


__all__ = [
    "HANDLER_VERSION",
    "TUTOPANDA_HOOK_CONTRACT",
    "prompt_factory",
    "script_factory",
    "tutopanda_register_providers",
]
