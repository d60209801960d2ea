"""The provider registry: resolves ``(provider, model, environment)`` to a handler.

Build one with :func:`create_provider_registry`. It loads the installed plugins, collects their
model cards and implementations, and resolves descriptors by rule:

1. The mode of a job is ``live`` or ``mock``: the registry's mode, unless the job's producer
   name or kind is listed in ``use_mock`` (forced mock), so one run can mix both.
2. Among the implementations of that mode whose ``match`` fits the descriptor, the most specific
   wins: per field, an exact value beats an ``fnmatch`` pattern, which beats ``*``; provider
   counts before model, model before environment.
3. Ties between plugins go to the plugin whose name sorts first, and are reported in
   :attr:`ProviderRegistry.warnings` — never settled silently by registration order.

A handler is created once per (descriptor, mode) and cached; the object returned by
:meth:`ProviderRegistry.resolve` wraps it in the invoke pipeline.
"""

from __future__ import annotations

import asyncio
import difflib
import fnmatch
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tutopanda_providers import plugins as plugin_loading
from tutopanda_providers.cards import ModelCard
from tutopanda_providers.contracts import (
    Descriptor,
    Environment,
    HandlerContext,
    JobInfo,
    Mode,
    ProducerHandler,
    ProducerKind,
    ProducerResult,
    ProviderRequest,
    WarmStartContext,
)
from tutopanda_providers.errors import ConfigurationError, ProviderError, UnknownModelError
from tutopanda_providers.pipeline import (
    InvokeContext,
    Middleware,
    Next,
    PipelineOptions,
    compose,
    default_middleware,
)
from tutopanda_providers.plugins import PluginReport
from tutopanda_providers.secrets import ChainSecretResolver, EnvSecretResolver, SecretResolver
from tutopanda_providers.storage import BlobStore
from tutopanda_providers.telemetry import WARM_START, EventEmitter, LoggingSink, TelemetrySink

log = logging.getLogger(__name__)

HandlerFactory = Callable[[HandlerContext], ProducerHandler]


@dataclass(frozen=True)
class Match:
    """Which descriptors an implementation serves; each field exact or an fnmatch pattern."""

    provider: str = "*"
    model: str = "*"
    environment: str = "*"

    def matches(self, descriptor: Descriptor) -> bool:
        """True when every field fits the descriptor."""
        return (
            _fits(self.provider, descriptor.provider)
            and _fits(self.model, descriptor.model)
            and _fits(self.environment, descriptor.environment)
        )

    def specificity(self) -> tuple[int, int, int]:
        """Per field: 2 exact, 1 pattern, 0 ``*``; compared provider, model, environment."""
        return (_score(self.provider), _score(self.model), _score(self.environment))

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}@{self.environment}"


def _fits(pattern: str, value: str) -> bool:
    return pattern == value or pattern == "*" or fnmatch.fnmatchcase(value, pattern)


def _score(pattern: str) -> int:
    if pattern == "*":
        return 0
    return 1 if any(c in pattern for c in "*?[") else 2


@dataclass(frozen=True)
class Implementation:
    """One thing a plugin serves.

    Attributes:
        match: the descriptors it serves.
        mode: ``live`` or ``mock``.
        factory: builds the handler from a :class:`HandlerContext`; import SDKs inside it.
        card: the model's card, for an implementation of one concrete model.
        version: the handler's version; part of cache keys, so bump it when outputs change.
    """

    match: Match
    mode: Mode
    factory: HandlerFactory
    card: ModelCard | None = None
    version: str = "1"

    @classmethod
    def for_card(
        cls,
        card: ModelCard,
        factory: HandlerFactory,
        *,
        mode: Mode = "live",
        environment: str = "*",
        version: str = "1",
    ) -> Implementation:
        """An implementation that serves exactly ``card``'s provider and model."""
        return cls(
            match=Match(card.provider, card.model, environment),
            mode=mode,
            factory=factory,
            card=card,
            version=version,
        )


@dataclass(frozen=True)
class _Entry:
    plugin: str
    index: int
    implementation: Implementation


