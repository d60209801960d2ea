"""Validation: adapt producer-level inputs and validate them against the model's card."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutopanda_providers.pipeline.context import ORDER_VALIDATE

if TYPE_CHECKING:
    from tutopanda_providers.contracts import ProducerResult
    from tutopanda_providers.pipeline.context import InvokeContext, Next


class ValidationMiddleware:
    """Adapts producer-level inputs and validates them against the card before any call."""

    name = "validate"
    order = ORDER_VALIDATE

    async def __call__(self, context: InvokeContext, call_next: Next) -> ProducerResult:
        """Replace the request's inputs with the validated ones (defaults applied)."""
        context.request.inputs = context.card.validate_inputs(context.request.inputs)
        result = await call_next(context)
        result.meta.middleware.append(self.name)
        return result


__all__ = ["ValidationMiddleware"]
