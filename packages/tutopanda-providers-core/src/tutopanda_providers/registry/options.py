"""How to build a registry: :class:`RegistryOptions`.

Its own module so that the facade, the builder and the runner can all name it without
importing each other. Nothing here imports :mod:`asyncio` or the invoke pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import Mode, TelemetrySink
from tutopanda_providers.secrets import SecretResolver

if TYPE_CHECKING:
    from tutopanda_providers.pipeline import PipelineOptions
    from tutopanda_providers.pipeline.context import Middleware
    from tutopanda_providers.storage import BlobStore


@dataclass
class RegistryOptions:
    """How to build a registry. Every field has a default that just works.

    Attributes:
        mode: ``mock`` (default: nothing is spent) or ``live``.
        use_mock: producer names (``ScriptProducer``) or kinds (``music``) forced to mock.
        telemetry: where events go (standard ``logging`` by default).
        secrets: the caller's resolver, asked first; then plugins' resolvers, then the env.
        storage: where handlers write blobs.
        provider_options: per-provider options handed to factories (``base_url``, ``timeout``).
        middleware: the built-in chain (``None``: :func:`default_middleware` of ``pipeline``).
        pipeline: settings of the built-in middleware (retries, rate limits, cache, budget).
        plugins: ``(name, plugin)`` pairs registered directly.
        entry_points: also load installed plugins.
        allow_plugins / disable_plugins: override the environment's allow/deny lists.
        plugin_choices: plugin name → the distribution that serves it when several installed
            distributions claim the name (default: the ``TUTOPANDA_PLUGIN_<NAME>`` variables).
    """

    mode: Mode = "mock"
    use_mock: frozenset[str] = frozenset()
    telemetry: TelemetrySink | None = None
    secrets: SecretResolver | None = None
    storage: BlobStore | None = None
    provider_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    middleware: Sequence[Middleware] | None = None
    plugins: Sequence[tuple[str, object]] = ()
    entry_points: bool = True
    allow_plugins: Iterable[str] | None = None
    disable_plugins: Iterable[str] | None = None
    plugin_choices: Mapping[str, str] | None = None
    storage_root: str | Path = ".tutopanda/blobs"
    pipeline: PipelineOptions | None = None


__all__ = ["RegistryOptions"]
