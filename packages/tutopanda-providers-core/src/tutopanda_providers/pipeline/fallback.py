"""Fallbacks: when a model fails, try the next (provider, model) the settings list.

Fallbacks are configured per producer name (``"ImageProducer"``) or per primary model
(``"replicate/google/imagen-4"``); a producer's list wins over a model's. They are checked
when the registry is built, not when they fire: every fallback must exist, make the same kind
of thing, and take the producer-level inputs the primary takes (see :func:`check_compatible`).
A problem raises :class:`~tutopanda_providers.errors.ConfigurationError` naming it.

A fallback fires when the model before it failed with a provider failure that is not retried
(or whose retries ran out): not for invalid inputs, a refused budget, a configuration problem
or a cancelled job, and not when the failed call may still be running at the provider
(``request_sent``: falling back could pay twice). A model is never tried twice for one job, and
fallbacks share the job's attempt budget and deadline with retries. The result records
``meta.tried`` (every model tried, in order), ``meta.fell_back`` and ``meta.failures`` (for
each model left: its ref, the error kind and a short message); each switch emits
``provider.invoke.fallback``.

The same model on several providers (cards sharing ``canonical_model``, see
:mod:`~tutopanda_providers.contracts.same_model`) is a chain like any other, with one rule
more: the variants of one model on one provider (a text-to-video and an image-to-video
endpoint) are one step, served by the first variant whose ``validate_inputs`` accepts the
job's producer-level inputs; the others are never called.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tutopanda_providers import telemetry as events
from tutopanda_providers.contracts import (
    ConfigurationError,
    Descriptor,
    ErrorKind,
    FailedAttempt,
    GenericInputs,
    ProviderError,
)
from tutopanda_providers.contracts.data import short_message
from tutopanda_providers.contracts.same_model import pick_variant, variant_group
from tutopanda_providers.handler import model_inputs
from tutopanda_providers.pipeline.retry import ATTEMPTS, MAX_ATTEMPTS

if TYPE_CHECKING:
    from tutopanda_providers.contracts import ModelCard, ProducerResult
    from tutopanda_providers.pipeline.context import InvokeContext, ModelResolver, Next

#: Failures a different model cannot fix, or after which trying one could pay twice.
NO_FALLBACK_KINDS = frozenset(
    {
        ErrorKind.INVALID_INPUT,
        ErrorKind.CONFIGURATION,
        ErrorKind.BUDGET_EXCEEDED,
        ErrorKind.CANCELED,
        ErrorKind.STORAGE,
    }
)

_PROBES: dict[str, Any] = {
    GenericInputs.PROMPT: "a probe prompt",
    GenericInputs.TEXT: "a probe text",
    GenericInputs.DURATION_SECONDS: 5,
    GenericInputs.ASPECT_RATIO: "16:9",
    GenericInputs.IMAGE_URLS: ["https://example.invalid/probe.png"],
    GenericInputs.VOICE: "probe-voice",
    GenericInputs.NEGATIVE_PROMPT: "a probe negative prompt",
    GenericInputs.SEED: 1,
}


def should_fall_back(exc: ProviderError) -> bool:
    """True when another model may succeed where this one failed, without paying twice."""
    return exc.kind not in NO_FALLBACK_KINDS and not exc.request_sent


def _fed_fields(card: ModelCard, name: str) -> set[str] | None:
    """The model fields a producer-level input ``name`` lands on (``None``: adapter refused)."""
    probe = _PROBES.get(name, "probe")
    try:
        return set(card.adapt_inputs({name: probe}))
    except Exception:
        return None


def _names(card: ModelCard) -> set[str]:
    generic = {v for k, v in vars(GenericInputs).items() if k.isupper()}
    return generic | set(card.input_model.model_fields)


def requirements(card: ModelCard) -> list[frozenset[str]]:
    """For each required field of ``card``, the producer-level input names that can fill it.

    ``replicate/minimax/speech-02-hd`` requires ``text``, which ``text`` or ``prompt`` fills:
    one requirement, ``{"text", "prompt"}``; the producer must give one of them.
    """
    found: list[frozenset[str]] = []
    for field_name, field in card.input_model.model_fields.items():
        if not field.is_required():
            continue
        feeders = {n for n in _names(card) if field_name in (_fed_fields(card, n) or set())}
        found.append(frozenset(feeders | {field_name}))
    return found


def accepts(card: ModelCard) -> set[str]:
    """Producer-level input names a card takes without refusing them as unknown."""
    if card.passthrough:
        return _names(card)
    fields = set(card.input_model.model_fields)
    out = set()
    for name in _names(card):
        fed = _fed_fields(card, name)
        if fed is not None and fed and fed <= fields:
            out.add(name)
    return out


def check_compatible(primary: ModelCard, fallback: ModelCard) -> None:
    """Raise :class:`ConfigurationError` unless ``fallback`` can do ``primary``'s job.

    The kinds must be equal; every input the fallback requires must be one the primary also
    requires (so the producer always supplies it); every input the primary requires must be
    one the fallback accepts (so the fallback does not refuse it as unknown).
    """
    if fallback.kind != primary.kind:
        raise ConfigurationError(
            f"fallback {fallback.ref} makes {fallback.kind.value} but {primary.ref} makes "
            f"{primary.kind.value}; a fallback must make the same kind of thing."
        )
    primary_reqs = requirements(primary)
    # A fallback requirement is always met when some primary requirement's alternatives are
    # all among its own: whichever of them the producer gives, the fallback gets it too.
    unmet = [req for req in requirements(fallback) if not any(p <= req for p in primary_reqs)]
    if unmet:
        wants = "; ".join(" or ".join(sorted(r)) for r in unmet)
        gives = "; ".join(" or ".join(sorted(r)) for r in primary_reqs) or "no inputs"
        raise ConfigurationError(
            f"fallback {fallback.ref} requires {wants}, which callers of {primary.ref} need "
            f"not give (they give {gives}); pick a fallback that works from those inputs."
        )
    refused = sorted(set().union(*primary_reqs) - accepts(fallback)) if primary_reqs else []
    if refused:
        raise ConfigurationError(
            f"fallback {fallback.ref} does not take {', '.join(refused)}, which callers of "
            f"{primary.ref} may give; it would refuse the producer's inputs."
        )


def check_fallbacks(
    registry: ModelResolver, fallbacks: Mapping[str, Sequence[Descriptor | str]]
) -> set[tuple[str, str]]:
    """Check every configured fallback against the registry's cards; called at registry build.

    A list keyed by a model (``provider/model``) is checked against that model; a list keyed
    by a producer name, whose primary is only known per job, is checked against its first
    entry (and against the primary the first time it fires). Variants of one model on one
    provider (cards sharing provider and ``canonical_model``) are checked as one: the group
    passes when one of them can do the job, since a job only ever gets the variant that
    accepts its inputs (:func:`~tutopanda_providers.contracts.same_model.pick_variant`).

    Returns:
        The ``(primary ref, fallback ref)`` pairs found compatible.

    Raises:
        ConfigurationError: a fallback is unknown, of another kind, or input-incompatible.
    """
    checked: set[tuple[str, str]] = set()
    for key, chain in fallbacks.items():
        cards = _chain_cards(registry, key, chain)
        primary = _primary_card(registry, key)
        reference = primary or _first_group_reference(cards)
        if reference is None:
            continue
        groups: dict[tuple[str, str], list[ModelCard]] = {}
        for card in cards:
            groups.setdefault(variant_group(card), []).append(card)
        for group, members in groups.items():
            if group == variant_group(reference):
                continue  # the reference's own variants: picked by the job's inputs
            problems: list[ConfigurationError] = []
            for card in members:
                try:
                    check_compatible(reference, card)
                except ConfigurationError as exc:
                    problems.append(exc)
                else:
                    checked.add((reference.ref, card.ref))
            if len(problems) == len(members):
                raise ConfigurationError(f"fallbacks for {key!r}: {problems[0].message}")
    return checked


def _first_group_reference(cards: Sequence[ModelCard]) -> ModelCard | None:
    """The card a producer-keyed chain is checked against: of the first entry's variants, the
    one needing the fewest inputs (a plain job's variant; an image-to-video variant requires
    an image the producer need not give)."""
    if not cards:
        return None
    group = variant_group(cards[0])
    members = [c for c in cards if variant_group(c) == group]
    return min(
        members,
        key=lambda c: sum(1 for f in c.input_model.model_fields.values() if f.is_required()),
    )


def _chain_cards(
    registry: ModelResolver, key: str, chain: Sequence[Descriptor | str]
) -> list[ModelCard]:
    cards = []
    for value in chain:
        descriptor = _descriptor(value)
        try:
            cards.append(registry.card(descriptor))
        except ProviderError as exc:
            raise ConfigurationError(
                f"fallback {descriptor} listed for {key!r} is not a known model: {exc.message}"
            ) from None
    return cards


def _primary_card(registry: ModelResolver, key: str) -> ModelCard | None:
    if "/" not in key:
        return None  # a producer name
    try:
        return registry.card(Descriptor.parse(key))
    except ProviderError as exc:
        raise ConfigurationError(
            f"fallbacks are listed for {key!r}, which is not a known model: {exc.message}"
        ) from None


def _descriptor(value: Descriptor | str) -> Descriptor:
    return value if isinstance(value, Descriptor) else Descriptor.parse(value)


class FallbackMiddleware:
    """Tries the configured fallbacks in order when the model before them fails."""

    name = "fallback"
    order = 20

    def __init__(self, fallbacks: Mapping[str, Sequence[Descriptor | str]]) -> None:
        self.fallbacks: dict[str, tuple[Descriptor, ...]] = {
            key: tuple(_descriptor(d) for d in chain) for key, chain in fallbacks.items()
        }
        self._registry: ModelResolver | None = None
        self._checked: set[tuple[str, str]] = set()

    def bind(self, registry: ModelResolver) -> None:
        """Check the configured fallbacks against ``registry`` and keep it to resolve them.

        Raises:
            ConfigurationError: a fallback is unknown, of another kind, or input-incompatible.
        """
        self._checked |= check_fallbacks(registry, self.fallbacks)
        self._registry = registry

    def chain_for(self, context: InvokeContext) -> tuple[Descriptor, ...]:
        """The fallbacks of this invoke: the producer's list, else the primary model's."""
        found = self.fallbacks.get(context.request.job.producer)
        if found is None:
            found = self.fallbacks.get(context.card.ref, ())
        return found

    async def __call__(self, context: InvokeContext, call_next: Next) -> ProducerResult:
        """Call the primary; on a failure that allows it, each fallback in turn."""
        chain = self.chain_for(context) if self.fallbacks else ()
        if not chain:
            return await call_next(context)
        registry = self._registry
        if registry is None:
            raise ConfigurationError("FallbackMiddleware was not bound to a registry")
        # Read before the primary runs: validation replaces the context's request.
        failover = _Failover(self, registry, context, call_next, chain)
        try:  # the primary, on the fast path: most jobs never need a fallback
            result = await call_next(context)
        except ProviderError as exc:
            exc.details.setdefault("tried", list(failover.tried))
            if not should_fall_back(exc):
                _say_why_not(exc, _next_model(context, chain))
                raise
            return await failover.run(exc)
        result.meta.tried = list(failover.tried)
        return result


class _Failover:
    """One job's walk down its fallback chain after its primary failed (see the module docs).

    Producer-level inputs are mapped through each fallback card's own adapter with its own
    model defaults (validation replaces, never mutates, them). Variants of one model on one
    provider are one step: the first that accepts the job's inputs is called, the others never;
    a provider's model that failed is not tried again through another of its variants.
    """

    def __init__(
        self,
        middleware: FallbackMiddleware,
        registry: ModelResolver,
        context: InvokeContext,
        call_next: Next,
        chain: tuple[Descriptor, ...],
    ) -> None:
        self.middleware = middleware
        self.registry = registry
        self.context = context
        self.call_next = call_next
        self.chain = chain
        self.request = request = context.request
        self.raw_inputs = dict(
            request.inputs if request.producer_inputs is None else request.producer_inputs
        )
        self.tried: list[str] = [f"{request.descriptor.provider}/{request.descriptor.model}"]
        self.failures: list[FailedAttempt] = []
        self.done_groups: set[tuple[str, str]] = {variant_group(context.card)}

    def _inputs_for(self, card: ModelCard) -> dict[str, Any]:
        return model_inputs(self.request.model_defaults, card.ref, self.raw_inputs)

    def _skip(self, descriptor: Descriptor, exc: ProviderError) -> None:
        self.request.telemetry.emit(
            events.FALLBACK,
            failed=self.tried[-1],
            fallback=str(descriptor),
            error_kind=exc.kind.value,
            skipped=exc.message,
        )

    def _variant(self, descriptor: Descriptor) -> tuple[ModelCard, bool] | None:
        """The card to call for ``descriptor``'s variant group, and whether it was picked
        among several by the job's inputs; ``None`` when the group is done or not this one."""
        try:
            card = self.registry.card(descriptor)
        except ProviderError as exc:
            self._skip(descriptor, exc)
            return None
        group = variant_group(card)
        if group in self.done_groups:
            return None
        members: list[ModelCard] = []
        for other in self.chain:
            try:
                found = self.registry.card(other)
            except ProviderError:
                continue
            if variant_group(found) == group and all(found is not m for m in members):
                members.append(found)
        self.done_groups.add(group)
        if len(members) < 2:
            return card, False
        return pick_variant(members, self._inputs_for), True

    def _fits(self, card: ModelCard, picked: bool) -> bool:
        """Whether ``card`` can do the primary's job (a variant picked by the job's own
        inputs already accepted them)."""
        primary = self.context.card
        if picked or (primary.ref, card.ref) in self.middleware._checked:
            return True
        try:
            check_compatible(primary, card)
        except ConfigurationError as exc:
            # A producer-level list is only checked against its first entry at build; a misfit
            # found now is skipped and reported, never raised in place of the primary's error.
            self._skip(Descriptor(provider=card.provider, model=card.model), exc)
            return False
        self.middleware._checked.add((primary.ref, card.ref))
        return True

    async def run(self, primary_error: ProviderError) -> ProducerResult:
        """After the primary failed with ``primary_error``: try each fallback in turn; the first
        success is returned with its record, else the primary's error is raised."""
        self.primary_error = self.last_error = primary_error
        self.failures.append(_failed(self.tried[0], primary_error))
        state = self.context.state
        for position, descriptor in enumerate(self.chain):
            chosen = self._variant(descriptor)
            if chosen is None:
                continue
            card, picked = chosen
            if state.get(ATTEMPTS, 0) >= state.get(MAX_ATTEMPTS, 1 << 30):
                self._say_budget_spent(self.chain[position:], int(state.get(MAX_ATTEMPTS, 0)))
                break
            target = Descriptor(
                provider=card.provider, model=card.model, environment=descriptor.environment
            )
            try:
                resolved = self.registry.resolve(target, mode=self.context.mode)
            except ProviderError as exc:
                # e.g. no live implementation installed: say so, and go on to the next one
                self._skip(target, exc)
                continue
            if not self._fits(resolved.card, picked):
                continue
            try:
                resolved.card.validate_inputs(self._inputs_for(resolved.card))
            except ProviderError as exc:
                # This fallback cannot take the job's inputs (a stricter limit on another
                # provider): skip it, say why, and go on; nothing was sent to it.
                self._skip(target, exc)
                continue
            result = await self._call(target, resolved)
            if result is not None:
                return result
        raise self.last_error

    def _say_budget_spent(self, untried: tuple[Descriptor, ...], budget: int) -> None:
        """Add to the error that the job's attempt budget ran out before these fallbacks."""
        left = [
            str(d)
            for d in untried
            if (d.provider, d.model) not in {tuple(t.split("/", 1)) for t in self.tried}
        ]
        if not left:
            return
        error = self.last_error
        why = (
            f"not tried: {', '.join(left)}: the job's {budget} attempts (retries and fallbacks "
            "together) were spent; raise RetryPolicy.max_attempts to try more of the chain"
        )
        error.message = f"{error.message} ({why})"
        error.args = (error.message,)
        error.details["not_tried"] = left

    async def _call(self, target: Descriptor, resolved: Any) -> ProducerResult | None:
        context, request, state = self.context, self.request, self.context.state
        request.telemetry.emit(
            events.FALLBACK,
            failed=self.tried[-1],
            fallback=resolved.card.ref,
            error_kind=self.last_error.kind.value,
            attempts_used=state.get(ATTEMPTS, 0),
        )
        state["handler_version"] = resolved.version
        current = dataclasses.replace(
            context,
            request=dataclasses.replace(
                request,
                descriptor=target,
                inputs=dict(self.raw_inputs),
                validated=False,
                telemetry=request.telemetry.bind(provider=target.provider, model=target.model),
            ),
            card=resolved.card,
            handler=resolved.handler,
            mode=resolved.mode,
        )
        self.tried.append(resolved.card.ref)
        try:
            result = await self.call_next(current)
        except ProviderError as exc:
            exc.details.setdefault("tried", self.tried)
            self.failures.append(_failed(resolved.card.ref, exc))
            error = _primary_first(self.primary_error, exc, resolved.card.ref)
            if not should_fall_back(exc):
                raise error from None
            self.last_error = error
            return None
        result.meta.tried = list(self.tried)
        result.meta.fell_back = True
        result.meta.failures = list(self.failures)
        result.meta.handler_version = resolved.version
        result.meta.middleware.append(self.middleware.name)
        return result