@dataclass
class WarmStartReport:
    """How one handler's warm start went."""

    descriptor: Descriptor
    mode: Mode
    status: Literal["ready", "failed", "skipped"]
    error: str | None = None
    duration_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-able dict."""
        return {
            "provider": self.descriptor.provider,
            "model": self.descriptor.model,
            "environment": self.descriptor.environment,
            "mode": self.mode,
            "status": self.status,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 2),
        }


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
    storage_root: str | Path = ".tutopanda/blobs"
    pipeline: PipelineOptions | None = None


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

    async def invoke(self, request: ProviderRequest) -> ProducerResult:
        """Run ``request`` through the pipeline and the handler."""
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


class ProviderRegistry:
    """Resolves descriptors to handlers; build it with :func:`create_provider_registry`."""

    def __init__(
        self,
        options: RegistryOptions,
        entries: list[_Entry],
        cards: dict[tuple[str, str], ModelCard],
        card_owners: dict[tuple[str, str], str],
        reports: list[PluginReport],
        middleware: list[Middleware],
        secrets: SecretResolver,
        warnings: list[str],
    ) -> None:
        self.options = options
        self.mode: Mode = options.mode
        self.use_mock = frozenset(options.use_mock)
        self.telemetry: TelemetrySink = options.telemetry or LoggingSink()
        self.storage = options.storage or BlobStore(options.storage_root)
        self.secrets = secrets
        self.plugins = reports
        self.middleware = middleware
        self.warnings = warnings
        self._entries = entries
        self._cards = cards
        self._card_owners = card_owners
        self._chain = compose(middleware)
        self._handlers: dict[tuple[Descriptor, Mode], ResolvedHandler] = {}
        self._lock = threading.Lock()

    # -- discovery -----------------------------------------------------------------------
    def list_models(self, kind: ProducerKind | str | None = None) -> list[ModelCard]:
        """Every model card, optionally of one kind, sorted by provider then model."""
        wanted = ProducerKind(kind) if kind is not None else None
        cards = [c for c in self._cards.values() if wanted is None or c.kind == wanted]
        return sorted(cards, key=lambda c: (c.provider, c.model))

    def modes_for(self, descriptor: Descriptor) -> list[Mode]:
        """The modes some implementation serves ``descriptor`` in."""
        return sorted(
            {
                e.implementation.mode
                for e in self._entries
                if e.implementation.match.matches(descriptor)
            }
        )

    def card(self, descriptor: Descriptor | str) -> ModelCard:
        """The card of ``descriptor`` (or of a ``provider/model`` string).

        Raises:
            UnknownModelError: naming what was asked and the closest available models.
        """
        if isinstance(descriptor, str):
            descriptor = Descriptor.parse(descriptor)
        found = self._cards.get((descriptor.provider, descriptor.model))
        if found is None:
            raise self._unknown(descriptor)
        return found

    def _unknown(self, descriptor: Descriptor) -> UnknownModelError:
        refs = sorted(f"{p}/{m}" for p, m in self._cards)
        asked = str(descriptor)
        close = difflib.get_close_matches(asked, refs, n=3, cutoff=0.5)
        providers = sorted({p for p, _ in self._cards})
        if descriptor.provider not in providers:
            what = f"unknown provider {descriptor.provider!r} (known: {', '.join(providers) or 'none'})"
        else:
            what = f"unknown model {descriptor.model!r} for provider {descriptor.provider!r}"
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return UnknownModelError(
            f"{what}{hint} Run `tutopanda-providers models` to list every model.",
            provider=descriptor.provider,
            model=descriptor.model,
            details={"asked": asked, "close_matches": close},
        )

    # -- modes ---------------------------------------------------------------------------
    def mode_for(self, producer: str | None = None, kind: ProducerKind | str | None = None) -> Mode:
        """The mode a job of ``producer`` / ``kind`` runs in under this registry."""
        if self.mode == "mock":
            return "mock"
        names = {producer} if producer else set()
        if kind is not None:
            names.add(ProducerKind(kind).value)
        return "mock" if names & self.use_mock else "live"

    # -- resolution ----------------------------------------------------------------------
    def resolve(
        self,
        descriptor: Descriptor,
        *,
        producer: str | None = None,
        kind: ProducerKind | str | None = None,
        mode: Mode | None = None,
    ) -> ResolvedHandler:
        """The handler for ``descriptor``, wrapped in the pipeline.

        Args:
            descriptor: the model wanted.
            producer: the producer asking (decides the mode with ``use_mock``).
            kind: the kind the producer makes; a model of another kind is refused.
            mode: force a mode (otherwise :meth:`mode_for`).

        Raises:
            UnknownModelError: no card or no implementation in that mode.
            ConfigurationError: the kind does not match, or the factory failed.
        """
        card = self.card(descriptor)
        if kind is not None and card.kind != ProducerKind(kind):
            raise ConfigurationError(
                f"{descriptor} makes {card.kind.value}, but {producer or 'the producer'} needs "
                f"{ProducerKind(kind).value}; pick a {ProducerKind(kind).value} model "
                f"(`tutopanda-providers models --kind {ProducerKind(kind).value}`)."
            )
        chosen_mode = mode or self.mode_for(producer, card.kind)
        key = (descriptor, chosen_mode)
        with self._lock:
            cached = self._handlers.get(key)
            if cached is not None:
                return cached
            entry = self._select(descriptor, chosen_mode)
            context = HandlerContext(
                descriptor=descriptor,
                mode=chosen_mode,
                card=card,
                secrets=self.secrets,
                telemetry=self.telemetry,
                options=dict(self.options.provider_options.get(descriptor.provider, {})),
            )
            try:
                handler = entry.implementation.factory(context)
            except ProviderError:
                raise
            except Exception as exc:
                raise ConfigurationError(
                    f"plugin {entry.plugin!r} failed to create the {chosen_mode} handler for "
                    f"{descriptor}: {type(exc).__name__}: {exc}"
                ) from exc
            resolved = ResolvedHandler(
                handler, card, descriptor, chosen_mode, self._chain, entry.implementation.version
            )
            self._handlers[key] = resolved
            return resolved

    def resolve_many(
        self, descriptors: Iterable[Descriptor], *, mode: Mode | None = None
    ) -> list[ResolvedHandler]:
        """:meth:`resolve` for each descriptor, in order."""
        return [self.resolve(d, mode=mode) for d in descriptors]

    def _select(self, descriptor: Descriptor, mode: Mode) -> _Entry:
        candidates = [
            e
            for e in self._entries
            if e.implementation.mode == mode and e.implementation.match.matches(descriptor)
        ]
        if not candidates:
            available = ", ".join(self.modes_for(descriptor)) or "none"
            raise UnknownModelError(
                f"no {mode} implementation of {descriptor} (modes available: {available}). "
                + (
                    "Install the plugin that serves it live, or run it in mock mode."
                    if mode == "live"
                    else "Install tutopanda-provider-mock to run it in mock mode."
                ),
                provider=descriptor.provider,
                model=descriptor.model,
            )
        candidates.sort(key=_precedence)
        return candidates[0]

    def implementations_for(self, descriptor: Descriptor, mode: Mode) -> list[tuple[str, Match]]:
        """Every (plugin, match) that could serve ``descriptor`` in ``mode``, winner first."""
        found = [
            e
            for e in self._entries
            if e.implementation.mode == mode and e.implementation.match.matches(descriptor)
        ]
        return [(e.plugin, e.implementation.match) for e in sorted(found, key=_precedence)]

    # -- requests ------------------------------------------------------------------------
    def new_request(
        self,
        descriptor: Descriptor,
        inputs: Mapping[str, Any],
        *,
        job: JobInfo | None = None,
        producer: str = "adhoc",
        timeout: float | None = None,
        upstream: Mapping[str, Any] | None = None,
        resume: Mapping[str, Any] | None = None,
    ) -> ProviderRequest:
        """Build a :class:`ProviderRequest` with this registry's storage and telemetry."""
        card = self.card(descriptor)
        job = job or JobInfo(id=f"{producer}-{time.time_ns():x}", producer=producer, kind=card.kind)
        emitter = EventEmitter(
            self.telemetry,
            {
                "job_id": job.id,
                "producer": job.producer,
                "provider": descriptor.provider,
                "model": descriptor.model,
            },
        )
        return ProviderRequest(
            job=job,
            descriptor=descriptor,
            inputs=dict(inputs),
            storage=self.storage,
            telemetry=emitter,
            upstream=dict(upstream or {}),
            deadline=None if timeout is None else time.monotonic() + timeout,
            resume=dict(resume or {}),
        )

    async def invoke(
        self,
        descriptor: Descriptor,
        inputs: Mapping[str, Any],
        *,
        producer: str = "adhoc",
        kind: ProducerKind | str | None = None,
        mode: Mode | None = None,
        timeout: float | None = None,
    ) -> ProducerResult:
        """Resolve and invoke in one call (for scripts and the CLI's ``invoke``)."""
        handler = self.resolve(descriptor, producer=producer, kind=kind, mode=mode)
        request = self.new_request(descriptor, inputs, producer=producer, timeout=timeout)
        return await handler.invoke(request)

    # -- warm start ----------------------------------------------------------------------
    async def warm_start(
        self,
        descriptors: Iterable[Descriptor],
        timeout: float = 10.0,
        *,
        mode: Mode | None = None,
    ) -> list[WarmStartReport]:
        """Warm every handler concurrently under one time budget; report each.

        A handler that raises is ``failed`` with its reason (a missing secret fails here, not in
        the first job); one still running when the budget ends is ``failed`` with a timeout.
        """
        descriptors = list(dict.fromkeys(descriptors))
        deadline = time.monotonic() + timeout

        async def one(descriptor: Descriptor) -> WarmStartReport:
            started = time.perf_counter()
            chosen: Mode = mode or self.mode
            try:
                resolved = self.resolve(descriptor, mode=mode)
                chosen = resolved.mode
                if getattr(resolved.handler, "warm_start", None) is None:
                    return WarmStartReport(descriptor, chosen, "skipped")
                remaining = max(0.0, deadline - time.monotonic())
                context = WarmStartContext(
                    telemetry=EventEmitter(
                        self.telemetry, {"provider": descriptor.provider, "model": descriptor.model}
                    ),
                    timeout=remaining,
                )
                await asyncio.wait_for(resolved.warm_start(context), timeout=remaining)
                report = WarmStartReport(descriptor, chosen, "ready")
            except TimeoutError:
                report = WarmStartReport(
                    descriptor, chosen, "failed", f"warm start did not finish within {timeout:g}s"
                )
            except ProviderError as exc:
                report = WarmStartReport(descriptor, chosen, "failed", exc.message)
            except Exception as exc:
                report = WarmStartReport(
                    descriptor, chosen, "failed", f"{type(exc).__name__}: {exc}"
                )
            report.duration_ms = (time.perf_counter() - started) * 1000
            EventEmitter(self.telemetry).emit(WARM_START, **report.to_dict())
            return report

        return list(await asyncio.gather(*(one(d) for d in descriptors)))


