"""Run the fake servers on their own, so a person can try the CLI in live mode for free.

    python -m tutopanda_providers_testing.serve replicate --port 8787
    python -m tutopanda_providers_testing.serve both --port 8787      # OpenAI on 8788

It prints the base URLs and the environment variables that point the SDKs (and so the
``tutopanda-providers`` command) at the fakes, with a fake key; then serves until Ctrl-C and
prints what it saw.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from tutopanda_providers_testing.fake_openai import FakeOpenAIServer
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer
from tutopanda_providers_testing.fakeserver import FakeServer
from tutopanda_providers_testing.keys import LOCAL_OPENAI_KEY, LOCAL_REPLICATE_TOKEN


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = argparse.ArgumentParser(
        prog="python -m tutopanda_providers_testing.serve",
        description="Serve fake Replicate and/or OpenAI APIs on 127.0.0.1.",
    )
    parser.add_argument("which", choices=["replicate", "openai", "both"])
    parser.add_argument(
        "--port", type=int, default=0, help="port of the first server (0: any free port)"
    )
    parser.add_argument(
        "--openai-port",
        type=int,
        default=None,
        help="port of the OpenAI server with 'both' (default: --port + 1, or any when 0)",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each call")
    parser.add_argument("--rate-limit", type=float, default=None, help="requests/s before 429")
    parser.add_argument(
        "--polls", type=int, default=2, help="polls before a Replicate prediction finishes"
    )
    parser.add_argument(
        "--output-mode", choices=["url", "data"], default="url", help="Replicate file outputs"
    )
    return parser


def start_servers(args: argparse.Namespace) -> list[FakeServer]:
    """Start the servers ``args`` asks for."""
    common = {"latency": args.latency, "rate_limit": args.rate_limit}
    servers: list[FakeServer] = []
    if args.which in ("replicate", "both"):
        servers.append(
            FakeReplicateServer(
                port=args.port, polls_to_finish=args.polls, output_mode=args.output_mode, **common
            ).start()
        )
    if args.which in ("openai", "both"):
        port = args.port
        if args.which == "both":
            port = (
                args.openai_port
                if args.openai_port is not None
                else (args.port + 1 if args.port else 0)
            )
        servers.append(FakeOpenAIServer(port=port, **common).start())
    return servers


def describe(servers: Sequence[FakeServer], out: TextIO) -> None:
    """Print where the servers listen and the environment that points clients at them."""
    for server in servers:
        name = "replicate" if isinstance(server, FakeReplicateServer) else "openai"
        print(f"fake {name} listening on {server.origin}", file=out)
    print("\nPoint the SDKs (and the tutopanda-providers command) at them with:", file=out)
    for server in servers:
        if isinstance(server, FakeReplicateServer):
            print(f"  export REPLICATE_BASE_URL={server.base_url}", file=out)
            print(f"  export REPLICATE_API_TOKEN={LOCAL_REPLICATE_TOKEN}", file=out)
            print("  export REPLICATE_POLL_INTERVAL=0.05", file=out)
        elif isinstance(server, FakeOpenAIServer):
            print(f"  export OPENAI_BASE_URL={server.base_url}", file=out)
            print(f"  export OPENAI_API_KEY={LOCAL_OPENAI_KEY}", file=out)
    print("\nNothing leaves this machine and nothing is billed. Ctrl-C to stop.", file=out)
    out.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted; return the exit code."""
    args = build_parser().parse_args(argv)
    servers = start_servers(args)
    describe(servers, sys.stdout)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            with contextlib.suppress(BrokenPipeError):  # whoever started us stopped reading
                print(f"{server.origin}: {len(server.log)} requests, {server.log.counters}")
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
