"""Structured output: the strict JSON-schema format we send, and validating what comes back.

We send ``text.format`` ourselves (rather than ``responses.parse``) so that an ``incomplete``
response is recognised from its status before any JSON is parsed: a truncated script becomes a
clear failure, not a validation error.
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from tutopanda_providers.contracts import ProviderFailedError

M = TypeVar("M", bound=BaseModel)


def strict_text_format(model: type[BaseModel], name: str | None = None) -> dict[str, Any]:
    """The ``text.format`` of a strict ``json_schema`` structured output for ``model``.

    Every object gets ``additionalProperties: false`` and lists all its properties as
    required, as OpenAI's strict mode demands (the shared schemas already satisfy this; the
    walk makes sure of it).
    """
    schema = _strict(copy.deepcopy(model.model_json_schema()))
    return {"type": "json_schema", "name": name or model.__name__, "schema": schema, "strict": True}


def strict_schema_format(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """The ``text.format`` of a strict ``json_schema`` structured output for a schema built
    per call (the script's pinned segment count, a prompt batch's pairs and constraints)."""
    return {
        "type": "json_schema",
        "name": name,
        "schema": _strict(copy.deepcopy(schema)),
        "strict": True,
    }


def _strict(node: dict[str, Any]) -> dict[str, Any]:
    for sub in (node.get("$defs") or {}).values():
        _strict(sub)
    properties = node.get("properties")
    if node.get("type") == "object" or isinstance(properties, dict):
        node["additionalProperties"] = False
        node["required"] = list(properties or {})
        for sub in (properties or {}).values():
            _strict(sub)
    if isinstance(node.get("items"), dict):
        _strict(node["items"])
    for key in ("anyOf", "allOf", "oneOf"):
        for sub in node.get(key) or []:
            _strict(sub)
    if "default" in node and node["default"] is None:
        del node["default"]
    return node


def parse_structured(text: str, model: type[M], *, provider: str, model_name: str) -> M:
    """Validate the model's JSON answer against ``model``.

    Raises:
        ProviderFailedError: the answer is empty, not JSON, or does not fit the schema; the
            message names the first problems (never the whole answer).
    """
    if not text.strip():
        raise ProviderFailedError(
            f"{provider}/{model_name} returned no structured output (empty text)",
            provider=provider,
            model=model_name,
        )
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors(include_url=False)[:5]
        )
        raise ProviderFailedError(
            f"{provider}/{model_name} returned JSON that does not fit the {model.__name__} "
            f"schema: {problems}",
            provider=provider,
            model=model_name,
            details={"schema": model.__name__, "errors": exc.error_count(), "chars": len(text)},
        ) from None


__all__ = ["parse_structured", "strict_schema_format", "strict_text_format"]
