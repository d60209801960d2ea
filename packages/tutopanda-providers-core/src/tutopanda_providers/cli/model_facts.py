"""What a person needs to know about a model, read from its card: inputs, prices, key status.

Pure functions over a :class:`~tutopanda_providers.contracts.ModelCard` and its input model's
JSON schema; the commands in :mod:`.listing` and :mod:`.doctor` print them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from tutopanda_providers.contracts import Price
    from tutopanda_providers.secrets import SecretResolver

KeyStatus = Literal["set", "missing", "malformed"]

#: JSON-schema keywords that bound a value, shown as ``name value`` in the range column.
_BOUNDS = (
    ("minimum", ">="),
    ("exclusiveMinimum", ">"),
    ("maximum", "<="),
    ("exclusiveMaximum", "<"),
)
_LENGTHS = (("minLength", "min length"), ("maxLength", "max length"))
_ITEMS = (("minItems", "min items"), ("maxItems", "max items"))


@dataclass(frozen=True)
class InputFact:
    """One input field of a model, as its card's JSON schema declares it.

    Attributes:
        name: the field's name, e.g. ``duration``.
        type: ``integer``, ``string or null``, ``list of string``, ``object``...
        allowed: the allowed values or range in words (``4, 6, 8``; ``>= 1, <= 50``), or ``""``.
        default: the default as JSON text (``8``, ``"16:9"``, ``null``), or ``None`` when the
            field has none (what the text table shows).
        required: whether a call must give it.
        description: the schema's description, or ``""``.
        default_value: the default itself (``8``, ``"16:9"``, ``None``); meaningful only when
            ``default`` is not ``None``.
    """

    name: str
    type: str
    allowed: str
    default: str | None
    required: bool
    description: str
    default_value: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The fact as a JSON-able dict.

        ``default`` is the default as a JSON value (``8``, ``"16:9"``, ``null``), never JSON
        text in a string; ``has_default`` tells a ``null`` default from no default at all.
        """
        return {
            "name": self.name,
            "type": self.type,
            "allowed": self.allowed,
            "default": self.default_value if self.default is not None else None,
            "has_default": self.default is not None,
            "required": self.required,
            "description": self.description,
        }


def input_facts(schema: Mapping[str, Any]) -> list[InputFact]:
    """One :class:`InputFact` per property of a pydantic model's JSON schema, in order.

    ``$ref`` to ``$defs`` are followed; ``anyOf`` alternatives are joined with ``or`` (a
    nullable field reads ``integer or null``).
    """
    defs = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    facts = []
    for name, prop in schema.get("properties", {}).items():
        field = _deref(prop, defs)
        facts.append(
            InputFact(
                name=name,
                type=_type(field, defs),
                allowed=_allowed(field, defs),
                default=json.dumps(field["default"]) if "default" in field else None,
                required=name in required,
                description=str(field.get("description") or ""),
                default_value=field.get("default"),
            )
        )
    return facts


