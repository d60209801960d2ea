"""The models the fake Replicate server knows, read from the shipped copy of ``models.json``.

Each model's inputs are checked as Replicate would: required fields, types, enums and ranges,
with every bad field named. Unknown fields pass (Replicate ignores them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any


@dataclass(frozen=True)
class InputField:
    """One input field of a model."""

    name: str
    type: str
    required: bool = False
    default: Any = None
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class InvalidField:
    """One reason an input was refused."""

    field: str
    message: str


@dataclass(frozen=True)
class ModelSpec:
    """What the fake knows about one model: its input fields and its output."""

    provider: str
    model: str
    kind: str
    inputs: tuple[InputField, ...]
    output_type: str
    output_mime: str | None

    @property
    def owner(self) -> str:
        """The owner half of ``owner/name``."""
        return self.model.split("/", 1)[0]

    def field(self, name: str) -> InputField | None:
        """The input field called ``name``."""
        return next((f for f in self.inputs if f.name == name), None)

    def with_defaults(self, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` completed with the defaults of the fields it lacks."""
        merged = {f.name: f.default for f in self.inputs if f.default is not None}
        merged.update(values)
        return merged

    def validate(self, values: Any) -> list[InvalidField]:
        """Every reason ``values`` does not fit this model's inputs (empty when it fits)."""
        if not isinstance(values, dict):
            return [InvalidField("input", "input must be an object")]
        problems: list[InvalidField] = []
        for spec in self.inputs:
            if spec.name not in values or values[spec.name] is None:
                if spec.required:
                    problems.append(InvalidField(spec.name, f"{spec.name} is required"))
                continue
            problems.extend(_check(spec, values[spec.name]))
        return problems


_TYPE_CHECKS: dict[str, Any] = {
    "string": lambda v: isinstance(v, str),
    "uri": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _check(spec: InputField, value: Any) -> list[InvalidField]:
    base = spec.type.split("<", 1)[0].split("|", 1)[0]
    check = _TYPE_CHECKS.get(base)
    if check is not None and not check(value):
        return [InvalidField(spec.name, f"{spec.name}: Invalid type. Expected: {spec.type}")]
    if base == "array" and spec.type.endswith("<uri>"):
        for item in value:
            if not isinstance(item, str):
                return [InvalidField(spec.name, f"{spec.name}: items must be URIs")]
    if spec.enum is not None and value not in spec.enum:
        allowed = ", ".join(json.dumps(v) for v in spec.enum)
        return [InvalidField(spec.name, f"{spec.name} must be one of the following: {allowed}")]
    if isinstance(value, int | float) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            return [
                InvalidField(
                    spec.name, f"{spec.name}: Must be greater than or equal to {spec.minimum:g}"
                )
            ]
        if spec.maximum is not None and value > spec.maximum:
            return [
                InvalidField(
                    spec.name, f"{spec.name}: Must be less than or equal to {spec.maximum:g}"
                )
            ]
    return []


def _spec(raw: dict[str, Any]) -> ModelSpec:
    inputs = tuple(
        InputField(
            name=i["name"],
            type=i["type"],
            required=bool(i.get("required")),
            default=i.get("default"),
            enum=tuple(i["enum"]) if i.get("enum") else None,
            minimum=i.get("min"),
            maximum=i.get("max"),
        )
        for i in raw["inputs"]
    )
    output = raw.get("output") or {}
    return ModelSpec(
        provider=raw["provider"],
        model=raw["model"],
        kind=raw["kind"],
        inputs=inputs,
        output_type=str(output.get("type") or "uri"),
        output_mime=output.get("mime"),
    )


@lru_cache(maxsize=1)
def load_models() -> tuple[ModelSpec, ...]:
    """Every model of the shipped ``models.json``."""
    raw = json.loads((files("tutopanda_providers_testing") / "data" / "models.json").read_text())
    return tuple(_spec(item) for item in raw)


def replicate_models() -> dict[str, ModelSpec]:
    """The Replicate models by ``owner/name``."""
    return {m.model: m for m in load_models() if m.provider == "replicate"}
