"""A plugin that calls ``sys.exit()`` while loading (on import, or in its registration hook)
stops only itself: it is reported like any broken plugin, and every command still runs.
Ctrl-C (KeyboardInterrupt) is not swallowed: it still stops the command.

Cases: SystemExit(3), SystemExit("text") and sys.exit(0) on import, SystemExit(5) in the
register hook, installed for real; ``plugins --json`` and a mock ``invoke`` with them present.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pluggy
import pytest
from tutopanda_providers.plugins.discovery import load_plugins, new_plugin_manager

from .conftest import cli_command
from .test_reliability_hostile_plugins import COMMON

MODULES = {
    "exit_code": "raise SystemExit(3)\n",
    "exit_text": "import sys\nsys.exit('this plugin refuses to load')\n",
    "exit_zero": "import sys\nsys.exit(0)\n",
    "exit_register": COMMON
    + """
@hookimpl
def tutopanda_register_providers(register):
    raise SystemExit(5)
""",
}
ENTRY_POINTS = {name.replace("_", "-"): name for name in MODULES}


@pytest.fixture
def exiting_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    for name, code in MODULES.items():
        (site / f"{name}.py").write_text(code)
    info = site / "exiting_plugins-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: exiting-plugins\nVersion: 1.0\n")
    lines = "".join(f"{ep} = {module}\n" for ep, module in ENTRY_POINTS.items())
    (info / "entry_points.txt").write_text(f"[tutopanda.providers]\n{lines}")
    return site


def _run(site: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOPANDA_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run(
        cli_command(*args), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_plugins_that_exit_while_loading_are_reported_and_the_rest_work(
    exiting_site: Path, tmp_path: Path
) -> None:
    listing = _run(exiting_site, tmp_path, "plugins", "--json")
    assert listing.stdout.strip(), f"no output; exit {listing.returncode}: {listing.stderr[-2000:]}"
    doc = json.loads(listing.stdout)
    text = json.dumps(doc)
    for ep in ENTRY_POINTS:
        assert ep in text, ep
    assert text.count("SystemExit") >= len(ENTRY_POINTS), text
    assert "mock" in text
    invoke = _run(
        exiting_site, tmp_path, "invoke", "mock/audio", "--input", "text=Still here.", "--json"
    )
    assert invoke.returncode == 0, invoke.stderr[-2000:]
    assert json.loads(invoke.stdout)["mocked"] is True


def test_ctrl_c_while_a_plugin_loads_still_stops_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tutopanda_providers.plugins import discovery

    class Interrupting:
        name = "interrupting"
        distribution = "x"
        version = "1"
        group = discovery.ENTRY_POINT_GROUP

        def load(self) -> object:
            raise KeyboardInterrupt

    monkeypatch.setattr(discovery, "find_entry_points", lambda group: [Interrupting()])
    pm: pluggy.PluginManager = new_plugin_manager()
    with pytest.raises(KeyboardInterrupt):
        load_plugins(pm)
