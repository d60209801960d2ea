"""Finding and loading plugins: entry points, allow/deny lists, failure isolation.

Plugins are found through the entry-point group ``tutopanda.providers``. Loading one must be
cheap: a plugin module holds cards and factories, and imports its vendor SDK only inside a
factory. A plugin that fails to import, declares another hook-contract version (or one that is
not an ``int``: ``TUTOPANDA_HOOK_CONTRACT = 1`` is a literal), or raises in a hook is reported as a :class:`PluginReport` with its name, version and error; the rest go on.

Duplicates are never settled silently, and never by alphabetical or ``sys.path`` order:

- Two distributions shipping an entry point of the same name (``replicate`` from
  ``tutopanda-provider-replicate`` and from ``replicate-extras``) are a *conflict*: neither
  loads, the plugin's report has status ``conflict`` and a warning names both distributions,
  until the user picks one with ``TUTOPANDA_PLUGIN_<NAME>=<distribution>`` (``<NAME>`` is the
  entry-point name in upper case, other characters than letters and digits as ``_``:
  ``TUTOPANDA_PLUGIN_REPLICATE=tutopanda-provider-replicate``) or
  ``RegistryOptions.plugin_choices``. ``doctor`` counts a conflict as a problem.
- One module registered under two names loads once, under the first name, with a warning.

Environment variables:
    ``TUTOPANDA_PLUGINS``: comma-separated allow-list of plugin names (only these load; set it
    empty to load none).
    ``TUTOPANDA_DISABLE_PLUGINS``: comma-separated names that are not loaded.
    ``TUTOPANDA_PLUGIN_<NAME>``: the distribution that serves plugin ``<name>`` when several
    claim it.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pluggy

from tutopanda_providers.plugins import hookspecs
from tutopanda_providers.plugins.hookspecs import ENTRY_POINT_GROUP, HOOK_CONTRACT_VERSION

log = logging.getLogger(__name__)

ALLOW_ENV = "TUTOPANDA_PLUGINS"
DISABLE_ENV = "TUTOPANDA_DISABLE_PLUGINS"
#: Prefix of the variables that pick a distribution for a plugin name several claim.
CHOICE_ENV_PREFIX = "TUTOPANDA_PLUGIN_"


def choice_env_var(name: str) -> str:
    """The variable that picks the distribution of plugin ``name``: ``TUTOPANDA_PLUGIN_<NAME>``."""
    return CHOICE_ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def normalize_distribution(name: str) -> str:
    """A distribution name as PEP 503 compares them: ``Tutopanda_Provider.X`` → ``tutopanda-provider-x``."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class PluginReport:
    """What happened to one plugin.

    Attributes:
        name: the entry-point name (or the name given when registered directly).
        distribution: the distribution that ships it, when known.
        version: that distribution's version, when known.
        status: ``loaded``, ``failed``, ``disabled`` (by the allow/disable lists),
            ``duplicate`` (the same module is already loaded under another name) or
            ``conflict`` (several distributions claim the name and none was picked).
        error: why it failed, one line, when it did.
        contract: the hook-contract version it declares (``None`` if it declares none, or a
            value that is not an ``int``).
        hooks: the hooks it implements.
        registered: what it registered (``provider/model [mode]`` strings).
        warnings: duplicates and conflicts that concern it.
        claimed_by: every distribution that ships an entry point of this name, when more than
            one does (the loaded one is ``distribution``).
    """

    name: str
    distribution: str | None = None
    version: str | None = None
    status: Literal["loaded", "failed", "disabled", "duplicate", "conflict"] = "loaded"
    error: str | None = None
    contract: int | None = None
    hooks: list[str] = field(default_factory=list)
    registered: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    claimed_by: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-able dict."""
        return dict(self.__dict__)


def _names_from_env(var: str) -> set[str] | None:
    raw = os.environ.get(var)
    if raw is None:
        return None
    return {n.strip() for n in raw.split(",") if n.strip()}


@dataclass(frozen=True)
class EntryPoint:
    """One ``tutopanda.providers`` entry point of an installed distribution.

    Attributes:
        name: the entry's name, which is the plugin's name.
        value: ``module`` or ``module:attribute``.
        distribution: the distribution's name as its metadata spells it.
        version: the distribution's version.
    """

    name: str
    value: str
    distribution: str | None
    version: str | None

    def load(self) -> object:
        """Import the module (and look up the attribute) the entry points at."""
        module_name, _, attribute = self.value.partition(":")
        target: object = importlib.import_module(module_name.strip())
        for part in attribute.split("[", 1)[0].strip().split(".") if attribute else ():
            target = getattr(target, part)
        return target


# ``name-version.dist-info``; a development ``name.egg-info`` may carry no version.
_DIST_DIR = re.compile(
    r"^(?P<name>[^-]+?)(?:-(?P<version>[^-]+)(?:-[^-]+)?)?\.(?:dist|egg)-info$", re.I
)


def find_entry_points(group: str = ENTRY_POINT_GROUP) -> list[EntryPoint]:
    """Every entry point of ``group`` on ``sys.path``, first distribution of a name winning.

    This reads ``*.dist-info/entry_points.txt`` directly, as ``importlib.metadata`` does, but
    without importing it: that import alone (with ``email``, ``zipfile``, ``csv``) costs about
    50 ms of CPU here, a third of the start-up budget. When ``sys.path`` holds something other
    than folders (a zip or egg file), ``importlib.metadata`` is used instead.
    """
    if any(os.path.isfile(entry) for entry in sys.path if entry):
        return _entry_points_from_importlib(group)
    found: list[EntryPoint] = []
    seen: set[str] = set()
    for folder in sys.path:
        for info, name, version in _dist_infos(folder or "."):
            key = re.sub(r"[-_.]+", "_", name).lower()
            if key in seen:
                continue  # shadowed by an earlier copy on sys.path, as importlib.metadata does
            seen.add(key)
            entries = _read_group(os.path.join(info, "entry_points.txt"), group)
            if entries:
                meta = _read_metadata(info)
                for entry_name, value in entries:
                    found.append(
                        EntryPoint(
                            entry_name,
                            value,
                            meta.get("name", name),
                            meta.get("version", version),
                        )
                    )
    return found


def _dist_infos(folder: str) -> Iterator[tuple[str, str, str | None]]:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return
    for entry in names:
        match = _DIST_DIR.match(entry)
        if match:
            yield os.path.join(folder, entry), match["name"], match["version"]


def _read_group(path: str, group: str) -> list[tuple[str, str]]:
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return []
    entries: list[tuple[str, str]] = []
    inside = False
    for raw in lines:
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            inside = line[1:-1].strip() == group
            continue
        if inside and "=" in line:
            name, _, value = line.partition("=")
            entries.append((name.strip(), value.strip()))
    return entries


def _read_metadata(info: str) -> dict[str, str]:
    facts: dict[str, str] = {}
    for file_name in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(info, file_name), encoding="utf-8") as fh:
                for line in fh:
                    if not line.strip():
                        break  # the headers end at the first blank line
                    key, sep, value = line.partition(":")
                    if sep and key.lower() in ("name", "version"):
                        facts.setdefault(key.lower(), value.strip())
        except OSError:
            continue
        break
    return facts


def _entry_points_from_importlib(group: str) -> list[EntryPoint]:
    from importlib.metadata import entry_points

    found = []
    for ep in entry_points(group=group):
        dist = getattr(ep, "dist", None)
        found.append(
            EntryPoint(
                ep.name,
                ep.value,
                dist.name if dist is not None else None,
                dist.version if dist is not None else None,
            )
        )
    return found


def new_plugin_manager() -> pluggy.PluginManager:
    """A plugin manager with the tutopanda hook specs added and no plugins."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    return pm


