"""What a plugin registers: an :class:`Implementation` of the descriptors a :class:`Match` fits."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass

from tutopanda_providers.contracts import Descriptor, Mode, ModelCard
from tutopanda_providers.handler import HandlerContext, ProducerHandler

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

    def specificity(self) -> tuple[int, int, int, int]:
        """How specific the match is; a larger tuple wins.

        Per field 2 for an exact value, 1 for a pattern, 0 for ``*`` — compared provider, then
        model, then environment — and last the number of literal (non-wildcard) characters, so
        ``google/imagen-*`` beats ``google/*``.
        """
        fields = (self.provider, self.model, self.environment)
        literal = sum(len(f) - sum(f.count(c) for c in "*?[]") for f in fields if f != "*")
        return (_score(self.provider), _score(self.model), _score(self.environment), literal)

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}@{self.environment}"


def _fits(pattern: str, value: str) -> bool:
    return pattern == value or pattern == "*" or fnmatch.fnmatchcase(value, pattern)


def _score(pattern: str) -> int:
    if pattern == "*":
        return 0
    return 1 if _is_pattern(pattern) else 2


def _is_pattern(text: str) -> bool:
    return any(c in text for c in "*?[")


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

    def __post_init__(self) -> None:
        if self.mode not in ("live", "mock"):
            raise ValueError(f"mode must be 'live' or 'mock', got {self.mode!r}")
        if not callable(self.factory):
            raise TypeError(f"the factory for {self.match} is not callable: {self.factory!r}")
        card = self.card
        if card is not None and not (
            _fits(self.match.provider, card.provider) and _fits(self.match.model, card.model)
        ):
            raise ValueError(
                f"the card {card.ref} does not fit the match {self.match}; register a card "
                "with the implementation that serves it"
            )

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


__all__ = ["HandlerFactory", "Implementation", "Match"]
