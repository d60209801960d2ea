"""`pip install tutopanda-provider-replicate tutopanda-provider-mock` into a fresh venv just
works: `init`, `estimate` and `run` exit 0 with no OpenAI plugin and no settings of one's own.

Wheels of core, the mock and the Replicate plugin are built from this checkout and installed
by plain ``pip`` (its dependencies from the configured index) into a ``python3 -m venv``; the
commands run from an empty folder, so nothing of the workspace is importable by accident.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tutopanda-providers-core", "tutopanda-provider-mock", "tutopanda-provider-replicate")


def _uv() -> str | None:
    found = shutil.which("uv")
    fallback = Path.home() / ".local" / "bin" / "uv"
    return found or (str(fallback) if fallback.exists() else None)


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VIRTUAL_ENV", "TUTOPANDA_", "PYTHONPATH"))
        and k not in ("OPENAI_API_KEY", "REPLICATE_API_TOKEN")
    }
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, (
        f"{' '.join(map(str, args))} exited {done.returncode}\n"
        f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    )
    return done


@pytest.mark.slow
def test_replicate_and_mock_installed_with_pip_init_estimate_and_run(tmp_path: Path) -> None:
    uv = _uv()
    if uv is None:
        pytest.skip("uv is not installed (it builds the wheels)")
    wheels = tmp_path / "wheels"
    for package in PACKAGES:
        run(uv, "build", "--wheel", "--quiet", "--out-dir", wheels, ROOT / "packages" / package)
    built = sorted(wheels.glob("*.whl"))
    assert len(built) == 3

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", *built)
    cli = venv / "bin" / "tutopanda-providers"

    folder = tmp_path / "lesson"
    folder.mkdir()
    plugins = json.loads(run(cli, "plugins", "--json", cwd=folder).stdout)["plugins"]
    assert {p["name"]: p["status"] for p in plugins} == {"mock": "loaded", "replicate": "loaded"}

    run(cli, "init", cwd=folder)
    assert (folder / "lesson.toml").is_file() and (folder / "tutopanda.toml").is_file()
    settings = (folder / "tutopanda.toml").read_text()
    assert "openai/" not in settings.split("version = 1", 1)[1]  # only installed models

    estimate = json.loads(run(cli, "estimate", "lesson.toml", "--json", cwd=folder).stdout)
    assert estimate["jobs"], estimate

    report = json.loads(run(cli, "run", "lesson.toml", "--json", cwd=folder).stdout)
    assert report["exit_code"] == 0, report
    assert {j["status"] for j in report["jobs"]} == {"succeeded"}, report
    assert len(report["jobs"]) == 7

    # Without the settings `init` wrote, the shipped defaults adapt and say so once each.
    (folder / "tutopanda.toml").unlink()
    adapted = run(cli, "estimate", "lesson.toml", cwd=folder)
    assert adapted.stderr.count("the default model openai/gpt-5 is not installed") == 1
    run(cli, "run", "lesson.toml", "--movie", "out/adapted", cwd=folder)
