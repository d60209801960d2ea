"""Core and the mock plugin, built as wheels and installed alone in a fresh venv, just work.

This is what a user gets from ``pip install tutopanda-provider-mock``: no workspace, no
editable paths. The plugin must be found through its real entry point and run a mock job that
writes a real file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "packages" / "tutopanda-providers-core"
MOCK = ROOT / "packages" / "tutopanda-provider-mock"

JOB = """
import asyncio, json, sys
from importlib.metadata import entry_points
from tutopanda_providers import Descriptor, create_provider_registry

async def main():
    registry = create_provider_registry(storage_root=sys.argv[1])
    image = await registry.invoke(
        Descriptor.parse("mock/image"), {"prompt": "a red panda"}, producer="WheelTest"
    )
    artefact = image.artefacts[0]
    print(json.dumps({
        "entry_points": sorted(
            (ep.name, ep.value, ep.dist.name) for ep in entry_points(group="tutopanda.providers")
        ),
        "plugins": {p.name: [p.status, p.distribution, p.version] for p in registry.plugins},
        "models": [c.ref for c in registry.list_models()],
        "mocked": image.meta.mocked,
        "mime": artefact.mime,
        "path": str(registry.storage.local_path(artefact.blob)),
        "sha256": artefact.blob.sha256,
        "core_file": __import__("tutopanda_providers").__file__,
    }))

asyncio.run(main())
"""


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "TUTOPANDA_"))}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )


@pytest.mark.slow
def test_mock_plugin_installed_from_wheels_is_found_and_runs_a_job(tmp_path: Path) -> None:
    if not (MOCK / "src" / "tutopanda_provider_mock" / "plugin.py").exists():
        pytest.skip("the mock package has no plugin module yet")
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    wheels = tmp_path / "wheels"
    for package in (CORE, MOCK):
        run(uv, "build", "--wheel", "--quiet", "--out-dir", wheels, package)
    built = sorted(wheels.glob("*.whl"))
    assert [w.name.split("-")[0] for w in built] == [
        "tutopanda_provider_mock",
        "tutopanda_providers_core",
    ]
    venv = tmp_path / "venv"
    run(uv, "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    run(uv, "pip", "install", "--quiet", "--python", python, *built)

    # Run from an empty folder so nothing of the workspace is importable by accident.
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    out = run(python, "-c", JOB, tmp_path / "blobs", cwd=workdir)
    facts = json.loads(out.stdout.strip().splitlines()[-1])

    assert facts["core_file"].startswith(str(venv)), "core was not imported from the venv"
    assert facts["entry_points"] == [
        ["mock", "tutopanda_provider_mock.plugin", "tutopanda-provider-mock"]
    ]
    version = tomllib.loads((MOCK / "pyproject.toml").read_text())["project"]["version"]
    assert facts["plugins"] == {"mock": ["loaded", "tutopanda-provider-mock", version]}
    assert "mock/image" in facts["models"]
    assert facts["mocked"] is True
    assert facts["mime"] == "image/png"
    image = Path(facts["path"])
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.name.startswith(facts["sha256"])
