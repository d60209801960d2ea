"""Settings: the producer catalog (producer → kind, model, fallbacks, defaults) and run options.

The shipped defaults (``tutopanda_providers/data/default-settings.toml``) map every producer to
a seed model. A user's settings file is laid over them: a producer it names replaces the
default producer entirely (so its model is always written down, never implied); ``[runner]``
keys replace the default keys one by one. Validation errors name the file, the line and the fix.

Where the settings come from, first found wins: ``--settings FILE``, ``$TUTOPANDA_SETTINGS``,
``./tutopanda.toml``, the shipped defaults.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from tutopanda_providers.contracts import Descriptor, ProducerKind
from tutopanda_providers.runner.advice import advise
from tutopanda_providers.runner.defaults import InstalledModel
from tutopanda_providers.runner.errors import FileProblemError
from tutopanda_providers.runner.locate import dotted, where
from tutopanda_providers.runner.numbers import number_problems

SETTINGS_ENV = "TUTOPANDA_SETTINGS"
LOCAL_SETTINGS = "tutopanda.toml"
DEFAULT_SETTINGS_NAME = "default-settings.toml"


def _check_ref(value: str) -> str:
    Descriptor.parse(value)
    return value


def _check_name(value: str) -> str:
    if not value.strip():
        raise ValueError(
            "is empty; write the model's name, for example google/veo-3-fast "
            "(`tutopanda-providers models` lists them)"
        )
    return value.strip()


class ProducerSettings(BaseModel):
    """One producer of the catalog.

    Without ``providers``, ``model`` and each fallback are ``provider/model`` refs. With
    ``providers`` (an order of provider names), they are model names (``google/veo-3-fast``,
    or a card's ``provider/model`` meaning that card's model), each served by every listed
    provider that hosts it, in that order (see :mod:`~tutopanda_providers.runner.expansion`).
    """

    model_config = ConfigDict(extra="forbid")

    kind: ProducerKind
    # Before ``model``: its validator reads it.
    providers: list[str] = Field(default_factory=list)
    model: str
    fallbacks: list[str] = Field(default_factory=list)
    inputs: dict[str, Any] = Field(default_factory=dict)
    model_defaults: dict[str, dict[str, Any]] = Field(default_factory=dict)
    environment: str = "local"
    allow_unresearched_script: bool = False  # see runner/advice.py

    @field_validator("providers")
    @classmethod
    def _providers(cls, value: list[str]) -> list[str]:
        for name in value:
            if not name.strip() or "/" in name:
                raise ValueError(
                    f"{name!r} is not a provider name; list provider names such as "
                    '["replicate", "fal"] (`tutopanda-providers models` shows them)'
                )
        return [name.strip() for name in value]

    @field_validator("model")
    @classmethod
    def _model(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("providers"):
            return _check_name(value)
        return _check_ref(value)

    @field_validator("fallbacks")
    @classmethod
    def _fallbacks(cls, value: list[str], info: ValidationInfo) -> list[str]:
        for ref in value:
            _check_name(ref) if info.data.get("providers") else _check_ref(ref)
        return value

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        if value not in ("local", "cloud"):
            raise ValueError("environment must be 'local' or 'cloud'")
        return value


class RunnerSettings(BaseModel):
    """The ``[runner]`` table."""

    model_config = ConfigDict(extra="forbid")

    concurrency: int = Field(default=4, ge=1, le=256)
    timeout_seconds: float = Field(default=900, gt=0, le=86_400, allow_inf_nan=False)
    storage: str | None = None
    redis_url: str | None = None


class SettingsFile(BaseModel):
    """A whole settings file."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    runner: RunnerSettings = Field(default_factory=RunnerSettings)
    producers: dict[str, ProducerSettings] = Field(default_factory=dict)


@dataclass
class Settings:
    """Loaded settings, with where each producer was defined (for error lines)."""

    producers: dict[str, ProducerSettings]
    runner: RunnerSettings
    sources: list[str]
    origin: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: How the shipped defaults were adapted to the installed plugins (one note per change).
    adapted: list[str] = field(default_factory=list)

    def where(self, producer: str, *keys: str | int) -> str:
        """``file:line`` of ``producers.<producer>.<keys>``."""
        file, text = self.origin.get(
            producer, (self.sources[-1] if self.sources else "<settings>", "")
        )
        return where(file, text or None, ("producers", producer, *keys))


