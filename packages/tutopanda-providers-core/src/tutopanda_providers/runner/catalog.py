"""The producer catalog: settings plus per-movie overrides, checked against the registry.

A :class:`CatalogEntry` says which model serves a producer, what to try when it fails, and the
default inputs to merge under a job's own. :meth:`Catalog.check` confirms, before any job runs,
that every model exists, makes the producer's kind, and that every fallback can do the
primary's job. A producer that names its model once with an order of ``providers`` is
expanded to cards by :meth:`Catalog.expanded` (see :mod:`~tutopanda_providers.runner.expansion`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import (
    ConfigurationError,
    Descriptor,
    Environment,
    ProducerKind,
    ProviderError,
)
from tutopanda_providers.handler import model_inputs
from tutopanda_providers.runner.settings import Settings

if TYPE_CHECKING:
    from tutopanda_providers.registry import ProviderRegistry


@dataclass(frozen=True)
class CatalogEntry:
    """What serves one producer."""

    producer: str
    kind: ProducerKind
    model: Descriptor
    fallbacks: tuple[Descriptor, ...] = ()
    inputs: Mapping[str, Any] = field(default_factory=dict)
    model_defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source: str = "settings"
    #: The providers that serve ``names``, in order (empty: ``model`` and ``fallbacks`` are
    #: ``provider/model`` refs as written).
    providers: tuple[str, ...] = ()
    #: With ``providers``: the model's name then each fallback's, as written; ``model`` and
    #: ``fallbacks`` hold their cards once the catalog is :meth:`Catalog.expanded`.
    names: tuple[str, ...] = ()

    def candidates(self) -> list[Descriptor]:
        """The model, then each fallback, without repeats."""
        return list(dict.fromkeys([self.model, *self.fallbacks]))

    def inputs_for(self, descriptor: Descriptor, job_inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Model defaults, under producer defaults, under the job's own inputs."""
        return model_inputs(self.model_defaults, str(descriptor), {**self.inputs, **job_inputs})

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON (what ``providers.json`` records)."""
        return {
            "kind": self.kind.value,
            "model": str(self.model),
            "environment": self.model.environment,
            "fallbacks": [str(f) for f in self.fallbacks],
            "source": self.source,
            **(
                {"providers": list(self.providers), "names": list(self.names)}
                if self.providers
                else {}
            ),
        }


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """Parse ``Producer=provider/model`` items.

    Raises:
        ConfigurationError: an item is not of that shape.
    """
    found: dict[str, str] = {}
    for item in items:
        producer, sep, ref = item.partition("=")
        producer, ref = producer.strip(), ref.strip()
        if not sep or not producer or not ref:
            raise ConfigurationError(
                f"--override {item!r}: write it as Producer=provider/model, for example "
                "TextToImageProducer=replicate/bytedance/seedream-4"
            )
        try:
            Descriptor.parse(ref)
        except ValueError as exc:
            raise ConfigurationError(f"--override {item!r}: {exc}") from exc
        found[producer] = ref
    return found


@dataclass
class Catalog:
    """Every producer's entry, after overrides."""

    entries: dict[str, CatalogEntry]
    settings: Settings | None = None
    #: Per producer, why its names could not be expanded to cards (see :meth:`expanded`).
    problems: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_settings(
        cls, settings: Settings, overrides: Mapping[str, str] | None = None
    ) -> Catalog:
        """Build from settings and apply ``overrides`` (producer → ``provider/model``).

        Raises:
            ConfigurationError: an override names a producer the settings do not define.
        """
        entries: dict[str, CatalogEntry] = {}
        for name, producer in settings.producers.items():
            env: Environment = "cloud" if producer.environment == "cloud" else "local"
            providers = tuple(producer.providers)
            names = (producer.model, *producer.fallbacks) if providers else ()
            entries[name] = CatalogEntry(
                producer=name,
                kind=producer.kind,
                model=_placeholder(producer.model, providers, env),
                fallbacks=tuple(_placeholder(f, providers, env) for f in producer.fallbacks),
                inputs=dict(producer.inputs),
                model_defaults={k: dict(v) for k, v in producer.model_defaults.items()},
                providers=providers,
                names=names,
            )
        catalog = cls(entries, settings)
        for name, ref in (overrides or {}).items():
            catalog.override(name, ref)
        return catalog

    def override(self, producer: str, ref: str, source: str = "override") -> None:
        """Make ``ref`` serve ``producer`` (its old model's fallbacks stay, minus ``ref``).

        A producer with ``providers`` keeps them: ``ref`` (a model name, or a card's
        ``provider/model`` meaning that card's model) is served by each of them, in order.
        """
        entry = self.entries.get(producer)
        if entry is None:
            close = difflib.get_close_matches(producer, list(self.entries), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ConfigurationError(
                f"--override names producer {producer!r}, which the settings do not define"
                f"{hint} (defined: {', '.join(sorted(self.entries))})"
            )
        if entry.providers:
            names = (ref, *(n for n in entry.names[1:] if n != ref))
            env = entry.model.environment
            self.entries[producer] = replace(
                entry,
                model=_placeholder(ref, entry.providers, env),
                fallbacks=tuple(_placeholder(n, entry.providers, env) for n in names[1:]),
                names=names,
                source=source,
            )
            return
        model = Descriptor.parse(ref, entry.model.environment)
        self.entries[producer] = CatalogEntry(
            producer=producer,
            kind=entry.kind,
            model=model,
            fallbacks=tuple(f for f in entry.fallbacks if f != model),
            inputs=entry.inputs,
            model_defaults=entry.model_defaults,
            source=source,
        )

    def expanded(self, registry: ProviderRegistry, said: set[str] | None = None) -> Catalog:
        """This catalog with each producer that lists ``providers`` expanded to cards.

        Its ``model`` becomes the first card serving its model name on the first listed
        provider that hosts it, its ``fallbacks`` the rest of the chain. Notes (a listed
        provider that does not host a name) are logged once per ``said``; a name no listed
        provider hosts goes to ``problems`` (reported by :meth:`check`).
        """
        from tutopanda_providers.runner.expansion import expand_chain, say_once

        entries = dict(self.entries)
        problems: dict[str, list[str]] = {}
        for name, entry in self.entries.items():
            if not entry.providers:
                continue
            found = expand_chain(
                registry, name, entry.names, entry.providers, entry.model.environment
            )
            say_once(found.notes, said if said is not None else set())
            if found.problems:
                problems[name] = [
                    f"{self._place(name, entry, role)}: {problem}"
                    for role, problem in found.problems
                ]
            if found.chain:
                entries[name] = replace(
                    entry, model=found.chain[0], fallbacks=tuple(found.chain[1:])
                )
        return Catalog(entries, self.settings, problems)

    def _place(self, name: str, entry: CatalogEntry, role: str) -> str:
        """``file:line`` of a producer's model (or fallbacks) in the user's settings, else
        ``override of <name>``."""
        if self.settings is None or entry.source != "settings":
            return f"override of {name}"
        return self.settings.where(name, "model" if role == "model" else "fallbacks")

    def entry(self, producer: str) -> CatalogEntry:
        """The entry of ``producer``.

        Raises:
            ConfigurationError: the producer is not defined.
        """
        try:
            return self.entries[producer]
        except KeyError:
            raise ConfigurationError(
                f"no producer {producer!r} in the settings (defined: "
                f"{', '.join(sorted(self.entries))}); add [producers.{producer}] to your settings"
            ) from None

    def check(
        self, registry: ProviderRegistry, producers: Iterable[str] | None = None
    ) -> list[str]:
        """Problems with the models of ``producers`` (all by default), each with its line.

        Checks that each model and fallback has a card in the registry and makes the
        producer's kind — when configured, not when a fallback fires.
        """
        names = sorted(producers) if producers is not None else sorted(self.entries)
        problems: list[str] = []
        for name in names:
            entry = self.entries.get(name)
            if entry is None:
                continue
            if name in self.problems:
                problems.extend(self.problems[name])
                continue
            for position, descriptor in enumerate(entry.candidates()):
                key: tuple[str, ...] = ("model",) if position == 0 else ("fallbacks",)
                place = (
                    self.settings.where(name, *key)
                    if self.settings is not None and entry.source == "settings"
                    else f"override of {name}"
                )
                role = "model" if position == 0 else "fallback"
                try:
                    card = registry.card(descriptor)
                except ProviderError as exc:
                    problems.append(f"{place}: {name} {role} {descriptor}: {exc.message}")
                    continue
                if card.kind != entry.kind:
                    problems.append(
                        f"{place}: {name} makes {entry.kind.value}, but its {role} {descriptor} "
                        f"makes {card.kind.value}; pick a model of kind {entry.kind.value} "
                        f"(`tutopanda-providers models --kind {entry.kind.value}`)"
                    )
        return problems

    def pipeline_fallbacks(self) -> dict[str, list[Descriptor]]:
        """Fallbacks by producer name, as the pipeline's ``PipelineOptions.fallbacks`` takes them.

        Each chain starts with the producer's own model: the pipeline never calls a model twice
        for a job (the primary is skipped there), and the chain is checked against it, not
        against its first fallback (which may be an image-to-video variant requiring an image
        the producer need not give).
        """
        return {name: [e.model, *e.fallbacks] for name, e in self.entries.items() if e.fallbacks}

    def selections(self) -> dict[str, dict[str, Any]]:
        """Every entry as JSON, by producer (the content of ``providers.json``)."""
        return {name: self.entries[name].to_dict() for name in sorted(self.entries)}


def _placeholder(name: str, providers: tuple[str, ...], env: Environment) -> Descriptor:
    """The descriptor of a settings entry before expansion: the ref itself without
    ``providers`` (or when it is a ref on one of them); else the name on the first provider
    (replaced by :meth:`Catalog.expanded`)."""
    if not providers or name.partition("/")[0] in providers:
        return Descriptor.parse(name, env)  # a card's ref: that card until expanded
    return Descriptor(provider=providers[0], model=name, environment=env)


__all__ = ["Catalog", "CatalogEntry", "parse_overrides"]
