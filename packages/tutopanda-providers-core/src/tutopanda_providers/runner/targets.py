"""Prompts that fit the model they are for: a prompt job's targets filled from model cards.

A prompt job asks for prompts per target (``image``, ``video``, ``music``, ``narration``).
The jobs that will use those prompts are known from the plan: each job whose inputs refer to
the prompt job with ``target=<name>`` (``${prompts.prompts[segment_index=0,target=video]...}``),
else the plan's jobs of that kind. Their model — the job's pin, else its producer's (from the
settings or an ``--override``) — says what it accepts; this module reads it off the card:

* ``durations_seconds``: the allowed values of the model field the producer-level
  ``duration_seconds`` maps to (an enum, or a whole-second range of at most 60 values; FAL's
  string enums such as ``"8s"`` or ``"5"`` are read as seconds);
* ``aspect_ratios``: the ``W:H`` values of the field ``aspect_ratio`` maps to;
* ``resolutions``: the values of the field ``resolution`` maps to;
* ``max_prompt_chars``: the ``maxLength`` of the field ``prompt`` maps to.

A value a consumer job fixes itself (its ``aspect_ratio`` input, or its producer's default
in the settings) narrows the list to that value: the prompt describes the frame that will be
made. A value the plan gives for a target is kept as it is; only what it leaves out is filled. With
several consumer models (or fallbacks), the values all of them accept are used; when none is
common, the primary model's are. The model field names are found by passing sentinel values
through the card's input adapter, so a card needs no extra declaration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import Descriptor, ModelCard, ProducerKind, ProviderError
from tutopanda_providers.runner.plan import Job, Plan
from tutopanda_providers.runner.references import find_references

if TYPE_CHECKING:
    from tutopanda_providers.registry import ProviderRegistry
    from tutopanda_providers.runner.catalog import Catalog

#: The kind of job a prompt target feeds.
TARGET_KINDS: dict[str, ProducerKind] = {
    "image": ProducerKind.IMAGE,
    "video": ProducerKind.VIDEO,
    "music": ProducerKind.MUSIC,
    "narration": ProducerKind.AUDIO,
}
#: A whole-second range with more values than this is not turned into a list.
MAX_LISTED_DURATIONS = 60

_RATIO = re.compile(r"^\d+(\.\d+)?:\d+(\.\d+)?$")
_SENTINEL_PROMPT = "\x00tutopanda-prompt\x00"
_SENTINEL_SECONDS = 987654.0
_SENTINEL_RATIO = "\x00tutopanda-ratio\x00"
_SENTINEL_RESOLUTION = "\x00tutopanda-resolution\x00"
_SECONDS_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*s?\s*$")


def _seconds(value: Any) -> float | None:
    """Seconds from a duration value: ``8``, ``8.0``, ``"8"`` or ``"8s"`` (FAL writes its
    durations as strings); ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        found = _SECONDS_TEXT.match(value)
        return float(found.group(1)) if found else None
    return None


def _field_for(card: ModelCard, producer_key: str, sentinel: Any) -> str | None:
    """The model field a producer-level input maps to, found through the card's adapter."""
    probe = {"prompt": _SENTINEL_PROMPT, producer_key: sentinel}
    try:
        adapted = card.adapt_inputs(probe)
    except Exception:  # an adapter may refuse the sentinel: then the field is unknown
        return None
    for name, value in adapted.items():
        if value == sentinel or (isinstance(sentinel, float) and _seconds(value) == sentinel):
            return str(name)
    return None


