"""tutopanda providers: one registry for many AI model providers.

The public API fits on one screen::

    from tutopanda_providers import create_provider_registry, Descriptor

    registry = create_provider_registry(mode="mock")
    result = await registry.invoke(Descriptor.parse("replicate/google/imagen-4"), {"prompt": "..."})

Plugins implement the hooks in :mod:`tutopanda_providers.hookspecs` and register
:class:`Implementation` objects carrying a :class:`ModelCard`.
"""

from __future__ import annotations

from tutopanda_providers.cards import (
    GenericInputs,
    InputModel,
    ModelCard,
    OutputSpec,
    Price,
    PriceRate,
)
from tutopanda_providers.contracts import (
    Artefact,
    BlobRef,
    Cost,
    CostItem,
    Descriptor,
    Environment,
    HandlerContext,
    JobInfo,
    MediaFacts,
    Mode,
    ProducerHandler,
    ProducerKind,
    ProducerResult,
    ProviderMetadata,
    ProviderRequest,
    ResultMeta,
    WarmStartContext,
)
from tutopanda_providers.errors import ErrorKind, ProviderError
from tutopanda_providers.hookspecs import HOOK_CONTRACT_VERSION, hookimpl
from tutopanda_providers.registry import (
    Implementation,
    Match,
    ProviderRegistry,
    RegistryOptions,
    ResolvedHandler,
    WarmStartReport,
    create_provider_registry,
)

__version__ = "0.1.0"

__all__ = [
    "HOOK_CONTRACT_VERSION",
    "Artefact",
    "BlobRef",
    "Cost",
    "CostItem",
    "Descriptor",
    "Environment",
    "ErrorKind",
    "GenericInputs",
    "HandlerContext",
    "Implementation",
    "InputModel",
    "JobInfo",
    "Match",
    "MediaFacts",
    "Mode",
    "ModelCard",
    "OutputSpec",
    "Price",
    "PriceRate",
    "ProducerHandler",
    "ProducerKind",
    "ProducerResult",
    "ProviderError",
    "ProviderMetadata",
    "ProviderRegistry",
    "ProviderRequest",
    "RegistryOptions",
    "ResolvedHandler",
    "ResultMeta",
    "WarmStartContext",
    "WarmStartReport",
    "__version__",
    "create_provider_registry",
    "hookimpl",
]
