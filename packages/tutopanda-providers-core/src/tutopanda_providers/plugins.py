"""Finding and loading plugins: entry points, allow/deny lists, failure isolation.

Plugins are found through the entry-point group ``tutopanda.providers``. Loading one must be
cheap: a plugin module holds cards and factories, and imports its vendor SDK only inside a
factory. A plugin that fails to import, declares another hook-contract version, or raises in a
hook is reported as a :class:`PluginReport` with its name, version and error; the rest go on.

Duplicates are warned about, never settled silently: two distributions shipping an entry point
of the same name (the first found on ``sys.path`` loads), and one module registered under two
names (it loads once, under the first name).

Environment variables:
    ``TUTOPANDA_PLUGINS``: comma-separated allow-list of plugin names (only these load; set it
    empty to load none).
    ``TUTOPANDA_DISABLE_PLUGINS``: comma-separated names that are not loaded.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pluggy

from tutopanda_providers import hookspecs
from tutopanda_providers.hookspecs import ENTRY_POINT_GROUP, HOOK_CONTRACT_VERSION

log = logging.getLogger(__name__)

ALLOW_ENV = "TUTOPANDA_PLUGINS"
DISABLE_ENV = "TUTOPANDA_DISABLE_PLUGINS"


@dataclass
class PluginReport:
    """What happened to one plugin.

    Attributes:
        name: the entry-point name (or the name given when registered directly).
        distribution: the distribution that ships it, when known.
        version: that distribution's version, when known.
        status: ``loaded``, ``failed``, ``disabled`` (by the allow/disable lists) or
            ``duplicate`` (the same module is already loaded under another name).
        error: why it failed, one line, when it did.
        contract: the hook-contract version it declares (``None`` if it declares none).
        hooks: the hooks it implements.
        registered: what it registered (``provider/model [mode]`` strings).
        warnings: duplicates and conflicts that concern it.
    """

    name: str
    distribution: str | None = None
    version: str | None = None
    status: Literal["loaded", "failed", "disabled", "duplicate"] = "loaded"
    error: str | None = None
    contract: int | None = None
    hooks: list[str] = field(default_factory=list)
    registered: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-able dict."""
        return dict(self.__dict__)


def _names_from_env(var: str) -> set[str] | None:
    raw = os.environ.get(var)
    if raw is None:
        return None
    return {n.strip() for n in raw.split(",") if n.strip()}


def new_plugin_manager() -> pluggy.PluginManager:
    """A plugin manager with the tutopanda hook specs added and no plugins."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    return pm


def _register(pm: pluggy.PluginManager, plugin: object, report: PluginReport) -> None:
    declared = getattr(plugin, "TUTOPANDA_HOOK_CONTRACT", None)
    report.contract = declared if isinstance(declared, int) else None
    if report.contract is not None and report.contract != HOOK_CONTRACT_VERSION:
        report.status = "failed"
        report.error = (
            f"written for hook contract {report.contract}, this core speaks "
            f"{HOOK_CONTRACT_VERSION}; install a {report.name} release made for "
            f"tutopanda-providers-core with contract {HOOK_CONTRACT_VERSION}"
        )
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
) -> list[PluginReport]:
    """Register plugins on ``pm`` and report on each.

    Args:
        pm: a manager from :func:`new_plugin_manager`.
        entry_points: load the installed plugins of group ``tutopanda.providers``.
        plugins: ``(name, plugin)`` pairs to register directly (tests, embedded use).
        allow: only these names load (default: ``$TUTOPANDA_PLUGINS`` if set, else all).
        disable: these names do not load (default: ``$TUTOPANDA_DISABLE_PLUGINS``).

    Returns:
        One report per plugin found, in name order.
    """
    allowed = set(allow) if allow is not None else _names_from_env(ALLOW_ENV)
    disabled = set(disable) if disable is not None else (_names_from_env(DISABLE_ENV) or set())
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
        from importlib.metadata import entry_points as find_entry_points

        for ep in sorted(find_entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = getattr(ep, "dist", None)
            dist_name = dist.name if dist is not None else None
            version = dist.version if dist is not None else None
            if ep.name in reports:
                existing = reports[ep.name]
                if existing.distribution == dist_name and existing.version == version:
                    continue  # the same distribution seen twice on sys.path
                message = (
                    f"two plugins are named {ep.name!r}: "
                    f"{existing.distribution or 'one registered directly'} "
                    f"{existing.version or ''} and {dist_name} {version}; only the first is "
                    "loaded. Uninstall one of them."
                ).replace("  ", " ")
                existing.warnings.append(message)
                log.warning("%s", message)
                continue
            report = PluginReport(name=ep.name, distribution=dist_name, version=version)
            reports[ep.name] = report
            if skip(report):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                report.status = "failed"
                report.error = _one_line(exc)
                log.warning("plugin %s failed to load: %s", _label(report), report.error)
                log.debug("%s", traceback.format_exc())
                continue
            _register(pm, plugin, report)
    return [reports[n] for n in sorted(reports)]


def _one_line(exc: BaseException) -> str:
    """``Type: message`` on one line (pluggy's validation errors span several)."""
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
        except Exception as exc:
            report = reports.setdefault(impl.plugin_name, PluginReport(name=impl.plugin_name))
            report.status = "failed"
            report.error = f"{hook_name} raised {_one_line(exc)}"
            log.warning("plugin %s: %s", impl.plugin_name, report.error)


__all__ = [
    "ALLOW_ENV",
    "DISABLE_ENV",
    "PluginReport",
    "call_each",
    "load_plugins",
    "new_plugin_manager",
]