def _contract_problem(plugin: object, report: PluginReport) -> str | None:
    """Why ``plugin``'s ``TUTOPANDA_HOOK_CONTRACT`` bars it from loading, or ``None``.

    Records the declared number on ``report.contract``. A plugin that declares nothing loads
    as one written for the current contract (third-party plugins made before the attribute
    existed keep working; ``tutopanda-providers plugins`` shows ``-`` for them). A declaration
    that is not a plain ``int`` (``"1"``, ``1.0``, ``True``) is refused: it cannot be compared.
    """
    if not hasattr(plugin, "TUTOPANDA_HOOK_CONTRACT"):
        return None
    declared = getattr(plugin, "TUTOPANDA_HOOK_CONTRACT")  # noqa: B009
    if type(declared) is not int:  # bool is an int subclass; True is no contract number
        return (
            f"TUTOPANDA_HOOK_CONTRACT must be an int literal such as "
            f"TUTOPANDA_HOOK_CONTRACT = {HOOK_CONTRACT_VERSION}, got {declared!r} "
            f"({type(declared).__name__}); this core speaks hook contract {HOOK_CONTRACT_VERSION}"
        )
    report.contract = declared
    if declared != HOOK_CONTRACT_VERSION:
        return (
            f"written for hook contract {declared}, this core speaks "
            f"{HOOK_CONTRACT_VERSION}; install a {report.name} release made for "
            f"tutopanda-providers-core with contract {HOOK_CONTRACT_VERSION}"
        )
    return None


