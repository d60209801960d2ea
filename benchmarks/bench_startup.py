"""Start-up cost: creating the registry with every installed plugin and listing every model.

Each figure is measured on a fresh interpreter (``python -c ...``), repeated and reported as
the median: the wall time, and the CPU time (user + system) of the child process. On this
shared 2-core machine the wall time swells whenever other work runs; the CPU time barely moves,
so the verdict is given on both. The runs of the three scenarios are interleaved so a burst of
load hits them alike. The budget (issue 2) is 150 ms over bare interpreter start-up, with
neither vendor SDK imported.

Before timing, the sources of the installed ``tutopanda`` packages are compiled to bytecode
(``compileall``), as an installed wheel would be: this machine sets PYTHONDONTWRITEBYTECODE, and
without bytecode every run would pay for compiling our modules.

    uv run --frozen python benchmarks/bench_startup.py            # 10 runs each
    uv run --frozen python benchmarks/bench_startup.py --smoke    # 2 runs each
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time

BUDGET_MS = 150.0
WATCHED = ("openai", "replicate", "httpx", "httpx2", "fsspec", "typer", "rich", "asyncio")

SCENARIOS = {
    "bare interpreter (python -c pass)": "pass",
    "pydantic alone (BaseModel + 1 deferred model)": (
        "from pydantic import BaseModel, ConfigDict\n"
        "class M(BaseModel):\n"
        "    model_config = ConfigDict(defer_build=True)\n"
        "    x: int"
    ),
    "import tutopanda_providers": "import tutopanda_providers",
    "create_provider_registry() + list_models()": (
        "from tutopanda_providers import create_provider_registry\n"
        "create_provider_registry().list_models()"
    ),
}

PROBE = f"""
import json, sys, time
started = time.perf_counter()
from tutopanda_providers import create_provider_registry
registry = create_provider_registry()
models = registry.list_models()
elapsed = (time.perf_counter() - started) * 1000
print(json.dumps({{
    "in_process_ms": elapsed,
    "models": len(models),
    "schemas_built": sorted(
        c.ref for c in models if getattr(c.input_model, "__pydantic_complete__", False)
    ),
    "plugins": [
        {{"name": p.name, "version": p.version, "status": p.status, "error": p.error,
          "registered": len(p.registered)}}
        for p in registry.plugins
    ],
    "imported": {{m: m in sys.modules for m in {WATCHED!r}}},
}}))
"""


def compile_sources() -> list[str]:
    """Compile the installed tutopanda packages' sources; return their names."""
    names = [
        "tutopanda_providers",
        "tutopanda_provider_mock",
        "tutopanda_provider_openai",
        "tutopanda_provider_replicate",
    ]
    done = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            compileall.compile_dir(location, quiet=1)
        done.append(name)
    return done


def run_once(code: str) -> tuple[float, float]:
    """Wall and CPU milliseconds of one fresh interpreter running ``code``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="2 runs each (for CI)")
    parser.add_argument("--repeat", type=int, default=10, help="runs per scenario (default 10)")
    args = parser.parse_args()
    repeat = 2 if args.smoke else args.repeat

    compiled = compile_sources()
    for code in SCENARIOS.values():  # one unmeasured run each: warm the OS file cache
        run_once(code)
    wall: dict[str, list[float]] = {name: [] for name in SCENARIOS}
    cpu: dict[str, list[float]] = {name: [] for name in SCENARIOS}
    for _ in range(repeat):
        for name, code in SCENARIOS.items():
            w, c = run_once(code)
            wall[name].append(w)
            cpu[name].append(c)

    probe = subprocess.run(
        [sys.executable, "-c", PROBE], check=True, capture_output=True, text=True
    )
    facts = json.loads(probe.stdout.strip().splitlines()[-1])

    bare_name = next(iter(SCENARIOS))
    width = max(len(name) for name in SCENARIOS)
    bare_wall, bare_cpu = statistics.median(wall[bare_name]), statistics.median(cpu[bare_name])
    print(
        f"fresh processes, {repeat} runs each, medians in ms; python {sys.version.split()[0]}; "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    print(f"bytecode compiled for: {', '.join(compiled) or 'nothing'}")
    print()
    print(
        f"| {'scenario':<{width}} | {'wall':>6} | {'wall min-max':>12} | {'wall over bare':>14} "
        f"| {'CPU':>5} | {'CPU over bare':>13} |"
    )
    print(f"|{'-' * (width + 2)}|{'-' * 8}|{'-' * 14}|{'-' * 16}|{'-' * 7}|{'-' * 15}|")
    for name in SCENARIOS:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        spread = f"{min(wall[name]):.0f}-{max(wall[name]):.0f}"
        over_w = "" if name == bare_name else f"{w - bare_wall:+.0f}"
        over_c = "" if name == bare_name else f"{c - bare_cpu:+.0f}"
        print(
            f"| {name:<{width}} | {w:>6.0f} | {spread:>12} | {over_w:>14} | {c:>5.0f} | {over_c:>13} |"
        )
    print()

    main_name = "create_provider_registry() + list_models()"
    for label, values, bare in (("wall", wall, bare_wall), ("CPU", cpu, bare_cpu)):
        overhead = statistics.median(values[main_name]) - bare
        verdict = "within" if overhead <= BUDGET_MS else "OVER"
        print(
            f"registry + list_models over bare start-up ({label} time): {overhead:.0f} ms "
            f"({verdict} the {BUDGET_MS:.0f} ms budget)"
        )
    print(f"in-process time of that scenario (one probe run): {facts['in_process_ms']:.0f} ms")
    plugins = ", ".join(
        f"{p['name']} {p['version'] or ''} [{p['status']}{': ' + p['error'] if p['error'] else ''}]"
        for p in facts["plugins"]
    )
    print(f"plugins: {plugins or 'none installed'}; models listed: {facts['models']}")
    imported = facts["imported"]
    print(
        "vendor SDKs imported: "
        + ", ".join(f"{m}={'YES' if imported[m] else 'no'}" for m in ("openai", "replicate"))
    )
    others = [m for m in WATCHED if m not in ("openai", "replicate") and imported[m]]
    print(f"other heavy modules imported: {', '.join(others) or 'none'}")
    print(
        f"input schemas built during start-up: {len(facts['schemas_built'])} of {facts['models']}"
        + (f" ({', '.join(facts['schemas_built'])})" if facts["schemas_built"] else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
