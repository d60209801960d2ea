"""``doctor``: is this machine ready to run, in the mode ``run`` would use?

Mock by default, like ``run``: plugins, settings, fallbacks, warm start of each producer's
mock handler and Redis. ``--live`` adds the live checks: each key is set and well formed, each
live handler warms up, and each key is shown to its provider with a free authenticated request
(the handler's optional ``check_credentials()``), so a wrong key fails here and not in a paid
job. One registry serves every check.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tutopanda_providers.cli import exitcodes
from tutopanda_providers.cli.model_facts import key_status
from tutopanda_providers.cli.render import console, failures_to_exit_codes, print_json, table, text

if TYPE_CHECKING:
    from tutopanda_providers.contracts import Descriptor, Mode
    from tutopanda_providers.registry import ProviderRegistry
    from tutopanda_providers.runner import Catalog

REDIS_ENV = "TUTOPANDA_REDIS_URL"


@dataclass
class Checkup:
    """What ``doctor`` found; printed as text or JSON."""

    mode: Mode
    settings: list[str]
    plugins: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    warm_start: list[dict[str, Any]] = field(default_factory=list)
    redis: dict[str, Any] | None = None
    settings_problems: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: Models only fallbacks use: a missing key or failed warm start there is a warning (the
    #: job fails over past them), not a problem.
    fallback_only: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """2 for a settings problem, 4 for any other problem, else 0."""
        if self.settings_problems:
            return exitcodes.USAGE
        return exitcodes.PROVIDER if self.problems else exitcodes.OK

    def to_dict(self, warnings: Sequence[str]) -> dict[str, Any]:
        """The JSON ``doctor --json`` prints."""
        return {
            "ok": not self.problems,
            "mode": self.mode,
            "plugins": self.plugins,
            "secrets": list(self.keys.values()),
            "warm_start": self.warm_start,
            "redis": self.redis,
            "settings": self.settings,
            "warnings": list(warnings),
            "problems": self.problems,
            "exit_code": self.exit_code,
        }


def doctor(
    plan_path: Path | None,
    settings_path: Path | None,
    live: bool,
    timeout: float,
    json_out: bool,
) -> None:
    """The ``doctor`` command; exits with :attr:`Checkup.exit_code`."""
    from tutopanda_providers.contracts import scrub
    from tutopanda_providers.registry import create_provider_registry
    from tutopanda_providers.runner import Catalog, load_plan, load_settings

    mode: Mode = "live" if live else "mock"
    with failures_to_exit_codes(json_out):
        settings = load_settings(settings_path)
        catalog = Catalog.from_settings(settings)
        producers = sorted(catalog.entries)
        if plan_path is not None:
            producers = load_plan(plan_path, catalog.entries).producers()
        registry = create_provider_registry(mode=mode)
        catalog = catalog.expanded(registry)  # producers naming a model once, with providers

    check = Checkup(mode=mode, settings=list(settings.sources))
    _check_plugins(registry, check)
    _check_settings(registry, catalog, producers, check)
    descriptors = _descriptors(registry, catalog, producers)
    primaries = {str(catalog.entries[name].model) for name in producers}
    check.fallback_only = {str(d) for d in descriptors} - primaries
    _check_keys(registry, descriptors, check)
    asyncio.run(_check_handlers(registry, descriptors, timeout, check))
    _check_redis(settings.runner.redis_url or os.environ.get(REDIS_ENV), check)
    check.problems = [scrub(p) for p in check.problems]
    if json_out:
        print_json(check.to_dict([*registry.warnings, *check.notes]))
    else:
        _print(check, [*registry.warnings, *check.notes])
    raise typer.Exit(check.exit_code)


def _check_plugins(registry: ProviderRegistry, check: Checkup) -> None:
    for r in registry.plugins:
        check.plugins.append(
            {"name": r.name, "version": r.version, "status": r.status, "error": r.error}
        )
        if r.status == "failed":
            check.problems.append(f"plugin {r.name} failed to load: {r.error}")
        elif r.status == "conflict":
            check.problems.append(f"plugin {r.name} is not loaded: {r.error}")


def _check_settings(
    registry: ProviderRegistry, catalog: Catalog, producers: Sequence[str], check: Checkup
) -> None:
    """Each producer's models and fallbacks exist and fit; checked on the one registry."""
    from tutopanda_providers.contracts import ConfigurationError

    problems = catalog.check(registry, producers)
    if not problems:
        fallbacks = {k: v for k, v in catalog.pipeline_fallbacks().items() if k in producers}
        try:  # each fallback must be able to do its primary's job
            registry.check_fallbacks(fallbacks)
        except ConfigurationError as exc:
            problems.append(exc.message)
    check.settings_problems = problems
    check.problems.extend(problems)


