"""Fake models for tests of the registry, the pipeline, the runner and plugins.

One set of helpers every package's tests share instead of writing their own:

- :func:`make_card`: a small :class:`~tutopanda_providers.ModelCard` (one price per image by
  default) whose every field can be set.
- :class:`FakeHandler`: a handler that records each call, plays a :class:`Script` of outcomes
  (raise, await, answer) and answers with a text artefact naming its label or model.
- :class:`FakeFactory`: a factory of :class:`FakeHandler` that counts the handlers it made.
- :class:`FakePlugin`: a plain plugin object registering the implementations it is given;
  :meth:`FakePlugin.for_cards` registers cards in live and mock mode at once.
- :func:`fake_registry`: a registry of plugins given directly, no entry points, blobs in a
  folder of the test's.

The registry wired to the fake *servers* (Replicate and OpenAI plugins, canary keys) is
:func:`fake_server_registry`, which the ``provider_registry`` fixture of
:mod:`tutopanda_providers_testing.pytest_plugin` builds on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutopanda_providers import (
    Artefact,
    Cost,
    HandlerContext,
    Implementation,
    InputModel,
    Mode,
    ModelCard,
    OutputSpec,
    Price,
    PriceRate,
    ProducerKind,
    ProducerRequest,
    ProducerResult,
    ProviderMetadata,
    ResultMeta,
    hookimpl,
)

if TYPE_CHECKING:
    from tutopanda_providers import ProviderRegistry
    from tutopanda_providers.contracts import TelemetrySink
    from tutopanda_providers.storage import BlobStore

    from tutopanda_providers_testing.fake_fal import FakeFal
    from tutopanda_providers_testing.fake_openai import FakeOpenAIServer
    from tutopanda_providers_testing.fake_replicate import FakeReplicateServer


class FakeInputs(InputModel):
    """The inputs of a :func:`make_card` card unless told otherwise: a prompt and ``steps``."""

    prompt: str
    steps: int = 4


def make_card(
    provider: str = "fake",
    model: str = "image-a",
    *,
    kind: str | ProducerKind = "image",
    usd: float | None = 0.04,
    unit: str = "image",
    input_model: type[Any] = FakeInputs,
    output: OutputSpec | None = None,
    secret_names: Sequence[str] = (),
    rate_key: str | None = None,
    input_adapter: Callable[[Any], dict[str, Any]] | None = None,
    capabilities: Iterable[str] = (),
    price_source: str = "test",
) -> ModelCard:
    """A small model card for tests.

    Args:
        provider: the provider name (``fake``).
        model: the model name (``image-a``).
        kind: the producer kind, as a :class:`ProducerKind` or its value (``image``).
        usd: the price in US dollars per ``unit``; ``None`` for an unknown price.
        unit: the priced unit, also the rate's name (``image``, ``call``, ``second``).
        input_model: the pydantic model of the inputs (:class:`FakeInputs`).
        output: what the model returns (default: ``text/plain`` text).
        secret_names: the secrets the model needs (``("FAKE_API_KEY",)``).
        rate_key: the rate-limit bucket, when not the provider's.
        input_adapter: maps generic input names to the model's, for fallbacks.
        capabilities: capability flags (``generates_audio``).
        price_source: where the price comes from, as the card says.
    """
    return ModelCard(
        provider=provider,
        model=model,
        kind=ProducerKind(kind),
        input_model=input_model,
        output=output or OutputSpec(type="text", mime="text/plain"),
        price=Price(rates=(PriceRate(name=unit, unit=unit, usd=usd),), source=price_source),
        secret_names=tuple(secret_names),
        rate_key=rate_key,
        input_adapter=input_adapter,
        capabilities=frozenset(capabilities),
    )


#: What a fake handler does on one call: raise the exception, await the callable with the
#: request, or (``None``) answer normally.
Outcome = BaseException | Callable[[ProducerRequest], Awaitable[Any]] | None


@dataclass
class Script:
    """What a :class:`FakeHandler` does on each call, and what it was asked.

    Attributes:
        outcomes: played one per call, first first; once empty, every call answers.
        calls: the inputs of each call, in order.
        report_cost: report the card's estimate as the known cost (``False``: an unknown cost).
    """

    outcomes: list[Outcome] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    report_cost: bool = True


class FakeHandler:
    """A handler that plays its :class:`Script` and answers with a text artefact.

    The artefact's text is ``label`` (default: the model's name), so a test can see which
    implementation served a job. The cost is the card's estimate reported as ``known`` (or
    unknown when the script says not to report it), in either mode: tests of the pipeline's
    cost handling set what the handler reports.
    """

    def __init__(
        self, context: HandlerContext, script: Script | None = None, *, label: str | None = None
    ) -> None:
        self.provider = context.descriptor.provider
        self.model = context.descriptor.model
        self.environment = context.descriptor.environment
        self.mode: Mode = context.mode
        self.card = context.card
        self.script = script if script is not None else Script()
        self.label = label if label is not None else self.model

    @property
    def inputs_seen(self) -> list[dict[str, Any]]:
        """The inputs of each call this handler's script recorded."""
        return self.script.calls

    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        """Record the inputs, play the next outcome, answer."""
        self.script.calls.append(dict(request.inputs))
        outcome = self.script.outcomes.pop(0) if self.script.outcomes else None
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome is not None:
            await outcome(request)
        return ProducerResult(
            artefacts=[Artefact(kind=request.job.kind, mime="text/plain", text=self.label)],
            provider=ProviderMetadata(
                provider=self.provider, model=self.model, cost=self._cost(request)
            ),
            meta=ResultMeta(mocked=self.mode == "mock"),
        )

    def _cost(self, request: ProducerRequest) -> Cost:
        if not self.script.report_cost:
            return Cost.unknown("the fake did not say")
        estimate = self.card.estimate_cost(request.inputs)
        if estimate.status == "estimated":
            return estimate.model_copy(update={"status": "known"})
        return estimate