def _next_model(context: InvokeContext, chain: tuple[Descriptor, ...]) -> Descriptor:
    """The fallback the job would have gone to: the first of ``chain`` that is not the failed
    model itself (a producer's chain starts with its own model)."""
    failed = context.request.descriptor
    for descriptor in chain:
        if (descriptor.provider, descriptor.model) != (failed.provider, failed.model):
            return descriptor
    return chain[0]


def _say_why_not(exc: ProviderError, next_model: Descriptor) -> None:
    """Add to ``exc`` why the job was not failed over although it has fallbacks."""
    if not exc.request_sent or exc.kind in NO_FALLBACK_KINDS:
        return  # another model cannot fix it: the error itself says what to do
    why = (
        f"not failed over to {next_model}: the request may have reached the provider and may "
        "still run (and be billed) there, so running the job elsewhere could pay twice; "
        "check the provider's dashboard, then run again"
    )
    exc.message = f"{exc.message} ({why})"
    exc.args = (exc.message,)
    exc.details["no_failover"] = why


def _failed(ref: str, exc: ProviderError) -> FailedAttempt:
    return FailedAttempt(model=ref, kind=exc.kind.value, message=short_message(exc.message))


def _primary_first(primary: ProviderError, failed: ProviderError, ref: str) -> ProviderError:
    """The primary's error, first, with a fallback's failure appended.

    Why: the primary's error is the one that says what to fix (its key was refused, its
    inputs were wrong); a fallback's "check REPLICATE_API_TOKEN" alone would point at the wrong
    provider. What decides retries and billing comes from the latest failure: its
    ``retryable`` and ``retry_after``, and ``request_sent`` if any attempt may have been billed.
    """
    primary.message = f"{primary.message} (then fallback {ref} failed too: {failed.message})"
    primary.args = (primary.message,)
    primary.retryable = failed.retryable
    primary.retry_after = failed.retry_after
    primary.request_sent = primary.request_sent or failed.request_sent
    primary.details["tried"] = failed.details.get("tried", primary.details.get("tried"))
    primary.details.setdefault("fallback_errors", []).append(
        {"model": ref, "kind": failed.kind.value, "message": failed.message}
    )
    return primary


__all__ = [
    "NO_FALLBACK_KINDS",
    "FallbackMiddleware",
    "accepts",
    "check_compatible",
    "check_fallbacks",
    "requirements",
    "should_fall_back",
]
