"""``models``, ``plugins`` and ``doctor``: what is installed and whether it is ready."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from tutopanda_providers.cli import exitcodes
from tutopanda_providers.cli.render import console, failures_to_exit_codes, print_json

REDIS_ENV = "TUTOPANDA_REDIS_URL"


def _registry(mode: str = "mock", **options: Any) -> Any:
    from tutopanda_providers.registry import create_provider_registry

    return create_provider_registry(mode=mode, **options)


def _safe_url(url: str) -> str:
    """``url`` without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def model_rows(registry: Any, kind: str | None) -> list[dict[str, Any]]:
    """One row per model card: kind, modes, price, secrets present (names only)."""
    from tutopanda_providers.contracts import Descriptor

    rows = []
    for card in registry.list_models(kind):
        descriptor = Descriptor(provider=card.provider, model=card.model)
        secrets = {name: registry.secrets.resolve(name) is not None for name in card.secret_names}
        main = card.price.rates[0] if card.price.rates else None
        rows.append(
            {
                "provider": card.provider,
                "model": card.model,
                "kind": card.kind.value,
                "modes": registry.served_modes(descriptor),
                "price_unit": card.price.unit,
                "price_usd": main.usd if main else None,
                "price_source": card.price.source,
                "secrets": secrets,
                "secrets_present": all(secrets.values()),
                "description": card.description,
                "capabilities": sorted(card.capabilities),
            }
        )
    return rows


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


def _can(capabilities: list[str]) -> str:
    """The short names of ``capabilities``, the ones a producer choice hinges on first."""
    order = list(_CAN)
    known = sorted((c for c in capabilities if c in _CAN), key=order.index)
    return (
        " ".join([_CAN[c] for c in known] + sorted(c for c in capabilities if c not in _CAN)) or "-"
    )


def models(kind: str | None, json_out: bool) -> None:
    """The ``models`` command."""
    from tutopanda_providers.contracts import ProducerKind

    with failures_to_exit_codes(json_out):
        if kind is not None and kind not in {k.value for k in ProducerKind}:
            from tutopanda_providers.contracts import ConfigurationError

            kinds = ", ".join(k.value for k in ProducerKind)
            raise ConfigurationError(f"--kind {kind!r} is not a kind; use one of {kinds}")
        registry = _registry()
        rows = model_rows(registry, kind)
    if json_out:
        print_json({"models": rows, "warnings": registry.warnings})
        return
    from rich.table import Table

    table = Table(
        title=f"{len(rows)} models" + (f" of kind {kind}" if kind else ""), title_justify="left"
    )
    table.add_column("model", overflow="fold", min_width=24)
    table.add_column("kind", no_wrap=True)
    table.add_column("modes", no_wrap=True)
    table.add_column("price", overflow="fold")
    table.add_column("secrets", overflow="fold")
    table.add_column("can", overflow="fold", max_width=12)
    for row in rows:
        price = "unknown" if row["price_usd"] is None else f"${row['price_usd']:g}"
        if not row["secrets"]:
            secret = "none needed"
        else:
            missing = [name for name, ok in row["secrets"].items() if not ok]
            secret = "set" if not missing else "missing " + ", ".join(missing)
        table.add_row(
            f"{row['provider']}/{row['model']}",
            row["kind"],
            ", ".join(row["modes"]),
            f"{price} / {row['price_unit']}",
            secret,
            _can(row["capabilities"]),
        )
    out = console()
    out.print(table)
    for warning in registry.warnings:
        out.print(f"warning: {warning}", markup=False)


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
    from rich.table import Table

    table = Table(title=f"plugins (core speaks hook contract {HOOK_CONTRACT_VERSION})")
    for column in ("plugin", "version", "status", "contract", "hooks", "registers"):
        table.add_column(column)
    for r in reports:
        registered = r["registered"]
        shown = ", ".join(registered[:3]) + (
            f" (+{len(registered) - 3} more)" if len(registered) > 3 else ""
        )
        status = r["status"] if not r["error"] else f"{r['status']}: {r['error']}"
        table.add_row(
            r["name"],
            " ".join(x for x in (r["distribution"], r["version"]) if x) or "-",
            status,
            "-" if r["contract"] is None else str(r["contract"]),
            ", ".join(h.removeprefix("tutopanda_") for h in r["hooks"]) or "-",
            shown or "-",
        )
    out = console()
    out.print(table)
    for warning in registry.warnings:
        out.print(f"warning: {warning}", markup=False)