def _node(schema: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    prop = schema.get("properties", {}).get(name)
    if not isinstance(prop, Mapping):
        return None
    defs = schema.get("$defs", {})
    for alternative in [prop, *prop.get("anyOf", [])]:
        if "$ref" in alternative:
            alternative = defs.get(str(alternative["$ref"]).rsplit("/", 1)[-1], {})
        if "enum" in alternative or "maximum" in alternative or "maxLength" in alternative:
            return dict(alternative)
        if "const" in alternative:
            return {"enum": [alternative["const"]]}
    return prop


def _allowed(card: ModelCard, producer_key: str, sentinel: Any) -> list[Any] | None:
    field = _field_for(card, producer_key, sentinel)
    if field is None:
        return None
    node = _node(card.input_model.model_json_schema(), field)
    if node is None:
        return None
    if isinstance(node.get("enum"), list):
        return [v for v in node["enum"] if v is not None]
    low, high = node.get("minimum"), node.get("maximum")
    if (
        node.get("type") == "integer"
        and isinstance(low, int)
        and isinstance(high, int)
        and 0 <= high - low < MAX_LISTED_DURATIONS
    ):
        return list(range(low, high + 1))
    return None


def card_constraints(card: ModelCard) -> dict[str, Any]:
    """What ``card``'s model accepts, as :class:`TargetConstraints` fields (only those known)."""
    found: dict[str, Any] = {}
    durations = _allowed(card, "duration_seconds", _SENTINEL_SECONDS)
    seconds = [_seconds(d) for d in durations or []]
    if seconds and all(s is not None for s in seconds):
        found["durations_seconds"] = seconds
    ratios = _allowed(card, "aspect_ratio", _SENTINEL_RATIO)
    if ratios:
        usable = [str(r) for r in ratios if _RATIO.match(str(r))]
        if usable:
            found["aspect_ratios"] = usable
    resolutions = _allowed(card, "resolution", _SENTINEL_RESOLUTION)
    if resolutions:
        found["resolutions"] = [str(r) for r in resolutions]
    prompt_field = _field_for(card, "prompt", _SENTINEL_PROMPT)
    if prompt_field is not None:
        node = _node(card.input_model.model_json_schema(), prompt_field)
        if node is not None and isinstance(node.get("maxLength"), int):
            found["max_prompt_chars"] = int(node["maxLength"])
    return found


def _common(values: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The constraints every model accepts; the first model's where none is common."""
    if not values:
        return {}
    merged = dict(values[0])
    for other in values[1:]:
        for key, first in list(merged.items()):
            if key not in other:
                continue
            if key == "max_prompt_chars":
                merged[key] = min(first, other[key])
                continue
            common = [v for v in first if v in other[key]]
            if common:
                merged[key] = common
    return merged


def consumers(
    plan: Plan, prompt_job: str, target: str, kinds: Mapping[str, ProducerKind]
) -> list[Job]:
    """The jobs of ``plan`` that use ``prompt_job``'s prompts for ``target``: those that refer
    to it with ``target=<target>``, else every job of the target's kind."""
    marker = f"target={target}"
    found = [
        job
        for job in plan.ordered()
        if any(
            ref.job == prompt_job and marker in ref.text.replace(" ", "")
            for ref in find_references(job.inputs)
        )
    ]
    if found:
        return found
    kind = TARGET_KINDS.get(target)
    return [job for job in plan.ordered() if kind is not None and kinds.get(job.producer) == kind]


#: Producer-level inputs a consumer job can fix, and the target field each one narrows.
_PINNABLE = {
    "duration_seconds": "durations_seconds",
    "aspect_ratio": "aspect_ratios",
    "resolution": "resolutions",
}


def _pinned(job: Job, catalog: Catalog) -> dict[str, Any]:
    """The values a consumer job fixes itself (its own or its producer's inputs, not taken
    from upstream): the prompt must describe a frame of that shape and length."""
    given = {**catalog.entry(job.producer).inputs, **job.inputs}
    pins: dict[str, Any] = {}
    for key, field in _PINNABLE.items():
        value = given.get(key)
        if value is None or (isinstance(value, str) and "${" in value):
            continue
        pins[field] = [float(value) if field == "durations_seconds" else str(value)]
    return pins


_SENTINELS = {
    "duration_seconds": _SENTINEL_SECONDS,
    "aspect_ratio": _SENTINEL_RATIO,
    "resolution": _SENTINEL_RESOLUTION,
}


def _model_pins(card: ModelCard, job: Job, catalog: Catalog) -> dict[str, Any]:
    """The values the settings' ``model_defaults`` fix for this model (in its own field
    names, e.g. ``resolution = "480p"`` for seedance-1-lite)."""
    defaults = catalog.entry(job.producer).model_defaults.get(card.ref, {})
    pins: dict[str, Any] = {}
    for key, field in _PINNABLE.items():
        name = _field_for(card, key, _SENTINELS[key])
        if name is not None and defaults.get(name) is not None:
            value = defaults[name]
            if field != "durations_seconds":
                pins[field] = [str(value)]
            elif (seconds := _seconds(value)) is not None:
                pins[field] = [seconds]
    return pins


def _models_of(job: Job, catalog: Catalog) -> list[Descriptor]:
    entry = catalog.entry(job.producer)
    primary = Descriptor.parse(job.model, entry.model.environment) if job.model else entry.model
    return list(dict.fromkeys([primary, *entry.fallbacks]))


def fitted_targets(
    plan: Plan,
    prompt_job: Job,
    targets: Iterable[Any],
    catalog: Catalog,
    registry: ProviderRegistry,
) -> list[Any]:
    """``targets`` (the prompt job's ``targets`` input) with what the plan leaves out filled
    from the cards of the models that will use each target (see the module docs).

    Targets that are not tables (a reference, a malformed value) are returned as they are, for
    validation to report.
    """
    kinds = {name: entry.kind for name, entry in catalog.entries.items()}
    fitted: list[Any] = []
    for target in targets:
        if not isinstance(target, Mapping) or not isinstance(target.get("target"), str):
            fitted.append(target)
            continue
        found: list[dict[str, Any]] = []
        model_names: list[str] = []
        for job in consumers(plan, prompt_job.id, str(target["target"]), kinds):
            pins = _pinned(job, catalog)
            for position, descriptor in enumerate(_models_of(job, catalog)):
                try:
                    card = registry.card(descriptor)
                except ProviderError:
                    continue  # the catalog check reports an unknown model
                found.append({**card_constraints(card), **_model_pins(card, job, catalog), **pins})
                if position == 0:
                    model_names.append(str(descriptor))
        merged = _common(found)
        if model_names and "model" not in target:
            merged["model"] = ", ".join(dict.fromkeys(model_names))
        fitted.append({**merged, **target})
    return fitted


def fit_prompt_inputs(
    plan: Plan,
    job: Job,
    inputs: Mapping[str, Any],
    catalog: Catalog,
    registry: ProviderRegistry,
) -> dict[str, Any]:
    """A prompt job's producer-level ``inputs`` with its targets fitted (other jobs' inputs
    are returned unchanged)."""
    targets = inputs.get("targets")
    if catalog.entry(job.producer).kind != ProducerKind.PROMPT or not isinstance(targets, list):
        return dict(inputs)
    return {**inputs, "targets": fitted_targets(plan, job, targets, catalog, registry)}


__all__ = [
    "MAX_LISTED_DURATIONS",
    "TARGET_KINDS",
    "card_constraints",
    "consumers",
    "fit_prompt_inputs",
    "fitted_targets",
]