def default_settings_text() -> str:
    """The shipped defaults as TOML text."""
    return (resources.files("tutopanda_providers") / "data" / DEFAULT_SETTINGS_NAME).read_text(
        encoding="utf-8"
    )


def settings_path(explicit: str | Path | None = None) -> Path | None:
    """The user settings file in effect, or ``None`` for the shipped defaults only."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get(SETTINGS_ENV)
    if env:
        return Path(env)
    local = Path(LOCAL_SETTINGS)
    # Anything at ./tutopanda.toml counts (a folder too): loading it then refuses a folder
    # as --settings would, rather than silently running on the defaults.
    return local if local.exists() else None


def _laid_over(base: ProducerSettings, table: Mapping[str, Any]) -> dict[str, Any]:
    """A user's ``[producers.<Name>]`` laid over the producer it redefines, key by key.

    Only what the table says changes: ``inputs`` and ``model_defaults`` are merged (the
    table's keys win), and a new ``model`` keeps the old fallbacks (minus itself) unless the
    table gives its own, exactly as ``--override`` does. So choosing a model in a settings
    file and with ``--override`` give a job the same inputs.
    """
    merged: dict[str, Any] = {**base.model_dump(), **table}
    merged["inputs"] = {**base.inputs, **dict(table.get("inputs") or {})}
    defaults = {k: dict(v) for k, v in base.model_defaults.items()}
    for model, values in dict(table.get("model_defaults") or {}).items():
        defaults[model] = {**defaults.get(model, {}), **dict(values or {})}
    merged["model_defaults"] = defaults
    if "fallbacks" not in table and isinstance(table.get("model"), str):
        merged["fallbacks"] = [f for f in base.fallbacks if f != table["model"]]
    return merged


def _parse(
    text: str, file: str, base: Mapping[str, ProducerSettings] | None = None
) -> tuple[dict[str, Any], SettingsFile]:
    try:
        raw = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise FileProblemError(file, [f"{file}: not valid TOML: {exc}"]) from exc
    tables = raw.get("producers")
    if base and isinstance(tables, dict):
        raw = {
            **raw,
            "producers": {
                name: _laid_over(base[name], table)
                if name in base
                and isinstance(table, dict)
                and "model" in table  # a model is never implied, not even the default's
                and table.get("kind", base[name].kind.value) == base[name].kind.value
                else table
                for name, table in tables.items()
            },
        }
    try:
        parsed = SettingsFile.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{where(file, text, tuple(err['loc']))}: {dotted(tuple(err['loc']))}: {_fix(err)}"
            for err in exc.errors(include_url=False)
        ]
        raise FileProblemError(file, problems) from exc
    # Producer inputs and model defaults reach a dry run's stand-ins before any model checks
    # them: their numbers are bounded here, like a plan's (see runner.numbers).
    number_issues = [
        f"{where(file, text, loc)}: {dotted(loc)}: {what}"
        for name, producer in parsed.producers.items()
        for loc, what in [
            *number_problems(producer.inputs, ("producers", name, "inputs")),
            *number_problems(producer.model_defaults, ("producers", name, "model_defaults")),
        ]
    ]
    if number_issues:
        raise FileProblemError(file, number_issues)
    return raw, parsed


def _fix(err: Mapping[str, Any]) -> str:
    loc = tuple(err.get("loc", ()))
    kind = err.get("type")
    if kind == "missing" and loc[-1:] == ("model",):
        return (
            'has no model; add model = "provider/model" (a model is never implied; list them '
            "with `tutopanda-providers models`)"
        )
    if kind == "missing" and loc[-1:] == ("kind",):
        kinds = ", ".join(k.value for k in ProducerKind)
        return f'has no kind; add kind = "..." (one of {kinds})'
    if kind == "enum":
        kinds = ", ".join(k.value for k in ProducerKind)
        return f"{err.get('input')!r} is not a kind; use one of {kinds}"
    if kind == "extra_forbidden":
        if len(loc) >= 3 and loc[0] == "producers":
            return "is not a producer key; use kind, model, fallbacks, inputs, model_defaults, environment, allow_unresearched_script, providers"
        if loc[:1] == ("runner",):
            return "is not a runner key; use concurrency, timeout_seconds, storage, redis_url"
        return "is not a settings key; the file takes version, [runner] and [producers.<Name>]"
    if kind == "value_error":
        return str(err.get("msg", "")).removeprefix("Value error, ")
    return str(err.get("msg", "is invalid"))


def load_settings(
    path: str | Path | None = None,
    *,
    use_defaults: bool = True,
    installed: Mapping[str, InstalledModel] | None = None,
) -> Settings:
    """Load the shipped defaults and lay the user's settings file over them.

    A producer that comes from the shipped defaults and whose model no installed plugin
    serves is adapted to one that is installed, with a warning
    (:mod:`~tutopanda_providers.runner.defaults`); ``Settings.adapted`` lists the changes.

    Args:
        path: the user's file (``None``: see :func:`settings_path`).
        use_defaults: start from the shipped defaults (``False``: the file alone).
        installed: the installed models (``provider/model`` → kind and live), to adapt the
            defaults to; ``None`` asks the installed plugins.

    Raises:
        FileProblemError: the file cannot be read or is invalid; every problem has a line.
    """
    producers: dict[str, ProducerSettings] = {}
    runner_raw: dict[str, Any] = {}
    sources: list[str] = []
    origin: dict[str, tuple[str, str]] = {}

    def apply(text: str, file: str) -> None:
        raw, parsed = _parse(text, file, producers)
        for name, producer in parsed.producers.items():
            producers[name] = producer
            origin[name] = (file, text)
        runner_raw.update(raw.get("runner", {}))
        sources.append(file)

    if use_defaults:
        apply(default_settings_text(), f"<package>/{DEFAULT_SETTINGS_NAME}")
    user = settings_path(path)
    if user is not None:
        try:
            # utf-8-sig: Windows Notepad saves UTF-8 with a byte-order mark.
            text = user.read_text(encoding="utf-8-sig")
        except IsADirectoryError:
            raise FileProblemError(
                str(user),
                [f"{user}: is a folder, not a settings file; give the path of a TOML file"],
            ) from None
        except OSError as exc:
            raise FileProblemError(
                str(user),
                [f"{user}: cannot read the settings file: {exc.strerror or exc}; check the path"],
            ) from None
        except UnicodeDecodeError as exc:
            raise FileProblemError(
                str(user),
                [
                    f"{user}: byte {exc.start} is not UTF-8 text; settings are a TOML text "
                    "file saved as UTF-8 (is this the right file?)"
                ],
            ) from None
        apply(text, str(user))
    adapted = _adapt_defaults(producers, origin, installed) if use_defaults else []
    return advise(
        Settings(
            producers=producers,
            runner=RunnerSettings.model_validate(runner_raw),
            sources=sources,
            origin=origin,
            adapted=adapted,
        )
    )


def _adapt_defaults(
    producers: dict[str, ProducerSettings],
    origin: dict[str, tuple[str, str]],
    installed: Mapping[str, InstalledModel] | None,
) -> list[str]:
    """Adapt the producers that come from the shipped defaults to the installed plugins."""
    from tutopanda_providers.runner import defaults

    shipped = {
        name: producer
        for name, producer in producers.items()
        if origin.get(name, ("", ""))[0] == f"<package>/{DEFAULT_SETTINGS_NAME}"
    }
    if not shipped:
        return []
    if installed is None:
        # A producer with ``providers`` names models, not refs: its providers' plugins count.
        refs = [
            ref
            for p in shipped.values()
            for ref in (
                [f"{name}/-" for name in p.providers] if p.providers else [p.model, *p.fallbacks]
            )
        ]
        if defaults.providers_installed(refs):
            return []  # every provider the defaults name has its plugin: nothing to adapt
        installed = defaults.installed_models()
    return defaults.adapt(shipped, installed)


__all__ = [
    "LOCAL_SETTINGS",
    "SETTINGS_ENV",
    "ProducerSettings",
    "RunnerSettings",
    "Settings",
    "SettingsFile",
    "default_settings_text",
    "load_settings",
    "settings_path",
]
