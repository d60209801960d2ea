"""The provider registry: resolves ``(provider, model, environment)`` to a handler.

Split by job:

* :mod:`~tutopanda_providers.registry.resolution`: the rules: the mode of a job, the most
  specific implementation, and THE one tie-break rule between plugins (:func:`settle_tie`);
* :mod:`~tutopanda_providers.registry.options`: :class:`RegistryOptions`, how to build one;
* :mod:`~tutopanda_providers.registry.resolved`: :class:`ResolvedHandler`, a handler wrapped in
  the invoke pipeline;
* :mod:`~tutopanda_providers.registry.building`: :func:`create_provider_registry` loads the
  plugins, collects cards and implementations, settles duplicate cards, checks fallbacks;
* :mod:`~tutopanda_providers.registry.warm`: warm start before the first job (it needs only
  the :class:`~tutopanda_providers.registry.warm.WarmableRegistry` protocol, not the facade);
* :mod:`~tutopanda_providers.registry.facade`: :class:`ProviderRegistry`, what callers use:
  cards, modes, :meth:`~ProviderRegistry.resolve`, :meth:`~ProviderRegistry.new_request`,
  :meth:`~ProviderRegistry.invoke`, :meth:`~ProviderRegistry.check_fallbacks`.

Start-up cost matters (every command builds a registry), so none of these imports
:mod:`asyncio` nor the invoke pipeline until a handler is resolved or warmed.
"""

from __future__ import annotations

from tutopanda_providers.plugins.implementation import HandlerFactory, Implementation, Match
from tutopanda_providers.registry.building import create_provider_registry
from tutopanda_providers.registry.facade import ProviderRegistry
from tutopanda_providers.registry.options import RegistryOptions
from tutopanda_providers.registry.resolution import settle_tie
from tutopanda_providers.registry.resolved import ResolvedHandler
from tutopanda_providers.registry.warm import WarmStartReport

__all__ = [
    "HandlerFactory",
    "Implementation",
    "Match",
    "ProviderRegistry",
    "RegistryOptions",
    "ResolvedHandler",
    "WarmStartReport",
    "create_provider_registry",
    "settle_tie",
]