def _descriptors(
    registry: ProviderRegistry, catalog: Catalog, producers: Sequence[str]
) -> list[Descriptor]:
    """Every model (and fallback) the producers may call, once each, if the registry knows it."""
    from tutopanda_providers.contracts import ProviderError

    found = []
    for name in producers:
        for descriptor in catalog.entries[name].candidates():
            try:
                registry.card(descriptor)
            except ProviderError:
                continue  # reported by the settings check
            found.append(descriptor)
    return list(dict.fromkeys(found))


def _check_keys(
    registry: ProviderRegistry, descriptors: Sequence[Descriptor], check: Checkup
) -> None:
    """Which keys the models need and whether each is set; in live mode, a problem if not."""
    for descriptor in descriptors:
        for name in registry.card(descriptor).secret_names:
            row = check.keys.setdefault(
                name,
                {
                    "name": name,
                    "status": key_status(registry.secrets, name),
                    "models": [],
                    "provider_check": None,
                },
            )
            row["present"] = row["status"] != "missing"
            row["models"].append(str(descriptor))
    if check.mode != "live":
        return
    for row in check.keys.values():
        needed = ", ".join(row["models"])
        if row["status"] == "missing" and set(row["models"]) <= check.fallback_only:
            check.notes.append(
                f"secret {row['name']} is not set; only fallbacks need it ({needed}): "
                "without it they are skipped when they fire. Set it to fail over to them."
            )
        elif row["status"] == "missing":
            check.problems.append(
                f"secret {row['name']} is not set (needed live by {needed}); "
                f"export {row['name']}=... or put it in .env"
            )
        elif row["status"] == "malformed":
            check.problems.append(
                f"secret {row['name']} is malformed (blank, quoted, or holding spaces or "
                f"control characters); set it again without them (needed live by {needed})"
            )


async def _check_handlers(
    registry: ProviderRegistry, descriptors: Sequence[Descriptor], timeout: float, check: Checkup
) -> None:
    """Warm start every handler, then (live) show each key to its provider; one event loop."""
    reports = await registry.warm_start(descriptors, timeout=timeout, mode=check.mode)
    for report in reports:
        check.warm_start.append(report.to_dict())
        if report.status != "failed":
            continue
        said = f"warm start of {report.descriptor} ({report.mode}) failed: {report.error}"
        if str(report.descriptor) in check.fallback_only:
            keyless = any(
                row["status"] == "missing" and str(report.descriptor) in row["models"]
                for row in check.keys.values()
            )
            if not keyless:  # a missing key is said once, above, for all its models
                check.notes.append(f"{said} (only a fallback: the job fails over past it)")
        else:
            check.problems.append(said)
    if check.mode == "live":
        ready = [r.descriptor for r in reports if r.status != "failed"]
        await _check_credentials(registry, ready, timeout, check)
    await registry.aclose()


