"""``make demo-live``: a whole lesson in live mode, through the official SDKs, against the fakes.

    python -m tutopanda_providers_testing.demo_live [--plan examples/lesson.toml]
        [--movie out/demo-live-movie] [--max-cost 5]

Starts the fake Replicate and OpenAI servers in a child process
(:func:`~tutopanda_providers_testing.spawn.spawn_fake_servers`), runs
``tutopanda-providers run PLAN --live`` with the environment that points the ``openai`` and
``replicate`` SDKs at them (fake keys, loopback URLs: nothing leaves the machine, nothing is
billed), then says how many jobs succeeded, where the artefacts are and what the run would have
cost. The servers stop when the run ends, fails or is interrupted (Ctrl-C). Exit code: the
run's (0 when every job succeeded).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from tutopanda_providers_testing.spawn import spawn_fake_servers

#: Environment variables that would point a run elsewhere than the fakes; never passed on.
_FOREIGN = ("OPENAI_", "REPLICATE_", "TUTOPANDA_SETTINGS")


@dataclass
class DemoOutcome:
    """What a live demo run did.

    Attributes:
        exit_code: the ``tutopanda-providers run`` exit code.
        movie: the movie folder (``manifest.json``, ``events.jsonl``, ``blobs/``).
        jobs: ``job id -> status`` from the manifest (``succeeded``, ``failed``…).
        spent_usd: what the run's jobs cost, summed from the manifest (US dollars; what the
            same calls would be billed by the real providers).
    """

    exit_code: int
    movie: Path
    jobs: dict[str, str] = field(default_factory=dict)
    spent_usd: float = 0.0

    @property
    def succeeded(self) -> int:
        """How many jobs succeeded."""
        return sum(1 for status in self.jobs.values() if status == "succeeded")


def run_demo(
    plan: Path,
    movie: Path,
    *,
    max_cost: float = 5.0,
    extra_args: Sequence[str] = (),
    capture: bool = False,
    timeout: float = 600.0,
) -> DemoOutcome:
    """Run ``plan`` live against freshly started fakes into ``movie``; stop the fakes after.

    Args:
        max_cost: ``--max-cost`` of the run, in US dollars (the fakes bill nothing; the
            budget is checked against what the real providers would charge).
        extra_args: more ``run`` options (``--concurrency 2``…).
        capture: capture the command's output instead of letting it reach the terminal.
        timeout: seconds before the run is stopped (``subprocess.TimeoutExpired``).
    """
    with spawn_fake_servers("both") as fakes:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN)}
        env.update(fakes.env)
        args = [sys.executable, "-m", "tutopanda_providers.cli", "run", str(plan), "--live"]
        args += ["--movie", str(movie), "--max-cost", f"{max_cost:g}", *extra_args]
        done = subprocess.run(args, env=env, capture_output=capture, text=True, timeout=timeout)
    return read_outcome(done.returncode, movie)


def read_outcome(exit_code: int, movie: Path) -> DemoOutcome:
    """The outcome of a run from its movie's ``manifest.json`` (empty when there is none)."""
    outcome = DemoOutcome(exit_code=exit_code, movie=movie)
    manifest = movie / "manifest.json"
    if not manifest.is_file():
        return outcome
    data: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
    for job, record in (data.get("jobs") or {}).items():
        outcome.jobs[job] = str(record.get("status"))
        amount = (record.get("cost") or {}).get("amount_usd")
        if isinstance(amount, int | float):
            outcome.spent_usd += float(amount)
    return outcome


def report(outcome: DemoOutcome, out: TextIO) -> None:
    """Print the outcome for a person: jobs, where the artefacts are, what it would cost."""
    total = len(outcome.jobs)
    print(f"\ndemo-live: {outcome.succeeded} of {total} jobs succeeded", file=out)
    for job, status in sorted(outcome.jobs.items()):
        if status != "succeeded":
            print(f"  {job}: {status}", file=out)
    print(f"artefacts: {outcome.movie / 'blobs'}", file=out)
    print(f"manifest:  {outcome.movie / 'manifest.json'}", file=out)
    print(
        f"the same calls on the real providers would have cost ${outcome.spent_usd:.4f}; "
        "against the fakes nothing was billed",
        file=out,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; return the run's exit code (130 when interrupted)."""
    parser = argparse.ArgumentParser(
        prog="python -m tutopanda_providers_testing.demo_live",
        description="Run a lesson live against the fake Replicate and OpenAI servers.",
    )
    parser.add_argument("--plan", type=Path, default=Path("examples/lesson.toml"))
    parser.add_argument("--movie", type=Path, default=Path("out/demo-live-movie"))
    parser.add_argument("--max-cost", type=float, default=5.0, help="US dollars (default 5)")
    args = parser.parse_args(argv)
    if not args.plan.is_file():
        print(f"no plan at {args.plan}; pass --plan PATH (run from the repository root)")
        return 2
    try:
        outcome = run_demo(args.plan, args.movie, max_cost=args.max_cost)
    except KeyboardInterrupt:
        print("\ndemo-live: interrupted; the fake servers were stopped", file=sys.stderr)
        return 130
    report(outcome, sys.stdout)
    return outcome.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
