"""Make JSON data that conforms to a JSON schema, with plausible text.

The fake OpenAI server answers a ``json_schema`` request with data made here, and the fake
Replicate server does the same for a text model asked for JSON. Covers what structured outputs
use: objects, arrays, strings, numbers, integers, booleans, enums and ``const``, ``anyOf`` /
``oneOf`` (nullable fields), type lists, and local ``$ref`` to ``$defs`` / ``definitions``.
Deterministic: the same schema and topic give the same data.
"""

from __future__ import annotations

import re
from typing import Any

_MAX_DEPTH = 12


class SchemaDataGenerator:
    """Generate instances of one schema, with strings drawn from ``topic``.

    Args:
        schema: the JSON schema (its ``$defs`` / ``definitions`` resolve local refs).
        topic: text the strings are made from (e.g. the request's input).
        array_items: how many items an array gets when the schema does not bound it.
    """

    def __init__(self, schema: dict[str, Any], topic: str = "", *, array_items: int = 2) -> None:
        self.root = schema
        self.topic = " ".join(topic.split())[:200] or "the topic"
        self.array_items = array_items

    def generate(self) -> Any:
        """One instance of the schema."""
        return self._value(self.root, name="", index=0, depth=0)

    # -- dispatch ----------------------------------------------------------------------------
    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in schema and seen < _MAX_DEPTH:
            ref = str(schema["$ref"])
            if not ref.startswith("#"):
                raise ValueError(f"only local $ref is supported, got {ref!r}")
            target: Any = self.root
            for part in ref.lstrip("#").strip("/").split("/"):
                if part:
                    target = target[part.replace("~1", "/").replace("~0", "~")]
            extra = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **extra}
            seen += 1
        return schema

    def _value(self, schema: Any, *, name: str, index: int, depth: int) -> Any:
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return None
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            options = list(schema["enum"])
            non_null = [o for o in options if o is not None]
            return (non_null or options)[index % len(non_null or options)]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                branches = [self._resolve(b) for b in schema[key] if isinstance(b, dict)]
                chosen = next((b for b in branches if b.get("type") != "null"), None)
                if chosen is None:
                    return None
                return self._value(chosen, name=name, index=index, depth=depth + 1)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(self._resolve(part))
            return self._value(merged, name=name, index=index, depth=depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        maker = {
            "object": self._object,
            "array": self._array,
            "string": self._string,
            "integer": self._integer,
            "number": self._number,
            "boolean": self._boolean,
        }.get(str(kind))
        if maker is None:
            return None
        return maker(schema, name=name, index=index, depth=depth)

    # -- types -------------------------------------------------------------------------------
    def _object(self, schema: dict[str, Any], *, name: str, index: int, depth: int) -> Any:
        properties: dict[str, Any] = schema.get("properties") or {}
        return {
            key: self._value(sub, name=key, index=index, depth=depth + 1)
            for key, sub in properties.items()
        }

    def _array(self, schema: dict[str, Any], *, name: str, index: int, depth: int) -> Any:
        low = int(schema.get("minItems", 0))
        high = schema.get("maxItems")
        count = max(low, self.array_items)
        if high is not None:
            count = min(count, int(high))
        items = schema.get("items") or {}
        singular = name[:-1] if name.endswith("s") else name
        return [self._value(items, name=singular, index=i, depth=depth + 1) for i in range(count)]

    def _string(self, schema: dict[str, Any], *, name: str, index: int, depth: int) -> str:
        fmt = schema.get("format")
        lowered = name.lower()
        if fmt in {"uri", "url"} or lowered in {"url", "uri", "link", "href"}:
            text = f"https://example.org/{_slug(self.topic)}/{index + 1}"
        elif fmt == "date-time":
            text = "2026-01-01T00:00:00Z"
        elif fmt == "date":
            text = "2026-01-01"
        elif lowered in {"language", "lang", "language_code"}:
            text = "en"
        elif "aspect" in lowered:
            text = "16:9"
        elif lowered == "title":
            text = f"{self.topic.capitalize()}" + (f", part {index + 1}" if index else "")
        elif lowered == "audience":
            text = "general audience"
        elif "negative" in lowered:
            text = "blurry, low quality, watermark, text"
        elif "prompt" in lowered:
            text = f"A clear, detailed illustration of {self.topic}, shot {index + 1}"
        elif lowered in {"narration", "text", "summary", "description", "content"}:
            text = f"This part explains {self.topic}. It covers point {index + 1} in plain words."
        else:
            readable = lowered.replace("_", " ") or "value"
            text = f"{readable} {index + 1} about {self.topic}"
        low = int(schema.get("minLength", 0))
        high = schema.get("maxLength")
        if len(text) < low:
            text = (text + " ") * (low // max(1, len(text)) + 1)
            text = text[:low]
        if high is not None:
            text = text[: int(high)]
        pattern = schema.get("pattern")
        if pattern and not re.search(pattern, text):
            text = _from_pattern(pattern, text)
        return text

    def _number(self, schema: dict[str, Any], *, name: str, index: int, depth: int) -> float:
        value = 10.0 if "duration" in name.lower() or "seconds" in name.lower() else 0.5
        return float(_clamp(value, schema))

    def _integer(self, schema: dict[str, Any], *, name: str, index: int, depth: int) -> int:
        value = index if "index" in name.lower() else (10 if "duration" in name.lower() else 1)
        return int(_clamp(value, schema))

    def _boolean(self, schema: dict[str, Any], *, name: str, index: int, depth: int) -> bool:
        return index % 2 == 0


def _clamp(value: float, schema: dict[str, Any]) -> float:
    if "minimum" in schema:
        value = max(value, float(schema["minimum"]))
    if "exclusiveMinimum" in schema:
        value = max(value, float(schema["exclusiveMinimum"]) + 1)
    if "maximum" in schema:
        value = min(value, float(schema["maximum"]))
    if "exclusiveMaximum" in schema:
        value = min(value, float(schema["exclusiveMaximum"]) - 1)
    if "multipleOf" in schema:
        step = float(schema["multipleOf"])
        value = round(value / step) * step
    return value


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "topic"


def _from_pattern(pattern: str, fallback: str) -> str:
    # Only trivial anchored literals and character classes are worth the effort here.
    literal = pattern.strip("^$")
    if re.fullmatch(r"[A-Za-z0-9 _\-:/.]+", literal):
        return literal
    return fallback


def generate_from_schema(schema: dict[str, Any], topic: str = "", *, array_items: int = 2) -> Any:
    """One deterministic instance of ``schema`` with strings about ``topic``."""
    return SchemaDataGenerator(schema, topic, array_items=array_items).generate()