async def _check_credentials(
    registry: ProviderRegistry, ready: Sequence[Descriptor], timeout: float, check: Checkup
) -> None:
    """Ask each key's provider, once per key, whether it accepts it (a free request)."""
    for row in check.keys.values():
        if row["status"] != "set":
            continue
        descriptor = next((d for d in ready if row["name"] in registry.card(d).secret_names), None)
        if descriptor is None:
            continue  # its warm start failed: already a problem
        row["provider_check"] = await _ask_provider(registry, descriptor, timeout)
        if row["provider_check"]["status"] == "rejected":
            check.problems.append(
                f"{descriptor.provider} refused {row['name']}: {row['provider_check']['error']}"
            )
        elif row["provider_check"]["status"] == "failed":
            check.problems.append(
                f"could not check {row['name']} with {descriptor.provider}: "
                f"{row['provider_check']['error']}"
            )


async def _ask_provider(
    registry: ProviderRegistry, descriptor: Descriptor, timeout: float
) -> dict[str, Any]:
    from tutopanda_providers.contracts import AuthError, ProviderError

    handler = registry.resolve(descriptor, mode="live").handler
    ask = getattr(handler, "check_credentials", None)
    result: dict[str, Any] = {"provider": descriptor.provider, "model": str(descriptor)}
    if ask is None:
        return {**result, "status": "not checked", "error": "the plugin has no key check"}
    try:
        await asyncio.wait_for(ask(), timeout)
    except AuthError as exc:
        return {**result, "status": "rejected", "error": exc.message}
    except ProviderError as exc:
        return {**result, "status": "failed", "error": exc.message}
    except TimeoutError:
        return {**result, "status": "failed", "error": f"no answer within {timeout:g}s"}
    except Exception as exc:
        return {**result, "status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    return {**result, "status": "accepted", "error": None}


def _safe_url(url: str) -> str:
    """``url`` without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _check_redis(url: str | None, check: Checkup) -> None:
    if not url:
        return
    check.redis = {"url": _safe_url(url), "status": "ok", "error": None}
    try:
        import redis
    except ImportError:
        check.redis.update(
            status="failed",
            error="the redis package is not installed: "
            "pip install 'tutopanda-providers-core[redis]'",
        )
    else:
        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
            client.ping()
            client.close()
        except Exception as exc:
            check.redis.update(status="failed", error=f"{type(exc).__name__}: {exc}")
    if check.redis["status"] != "ok":
        check.problems.append(
            f"redis at {check.redis['url']} is not reachable: {check.redis['error']}"
        )


def _key_text(row: dict[str, Any]) -> str:
    asked = row.get("provider_check")
    if row["status"] != "set" or asked is None:
        return str(row["status"])
    return f"set, {asked['status']}"


def _print(check: Checkup, warnings: Sequence[str]) -> None:
    out = console()
    out.print(text(f"mode: {check.mode}; settings: {', '.join(check.settings)}"))
    keys = table("keys", "key", "status", "needed by")
    for row in check.keys.values():
        keys.add_row(text(row["name"]), text(_key_text(row)), text("\n".join(row["models"])))
    out.print(keys)
    warm = table(f"warm start ({check.mode})", "model", "status", "ms", "error")
    for w in check.warm_start:
        warm.add_row(
            text(f"{w['provider']}/{w['model']}"),
            text(w["status"]),
            text(f"{w['duration_ms']:.0f}"),
            text(w["error"] or ""),
        )
    out.print(warm)
    loaded = sum(1 for r in check.plugins if r["status"] == "loaded")
    out.print(text(f"plugins: {loaded} loaded of {len(check.plugins)}"))
    if check.redis:
        out.print(text(f"redis {check.redis['url']}: {check.redis['status']}"))
    else:
        out.print(text(f"redis: not configured (set runner.redis_url or ${REDIS_ENV})"))
    from tutopanda_providers.cli import notices

    notices.print_remaining(warnings)  # those not printed while the registry was built
    if check.problems:
        out.print(text(f"{len(check.problems)} problem(s):", style="bold red"))
        for problem in check.problems:
            out.print(text(f"  - {problem}"))
    elif check.mode == "mock":
        out.print(text("ready (mock); run `tutopanda-providers doctor --live` before a live run"))
    else:
        out.print(text("ready (live)", style="bold green"))


__all__ = ["Checkup", "doctor"]
