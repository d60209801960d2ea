"""``models``, ``models show``, ``plugins`` and ``--version``: what is installed.

Every table fits 80 columns and every text from a card, plan or plugin reaches Rich as plain
text (:func:`~tutopanda_providers.cli.render.text`), never as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tutopanda_providers.cli.model_facts import (
    NOT_USED,
    can_text,
    input_facts,
    joined,
    key_status,
    key_summary,
    money,
    price_lines,
    rate_used,
)
from tutopanda_providers.cli.render import console, failures_to_exit_codes, print_json, table, text
from tutopanda_providers.cli.same_model import also_on, print_side_by_side, side_by_side

if TYPE_CHECKING:
    from tutopanda_providers.contracts import ModelCard
    from tutopanda_providers.registry import ProviderRegistry


#: Below this console width the ``models`` table stacks modes and splits long references.
WIDE = 110
#: References longer than this are split after the provider on a narrow console.
NARROW_REF = 24


def _registry() -> ProviderRegistry:
    from tutopanda_providers.registry import create_provider_registry

    return create_provider_registry(mode="mock")


def _modes(registry: ProviderRegistry, card: ModelCard) -> list[str]:
    from tutopanda_providers.contracts import Descriptor

    return list(registry.served_modes(Descriptor(provider=card.provider, model=card.model)))


def served_by(registry: ProviderRegistry, card: ModelCard) -> dict[str, str]:
    """Mode → the plugin that serves ``card``'s model in that mode (the resolution winner)."""
    from tutopanda_providers.contracts import Descriptor

    descriptor = Descriptor(provider=card.provider, model=card.model)
    served: dict[str, str] = {}
    for mode in registry.served_modes(descriptor):
        found = registry.implementations_for(descriptor, mode)
        if found:
            served[mode] = found[0][0]
    return served


def _rates(card: ModelCard) -> list[dict[str, Any]]:
    """The card's rates as JSON; ``used`` is false for a tool's rate the model never uses."""
    return [
        {**rate.to_dict(), "used": rate_used(rate.name, card.capabilities)}
        for rate in card.price.rates
    ]


def model_rows(registry: ProviderRegistry, kind: str | None) -> list[dict[str, Any]]:
    """One row per model card: kind, modes, the plugin serving each mode, prices, key status
    (never a key's value)."""
    rows = []
    for card in registry.list_models(kind):
        keys = {name: key_status(registry.secrets, name) for name in card.secret_names}
        main = card.price.rates[0] if card.price.rates else None
        rows.append(
            {
                "provider": card.provider,
                "model": card.model,
                "kind": card.kind.value,
                "modes": _modes(registry, card),
                "plugins": served_by(registry, card),
                "card_plugin": registry.owner_of(card.ref),
                "price_unit": card.price.unit,
                "price_usd": main.usd if main else None,
                "price": price_lines(card.price, card.capabilities),
                "rates": _rates(card),
                "price_source": card.price.source,
                "secrets": {name: status == "set" for name, status in keys.items()},
                "keys": keys,
                "secrets_present": all(status == "set" for status in keys.values()),
                "description": card.description,
                "capabilities": sorted(card.capabilities),
                "canonical_model": card.canonical_model,
                "also_on": also_on(registry, card),
            }
        )
    return rows