def _check_redis(url: str) -> dict[str, Any]:
    try:
        import redis
    except ImportError:
        return {
            "url": _safe_url(url),
            "status": "failed",
            "error": "the redis package is not installed: pip install 'tutopanda-providers-core[redis]'",
        }
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:
        return {"url": _safe_url(url), "status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    return {"url": _safe_url(url), "status": "ok", "error": None}


def doctor(
    plan_path: Path | None,
    settings_path: Path | None,
    mock: bool,
    timeout: float,
    json_out: bool,
) -> None:
    """The ``doctor`` command."""
    import asyncio

    from tutopanda_providers.contracts import scrub
    from tutopanda_providers.runner import Catalog, load_plan, load_settings

    with failures_to_exit_codes(json_out):
        settings = load_settings(settings_path)
        catalog = Catalog.from_settings(settings)
        producers = sorted(catalog.entries)
        if plan_path is not None:
            producers = load_plan(plan_path, catalog.entries).producers()
        registry = _registry("mock" if mock else "live")

    problems: list[str] = []
    plugin_rows = [
        {"name": r.name, "version": r.version, "status": r.status, "error": r.error}
        for r in registry.plugins
    ]
    for r in registry.plugins:
        if r.status == "failed":
            problems.append(f"plugin {r.name} failed to load: {r.error}")
    settings_problems = catalog.check(registry, producers)
    if not settings_problems:
        from tutopanda_providers.contracts import ConfigurationError

        fallbacks = {k: v for k, v in catalog.pipeline_fallbacks().items() if k in producers}
        try:  # the pipeline checks that each fallback can do its primary's job
            registry.check_fallbacks(fallbacks)
        except ConfigurationError as exc:
            settings_problems.append(exc.message)
    problems.extend(settings_problems)

    descriptors = []
    secret_rows: dict[str, dict[str, Any]] = {}
    for name in producers:
        entry = catalog.entries[name]
        for descriptor in entry.candidates():
            descriptors.append(descriptor)
            try:
                card = registry.card(descriptor)
            except Exception:
                continue
            for secret in card.secret_names:
                row = secret_rows.setdefault(
                    secret,
                    {
                        "name": secret,
                        "present": registry.secrets.resolve(secret) is not None,
                        "models": [],
                    },
                )
                if str(descriptor) not in row["models"]:
                    row["models"].append(str(descriptor))
    if not mock:
        for row in secret_rows.values():
            if not row["present"]:
                problems.append(
                    f"secret {row['name']} is not set (needed live by {', '.join(row['models'])}); "
                    f"export {row['name']}=... or put it in .env"
                )

    warm = asyncio.run(
        registry.warm_start(
            [d for d in dict.fromkeys(descriptors) if _has_card(registry, d)],
            timeout=timeout,
            mode="mock" if mock else "live",
        )
    )
    warm_rows = [w.to_dict() for w in warm]
    for w in warm:
        if w.status == "failed":
            problems.append(f"warm start of {w.descriptor} ({w.mode}) failed: {w.error}")

    redis_url = settings.runner.redis_url or os.environ.get(REDIS_ENV)
    redis_row = _check_redis(redis_url) if redis_url else None
    if redis_row and redis_row["status"] != "ok":
        problems.append(f"redis at {redis_row['url']} is not reachable: {redis_row['error']}")

    problems = [scrub(p) for p in problems]
    code = exitcodes.OK
    if settings_problems:
        code = exitcodes.USAGE
    elif problems:
        code = exitcodes.PROVIDER
    if json_out:
        print_json(
            {
                "ok": not problems,
                "mode": "mock" if mock else "live",
                "plugins": plugin_rows,
                "secrets": list(secret_rows.values()),
                "warm_start": warm_rows,
                "redis": redis_row,
                "settings": settings.sources,
                "warnings": registry.warnings,
                "problems": problems,
                "exit_code": code,
            }
        )
        raise typer.Exit(code)
    from rich.table import Table

    out = console()
    out.print(f"settings: {', '.join(settings.sources)}", markup=False)
    table = Table(title="secrets")
    table.add_column("secret")
    table.add_column("status")
    table.add_column("needed by")
    for row in secret_rows.values():
        table.add_row(row["name"], "set" if row["present"] else "MISSING", ", ".join(row["models"]))
    out.print(table)
    table = Table(title=f"warm start ({'mock' if mock else 'live'})")
    for column in ("model", "status", "ms", "error"):
        table.add_column(column)
    for w in warm_rows:
        table.add_row(
            f"{w['provider']}/{w['model']}",
            w["status"],
            f"{w['duration_ms']:.0f}",
            w["error"] or "",
        )
    out.print(table)
    loaded = sum(1 for r in plugin_rows if r["status"] == "loaded")
    out.print(f"plugins: {loaded} loaded of {len(plugin_rows)}", markup=False)
    if redis_row:
        out.print(f"redis {redis_row['url']}: {redis_row['status']}", markup=False)
    else:
        out.print(f"redis: not configured (set runner.redis_url or ${REDIS_ENV})", markup=False)
    for warning in registry.warnings:
        out.print(f"warning: {warning}", markup=False)
    if problems:
        out.print(f"{len(problems)} problem(s):", style="bold red")
        for p in problems:
            out.print(f"  - {p}", markup=False)
    else:
        out.print("ready", style="bold green")
    raise typer.Exit(code)


def _has_card(registry: Any, descriptor: Any) -> bool:
    try:
        registry.card(descriptor)
    except Exception:
        return False
    return True


__all__ = ["doctor", "model_rows", "models", "plugins"]