def _precedence(entry: _Entry) -> tuple[tuple[int, int, int], str, int]:
    specificity = entry.implementation.match.specificity()
    return ((-specificity[0], -specificity[1], -specificity[2]), entry.plugin, entry.index)


def _check_ties(entries: list[_Entry]) -> list[str]:
    warnings: list[str] = []
    groups: dict[tuple[Match, Mode], list[_Entry]] = {}
    for e in entries:
        groups.setdefault((e.implementation.match, e.implementation.mode), []).append(e)
    for (match, mode), group in sorted(groups.items(), key=lambda kv: str(kv[0][0])):
        plugins = sorted({e.plugin for e in group})
        if len(plugins) > 1:
            warnings.append(
                f"{mode} {match} is registered by {', '.join(plugins)}; {plugins[0]!r} wins "
                "(first by plugin name). Disable the other with TUTOPANDA_DISABLE_PLUGINS."
            )
    return warnings


def create_provider_registry(
    options: RegistryOptions | None = None, **overrides: Any
) -> ProviderRegistry:
    """Build a registry: load plugins, collect cards and implementations, assemble middleware.

    Args:
        options: a :class:`RegistryOptions`; keyword ``overrides`` replace its fields.

    Example:
        >>> registry = create_provider_registry(mode="mock")  # doctest: +SKIP
        >>> registry.list_models("image")  # doctest: +SKIP
    """
    if options is None:
        options = RegistryOptions(**overrides)
    elif overrides:
        from dataclasses import replace

        options = replace(options, **overrides)
    if isinstance(options.use_mock, (set, list, tuple)):
        options.use_mock = frozenset(options.use_mock)

    pm = plugin_loading.new_plugin_manager()
    reports = plugin_loading.load_plugins(
        pm,
        entry_points=options.entry_points,
        plugins=options.plugins,
        allow=options.allow_plugins,
        disable=options.disable_plugins,
    )
    by_name = {r.name: r for r in reports}

    pending: dict[str, list[Implementation]] = {}

    def register_implementation(plugin: str) -> Callable[[Implementation], None]:
        def register(implementation: Implementation) -> None:
            if not isinstance(implementation, Implementation):
                raise TypeError(
                    f"register() takes an Implementation, got {type(implementation).__name__}"
                )
            pending.setdefault(plugin, []).append(implementation)

        return register

    plugin_loading.call_each(pm, "tutopanda_register_providers", by_name, register_implementation)

    entries: list[_Entry] = []
    cards: dict[tuple[str, str], ModelCard] = {}
    card_owners: dict[tuple[str, str], str] = {}
    warnings: list[str] = []
    for plugin in sorted(pending):
        report = by_name.setdefault(plugin, PluginReport(name=plugin))
        if report.status != "loaded":
            continue  # its hook raised part-way: drop everything it registered
        for implementation in pending[plugin]:
            entries.append(_Entry(plugin, len(entries), implementation))
            report.registered.append(f"{implementation.match} [{implementation.mode}]")
            card = implementation.card
            if card is None:
                continue
            key = (card.provider, card.model)
            owner = card_owners.get(key)
            if owner is not None and owner != plugin:
                message = (
                    f"model card {card.ref} is registered by {owner!r} and {plugin!r}; "
                    f"{owner!r} wins (first by plugin name)."
                )
                warnings.append(message)
                report.warnings.append(message)
                continue
            if owner is None:
                cards[key] = card
                card_owners[key] = plugin
    tie_warnings = _check_ties(entries)
    warnings.extend(tie_warnings)
    for message in warnings:
        log.warning("%s", message)

    middleware: list[Middleware] = list(
        options.middleware
        if options.middleware is not None
        else default_middleware(options.pipeline or PipelineOptions())
    )

    def register_middleware(plugin: str) -> Callable[[Middleware], None]:
        return middleware.append

    plugin_loading.call_each(pm, "tutopanda_register_middleware", by_name, register_middleware)

    resolvers: list[SecretResolver] = [options.secrets] if options.secrets is not None else []
    plugin_resolvers: list[SecretResolver] = []
    plugin_loading.call_each(
        pm, "tutopanda_register_secret_resolvers", by_name, lambda plugin: plugin_resolvers.append
    )
    secrets = ChainSecretResolver([*resolvers, *plugin_resolvers, EnvSecretResolver(dotenv=".env")])

    return ProviderRegistry(
        options,
        entries,
        cards,
        card_owners,
        sorted(by_name.values(), key=lambda r: r.name),
        middleware,
        secrets,
        warnings,
    )


__all__ = [
    "HandlerFactory",
    "Implementation",
    "Match",
    "ProviderRegistry",
    "RegistryOptions",
    "ResolvedHandler",
    "WarmStartReport",
    "create_provider_registry",
]
