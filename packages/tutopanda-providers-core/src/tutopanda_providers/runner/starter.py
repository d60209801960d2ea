"""The starter files ``init`` writes: the shipped lesson plan, and the shipped default
settings adapted to the installed plugins, written out as TOML a user can edit.

Its own module, above both :mod:`~tutopanda_providers.runner.settings` (which parses the
defaults) and :mod:`~tutopanda_providers.runner.defaults` (which adapts them), so neither
of those imports the other back.
"""

from __future__ import annotations

from collections.abc import Mapping

from tutopanda_providers.runner.defaults import InstalledModel, adapt, installed_models
from tutopanda_providers.runner.settings import (
    DEFAULT_SETTINGS_NAME,
    _parse,
    default_settings_text,
)

# -- the starter settings `init` writes ------------------------------------------------------

STARTER_PLAN_NAME = "starter-plan.toml"


def starter_plan_text() -> str:
    """The starter lesson plan shipped with core (``tutopanda_providers/data``)."""
    from importlib import resources

    return (resources.files("tutopanda_providers") / "data" / STARTER_PLAN_NAME).read_text(
        encoding="utf-8"
    )


def starter_settings_text(installed: Mapping[str, InstalledModel] | None = None) -> str:
    """The shipped default settings adapted to the installed plugins, every producer written
    out (kind, model, fallbacks, inputs, model defaults), as TOML a user can edit.

    Args:
        installed: the installed models; ``None`` asks the installed plugins.
    """
    _, parsed = _parse(default_settings_text(), f"<package>/{DEFAULT_SETTINGS_NAME}")
    producers = dict(parsed.producers)
    if installed is None:
        installed = installed_models()
    notes = adapt(producers, installed)
    lines = [
        "# tutopanda providers settings, written by `tutopanda-providers init` from the shipped",
        "# defaults and the plugins installed then. Each [producers.<Name>] names the model that",
        "# serves the producer (provider/model), the fallbacks tried when it fails, and default",
        "# inputs. List the models you can pick with `tutopanda-providers models --kind KIND`.",
        "# This file is read from the current folder (or pass --settings / set TUTOPANDA_SETTINGS).",
    ]
    if notes:
        lines += ["#", "# Adapted to the installed plugins:"]
        # The notes' advice ("choose with [producers.X]") is this very file: keep the facts.
        lines += [f"#   {note.split('. Install its plugin')[0]}." for note in notes]
    runner = parsed.runner
    lines += [
        "version = 1",
        "",
        "[runner]",
        f"concurrency = {runner.concurrency}",
        f"timeout_seconds = {_toml(runner.timeout_seconds)}",
    ]
    for name, producer in producers.items():
        lines += ["", f"[producers.{name}]", f"kind = {_toml(producer.kind.value)}"]
        lines.append(f"model = {_toml(producer.model)}")
        if producer.providers:  # model and fallbacks are model names, served by these
            lines.append(f"providers = {_toml(producer.providers)}")
        # Always written, even empty: a table that leaves fallbacks out keeps the shipped ones.
        lines.append(f"fallbacks = {_toml(producer.fallbacks)}")
        if producer.environment != "local":
            lines.append(f"environment = {_toml(producer.environment)}")
        if producer.allow_unresearched_script:
            lines.append("allow_unresearched_script = true")
        if producer.inputs:
            lines += ["", f"[producers.{name}.inputs]"]
            lines += [f"{_key(k)} = {_toml(v)}" for k, v in producer.inputs.items()]
        served = {producer.model, *producer.fallbacks}
        for ref, values in producer.model_defaults.items():
            # With providers, defaults are keyed by the refs of the cards the names expand to.
            mine = ref in served or ref.partition("/")[0] in producer.providers
            if mine and values:
                lines += ["", f"[producers.{name}.model_defaults.{_toml(ref)}]"]
                lines += [f"{_key(k)} = {_toml(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum()
    return key if bare else _toml(key)


def _toml(value: object) -> str:
    """``value`` as a TOML value: strings, numbers, booleans, lists and tables of them."""
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(str(k))} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


__all__ = ["STARTER_PLAN_NAME", "starter_plan_text", "starter_settings_text"]
