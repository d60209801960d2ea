"""A handler wrapped in the registry's invoke pipeline: :class:`ResolvedHandler`.

Its own module so that the facade (which creates them) and the warm start (which uses them)
both depend on it rather than on each other. The pipeline is imported on first invoke.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutopanda_providers.contracts import Descriptor, Environment, Mode, ModelCard, ProducerResult
from tutopanda_providers.handler import ProducerHandler, ProducerRequest, WarmStartContext

if TYPE_CHECKING:
    from tutopanda_providers.pipeline.context import Next


class ResolvedHandler:
    """A handler wrapped in the registry's invoke pipeline; what :meth:`resolve` returns."""

    def __init__(
        self,
        handler: ProducerHandler,
        card: ModelCard,
        descriptor: Descriptor,
        mode: Mode,
        chain: Next,
        version: str,
    ) -> None:
        self.handler = handler
        self.card = card
        self.descriptor = descriptor
        self.mode = mode
        self.version = version
        self._chain = chain

    @property
    def provider(self) -> str:
        """The provider name."""
        return self.descriptor.provider

    @property
    def model(self) -> str:
        """The model name."""
        return self.descriptor.model

    @property
    def environment(self) -> Environment:
        """``local`` or ``cloud``."""
        return self.descriptor.environment

    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        """Run ``request`` through the pipeline and the handler."""
        from tutopanda_providers.pipeline.context import InvokeContext

        context = InvokeContext(
            request=request, card=self.card, handler=self.handler, mode=self.mode
        )
        context.state["handler_version"] = self.version
        result = await self._chain(context)
        result.meta.handler_version = result.meta.handler_version or self.version
        return result

    async def warm_start(self, context: WarmStartContext) -> None:
        """Call the handler's warm start, if it has one."""
        warm = getattr(self.handler, "warm_start", None)
        if warm is not None:
            await warm(context)

    def __repr__(self) -> str:
        return f"ResolvedHandler({self.descriptor}, mode={self.mode!r})"


__all__ = ["ResolvedHandler"]
