"""Done-when of issue 16: a plugin copied out of this repository, renamed, installed from
wheels into a fresh venv (no workspace), passes its conformance tests with the recipe of
``docs/writing-a-plugin.md`` and ``docs/conformance.md`` as written.

The copy is the example package under another distribution and module name, as a third
party would start; it sees core and the testing kit only as installed wheels.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "packages" / "tutopanda-providers-core"
TESTING = ROOT / "packages" / "tutopanda-providers-testing"
EXAMPLE = ROOT / "packages" / "tutopanda-provider-example"


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "TUTOPANDA_"))}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def copy_and_rename(target: Path) -> Path:
    """The example as a third party's ``tutopanda-provider-zap``: every name rewritten."""
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    (target / "src" / "tutopanda_provider_example").rename(
        target / "src" / "tutopanda_provider_zap"
    )
    for path in target.rglob("*"):
        if path.is_file() and path.suffix in {".py", ".toml", ".md"}:
            text = path.read_text()
            text = text.replace("tutopanda_provider_example", "tutopanda_provider_zap")
            path.write_text(text.replace("tutopanda-provider-example", "tutopanda-provider-zap"))
    return target


@pytest.mark.slow
def test_a_copied_plugin_installed_from_wheels_passes_the_conformance_suite(
    tmp_path: Path,
) -> None:
    uv = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
    if not Path(uv).exists():
        pytest.skip("uv is not installed (it builds the wheels)")
    plugin = copy_and_rename(tmp_path / "tutopanda-provider-zap")
    wheels = tmp_path / "wheels"
    for package in (CORE, TESTING, plugin):
        run(uv, "build", "--wheel", "--quiet", "--out-dir", wheels, package)
    venv = tmp_path / "venv"
    run(uv, "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    run(uv, "pip", "install", "--quiet", "--python", python, *sorted(wheels.glob("*.whl")))

    # The recipe: `pytest tests` in the plugin's folder, nothing else.
    done = run(python, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", cwd=plugin)
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    where = run(
        python, "-c", "import tutopanda_provider_zap, sys; print(tutopanda_provider_zap.__file__)"
    )
    assert where.stdout.strip().startswith(str(venv)), "the plugin was not the installed copy"
