"""The :class:`ProviderRegistry` facade: cards, modes, resolution to handlers, requests, invoke.

Build one with :func:`~tutopanda_providers.registry.create_provider_registry`. A handler is
created once per (descriptor, mode) and cached; the object :meth:`ProviderRegistry.resolve`
returns wraps it in the invoke pipeline. The pipeline is assembled on first use (it imports
:mod:`asyncio` and the middleware's libraries), so building a registry and listing models
stays cheap.
"""

from __future__ import annotations

import difflib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import (
    ConfigurationError,
    Cost,
    Descriptor,
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
from tutopanda_providers.contracts.same_model import Expansion, expand, same_model, twins
from tutopanda_providers.handler import (
    HandlerContext,
    ProducerHandler,
    ProducerRequest,
    RemoteJob,
)
from tutopanda_providers.plugins.discovery import PluginReport
from tutopanda_providers.plugins.implementation import Match
from tutopanda_providers.registry import resolution
from tutopanda_providers.registry.resolution import Registration
from tutopanda_providers.registry.resolved import ResolvedHandler
from tutopanda_providers.secrets import ScopedSecretResolver, SecretResolver
from tutopanda_providers.telemetry import LoggingSink

if TYPE_CHECKING:
    from tutopanda_providers.contracts import Artefact
    from tutopanda_providers.pipeline.context import Middleware, Next
    from tutopanda_providers.registry.options import RegistryOptions
    from tutopanda_providers.registry.warm import WarmStartReport
    from tutopanda_providers.storage import BlobStore

log = logging.getLogger("tutopanda_providers.registry")


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
        registrations: list[Registration],
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
        self._registrations = registrations
        self._cards = cards
        self._card_owners = card_owners
        self._handlers: dict[tuple[Descriptor, Mode], ResolvedHandler] = {}
        self._reported_ties: set[tuple[Descriptor, Mode]] = set()
        self._reported_overrules: set[tuple[Descriptor, Mode]] = set()
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
        """The full chain: the built-in middleware (or ``options.middleware``), then plugins'.

        Assembled on first use; middleware with a ``bind`` method get this registry then.
        """
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

    def check_fallbacks(
        self, fallbacks: Mapping[str, Sequence[Descriptor | str]] | None = None
    ) -> None:
        """Check fallbacks against this registry's cards, without assembling the pipeline.

        Args:
            fallbacks: per producer name or ``provider/model``, the models to try next
                (``None``: the fallbacks this registry's pipeline is configured with:
                ``options.pipeline.fallbacks`` and those of any fallback middleware in
                ``options.middleware``).

        Raises:
            ConfigurationError: a fallback is unknown, of another kind, or cannot take its
                primary's inputs; the message names it.
        """
        wanted: dict[str, Sequence[Descriptor | str]] = {}
        if fallbacks is not None:
            wanted.update(fallbacks)
        else:
            if self.options.pipeline is not None:
                wanted.update(self.options.pipeline.fallbacks)
            for mw in self.options.middleware or ():
                configured = getattr(mw, "fallbacks", None)
                if isinstance(configured, Mapping):
                    wanted.update(configured)
        if not wanted:
            return
        from tutopanda_providers.pipeline.fallback import check_fallbacks

        check_fallbacks(self, wanted)

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

    def same_model(self, name_or_ref: str) -> list[ModelCard]:
        """Every card serving one model, by provider then model (see
        :mod:`~tutopanda_providers.contracts.same_model`).

        Args:
            name_or_ref: the model's canonical name (``google/veo-3-fast``) or the
                ``provider/model`` ref of any card serving it. A card without
                ``canonical_model`` is its own model.

        Raises:
            UnknownModelError: no card serves it; naming the closest models.
        """
        found = same_model(self._cards.values(), name_or_ref)
        if found:
            return found
        try:
            asked = Descriptor.parse(name_or_ref)
        except ValueError:
            raise UnknownModelError(
                f"no card serves a model named {name_or_ref!r}; give a model's own name "
                "(google/veo-3-fast) or a card's provider/model (replicate/google/veo-3-fast). "
                "Run `tutopanda-providers models` to list every model.",
                details={"asked": name_or_ref},
            ) from None
        raise self._unknown(asked)

    def twins(self, card: ModelCard) -> list[ModelCard]:
        """The cards of other providers serving ``card``'s model (empty: no other provider)."""
        return twins(self._cards.values(), card)

    def expand_model(self, name_or_ref: str, providers: Sequence[str]) -> Expansion:
        """The cards of each of ``providers``, in that order, serving ``name_or_ref``'s model.

        Returns:
            An :class:`~tutopanda_providers.contracts.same_model.Expansion`: its ``cards`` (empty
            when no listed provider hosts the model), the listed providers ``skipped`` and
            every provider that ``hosts`` it.
        """
        return expand(self._cards.values(), name_or_ref, providers)

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

    def served_modes(self, descriptor: Descriptor) -> list[Mode]:
        """The modes some implementation serves ``descriptor`` in (``["live", "mock"]``)."""
        return resolution.served_modes(self._registrations, descriptor)

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
        names = sorted({c.canonical_model for c in self._cards.values() if c.canonical_model})
        close = [
            *difflib.get_close_matches(asked, names, n=2, cutoff=0.8),
            *self.closest_models(asked),
        ]
        providers = sorted({p for p, _ in self._cards})
        serving = [c.ref for c in self._cards.values() if c.canonical_model == asked]
        if descriptor.provider not in providers and serving:
            # A model's own name where a provider/model ref is wanted (no `providers` given).
            what = (
                f"{asked!r} is a model's name, not provider/model: write one of "
                f"{', '.join(serving)}, or name it once with providers = [...] in the settings"
            )
        elif descriptor.provider not in providers:
            # Its plugin may simply not be installed (a pip install of one provider): say how
            # the project's providers are installed, by the distribution's name.
            what = (
                f"unknown provider {descriptor.provider!r} in {asked!r} "
                f"(known providers: {', '.join(providers) or 'none — no plugin is loaded'}; "
                f"if {descriptor.provider!r} is a provider, install its plugin, e.g. "
                f"pip install tutopanda-provider-{descriptor.provider})"
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
    def mode_for_job(
        self, producer: str | None = None, kind: ProducerKind | str | None = None
    ) -> Mode:
        """The mode a job of ``producer`` / ``kind`` runs in under this registry.

        ``mock`` when the registry's mode is ``mock``, or when the producer's name or its kind
        is listed in ``use_mock``; ``live`` otherwise.
        """
        return resolution.mode_for_job(self.mode, self.use_mock, producer, kind)

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
            mode: force a mode (otherwise :meth:`mode_for_job`).

        Raises:
            UnknownModelError: no card, or no implementation in that mode.
            ConfigurationError: the kind does not match, or the factory failed.
        """
        card = self.card(descriptor)
        self._check_kind(descriptor, card, producer, kind)
        chosen_mode = mode or self.mode_for_job(producer, card.kind)
        key = (descriptor, chosen_mode)
        with self._lock:
            cached = self._handlers.get(key)
            if cached is not None:
                return cached
            registration = self._select(descriptor, chosen_mode)
            resolved = ResolvedHandler(
                self._create_handler(registration, descriptor, chosen_mode, card),
                card,
                descriptor,
                chosen_mode,
                self._pipeline(),
                registration.implementation.version,
            )
            self._handlers[key] = resolved
            return resolved

    def _create_handler(
        self, registration: Registration, descriptor: Descriptor, mode: Mode, card: ModelCard
    ) -> ProducerHandler:
        context = HandlerContext(
            descriptor=descriptor,
            mode=mode,
            card=card,
            # Only the secrets the card names: a plugin never reads another provider's key.
            secrets=ScopedSecretResolver(self.secrets, card.secret_names),
            telemetry=self.telemetry,
            options=dict(self.options.provider_options.get(descriptor.provider, {})),
        )
        try:
            handler = registration.implementation.factory(context)
        except ProviderError:
            raise
        except Exception as exc:
            raise ConfigurationError(
                f"plugin {registration.plugin!r} failed to create the {mode} handler for "
                f"{descriptor}: {type(exc).__name__}: {exc}",
                provider=descriptor.provider,
                model=descriptor.model,
            ) from exc
        if not callable(getattr(handler, "invoke", None)):
            raise ConfigurationError(
                f"plugin {registration.plugin!r} returned {type(handler).__name__} for "
                f"{descriptor}, which has no invoke(request) method",
                provider=descriptor.provider,
                model=descriptor.model,
            )
        return handler

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

    def _candidates(self, descriptor: Descriptor, mode: Mode) -> list[Registration]:
        owner = self._card_owners.get((descriptor.provider, descriptor.model))
        return resolution.candidates(self._registrations, descriptor, mode, owner)

    def _select(self, descriptor: Descriptor, mode: Mode) -> Registration:
        ordered = self._candidates(descriptor, mode)
        if not ordered:
            available = ", ".join(self.served_modes(descriptor)) or "none"
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
        winner = ordered[0]
        owner = self._card_owners.get((descriptor.provider, descriptor.model))
        rivals = resolution.rivals(ordered, descriptor, owner)
        if rivals and (descriptor, mode) not in self._reported_ties:
            self._reported_ties.add((descriptor, mode))
            tie = resolution.settle_tie(
                [winner.plugin, *(r.plugin for r in rivals)], descriptor.provider, owner
            )
            losers = ", ".join(f"{r.plugin!r} ({r.implementation.match})" for r in rivals)
            message = (
                f"{mode} {descriptor}: {winner.plugin!r} ({winner.implementation.match}) and "
                f"{losers} are equally specific; {tie.winner!r} wins ({tie.reason}). "
                "Disable the other with TUTOPANDA_DISABLE_PLUGINS."
            )
            self.warnings.append(message)
            log.warning("%s", message)
        passed_over = resolution.overruled(ordered, descriptor, owner)
        if passed_over and (descriptor, mode) not in self._reported_overrules:
            self._reported_overrules.add((descriptor, mode))
            others = ", ".join(f"{r.plugin!r} ({r.implementation.match})" for r in passed_over)
            message = (
                f"{mode} {descriptor}: {winner.plugin!r} serves it, not {others}: a provider's "
                f"models are served by its own plugin, the card's owner or the mock plugin "
                f"whenever one of them can."
            )
            self.warnings.append(message)
            log.warning("%s", message)
        return winner

    def implementations_for(self, descriptor: Descriptor, mode: Mode) -> list[tuple[str, Match]]:
        """Every (plugin, match) that could serve ``descriptor`` in ``mode``, winner first."""
        return [(r.plugin, r.implementation.match) for r in self._candidates(descriptor, mode)]

    # -- requests ------------------------------------------------------------------------
    def new_request(
        self,
        descriptor: Descriptor,
        inputs: Mapping[str, Any],
        *,
        job: JobInfo | None = None,
        producer: str = "adhoc",
        timeout: float | None = None,
        upstream: Mapping[str, Artefact] | None = None,
        resume: Mapping[str, Any] | None = None,
        storage: BlobStore | None = None,
        telemetry: TelemetrySink | None = None,
        on_remote_job: Callable[[RemoteJob], None] | None = None,
        producer_inputs: Mapping[str, Any] | None = None,
        model_defaults: Mapping[str, Mapping[str, Any]] | None = None,
        validated: bool = False,
    ) -> ProducerRequest:
        """Build the :class:`ProducerRequest` of one job; nothing changes it afterwards.

        Args:
            descriptor: the model to run.
            inputs: producer-level inputs, or the model's own validated inputs when
                ``validated`` (then ``producer_inputs`` should hold the producer-level ones,
                which a fallback model is validated from).
            job: the job (``None``: an ad-hoc job of ``producer``, of the model's kind).
            timeout: seconds the job may take from now (``None``: no deadline).
            upstream: artefacts of upstream jobs, by name.
            resume: facts from an earlier run (``{"remote_job_id": ...}``).
            storage: where blobs go (``None``: the registry's storage).
            telemetry: where events go (``None``: the registry's sink); tagged with the job.
            on_remote_job: called as soon as the handler has a remote job (see
                :meth:`ProducerRequest.report_remote_job`).
            model_defaults: default inputs per ``provider/model``, laid under the inputs of
                whichever model runs (the primary or a fallback).
            validated: ``inputs`` were validated against this model's card already.

        Raises:
            UnknownModelError: no such model.
            ConfigurationError: ``job.kind`` is not the model's kind.
        """
        card = self.card(descriptor)
        if job is not None:
            self._check_kind(descriptor, card, job.producer, job.kind)
        job = job or JobInfo(id=f"{producer}-{time.time_ns():x}", producer=producer, kind=card.kind)
        emitter = EventEmitter(
            telemetry or self.telemetry,
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
            storage=storage or self.storage,
            telemetry=emitter,
            upstream=dict(upstream or {}),
            deadline=None if timeout is None else time.monotonic() + timeout,
            resume=dict(resume or {}),
            producer_inputs=None if producer_inputs is None else dict(producer_inputs),
            model_defaults=dict(model_defaults or {}),
            validated=validated,
            on_remote_job=on_remote_job,
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
        job: JobInfo | None = None,
        upstream: Mapping[str, Artefact] | None = None,
        resume: Mapping[str, Any] | None = None,
        storage: BlobStore | None = None,
        telemetry: TelemetrySink | None = None,
        on_remote_job: Callable[[RemoteJob], None] | None = None,
        model_defaults: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> ProducerResult:
        """Resolve and invoke in one call: everything a job needs, in one place.

        ``inputs`` are producer-level (validated by the pipeline, the model's defaults laid
        under them). The other arguments are those of :meth:`new_request`.

        Raises:
            ProviderError: the job failed (a subclass says how).
        """
        handler = self.resolve(
            descriptor, producer=job.producer if job else producer, kind=kind, mode=mode
        )
        request = self.new_request(
            descriptor,
            inputs,
            job=job,
            producer=producer,
            timeout=timeout,
            upstream=upstream,
            resume=resume,
            storage=storage,
            telemetry=telemetry,
            on_remote_job=on_remote_job,
            model_defaults=model_defaults,
        )
        return await handler.invoke(request)

    # -- warm start and closing ----------------------------------------------------------
    async def aclose(self) -> None:
        """Close what the handlers and middleware hold open (SDK clients, Redis connections).

        Call it on the event loop that ran the jobs, when the registry's work there is done;
        handlers re-open their clients if the registry is used again. Errors are logged,
        never raised: closing must not hide a job's own result.
        """
        with self._lock:
            handlers = list(self._handlers.values())
        middleware = self._middleware or []
        closables: list[object] = [h.handler for h in handlers] + list(middleware)
        limiter = next(
            (getattr(m, "limiter", None) for m in middleware if hasattr(m, "limiter")), None
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
        from tutopanda_providers.registry.warm import warm_start

        return await warm_start(self, descriptors, timeout, producer=producer, mode=mode)


__all__ = ["ProviderRegistry", "ResolvedHandler"]
