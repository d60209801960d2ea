"""The provider registry: resolves ``(provider, model, environment)`` to a handler.

Build one with :func:`create_provider_registry`. It loads the installed plugins, collects their
model cards and implementations, and resolves descriptors by rule:

1. The mode of a job is ``live`` or ``mock``: the registry's mode, unless the job's producer
   name or kind is listed in ``use_mock`` (forced mock), so one run can mix both.
2. Among the implementations of that mode whose ``match`` fits the descriptor, the most specific
   wins: per field, an exact value beats an ``fnmatch`` pattern, which beats ``*``; provider
   counts before model, model before environment; between two patterns of the same class, the
   one with more literal characters wins.
3. Ties between plugins (equally specific, same mode) go to the plugin named after the
   descriptor's provider (the ``replicate`` plugin for ``replicate/...``), then to the plugin
   that owns the model's card, then to the plugin whose name sorts first. They are reported in
   :attr:`ProviderRegistry.warnings` — never settled silently by registration order — and a
   plugin cannot take over another provider's model (and its secrets) by its name sorting
   first. Two cards for one model are settled by the same rule.

A handler is created once per (descriptor, mode) and cached; the object returned by
:meth:`ProviderRegistry.resolve` wraps it in the invoke pipeline.

Start-up cost matters (every command builds a registry), so this module imports neither
:mod:`asyncio` nor the invoke pipeline until a handler is resolved or warmed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tutopanda_providers.contracts import (
    AuthError,
    ConfigurationError,
    Cost,
    Descriptor,
    Environment,
    EventEmitter,
    JobInfo,
    Mode,
    ModelCard,
    ProducerKind,
    ProducerResult,
    ProviderError,
    TelemetrySink,
    UnknownModelError,
)
from tutopanda_providers.handler import (
    HandlerContext,
    ProducerHandler,
    ProducerRequest,
    WarmStartContext,
)
from tutopanda_providers.plugins import discovery as plugin_loading
from tutopanda_providers.plugins.discovery import PluginReport
from tutopanda_providers.plugins.implementation import HandlerFactory, Implementation, Match
from tutopanda_providers.secrets import ChainSecretResolver, EnvSecretResolver, SecretResolver
from tutopanda_providers.telemetry import WARM_START, LoggingSink

if TYPE_CHECKING:
    from tutopanda_providers.pipeline import PipelineOptions
    from tutopanda_providers.pipeline.context import Middleware, Next
    from tutopanda_providers.storage import BlobStore

log = logging.getLogger(__name__)


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


class ProviderRegistry:
    """Resolves descriptors to handlers; build it with :func:`create_provider_registry`.

    Attributes:
        mode: the registry's mode (``live`` or ``mock``).
        use_mock: producer names and kinds forced to mock when the mode is ``live``.
        plugins: one :class:`~tutopanda_providers.plugins.PluginReport` per plugin found.
        warnings: every duplicate, conflict and tie noticed (also logged), oldest first.
    """

    def __init__(
        self,
        options: RegistryOptions,
        entries: list[_Entry],
        cards: dict[tuple[str, str], ModelCard],
        card_owners: dict[tuple[str, str], str],
        reports: list[PluginReport],
        plugin_middleware: list[Middleware],
        secrets: SecretResolver,
        warnings: list[str],
    ) -> None:
        self.options = options
        self.mode: Mode = options.mode
        self.use_mock = frozenset(options.use_mock)
        self.telemetry: TelemetrySink = options.telemetry or LoggingSink()
        self._storage = options.storage
        self.secrets = secrets
        self.plugins = reports
        self.warnings = warnings
        self._plugin_middleware = plugin_middleware
        self._middleware: list[Middleware] | None = None
        self._chain: Next | None = None
        self._entries = entries
        self._cards = cards
        self._card_owners = card_owners
        self._handlers: dict[tuple[Descriptor, Mode], ResolvedHandler] = {}
        self._reported_ties: set[tuple[Descriptor, Mode]] = set()
        self._lock = threading.Lock()

    @property
    def storage(self) -> BlobStore:
        """Where handlers write blobs: ``options.storage``, or a store at ``storage_root``."""
        if self._storage is None:
            from tutopanda_providers.storage import BlobStore

            self._storage = BlobStore(self.options.storage_root)
        return self._storage

    # -- pipeline (built on first use: it imports asyncio and the middleware's libraries) ----
    @property
    def middleware(self) -> list[Middleware]:
        """The full chain: the built-in middleware (or ``options.middleware``), then plugins'."""
        if self._middleware is None:
            from tutopanda_providers.pipeline import (
                PipelineOptions,
                bind_middleware,
                default_middleware,
            )

            builtin = (
                self.options.middleware
                if self.options.middleware is not None
                else default_middleware(self.options.pipeline or PipelineOptions())
            )
            chain = [*builtin, *self._plugin_middleware]
            bind_middleware(chain, self)  # fallbacks resolve other models through the registry
            self._middleware = chain
        return self._middleware

    def estimate(self, descriptor: Descriptor | str, inputs: Mapping[str, Any]) -> Cost:
        """The estimated live cost of invoking ``descriptor`` with ``inputs``, before any call.

        Raises:
            UnknownModelError: no such model.
            InvalidInputError: the inputs do not fit the model.
        """
        from tutopanda_providers.pricing import estimate_cost

        return estimate_cost(self.card(descriptor), inputs)

    def _pipeline(self) -> Next:
        if self._chain is None:
            from tutopanda_providers.pipeline.context import compose

            self._chain = compose(self.middleware)
        return self._chain

    # -- discovery -----------------------------------------------------------------------
    def list_models(self, kind: ProducerKind | str | None = None) -> list[ModelCard]:
        """Every model card, optionally of one kind, sorted by provider then model."""
        wanted = ProducerKind(kind) if kind is not None else None
        cards = [c for c in self._cards.values() if wanted is None or c.kind == wanted]
        return sorted(cards, key=lambda c: (c.provider, c.model))

    def plugin(self, name: str) -> PluginReport:
        """The report of the plugin called ``name``.

        Raises:
            KeyError: no plugin of that name was found.
        """
        for report in self.plugins:
            if report.name == name:
                return report
        raise KeyError(f"no plugin named {name!r}; found: {[r.name for r in self.plugins]}")

    def owner_of(self, descriptor: Descriptor | str) -> str:
        """The plugin whose card for ``descriptor`` the registry uses."""
        card = self.card(descriptor)
        return self._card_owners[(card.provider, card.model)]

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

    def closest_models(self, asked: str, n: int = 3) -> list[str]:
        """The ``provider/model`` references closest to ``asked``, best first.

        Within a known provider, model names are compared (so the shared provider prefix does
        not make every model look close); a mistyped provider is compared as a whole reference.
        A model typed without its owner (``replicate/imagen-4``) still finds
        ``replicate/google/imagen-4``.
        """
        import difflib

        provider, _, model = asked.partition("/")
        if any(p == provider for p, _ in self._cards):
            models = sorted(m for p, m in self._cards if p == provider)
            close = [
                f"{provider}/{m}" for m in difflib.get_close_matches(model, models, n, cutoff=0.6)
            ]
        else:
            refs = sorted(f"{p}/{m}" for p, m in self._cards)
            close = difflib.get_close_matches(asked, refs, n=n, cutoff=0.6)
        tail = model.rsplit("/", 1)[-1]
        for p, m in sorted(self._cards):
            ref = f"{p}/{m}"
            if len(close) >= n:
                break
            if ref not in close and tail and m.rsplit("/", 1)[-1] == tail:
                close.append(ref)
        return close

    def _unknown(self, descriptor: Descriptor) -> UnknownModelError:
        asked = str(descriptor)
        close = self.closest_models(asked)
        providers = sorted({p for p, _ in self._cards})
        if descriptor.provider not in providers:
            what = (
                f"unknown provider {descriptor.provider!r} in {asked!r} "
                f"(known providers: {', '.join(providers) or 'none — no plugin is loaded'})"
            )
        else:
            what = f"unknown model {descriptor.model!r} for provider {descriptor.provider!r}"
        hint = f"; closest matches: {', '.join(close)}." if close else "."
        return UnknownModelError(
            f"{what}{hint} Run `tutopanda-providers models` to list every model.",
            provider=descriptor.provider,
            model=descriptor.model,
            details={"asked": asked, "close_matches": close},
        )

    # -- modes ---------------------------------------------------------------------------
    def mode_for(self, producer: str | None = None, kind: ProducerKind | str | None = None) -> Mode:
        """The mode a job of ``producer`` / ``kind`` runs in under this registry.

        ``mock`` when the registry's mode is ``mock``, or when the producer's name or its kind
        is listed in ``use_mock``; ``live`` otherwise.
        """
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
        """The handler for ``descriptor``, wrapped in the pipeline; created once, then cached.

        Args:
            descriptor: the model wanted.
            producer: the producer asking (decides the mode with ``use_mock``).
            kind: the kind the producer makes; a model of another kind is refused.
            mode: force a mode (otherwise :meth:`mode_for`).

        Raises:
            UnknownModelError: no card, or no implementation in that mode.
            ConfigurationError: the kind does not match, or the factory failed.
        """
        card = self.card(descriptor)
        self._check_kind(descriptor, card, producer, kind)
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
                    f"{descriptor}: {type(exc).__name__}: {exc}",
                    provider=descriptor.provider,
                    model=descriptor.model,
                ) from exc
            if not callable(getattr(handler, "invoke", None)):
                raise ConfigurationError(
                    f"plugin {entry.plugin!r} returned {type(handler).__name__} for {descriptor}, "
                    "which has no invoke(request) method",
                    provider=descriptor.provider,
                    model=descriptor.model,
                )
            resolved = ResolvedHandler(
                handler,
                card,
                descriptor,
                chosen_mode,
                self._pipeline(),
                entry.implementation.version,
            )
            self._handlers[key] = resolved
            return resolved

    def resolve_many(
        self,
        descriptors: Iterable[Descriptor],
        *,
        producer: str | None = None,
        kind: ProducerKind | str | None = None,
        mode: Mode | None = None,
    ) -> list[ResolvedHandler]:
        """:meth:`resolve` for each descriptor, in order; the first error stops it."""
        return [self.resolve(d, producer=producer, kind=kind, mode=mode) for d in descriptors]

    @staticmethod
    def _check_kind(
        descriptor: Descriptor,
        card: ModelCard,
        producer: str | None,
        kind: ProducerKind | str | None,
    ) -> None:
        if kind is None or card.kind == ProducerKind(kind):
            return
        wanted = ProducerKind(kind).value
        raise ConfigurationError(
            f"{descriptor} makes {card.kind.value}, but {producer or 'the producer'} needs "
            f"{wanted}; pick a {wanted} model (`tutopanda-providers models --kind {wanted}`).",
            provider=descriptor.provider,
            model=descriptor.model,
            details={"model_kind": card.kind.value, "producer_kind": wanted},
        )

    def _candidates(self, descriptor: Descriptor, mode: Mode) -> list[_Entry]:
        found = [
            e
            for e in self._entries
            if e.implementation.mode == mode and e.implementation.match.matches(descriptor)
        ]
        owner = self._card_owners.get((descriptor.provider, descriptor.model))
        return sorted(found, key=lambda e: _precedence(e, descriptor.provider, owner))

    def _select(self, descriptor: Descriptor, mode: Mode) -> _Entry:
        candidates = self._candidates(descriptor, mode)
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
        winner = candidates[0]
        owner = self._card_owners.get((descriptor.provider, descriptor.model))
        rivals = [
            e
            for e in candidates[1:]
            if e.plugin != winner.plugin
            and e.implementation.match.specificity() == winner.implementation.match.specificity()
        ]
        if rivals and (descriptor, mode) not in self._reported_ties:
            self._reported_ties.add((descriptor, mode))
            losers = ", ".join(f"{e.plugin!r} ({e.implementation.match})" for e in rivals)
            message = (
                f"{mode} {descriptor}: {winner.plugin!r} ({winner.implementation.match}) and "
                f"{losers} are equally specific; {winner.plugin!r} wins "
                f"({_why(winner.plugin, descriptor.provider, owner)}). "
                "Disable the other with TUTOPANDA_DISABLE_PLUGINS."
            )
            self.warnings.append(message)
            log.warning("%s", message)
        return winner

    def implementations_for(self, descriptor: Descriptor, mode: Mode) -> list[tuple[str, Match]]:
        """Every (plugin, match) that could serve ``descriptor`` in ``mode``, winner first."""
        return [(e.plugin, e.implementation.match) for e in self._candidates(descriptor, mode)]

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
    ) -> ProducerRequest:
        """Build a :class:`ProducerRequest` with this registry's storage and telemetry.

        Raises:
            ConfigurationError: ``job.kind`` is not the model's kind.
        """
        card = self.card(descriptor)
        if job is not None:
            self._check_kind(descriptor, card, job.producer, job.kind)
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
        return ProducerRequest(
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
    async def aclose(self) -> None:
        """Close what the handlers and middleware hold open (SDK clients, Redis connections).

        Call it on the event loop that ran the jobs, when the registry's work there is done;
        handlers re-open their clients if the registry is used again. Errors are logged,
        never raised: closing must not hide a job's own result.
        """
        with self._lock:
            handlers = list(self._handlers.values())
        closables: list[object] = [h.handler for h in handlers] + list(self.middleware)
        limiter = next(
            (getattr(m, "limiter", None) for m in self.middleware if hasattr(m, "limiter")), None
        )
        if limiter is not None:
            closables.append(limiter)
        for closable in closables:
            close = getattr(closable, "aclose", None)
            if close is None:
                continue
            try:
                await close()
            except Exception:
                log.warning("closing %r failed", closable, exc_info=True)

    async def warm_start(
        self,
        descriptors: Iterable[Descriptor],
        timeout: float = 10.0,
        *,
        producer: str | None = None,
        mode: Mode | None = None,
    ) -> list[WarmStartReport]:
        """Warm every handler concurrently under one time budget; report each, in order.

        For each descriptor: the handler is resolved (created once, cached); in live mode the
        secrets its card names must resolve; then its ``warm_start`` runs, if it has one. The
        report is ``ready`` when something was checked and passed, ``skipped`` when there was
        nothing to check, and ``failed`` with the reason otherwise — a missing secret fails
        here, not in the first job. Handlers still running when ``timeout`` seconds have passed
        are cancelled and reported ``failed``; the call returns within the budget.
        """
        import asyncio

        descriptors = list(dict.fromkeys(descriptors))
        started = time.perf_counter()
        reports: dict[int, WarmStartReport] = {}
        modes: dict[int, Mode] = {}

        async def one(index: int, descriptor: Descriptor) -> None:
            began = time.perf_counter()
            chosen: Mode = mode or self.mode
            try:
                card = self.card(descriptor)
                chosen = mode or self.mode_for(producer, card.kind)
                modes[index] = chosen
                resolved = self.resolve(descriptor, producer=producer, mode=chosen)
                checked = self._check_secrets(resolved)
                if getattr(resolved.handler, "warm_start", None) is not None:
                    context = WarmStartContext(
                        telemetry=EventEmitter(
                            self.telemetry,
                            {"provider": descriptor.provider, "model": descriptor.model},
                        ),
                        timeout=max(0.0, timeout - (time.perf_counter() - started)),
                    )
                    await resolved.warm_start(context)
                    checked = True
                report = WarmStartReport(descriptor, chosen, "ready" if checked else "skipped")
            except ProviderError as exc:
                report = WarmStartReport(descriptor, chosen, "failed", exc.message)
            except Exception as exc:
                report = WarmStartReport(
                    descriptor, chosen, "failed", f"{type(exc).__name__}: {exc}"
                )
            report.duration_ms = (time.perf_counter() - began) * 1000
            reports[index] = report

        tasks = [asyncio.ensure_future(one(i, d)) for i, d in enumerate(descriptors)]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                # Cancel and move on: a warm start that ignores cancellation must not stretch
                # the budget, so it is not awaited here.
                task.cancel()
                task.add_done_callback(_retrieve)
        out: list[WarmStartReport] = []
        for index, descriptor in enumerate(descriptors):
            report = reports.get(index) or WarmStartReport(
                descriptor,
                modes.get(index, mode or self.mode),
                "failed",
                f"warm start did not finish within the {timeout:g}s budget",
                duration_ms=(time.perf_counter() - started) * 1000,
            )
            EventEmitter(self.telemetry).emit(WARM_START, **report.to_dict())
            out.append(report)
        return out

    def _check_secrets(self, resolved: ResolvedHandler) -> bool:
        """Raise when a live handler's secrets are missing; True when some were checked."""
        names = resolved.card.secret_names if resolved.mode == "live" else ()
        missing = [name for name in names if self.secrets.resolve(name) is None]
        if missing:
            raise AuthError(
                f"missing secret {', '.join(missing)} for live {resolved.descriptor}: set it in "
                "the environment or in .env, or run this producer in mock mode",
                provider=resolved.provider,
                model=resolved.model,
                details={"missing_secrets": missing},
            )
        return bool(names)


def _retrieve(task: Any) -> None:
    if not task.cancelled():
        task.exception()


def _tie_rank(plugin: str, provider: str, owner: str | None) -> tuple[int, str]:
    """Between equally specific registrations: the provider's own plugin, the card's owner,
    then the first plugin name."""
    if plugin == provider:
        return (0, plugin)
    if plugin == owner:
        return (1, plugin)
    return (2, plugin)


def _why(plugin: str, provider: str, owner: str | None) -> str:
    rank = _tie_rank(plugin, provider, owner)[0]
    return (
        "it is named after the provider",
        "it owns the model's card",
        "first by plugin name",
    )[rank]


def _precedence(
    entry: _Entry, provider: str, owner: str | None
) -> tuple[tuple[int, ...], tuple[int, str], int]:
    specificity = tuple(-x for x in entry.implementation.match.specificity())
    return (specificity, _tie_rank(entry.plugin, provider, owner), entry.index)


def _check_ties(entries: list[_Entry], card_owners: Mapping[tuple[str, str], str]) -> list[str]:
    """Warn about one (match, mode) registered by several plugins (static, at build time)."""
    warnings: list[str] = []
    groups: dict[tuple[Match, Mode], list[_Entry]] = {}
    for e in entries:
        groups.setdefault((e.implementation.match, e.implementation.mode), []).append(e)
    for (match, mode), group in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        plugins = sorted({e.plugin for e in group})
        if len(plugins) > 1:
            owner = card_owners.get((match.provider, match.model))
            winner = min(plugins, key=lambda p: _tie_rank(p, match.provider, owner))
            warnings.append(
                f"{mode} {match} is registered by {', '.join(repr(p) for p in plugins)}; "
                f"{winner!r} wins ({_why(winner, match.provider, owner)}). "
                "Disable the other with TUTOPANDA_DISABLE_PLUGINS."
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
    if options.mode not in ("live", "mock"):
        raise ConfigurationError(f"mode must be 'live' or 'mock', got {options.mode!r}")
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
    warnings: list[str] = [w for r in reports for w in r.warnings]
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
            if owner is None:
                cards[key] = card
                card_owners[key] = plugin
            elif owner != plugin:
                # Plugins come in name order: a later one takes the card only when it is the
                # provider's own plugin.
                winner, loser = owner, plugin
                if _tie_rank(plugin, card.provider, None) < _tie_rank(owner, card.provider, None):
                    cards[key] = card
                    card_owners[key] = plugin
                    winner, loser = plugin, owner
                message = (
                    f"model card {card.ref} is registered by {loser!r} and {winner!r}; "
                    f"{winner!r} wins ({_why(winner, card.provider, None)})."
                )
                warnings.append(message)
                report.warnings.append(message)
                by_name[owner].warnings.append(message)
                log.warning("%s", message)
    for message in _check_ties(entries, card_owners):
        warnings.append(message)
        log.warning("%s", message)

    plugin_middleware: list[Middleware] = []
    plugin_loading.call_each(
        pm, "tutopanda_register_middleware", by_name, lambda plugin: plugin_middleware.append
    )

    resolvers: list[SecretResolver] = [options.secrets] if options.secrets is not None else []
    plugin_resolvers: list[SecretResolver] = []
    plugin_loading.call_each(
        pm, "tutopanda_register_secret_resolvers", by_name, lambda plugin: plugin_resolvers.append
    )
    secrets = ChainSecretResolver([*resolvers, *plugin_resolvers, EnvSecretResolver(dotenv=".env")])

    registry = ProviderRegistry(
        options,
        entries,
        cards,
        card_owners,
        sorted(by_name.values(), key=lambda r: r.name),
        plugin_middleware,
        secrets,
        warnings,
    )
    if options.pipeline is not None and options.pipeline.fallbacks:
        # Checked now, not when a fallback fires; the rest of the pipeline stays lazy.
        from tutopanda_providers.pipeline.fallback import check_fallbacks

        check_fallbacks(registry, options.pipeline.fallbacks)
    return registry


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
