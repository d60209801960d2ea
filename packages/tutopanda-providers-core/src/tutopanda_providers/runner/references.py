"""References from a job's inputs to upstream artefacts: ``${job.path}``.

Syntax (inside any string input value)::

    ${script}                                   the job's first artefact (its data, text or URI)
    ${script.segments[0].narration}             a path into that artefact's JSON data
    ${prompts.prompts[segment_index=0,target=image].prompt}
                                                ``[k=v,...]`` picks the first list item whose
                                                fields equal those values
    ${image_1:thumbnail}                        a named artefact of a job (``job:name``)
    ${narration_1.facts.duration_seconds}       for media, paths apply to the artefact record
    $${literal}                                 a literal ``${literal}``

A string that is exactly one reference takes the referenced value with its type (a list, a
number, a dict); a reference inside a longer string is formatted into it as text. References
are found in nested lists and tables too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tutopanda_providers.contracts import Artefact

_REF = re.compile(r"(?<!\$)\$\{([^{}]*)\}")
_JOB = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[([^\[\]=]+=[^\[\]]*)\]")


class BadReferenceError(ValueError):
    """A reference is malformed or points at nothing; the message says which and why."""


@dataclass(frozen=True)
class Reference:
    """One parsed ``${job:artefact.path}``."""

    text: str
    job: str
    artefact: str | None
    steps: tuple[str | int | tuple[tuple[str, str], ...], ...]

    def __str__(self) -> str:
        return "${" + self.text + "}"


def parse_reference(text: str) -> Reference:
    """Parse the inside of ``${...}``.

    Raises:
        BadReferenceError: the text is not a valid reference.
    """
    body = text.strip()
    match = _JOB.match(body)
    if not match:
        raise BadReferenceError(
            f"${{{text}}} does not start with a job id; write ${{job}}, ${{job.field}} "
            "or ${job.list[0].field}"
        )
    job = match.group(0)
    pos = match.end()
    artefact: str | None = None
    if body.startswith(":", pos):
        name = _JOB.match(body, pos + 1)
        if not name:
            raise BadReferenceError(f"${{{text}}}: expected an artefact name after ':'")
        artefact = name.group(0)
        pos = name.end()
    steps: list[str | int | tuple[tuple[str, str], ...]] = []
    while pos < len(body):
        step = _STEP.match(body, pos)
        if not step:
            raise BadReferenceError(
                f"${{{text}}}: cannot read {body[pos:]!r}; use .field, [index] or [key=value]"
            )
        if step.group(1) is not None:
            steps.append(step.group(1))
        elif step.group(2) is not None:
            steps.append(int(step.group(2)))
        else:
            pairs = []
            for pair in step.group(3).split(","):
                key, _, value = pair.partition("=")
                pairs.append((key.strip(), value.strip()))
            steps.append(tuple(pairs))
        pos = step.end()
    return Reference(text=body, job=job, artefact=artefact, steps=tuple(steps))


def find_references(value: Any) -> Iterator[Reference]:
    """Every reference in ``value`` (strings, lists and dicts, recursively)."""
    if isinstance(value, str):
        for match in _REF.finditer(value):
            yield parse_reference(match.group(1))
    elif isinstance(value, list):
        for item in value:
            yield from find_references(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from find_references(item)


def artefact_value(artefact: Artefact) -> Any:
    """What ``${job}`` stands for: JSON data, else text, else the blob's URI."""
    if artefact.data is not None:
        return artefact.data
    if artefact.text is not None:
        if artefact.mime.endswith("json"):
            try:
                return json.loads(artefact.text)
            except ValueError:
                return artefact.text
        return artefact.text
    if artefact.blob is not None:
        return artefact.blob.uri
    return None


def _root_for_path(artefact: Artefact) -> Any:
    value = artefact_value(artefact)
    if isinstance(value, (dict, list)):
        return value
    return artefact.model_dump(mode="json", exclude_none=True)


def follow(reference: Reference, artefacts: list[Artefact]) -> Any:
    """The value ``reference`` points at among a job's ``artefacts``.

    Raises:
        BadReferenceError: the artefact or a step of the path does not exist.
    """
    if not artefacts:
        raise BadReferenceError(f"{reference}: job {reference.job!r} made no artefact")
    if reference.artefact is None:
        chosen = artefacts[0]
    else:
        found = [a for a in artefacts if a.name == reference.artefact]
        if not found:
            names = ", ".join(a.name for a in artefacts)
            raise BadReferenceError(
                f"{reference}: job {reference.job!r} has no artefact {reference.artefact!r} "
                f"(it has: {names})"
            )
        chosen = found[0]
    if not reference.steps:
        return artefact_value(chosen)
    value: Any = _root_for_path(chosen)
    walked = reference.job
    for step in reference.steps:
        if isinstance(step, str):
            if not isinstance(value, dict) or step not in value:
                keys = ", ".join(sorted(value)) if isinstance(value, dict) else type(value).__name__
                raise BadReferenceError(f"{reference}: {walked} has no field {step!r} ({keys})")
            value = value[step]
            walked += f".{step}"
        elif isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                size = len(value) if isinstance(value, list) else "not a list"
                raise BadReferenceError(
                    f"{reference}: {walked}[{step}] is out of range ({walked} has {size} items)"
                )
            value = value[step]
            walked += f"[{step}]"
        else:
            wanted = step
            label = ",".join(f"{k}={v}" for k, v in wanted)
            if not isinstance(value, list):
                raise BadReferenceError(
                    f"{reference}: {walked} is not a list; cannot pick [{label}]"
                )
            picked = next(
                (
                    item
                    for item in value
                    if isinstance(item, dict)
                    and all(k in item and _same(item[k], v) for k, v in wanted)
                ),
                None,
            )
            if picked is None:
                raise BadReferenceError(f"{reference}: no item of {walked} has {label}")
            value = picked
            walked += f"[{label}]"
    return value


def _same(actual: Any, text: str) -> bool:
    if isinstance(actual, bool):
        return str(actual).lower() == text.lower()
    if isinstance(actual, (int, float)):
        try:
            return float(actual) == float(text)
        except ValueError:
            return False
    return str(actual) == text


def substitute(value: Any, lookup: Callable[[Reference], Any]) -> Any:
    """``value`` with every reference replaced through ``lookup`` (see the module docs)."""
    if isinstance(value, str):
        whole = _REF.fullmatch(value)
        if whole:
            return lookup(parse_reference(whole.group(1)))

        def text_of(match: re.Match[str]) -> str:
            found = lookup(parse_reference(match.group(1)))
            return found if isinstance(found, str) else json.dumps(found)

        return _REF.sub(text_of, value).replace("$${", "${")
    if isinstance(value, list):
        return [substitute(item, lookup) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, lookup) for key, item in value.items()}
    return value


def resolve_inputs(
    inputs: Mapping[str, Any], outputs: Mapping[str, list[Artefact]]
) -> dict[str, Any]:
    """``inputs`` with references replaced by the upstream ``outputs`` (job id → artefacts)."""

    def lookup(reference: Reference) -> Any:
        if reference.job not in outputs:
            raise BadReferenceError(f"{reference}: job {reference.job!r} has no output yet")
        return follow(reference, outputs[reference.job])

    return {key: substitute(value, lookup) for key, value in inputs.items()}


__all__ = [
    "Reference",
    "BadReferenceError",
    "artefact_value",
    "find_references",
    "follow",
    "parse_reference",
    "resolve_inputs",
    "substitute",
]
