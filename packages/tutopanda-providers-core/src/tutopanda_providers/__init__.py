"""tutopanda providers: one registry for many AI model providers.

The public API fits on one screen::

    from tutopanda_providers import create_provider_registry, Descriptor

    registry = create_provider_registry(mode="mock")
    result = await registry.invoke(Descriptor.parse("replicate/google/imagen-4"), {"prompt": "..."})

Plugins implement the hooks in :mod:`tutopanda_providers.plugins.hookspecs` and register
:class:`Implementation` objects carrying a :class:`ModelCard`; a plugin's middleware follows
:class:`Middleware` (``async __call__(context: InvokeContext, call_next: Next)``, ``order``
``ORDER_PLUGIN`` by default). Everything a plugin needs is
here or in the public layers below it: :mod:`~tutopanda_providers.contracts` (data, cards,
errors, schemas, media), :mod:`~tutopanda_providers.handler`, :mod:`~tutopanda_providers.storage`,
:mod:`~tutopanda_providers.secrets`, :mod:`~tutopanda_providers.telemetry`,
:mod:`~tutopanda_providers.pricing` and :mod:`~tutopanda_providers.http_helpers`. The registry,
pipeline, plugin loading, runner and CLI are internal (``docs/architecture.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import (
    Artefact,
    AuthError,
    BlobRef,
    BudgetExceededError,
    CanceledError,
    ConfigurationError,
    ContentPolicyError,
    Cost,
    CostItem,
    Descriptor,
    Environment,
    ErrorKind,
    GenericInputs,
    InputModel,
    InvalidInputError,
    JobInfo,
    MediaFacts,
    Mode,
    ModelCard,
    NotFoundError,
    OutputSpec,
    Price,
    PriceRate,
    ProducerKind,
    ProducerResult,
    ProviderError,
    ProviderFailedError,
    ProviderMetadata,
    ProviderTimeoutError,
    QuotaError,
    RateLimitedError,
    ResultMeta,
    TokenUsage,
    TransientError,
    UnknownModelError,
)
from tutopanda_providers.handler import (
    HandlerContext,
    ProducerHandler,
    ProducerRequest,
    RemoteJob,
    WarmStartContext,
)
from tutopanda_providers.plugins import (
    HOOK_CONTRACT_VERSION,
    HandlerFactory,
    Implementation,
    Match,
    hookimpl,
)
from tutopanda_providers.registry import (
    ProviderRegistry,
    RegistryOptions,
    ResolvedHandler,
    WarmStartReport,
    create_provider_registry,
)

if TYPE_CHECKING:
    from tutopanda_providers.pipeline import (
        ORDER_PLUGIN,
        InvokeContext,
        Middleware,
        Next,
        PipelineOptions,
        RateLimit,
        RetryPolicy,
    )

#: Names served from :mod:`tutopanda_providers.pipeline` on first use: importing the pipeline
#: imports asyncio and every middleware, which creating a registry and listing models (every
#: command's start-up) never needs.
_FROM_PIPELINE = frozenset(
    {
        "ORDER_PLUGIN",
        "InvokeContext",
        "Middleware",
        "Next",
        "PipelineOptions",
        "RateLimit",
        "RetryPolicy",
    }
)


def __getattr__(name: str) -> Any:
    if name in _FROM_PIPELINE:
        from tutopanda_providers import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'tutopanda_providers' has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = [
    "HOOK_CONTRACT_VERSION",
    "ORDER_PLUGIN",
    "Artefact",
    "AuthError",
    "BlobRef",
    "BudgetExceededError",
    "CanceledError",
    "ConfigurationError",
    "ContentPolicyError",
    "Cost",
    "CostItem",
    "Descriptor",
    "Environment",
    "ErrorKind",
    "GenericInputs",
    "HandlerContext",
    "HandlerFactory",
    "Implementation",
    "InputModel",
    "InvalidInputError",
    "InvokeContext",
    "JobInfo",
    "Match",
    "MediaFacts",
    "Middleware",
    "Mode",
    "ModelCard",
    "Next",
    "NotFoundError",
    "OutputSpec",
    "PipelineOptions",
    "Price",
    "PriceRate",
    "ProducerHandler",
    "ProducerKind",
    "ProducerRequest",
    "ProducerResult",
    "ProviderError",
    "ProviderFailedError",
    "ProviderMetadata",
    "ProviderRegistry",
    "ProviderTimeoutError",
    "QuotaError",
    "RateLimit",
    "RateLimitedError",
    "RegistryOptions",
    "RemoteJob",
    "ResolvedHandler",
    "ResultMeta",
    "RetryPolicy",
    "TokenUsage",
    "TransientError",
    "UnknownModelError",
    "WarmStartContext",
    "WarmStartReport",
    "__version__",
    "create_provider_registry",
    "hookimpl",
]