def _deref(node: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = defs.get(ref.removeprefix("#/$defs/"), {})
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _alternatives(node: Mapping[str, Any], defs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    options = node.get("anyOf") or node.get("oneOf")
    if not options:
        return [node]
    return [_deref(option, defs) for option in options]


def _type(node: Mapping[str, Any], defs: Mapping[str, Any]) -> str:
    names = []
    for option in _alternatives(node, defs):
        kind = option.get("type")
        if kind == "array":
            items = _deref(option.get("items", {}), defs)
            names.append(f"list of {_type(items, defs)}")
        elif kind is None and "enum" in option:
            names.append("choice")
        elif kind is None and "const" in option:
            names.append("constant")
        elif kind == "object" and option.get("title"):
            names.append(str(option["title"]))
        elif isinstance(kind, list):
            names.append(" or ".join(str(k) for k in kind))
        else:
            names.append(str(kind or "any"))
    return " or ".join(dict.fromkeys(names))


def _allowed(node: Mapping[str, Any], defs: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for option in _alternatives(node, defs):
        if "enum" in option:
            parts.append(", ".join(_value(v) for v in option["enum"]))
        if "const" in option:
            parts.append(_value(option["const"]))
        parts.extend(f"{sign} {_value(option[key])}" for key, sign in _BOUNDS if key in option)
        for key, words in (*_LENGTHS, *_ITEMS):
            if key in option:
                parts.append(f"{words} {option[key]}")
        if "pattern" in option:
            parts.append(f"matches {option['pattern']}")
    return "; ".join(parts)


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def money(usd: float | None) -> str:
    """``$0.039``, ``$10``, or ``unknown`` when the price is not known."""
    return "unknown" if usd is None else f"${usd:g}"


#: Rates billed only when the model uses a tool, by the capability that says it does. A card
#: may list the provider's price for a tool its model never uses here (OpenAI bills web search
#: for any model, but only a model with the ``web_search`` capability is sent the tool).
TOOL_RATES = {"web_search": "web_search"}
NOT_USED = "not used by this model"


def rate_used(rate_name: str, capabilities: Iterable[str] | None) -> bool:
    """Whether a rate can be billed: a tool's rate only when the model has that capability
    (``capabilities`` ``None``: unknown, so assumed used)."""
    tool = TOOL_RATES.get(rate_name)
    return tool is None or capabilities is None or tool in set(capabilities)


def price_lines(price: Price, capabilities: Iterable[str] | None = None) -> list[str]:
    """A short, readable price: one line per unit, every rate of that unit on it.

    ``$0.039 / image``; ``$1.25 input, $0.125 cached input, $10 output / 1M tokens`` then
    ``$0.01 / call (web search)``; ``unknown`` when the card has no rate. With the card's
    ``capabilities``, a tool's rate the model never uses says so
    (``$0.01 / call (web search; not used by this model)``).
    """
    if not price.rates:
        return ["unknown"]
    caps = None if capabilities is None else set(capabilities)
    by_unit: dict[str, list[tuple[str, float | None]]] = {}
    for rate in price.rates:
        name = rate.name.replace("_", " ")
        if not rate_used(rate.name, caps):
            name = f"{name}; {NOT_USED}"
        by_unit.setdefault(rate.unit, []).append((name, rate.usd))
    lines = []
    for unit, rates in by_unit.items():
        if len(rates) == 1:
            name, usd = rates[0]
            # The name adds nothing when its words are already in the unit ("second 480p").
            same = set(name.split()) <= set(unit.split()) or len(price.rates) == 1
            lines.append(f"{money(usd)} / {unit}" + ("" if same else f" ({name})"))
        else:
            listed = ", ".join(f"{money(usd)} {name}" for name, usd in rates)
            lines.append(f"{listed} / {unit}")
    return lines


def key_status(secrets: SecretResolver, name: str) -> KeyStatus:
    """Whether the secret ``name`` is ``set``, ``missing`` or ``malformed``; never its value.

    Malformed means it cannot be a key whatever the provider: blank, wrapped in quotes or
    spaces, or holding whitespace, control or non-ASCII characters (a paste gone wrong).
    Whether the provider accepts it is what ``doctor --live`` asks the provider.
    """
    secret = secrets.resolve(name)
    if secret is None:
        return "missing"
    value = secret.reveal()
    if not value.strip() or value != value.strip() or value[:1] in "\"'" or value[-1:] in "\"'":
        return "malformed"
    if not value.isascii() or not value.isprintable() or any(c.isspace() for c in value):
        return "malformed"
    return "set"


def key_summary(statuses: Mapping[str, KeyStatus]) -> str:
    """``not needed``, ``set``, or what is wrong (``missing``, ``malformed``)."""
    if not statuses:
        return "not needed"
    bad = sorted(set(statuses.values()) - {"set"})
    return "set" if not bad else ", ".join(bad)


def joined(values: Iterable[str]) -> str:
    """``a, b`` or ``-`` when there is nothing to join."""
    return ", ".join(values) or "-"


#: Short names of card capabilities for the ``models`` table (the JSON has the full names).
_CAN = {
    "web_search": "search",
    "reasoning": "reason",
    "structured_output": "json",
    "image_input": "img-in",
    "generates_audio": "audio",
    "negative_prompt": "neg",
    "last_frame": "last-frame",
    "reference_images": "refs",
    "multiple_outputs": "multi",
    "narration": "speech",
}


def can_text(capabilities: list[str]) -> str:
    """The short names of ``capabilities``, the ones a producer choice hinges on first."""
    order = list(_CAN)
    known = sorted((c for c in capabilities if c in _CAN), key=order.index)
    return " ".join([_CAN[c] for c in known] + sorted(c for c in capabilities if c not in _CAN))


__all__ = [
    "can_text",
    "InputFact",
    "KeyStatus",
    "input_facts",
    "joined",
    "key_status",
    "key_summary",
    "money",
    "price_lines",
    "rate_used",
]