def _register(pm: pluggy.PluginManager, plugin: object, report: PluginReport) -> None:
    problem = _contract_problem(plugin, report)
    if problem is not None:
        report.status = "failed"
        report.error = problem
        log.warning("plugin %s was refused: %s", _label(report), report.error)
        return
    already = pm.get_name(plugin)
    if already is not None:
        # pluggy refuses a second name for one module; say which two names collide instead.
        report.status = "duplicate"
        message = (
            f"plugin {report.name!r} is the same module as plugin {already!r}; it is loaded "
            f"once, as {already!r}. Remove one of the two entry points."
        )
        report.warnings.append(message)
        log.warning("%s", message)
        return
    unknown = sorted(
        name
        for name in dir(plugin)
        if name.startswith("tutopanda_")
        and name not in hookspecs.HOOK_NAMES
        and pm.parse_hookimpl_opts(plugin, name) is not None
    )
    if unknown:
        report.status = "failed"
        report.error = (
            f"unknown hook {', '.join(repr(n) for n in unknown)}; hook contract "
            f"{HOOK_CONTRACT_VERSION} has {', '.join(hookspecs.HOOK_NAMES)}"
        )
        log.warning("plugin %s was refused: %s", _label(report), report.error)
        return
    try:
        pm.register(plugin, name=report.name)
    except Exception as exc:
        report.status = "failed"
        report.error = _one_line(exc)
        log.warning("plugin %s was refused: %s", _label(report), report.error)
        return
    report.hooks = sorted(
        impl.name for impl in pm.get_hookcallers(plugin) or [] if impl.name in hookspecs.HOOK_NAMES
    )


def load_plugins(
    pm: pluggy.PluginManager,
    *,
    entry_points: bool = True,
    plugins: Sequence[tuple[str, object]] = (),
    allow: Iterable[str] | None = None,
    disable: Iterable[str] | None = None,
    choose: Mapping[str, str] | None = None,
) -> list[PluginReport]:
    """Register plugins on ``pm`` and report on each.

    Args:
        pm: a manager from :func:`new_plugin_manager`.
        entry_points: load the installed plugins of group ``tutopanda.providers``.
        plugins: ``(name, plugin)`` pairs to register directly (tests, embedded use).
        allow: only these names load (default: ``$TUTOPANDA_PLUGINS`` if set, else all).
        disable: these names do not load (default: ``$TUTOPANDA_DISABLE_PLUGINS``).
        choose: plugin name → the distribution that serves it when several distributions
            claim the name (default: the ``TUTOPANDA_PLUGIN_<NAME>`` variables); a name several
            claim and nobody picked loads from none of them (status ``conflict``).

    Returns:
        One report per plugin found, in name order.
    """
    allowed = set(allow) if allow is not None else _names_from_env(ALLOW_ENV)
    disabled = set(disable) if disable is not None else (_names_from_env(DISABLE_ENV) or set())
    choices = dict(choose) if choose is not None else None
    reports: dict[str, PluginReport] = {}

    def skip(report: PluginReport) -> bool:
        if report.name in disabled or (allowed is not None and report.name not in allowed):
            report.status = "disabled"
            return True
        return False

    for name, plugin in plugins:
        version = getattr(plugin, "__version__", None)
        report = PluginReport(name=name, version=version if isinstance(version, str) else None)
        if name in reports:
            message = f"two plugins are named {name!r}; only the first is loaded."
            reports[name].warnings.append(message)
            log.warning("%s", message)
            continue
        reports[name] = report
        if not skip(report):
            _register(pm, plugin, report)

    if entry_points:
        for name, claims in _claims(find_entry_points(ENTRY_POINT_GROUP)).items():
            if name in reports:
                _warn_shadowed(reports[name], claims)
                continue
            report = PluginReport(name=name, distribution=claims[0].distribution)
            report.version = claims[0].version
            reports[name] = report
            if skip(report):
                continue
            ep = claims[0]
            if len(claims) > 1:
                chosen = _settle_conflict(report, claims, choices)
                if chosen is None:
                    continue
                ep = chosen
            try:
                plugin = ep.load()
            # A module that calls sys.exit() (or raises SystemExit) on import must not end the
            # command for every other plugin. KeyboardInterrupt is left alone: Ctrl-C must still
            # stop the command, and a real one cannot be told from a plugin's.
            except (Exception, SystemExit) as exc:
                report.status = "failed"
                report.error = _one_line(exc)
                log.warning("plugin %s failed to load: %s", _label(report), report.error)
                log.debug("plugin %s failed to load", ep.name, exc_info=True)
                continue
            _register(pm, plugin, report)
    return [reports[n] for n in sorted(reports)]


