"""``make demo-live``: a whole lesson in live mode, through the official SDKs, against the fakes.

    python -m tutopanda_providers_testing.demo_live [--plan examples/lesson.toml]
        [--movie out/demo-live-movie] [--max-cost 5] [--settings FILE]
        [--fail replicate:create:503]

Starts the fake Replicate, OpenAI and FAL servers in a child process
(:func:`~tutopanda_providers_testing.spawn.spawn_fake_servers`), runs
``tutopanda-providers run PLAN --live`` with the environment that points the ``openai`` and
``replicate`` SDKs and the FAL plugin at them (fake keys, loopback URLs: nothing leaves the
machine, nothing is billed), then says how many jobs succeeded, which provider served them,
where the artefacts are and what the run would have cost. ``--settings`` picks the models
(``examples/settings-fal.toml`` puts every media producer on FAL); ``--fail`` makes a fake
answer every call of a route with an error (``replicate:create:503``: Replicate creates
nothing, so the default settings fail over to FAL). The servers stop when the run ends, fails
or is interrupted (Ctrl-C). Exit code: the run's (0 when every job succeeded).
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

from tutopanda_providers_testing.serve import fail_rule_problem
from tutopanda_providers_testing.spawn import spawn_fake_servers

#: Environment variables that would point a run elsewhere than the fakes; never passed on.
_FOREIGN = ("OPENAI_", "REPLICATE_", "FAL_", "TUTOPANDA_SETTINGS")


@dataclass
class DemoOutcome:
    """What a live demo run did.

    Attributes:
        exit_code: the ``tutopanda-providers run`` exit code.
        movie: the movie folder (``manifest.json``, ``events.jsonl``, ``blobs/``).
        jobs: ``job id -> status`` from the manifest (``succeeded``, ``failed``…).
        spent_usd: what the run's jobs cost, summed from the manifest (US dollars; what the
            same calls would be billed by the real providers).
        served_by: ``job id -> provider`` that produced each succeeded job's artefacts.
    """

    exit_code: int
    movie: Path
    jobs: dict[str, str] = field(default_factory=dict)
    spent_usd: float = 0.0
    served_by: dict[str, str] = field(default_factory=dict)

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
    settings: Path | None = None,
    fail: Sequence[str] = (),
) -> DemoOutcome:
    """Run ``plan`` live against freshly started fakes into ``movie``; stop the fakes after.

    Args:
        max_cost: ``--max-cost`` of the run, in US dollars (the fakes bill nothing; the
            budget is checked against what the real providers would charge).
        extra_args: more ``run`` options (``--concurrency 2``…).
        capture: capture the command's output instead of letting it reach the terminal.
        timeout: seconds before the run is stopped (``subprocess.TimeoutExpired``).
        settings: a settings file for the run (``None``: the shipped defaults).
        fail: ``SERVER:ROUTE:STATUS`` rules for the fakes (every call of the route fails).
    """
    with spawn_fake_servers("all", fail=fail) as fakes:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN)}
        env.update(fakes.env)
        args = [sys.executable, "-m", "tutopanda_providers.cli", "run", str(plan), "--live"]
        args += ["--movie", str(movie), "--max-cost", f"{max_cost:g}", *extra_args]
        if settings is not None:
            args += ["--settings", str(settings)]
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
        served = (record.get("provider") or {}).get("provider")
        if isinstance(served, str) and served:
            outcome.served_by[job] = served
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
    providers: dict[str, int] = {}
    for provider in outcome.served_by.values():
        providers[provider] = providers.get(provider, 0) + 1
    if providers:
        served = ", ".join(f"{name} {count}" for name, count in sorted(providers.items()))
        print(f"served by: {served}", file=out)
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
        description="Run a lesson live against the fake Replicate, OpenAI and FAL servers.",
    )
    parser.add_argument("--plan", type=Path, default=Path("examples/lesson.toml"))
    parser.add_argument("--movie", type=Path, default=Path("out/demo-live-movie"))
    parser.add_argument("--max-cost", type=float, default=5.0, help="US dollars (default 5)")
    parser.add_argument(
        "--settings", type=Path, default=None, help="settings file (default: shipped defaults)"
    )
    parser.add_argument(
        "--fail",
        action="append",
        default=[],
        metavar="SERVER:ROUTE:STATUS",
        help="make a fake fail every call of a route, e.g. replicate:create:503 (repeatable)",
    )
    args = parser.parse_args(argv)
    for rule in args.fail:
        problem = fail_rule_problem(rule)
        if problem is not None:
            parser.error(f"--fail {problem}")
    if not args.plan.is_file():
        print(f"no plan at {args.plan}; pass --plan PATH (run from the repository root)")
        return 2
    try:
        outcome = run_demo(
            args.plan, args.movie, max_cost=args.max_cost, settings=args.settings, fail=args.fail
        )
    except KeyboardInterrupt:
        print("\ndemo-live: interrupted; the fake servers were stopped", file=sys.stderr)
        return 130
    report(outcome, sys.stdout)
    return outcome.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
