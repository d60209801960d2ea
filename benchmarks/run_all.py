"""Run every benchmark in this folder and print its figures (``make bench``).

Each ``bench_*.py`` is a standalone script that prints a table; ``--smoke`` asks each for its
short version (seconds, for CI, so the harness never rots). A benchmark that crashes makes this
script exit non-zero; timings are never judged here, only printed.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="short runs, for CI")
    parser.add_argument("only", nargs="*", help="run only benchmarks whose name contains this")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if any(o in s.stem for o in args.only)]
    print(
        f"# machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"python {platform.python_version()}, {_cpus()} cores"
    )
    failed: list[str] = []
    for script in scripts:
        print(f"\n## {script.stem}", flush=True)
        started = time.perf_counter()
        cmd = [sys.executable, str(script), *(["--smoke"] if args.smoke else [])]
        proc = subprocess.run(cmd, cwd=HERE.parent, check=False)
        print(f"({script.name} took {time.perf_counter() - started:.1f}s)", flush=True)
        if proc.returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"\nbenchmarks that crashed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    raise SystemExit(main())