class FakeFactory:
    """Makes :class:`FakeHandler` objects sharing one script; counts them in ``calls``.

    Args:
        script: the script every handler plays (a new empty one by default).
        label: the text the handlers answer with (default: the model's name).
    """

    def __init__(self, script: Script | None = None, *, label: str | None = None) -> None:
        self.script = script if script is not None else Script()
        self.label = label
        self.calls = 0

    def __call__(self, context: HandlerContext) -> FakeHandler:
        """A new handler for ``context``'s model."""
        self.calls += 1
        return FakeHandler(context, self.script, label=self.label)


class FakePlugin:
    """A plain plugin object: registers the implementations it is given, in order."""

    def __init__(self, *implementations: Implementation) -> None:
        self.implementations = implementations

    @classmethod
    def for_cards(
        cls,
        cards: Iterable[ModelCard],
        factory: Callable[[HandlerContext], Any] | None = None,
        *,
        modes: Sequence[Mode] = ("live", "mock"),
        version: str = "1",
    ) -> FakePlugin:
        """A plugin registering each card in each of ``modes`` with ``factory``.

        The default factory is one :class:`FakeFactory` per card.
        """
        implementations = []
        for card in cards:
            made = factory if factory is not None else FakeFactory()
            for mode in modes:
                implementations.append(
                    Implementation.for_card(card, made, mode=mode, version=version)
                )
        return cls(*implementations)

    @hookimpl
    def tutopanda_register_providers(self, register: Callable[[Implementation], None]) -> None:
        """Register every implementation given."""
        for implementation in self.implementations:
            register(implementation)


def fake_registry(
    plugins: Iterable[tuple[str, object]],
    *,
    storage: BlobStore | str | Path,
    mode: Mode = "live",
    **options: Any,
) -> ProviderRegistry:
    """A registry of the plugins given, and no installed plugin.

    Args:
        plugins: ``(name, plugin)`` pairs, e.g. ``[("fakes", FakePlugin.for_cards(cards))]``.
        storage: a :class:`BlobStore`, or the folder of one.
        mode: ``live`` (default) or ``mock``.
        **options: any other field of :class:`~tutopanda_providers.RegistryOptions`.
    """
    from tutopanda_providers import RegistryOptions, create_provider_registry
    from tutopanda_providers.storage import BlobStore

    store = storage if isinstance(storage, BlobStore) else BlobStore(Path(storage))
    return create_provider_registry(
        RegistryOptions(
            mode=mode, plugins=list(plugins), entry_points=False, storage=store, **options
        )
    )


def fake_server_registry(
    *,
    replicate: FakeReplicateServer | None = None,
    openai: FakeOpenAIServer | None = None,
    fal: FakeFal | None = None,
    storage: BlobStore | str | Path,
    mode: Mode = "live",
    plugins: Sequence[tuple[str, object]] = (),
    secrets: Mapping[str, str] | None = None,
    provider_options: Mapping[str, Mapping[str, Any]] | None = None,
    retries: bool | int = True,
    telemetry: TelemetrySink | None = None,
    **overrides: Any,
) -> ProviderRegistry:
    """A registry whose Replicate, OpenAI and FAL plugins talk to the fake servers given.

    Args:
        replicate / openai / fal: the running fakes (``provider_options`` point the plugins at
            them, Replicate and FAL with fast polling).
        storage: a :class:`BlobStore`, or the folder of one.
        mode: ``live`` (default) or ``mock``.
        plugins: ``(name, module)`` pairs to register directly; when given, installed entry
            points are not loaded unless ``entry_points=True``.
        secrets: secret names to values (default: the canary keys; ``{}`` for none).
        provider_options: merged over the options that point the plugins at the fakes.
        retries: ``True`` keeps the default retry policy; ``False`` makes one attempt per job,
            an ``int`` that many (the pipeline then never sleeps between attempts).
        telemetry: where events go.
        **overrides: any other field of :class:`~tutopanda_providers.RegistryOptions`.

    The caller keeps the real environment's keys away (the ``provider_registry`` fixture
    removes them and runs in the test's folder).
    """
    from tutopanda_providers import PipelineOptions, RetryPolicy, create_provider_registry
    from tutopanda_providers.secrets import MappingSecretResolver
    from tutopanda_providers.storage import BlobStore

    from tutopanda_providers_testing.fake_options import canary_secrets, fake_provider_options

    options = fake_provider_options(replicate, openai, fal)
    for provider, extra in (provider_options or {}).items():
        options[provider] = {**options.get(provider, {}), **extra}
    if retries is not True and "pipeline" not in overrides:
        attempts = 1 if retries is False else int(retries)
        overrides["pipeline"] = PipelineOptions(
            retry=RetryPolicy(max_attempts=attempts, attempts_per_model=attempts, jitter=0),
            sleep=_no_sleep,
        )
    overrides.setdefault("entry_points", not plugins)
    store = storage if isinstance(storage, BlobStore) else BlobStore(Path(storage))
    return create_provider_registry(
        mode=mode,
        plugins=list(plugins),
        secrets=MappingSecretResolver(canary_secrets() if secrets is None else secrets),
        provider_options=options,
        storage=store,
        telemetry=telemetry,
        **overrides,
    )


async def _no_sleep(seconds: float) -> None:
    """The pipeline's sleep between retries, skipped: tests do not wait."""


__all__ = [
    "FakeFactory",
    "FakeHandler",
    "FakeInputs",
    "FakePlugin",
    "Outcome",
    "Script",
    "fake_registry",
    "fake_server_registry",
    "make_card",
]
