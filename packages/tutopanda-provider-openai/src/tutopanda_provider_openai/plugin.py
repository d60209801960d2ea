"""The tutopanda plugin of the OpenAI producers (entry point ``openai``).

Loading this module registers two live implementations with their cards and imports nothing
heavier than pydantic: the ``openai`` SDK is imported by the factories, when the registry
first resolves a job to one of these models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tutopanda_providers import Implementation, hookimpl
from tutopanda_providers.contracts import ConfigurationError, ProducerKind

from tutopanda_provider_openai.cards import PROMPT_CARD, SCRIPT_CARD

if TYPE_CHECKING:
    from tutopanda_providers.handler import HandlerContext, ProducerHandler

#: The hook contract this plugin was written for.
TUTOPANDA_HOOK_CONTRACT = 1
#: Bump when what the handlers return changes (it is part of cache keys).
HANDLER_VERSION = "1"


def create_handler(context: HandlerContext) -> ProducerHandler:
    """Build the live handler of ``context.card``: gpt-5's script handler or gpt-5-mini's
    prompt handler (imports ``openai``).

    Raises:
        ConfigurationError: the card is neither a script nor a prompt model of this plugin.
    """
    if context.card.kind is ProducerKind.SCRIPT:
        from tutopanda_provider_openai.script_handler import ScriptHandler

        return ScriptHandler(context)
    if context.card.kind is ProducerKind.PROMPT:
        from tutopanda_provider_openai.prompt_handler import PromptHandler

        return PromptHandler(context)
    raise ConfigurationError(
        f"the openai plugin makes scripts and prompts, not {context.card.kind.value} "
        f"({context.card.provider}/{context.card.model}); register another plugin for it",
        provider=context.card.provider,
        model=context.card.model,
    )


@hookimpl
def tutopanda_register_providers(register: Callable[[Implementation], None]) -> None:
    """Register ``openai/gpt-5`` (script) and ``openai/gpt-5-mini`` (prompt), live."""
    register(
        Implementation.for_card(SCRIPT_CARD, create_handler, mode="live", version=HANDLER_VERSION)
    )
    register(
        Implementation.for_card(PROMPT_CARD, create_handler, mode="live", version=HANDLER_VERSION)
    )


__all__ = [
    "HANDLER_VERSION",
    "TUTOPANDA_HOOK_CONTRACT",
    "create_handler",
    "tutopanda_register_providers",
]
