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
        """Replace the request's inputs with the validated ones (defaults applied).

        The model's default inputs (``request.model_defaults``) are laid under the request's
        first. A request the caller already validated (``request.validated``, as the runner
        prepares each job) is not validated again.
        """
        request = context.request
        if not request.validated:
            request.inputs = context.card.validate_inputs(
                request.inputs_for_model(context.card.ref)
            )
            request.validated = True
        result = await call_next(context)
        result.meta.middleware.append(self.name)
        return result


__all__ = ["ValidationMiddleware"]