def _claims(found: Iterable[EntryPoint]) -> dict[str, list[EntryPoint]]:
    """Entry points by name, in name order; one distribution seen twice counts once."""
    claims: dict[str, list[EntryPoint]] = {}
    for ep in found:
        same = claims.setdefault(ep.name, [])
        if not any(_same_distribution(ep, other) for other in same):
            same.append(ep)
    return {name: claims[name] for name in sorted(claims)}


def _same_distribution(a: EntryPoint, b: EntryPoint) -> bool:
    if a.distribution is None or b.distribution is None:
        return a.distribution == b.distribution and a.value == b.value
    return normalize_distribution(a.distribution) == normalize_distribution(b.distribution)


def _describe(ep: EntryPoint) -> str:
    return " ".join(x for x in (ep.distribution or "an unnamed distribution", ep.version) if x)


def _warn_shadowed(existing: PluginReport, claims: list[EntryPoint]) -> None:
    """A plugin registered directly (``plugins=``) keeps its name; installed ones are named."""
    others = [c for c in claims if c.distribution != existing.distribution]
    if not others:
        return
    message = (
        f"plugin {existing.name!r} is registered directly, so the installed "
        f"{', '.join(_describe(c) for c in others)} of the same name is not loaded."
    )
    existing.warnings.append(message)
    log.warning("%s", message)


def _settle_conflict(
    report: PluginReport, claims: list[EntryPoint], choices: Mapping[str, str] | None
) -> EntryPoint | None:
    """The entry point the user picked among several claiming one name, or ``None`` (refused).

    Never the first by name or by ``sys.path``: a package installed later must not take over
    a plugin name (and the secrets its models get) by sorting first.
    """
    name = report.name
    variable = choice_env_var(name)
    report.claimed_by = [_describe(c) for c in claims]
    picked = choices.get(name) if choices is not None else os.environ.get(variable)
    if picked:
        for ep in claims:
            if ep.distribution and normalize_distribution(ep.distribution) == (
                normalize_distribution(picked)
            ):
                report.distribution, report.version = ep.distribution, ep.version
                log.info("plugin %r: %s picked by %s", name, ep.distribution, variable)
                return ep
    listed = " and ".join(report.claimed_by)
    options = " or ".join(c.distribution for c in claims if c.distribution)
    why = (
        f"{variable}={picked!r} names none of them. "
        if picked
        else "none of them is loaded (a name is never settled by name order). "
    )
    message = (
        f"plugin name {name!r} is claimed by {listed}; {why}"
        f"Pick one with {variable}=<distribution> ({options}), or uninstall the other."
    )
    report.status = "conflict"
    report.distribution, report.version = None, None
    report.error = message
    report.warnings.append(message)
    log.warning("%s", message)
    return None


def _one_line(exc: BaseException) -> str:
    """``Type: message`` on one line (pluggy's validation errors span several)."""
    if isinstance(exc, SystemExit):
        return f"SystemExit: the plugin called sys.exit({exc.code!r}) while loading"
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= 500 else text[:497] + "..."


def _label(report: PluginReport) -> str:
    if report.distribution is None:
        return f"{report.name} (registered directly)"
    return f"{report.name} ({report.distribution} {report.version})"


def call_each(
    pm: pluggy.PluginManager,
    hook_name: str,
    reports: dict[str, PluginReport],
    make_register: Any,
) -> None:
    """Call ``hook_name`` on each plugin separately, so one that raises is reported alone.

    ``make_register(plugin_name)`` returns the ``register`` callback for that plugin. Plugins
    already reported ``failed`` (by an earlier hook) are not called again.
    """
    caller = getattr(pm.hook, hook_name)
    for impl in sorted(caller.get_hookimpls(), key=lambda i: i.plugin_name):
        known = reports.get(impl.plugin_name)
        if known is not None and known.status != "loaded":
            continue
        try:
            impl.function(register=make_register(impl.plugin_name))
        except (Exception, SystemExit) as exc:  # a plugin's sys.exit() stops only that plugin
            report = reports.setdefault(impl.plugin_name, PluginReport(name=impl.plugin_name))
            report.status = "failed"
            report.error = f"{hook_name} raised {_one_line(exc)}"
            log.warning("plugin %s: %s", impl.plugin_name, report.error)


__all__ = [
    "ALLOW_ENV",
    "CHOICE_ENV_PREFIX",
    "DISABLE_ENV",
    "choice_env_var",
    "normalize_distribution",
    "EntryPoint",
    "find_entry_points",
    "PluginReport",
    "call_each",
    "load_plugins",
    "new_plugin_manager",
]