def models(kind: str | None, json_out: bool) -> None:
    """The ``models`` command: every model, its kind, modes, price and key status."""
    from tutopanda_providers.contracts import ConfigurationError, ProducerKind

    with failures_to_exit_codes(json_out):
        if kind is not None and kind not in {k.value for k in ProducerKind}:
            kinds = ", ".join(k.value for k in ProducerKind)
            raise ConfigurationError(f"--kind {kind!r} is not a kind; use one of {kinds}")
        registry = _registry()
        rows = model_rows(registry, kind)
    if json_out:
        print_json({"models": rows, "warnings": registry.warnings})
        return
    title = f"{len(rows)} models" + (f" of kind {kind}" if kind else "")
    printer = console()
    narrow = printer.width < WIDE
    # Narrow terminals get what a model can do, and the plugins serving it, under its name;
    # wide ones a column for each. (A plugin column beside the price would squeeze prices
    # into one word per line at 80 columns.)
    columns = (
        ("model (can)\nby plugin", "kind", "modes", "price", "key")
        if narrow
        else ("model", "kind", "modes", "plugin", "price", "key", "can")
    )
    out = table(title, *columns)
    refs = []
    for row in rows:
        ref = f"{row['provider']}/{row['model']}"
        if narrow and len(ref) > NARROW_REF:
            ref = f"{row['provider']}/\n{row['model']}"  # break at the provider, not mid-name
        can = can_text(row["capabilities"])
        if row["also_on"]:  # the same model on other providers: `models show` compares
            ref += f"\nalso on {', '.join(row['also_on'])}"
        if narrow:
            ref += f"\n({can})" if can else ""
            ref += f"\nby {', '.join(dict.fromkeys(row['plugins'].values()))}"
        refs.append(ref)
    if narrow:
        # Model names and key states stay whole; the price column takes what is left and wraps.
        longest = max((len(line) for ref in refs for line in ref.splitlines()), default=5)
        widths = (min(longest, printer.width * 3 // 8), 6, 5, None, 10)
        for column, width in zip(out.columns, widths, strict=True):
            column.width = width
        out.columns[3].ratio = 1
    for row, ref in zip(rows, refs, strict=True):
        # One plugin per mode, in the order of the modes.
        plugins = ", ".join(row["plugins"].get(m, "-") for m in row["modes"])
        out.add_row(
            text(ref),
            text(row["kind"]),
            text(("\n" if narrow else ", ").join(row["modes"])),
            *(() if narrow else (text(plugins),)),
            text("\n".join(row["price"])),
            text(key_summary(row["keys"])),
            *(() if narrow else (text(can_text(row["capabilities"]) or "-"),)),
        )
    printer.print(out)
    needed = sorted({(n, s) for row in rows for n, s in row["keys"].items()})
    for name, status in needed:
        printer.print(text(f"{name}: {status}"))
    printer.print(
        text("Inputs, every rate and capabilities: tutopanda-providers models show MODEL")
    )
    if any(row["also_on"] for row in rows):
        printer.print(
            text("A model on several providers, side by side: tutopanda-providers models show NAME")
        )
    _print_warnings(registry.warnings)


def model_details(registry: ProviderRegistry, ref: str) -> dict[str, Any]:
    """Everything ``models show`` prints about ``ref``, as a JSON-able dict.

    Raises:
        UnknownModelError: ``ref`` is not a known model (the message lists the closest).
    """
    from tutopanda_providers.contracts import Descriptor

    try:
        descriptor = Descriptor.parse(ref)
    except ValueError as exc:
        from tutopanda_providers.contracts import ConfigurationError

        raise ConfigurationError(
            f"{ref!r} is not provider/model ({exc}); e.g. replicate/google/veo-3-fast"
        ) from None
    card = registry.card(descriptor)
    schema = card.input_model.model_json_schema()
    plugin = registry.owner_of(descriptor)
    report = next((r for r in registry.plugins if r.name == plugin), None)
    return {
        "provider": card.provider,
        "model": card.model,
        "kind": card.kind.value,
        "description": card.description or str(schema.get("description") or ""),
        "modes": _modes(registry, card),
        "plugin": plugin,
        "plugin_version": report.version if report else None,
        "inputs": [fact.to_dict() for fact in input_facts(schema)],
        "passthrough": card.passthrough,
        "rates": _rates(card),
        "price_source": card.price.source,
        "price_confidence": card.price.confidence,
        "price_notes": card.price.notes,
        "capabilities": sorted(card.capabilities),
        "keys": {name: key_status(registry.secrets, name) for name in card.secret_names},
        "unknowns": list(card.unknowns),
    }


def models_show(model: str, json_out: bool) -> None:
    """The ``models show MODEL`` command.

    ``MODEL`` is a card's ``provider/model`` (its details, then its model on every provider
    side by side when other providers serve it too) or a model's own name such as
    ``google/veo-3-fast`` (every provider's cards of it side by side).
    """
    with failures_to_exit_codes(json_out):
        registry = _registry()
        if not _is_card(registry, model):
            view = side_by_side(registry, model)
            if json_out:
                print_json(view)
            else:
                print_side_by_side(view)
            return
        details = model_details(registry, model)
        card = registry.card(model)
        compared = side_by_side(registry, model) if registry.twins(card) else None
    if json_out:
        print_json({**details, **({"same_model": compared} if compared else {})})
        return
    printer = console()
    ref = f"{details['provider']}/{details['model']}"
    printer.print(text(f"{ref} ({details['kind']})", style="bold"))
    if details["description"]:
        printer.print(text(details["description"]))
    plugin = details["plugin"] + (
        f" {details['plugin_version']}" if details["plugin_version"] else ""
    )
    printer.print(text(f"plugin: {plugin}; modes: {joined(details['modes'])}"))
    printer.print(text(f"capabilities: {joined(details['capabilities'])}"))
    keys = details["keys"]
    printer.print(
        text("keys: " + (joined(f"{n} {s}" for n, s in keys.items()) if keys else "none needed"))
    )
    printer.print(_inputs_table(details))
    printer.print(_rates_table(details))
    for unknown in details["unknowns"]:
        printer.print(text(f"not confirmed: {unknown}"))
    if compared is not None:
        print_side_by_side(compared)


def _is_card(registry: ProviderRegistry, ref: str) -> bool:
    """Whether ``ref`` is a card's ``provider/model`` (else a model's own name)."""
    from tutopanda_providers.contracts import ProviderError

    try:
        registry.card(ref)
    except (ProviderError, ValueError):
        return False
    return True


def _inputs_table(details: dict[str, Any]) -> Any:
    inputs = table(f"inputs ({len(details['inputs'])})", "input", "type", "allowed", "default")
    for fact in details["inputs"]:
        default = "required" if fact["required"] else _default_text(fact)
        inputs.add_row(
            text(fact["name"], style="bold" if fact["required"] else ""),
            text(fact["type"]),
            text(fact["allowed"] or "any"),
            text(default),
        )
    if details["passthrough"]:
        inputs.caption = text("Fields not listed are passed to the provider as given.")
    return inputs


def _default_text(fact: dict[str, Any]) -> str:
    """An input's default as the table shows it: ``-`` for none or ``null``, strings bare,
    anything else as JSON (``true``, ``8``, ``["a", "b"]``)."""
    import json

    value = fact["default"]
    if not fact["has_default"] or value is None:
        return "-"
    return value if isinstance(value, str) else json.dumps(value)


def _rates_table(details: dict[str, Any]) -> Any:
    from rich.console import Group

    rates = table("prices", "rate", "usd", "per")
    for rate in details["rates"]:
        name = rate["name"] if rate.get("used", True) else f"{rate['name']} ({NOT_USED})"
        rates.add_row(text(name), text(money(rate["usd"])), text(rate["unit"]))
    source = f"source ({details['price_confidence']} confidence): {details['price_source']}"
    notes = [text(source)] + ([text(details["price_notes"])] if details["price_notes"] else [])
    return Group(rates, *notes)


def plugins(json_out: bool) -> None:
    """The ``plugins`` command."""
    from tutopanda_providers.plugins.hookspecs import HOOK_CONTRACT_VERSION

    with failures_to_exit_codes(json_out):
        registry = _registry()
    reports = [r.to_dict() for r in registry.plugins]
    if json_out:
        print_json(
            {
                "hook_contract": HOOK_CONTRACT_VERSION,
                "plugins": reports,
                "warnings": registry.warnings,
            }
        )
        return
    title = f"plugins (core speaks hook contract {HOOK_CONTRACT_VERSION})"
    out = table(title, "plugin", "version", "status", "hooks", "registers")
    # Hook names without the shared prefix: "providers", not "tutopanda_register_providers".
    for r in reports:
        registered = r["registered"]
        shown = "\n".join(registered[:3]) + (
            f"\n(+{len(registered) - 3} more)" if len(registered) > 3 else ""
        )
        status = r["status"] if not r["error"] else f"{r['status']}: {r['error']}"
        contract = "-" if r["contract"] is None else str(r["contract"])
        out.add_row(
            text(r["name"]),
            text(r["version"] or "-"),
            text(f"{status}\ncontract {contract}"),
            text("\n".join(h.removeprefix("tutopanda_register_") for h in r["hooks"]) or "-"),
            text(shown or "-"),
        )
    console().print(out)
    _print_warnings(registry.warnings)


def version_text() -> str:
    """``tutopanda-providers 0.1.0 (hook contract 1, Python 3.12.3)`` then one line a plugin."""
    import platform

    from tutopanda_providers import __version__
    from tutopanda_providers.plugins.hookspecs import HOOK_CONTRACT_VERSION

    lines = [
        f"tutopanda-providers {__version__} "
        f"(hook contract {HOOK_CONTRACT_VERSION}, Python {platform.python_version()})"
    ]
    reports = _registry().plugins
    if not reports:
        lines.append("no plugins installed")
    for r in reports:
        where = " ".join(x for x in (r.distribution, r.version) if x) or "registered in code"
        state = "" if r.status == "loaded" else f" [{r.status}]"
        lines.append(f"  {r.name}: {where}{state}")
    return "\n".join(lines)


def _print_warnings(warnings: list[str]) -> None:
    from tutopanda_providers.cli import notices

    notices.print_remaining(warnings)  # those not printed while the registry was built


__all__ = ["model_details", "model_rows", "models", "models_show", "plugins", "version_text"]
