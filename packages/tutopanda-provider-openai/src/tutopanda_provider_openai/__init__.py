"""OpenAI producers for tutopanda: a researched script (gpt-5) and prompts (gpt-5-mini).

Install it and the registry finds it through the ``tutopanda.providers`` entry point ``openai``.
Importing this package does not import the ``openai`` SDK.
"""

from __future__ import annotations

from tutopanda_provider_openai.cards import (
    CARDS,
    PROMPT_CARD,
    SCRIPT_CARD,
    Gpt5MiniPromptInputs,
    Gpt5ScriptInputs,
)

__version__ = "0.1.0"

__all__ = [
    "CARDS",
    "PROMPT_CARD",
    "SCRIPT_CARD",
    "Gpt5MiniPromptInputs",
    "Gpt5ScriptInputs",
    "__version__",
]
