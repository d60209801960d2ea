"""Start-up of the command line: ``tutopanda-providers --help`` and ``models`` in a fresh process.

Each command runs in a new process, repeated; the table shows the median wall time and the
median CPU time (user + system) of the child. On this shared 2-core machine the wall time swells
when other work runs, the CPU time barely moves, so both are shown beside the budgets (issue 8:
``--help`` under 300 ms, ``models`` under 400 ms). The runs of the scenarios are interleaved so
a burst of load hits them alike.

Before timing, the installed ``tutopanda`` sources are compiled to bytecode (``compileall``),
as an installed wheel would be: this machine sets PYTHONDONTWRITEBYTECODE.

    uv run --frozen python benchmarks/bench_cli.py            # 10 runs each
    uv run --frozen python benchmarks/bench_cli.py --smoke    # 2 runs each
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

PACKAGES = (
    "tutopanda_providers",
    "tutopanda_provider_mock",
    "tutopanda_provider_openai",
    "tutopanda_provider_replicate",
)


def command() -> list[str]:
    """The console script beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).parent / "tutopanda-providers"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tutopanda_providers.cli"]


SCENARIOS: dict[str, tuple[list[str], float | None]] = {
    "bare interpreter (python -c pass)": ([sys.executable, "-c", "pass"], None),
    "tutopanda-providers --help": ([*command(), "--help"], 300.0),
    "tutopanda-providers models": ([*command(), "models"], 400.0),
}


def compile_sources() -> None:
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            for location in spec.submodule_search_locations:
                compileall.compile_dir(location, quiet=1)


def once(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU milliseconds of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}"
        )
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="2 runs each (CI)")
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args()
    runs = args.runs or (2 if args.smoke else 10)
    compile_sources()
    env_note = "with" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "without"
    for argv, _ in SCENARIOS.values():  # warm the page cache once
        once(argv)
    walls: dict[str, list[float]] = {name: [] for name in SCENARIOS}
    cpus: dict[str, list[float]] = {name: [] for name in SCENARIOS}
    for _ in range(runs):
        for name, (argv, _) in SCENARIOS.items():
            wall, cpu = once(argv)
            walls[name].append(wall)
            cpus[name].append(cpu)
    print(
        f"fresh-process medians of {runs} runs ({env_note} PYTHONDONTWRITEBYTECODE, bytecode compiled)"
    )
    print(f"{'scenario':<36} {'wall ms':>9} {'cpu ms':>9} {'budget ms':>10}  verdict")
    for name, (_, budget) in SCENARIOS.items():
        wall = statistics.median(walls[name])
        cpu = statistics.median(cpus[name])
        if budget is None:
            verdict, shown = "-", "-"
        else:
            shown = f"{budget:.0f}"
            verdict = "within" if wall < budget else ("within (cpu)" if cpu < budget else "OVER")
        print(f"{name:<36} {wall:>9.1f} {cpu:>9.1f} {shown:>10}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
