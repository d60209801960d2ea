"""Run the fake servers on their own, so a person can try the CLI in live mode for free.

    python -m tutopanda_providers_testing.serve replicate --port 8787
    python -m tutopanda_providers_testing.serve both --port 8787      # OpenAI on 8788
    python -m tutopanda_providers_testing.serve fal --port 8789
    python -m tutopanda_providers_testing.serve all --port 8787       # OpenAI 8788, FAL 8789

It prints the base URLs and the environment variables that point the SDKs (and so the
``tutopanda-providers`` command) at the fakes, with the fake key each server accepts; then
serves until Ctrl-C and prints what it saw.

Each server accepts only its key (``--replicate-key``, ``--openai-key``, ``--fal-key``; default: the fake
keys of :mod:`~tutopanda_providers_testing.keys`) and refuses any other with the provider's
real 401 answer, so a wrong key can be tried for free (``doctor --live`` says it was
rejected). ``--any-key`` accepts any non-empty key instead.

``--fail SERVER:ROUTE:STATUS`` makes every call of a route answer an error, for trying
failover for free: ``--fail replicate:create:503`` fails every Replicate create (nothing is
created), so a run whose settings list FAL after Replicate is served by FAL.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from tutopanda_providers_testing.fake_fal import LOCAL_FAL_KEY, FakeFal
from tutopanda_providers_testing.fake_openai import FakeOpenAIServer
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer
from tutopanda_providers_testing.fakeserver import FakeServer
from tutopanda_providers_testing.faults import Fault
from tutopanda_providers_testing.keys import LOCAL_OPENAI_KEY, LOCAL_REPLICATE_TOKEN


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = argparse.ArgumentParser(
        prog="python -m tutopanda_providers_testing.serve",
        description="Serve fake Replicate, OpenAI and/or FAL APIs on 127.0.0.1 "
        "(both: Replicate and OpenAI; all: the three).",
    )
    parser.add_argument("which", choices=["replicate", "openai", "both", "fal", "all"])
    parser.add_argument(
        "--port", type=int, default=0, help="port of the first server (0: any free port)"
    )
    parser.add_argument(
        "--openai-port",
        type=int,
        default=None,
        help="port of the OpenAI server with 'both' (default: --port + 1, or any when 0)",
    )
    parser.add_argument(
        "--fal-port",
        type=int,
        default=None,
        help="port of the FAL server with 'all' (default: --port + 2, or any when 0)",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each call")
    parser.add_argument("--rate-limit", type=float, default=None, help="requests/s before 429")
    parser.add_argument(
        "--polls", type=int, default=2, help="polls before a Replicate prediction finishes"
    )
    parser.add_argument(
        "--output-mode", choices=["url", "data"], default="url", help="Replicate file outputs"
    )
    parser.add_argument(
        "--replicate-key",
        default=LOCAL_REPLICATE_TOKEN,
        metavar="TOKEN",
        help="the only Replicate token accepted; others get Replicate's 401 "
        f"(default: {LOCAL_REPLICATE_TOKEN})",
    )
    parser.add_argument(
        "--openai-key",
        default=LOCAL_OPENAI_KEY,
        metavar="KEY",
        help=f"the only OpenAI key accepted; others get OpenAI's 401 (default: {LOCAL_OPENAI_KEY})",
    )
    parser.add_argument(
        "--fal-key",
        default=LOCAL_FAL_KEY,
        metavar="KEY",
        help=f"the only FAL key accepted; others get FAL's 401 (default: {LOCAL_FAL_KEY})",
    )
    parser.add_argument(
        "--fail",
        action="append",
        default=[],
        metavar="SERVER:ROUTE:STATUS",
        type=_fail_rule,
        help="answer every call of ROUTE on SERVER (replicate, openai, fal) with STATUS, "
        "e.g. replicate:create:503 (repeatable)",
    )
    parser.add_argument(
        "--any-key",
        action="store_true",
        help="accept any non-empty key (the exported keys are still printed)",
    )
    return parser


#: The server names ``--fail`` takes.
_SERVERS = ("replicate", "openai", "fal")


def _fail_rule(text: str) -> tuple[str, str, int]:
    """``replicate:create:503`` as ``("replicate", "create", 503)``."""
    server, _, rest = text.partition(":")
    route, _, status = rest.rpartition(":")
    if server not in _SERVERS or not route or not status.isdigit():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not SERVER:ROUTE:STATUS; for example replicate:create:503 "
            f"(SERVER is one of {', '.join(_SERVERS)})"
        )
    code = int(status)
    if not 400 <= code <= 599:
        raise argparse.ArgumentTypeError(f"{text!r}: STATUS must be an HTTP error, 400 to 599")
    return server, route, code


def fail_rule_problem(text: str) -> str | None:
    """What is wrong with a ``--fail`` rule, or ``None`` when the servers would take it (its
    route included); for commands that pass rules on to ``serve`` in a child process."""
    try:
        server, route, _ = _fail_rule(text)
    except argparse.ArgumentTypeError as exc:
        return str(exc)
    fake: FakeServer = {
        "replicate": FakeReplicateServer,
        "openai": FakeOpenAIServer,
        "fal": FakeFal,
    }[server]()
    routes = sorted({r.name for r in fake.routes} - {"file"})
    if route not in routes:
        return f"{text!r}: the fake {server} has no route {route!r}; its routes are {', '.join(routes)}"
    return None


def _server_name(server: FakeServer) -> str:
    if isinstance(server, FakeReplicateServer):
        return "replicate"
    return "fal" if isinstance(server, FakeFal) else "openai"


def _check_key(parser: argparse.ArgumentParser, option: str, key: str) -> None:
    # The key goes into an `export` line and an Authorization header: it must be one word of
    # printable ASCII, as real keys are.
    if not key or not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        parser.error(f"{option}: give a key of printable ASCII without spaces, got {key!r}")


def start_servers(args: argparse.Namespace) -> list[FakeServer]:
    """Start the servers ``args`` asks for."""
    common = {"latency": args.latency, "rate_limit": args.rate_limit}
    any_key = getattr(args, "any_key", False)
    replicate_key = None if any_key else getattr(args, "replicate_key", LOCAL_REPLICATE_TOKEN)
    openai_key = None if any_key else getattr(args, "openai_key", LOCAL_OPENAI_KEY)
    fal_key = None if any_key else getattr(args, "fal_key", LOCAL_FAL_KEY)
    servers: list[FakeServer] = []
    if args.which in ("replicate", "both", "all"):
        servers.append(
            FakeReplicateServer(
                port=args.port,
                polls_to_finish=args.polls,
                output_mode=args.output_mode,
                api_key=replicate_key,
                **common,
            ).start()
        )
    if args.which in ("openai", "both", "all"):
        port = args.port
        if args.which in ("both", "all"):
            port = (
                args.openai_port
                if args.openai_port is not None
                else (args.port + 1 if args.port else 0)
            )
        servers.append(FakeOpenAIServer(port=port, api_key=openai_key, **common).start())
    if args.which in ("fal", "all"):
        servers.append(FakeFal(port=_fal_port(args), api_key=fal_key, **common).start())
    for name, route, status in getattr(args, "fail", None) or ():
        for server in servers:
            if _server_name(server) != name:
                continue
            routes = sorted({r.name for r in server.routes} - {"file"})
            if route not in routes:
                for started in servers:
                    started.stop()
                raise SystemExit(
                    f"--fail {name}:{route}:{status}: the fake {name} has no route {route!r}; "
                    f"its routes are {', '.join(routes)}"
                )
            server.faults.add(route, Fault.status(status), times=None)
    return servers


def _fal_port(args: argparse.Namespace) -> int:
    if args.which != "all":
        return int(args.port)
    chosen = getattr(args, "fal_port", None)
    if chosen is not None:
        return int(chosen)
    return int(args.port) + 2 if args.port else 0


def _running(which: str) -> set[str]:
    return {"both": {"replicate", "openai"}, "all": set(_SERVERS)}.get(which, {which})


def describe(servers: Sequence[FakeServer], out: TextIO) -> None:
    """Print where the servers listen and the environment that points clients at them."""
    for server in servers:
        print(f"fake {_server_name(server)} listening on {server.origin}", file=out)
        for rule in server.faults.rules:
            print(f"  every {rule.route} call answers {rule.fault.status_code}", file=out)
    print("\nPoint the SDKs (and the tutopanda-providers command) at them with:", file=out)
    for server in servers:
        if isinstance(server, FakeReplicateServer):
            print(f"  export REPLICATE_BASE_URL={server.base_url}", file=out)
            print(
                f"  export REPLICATE_API_TOKEN={server.api_key or LOCAL_REPLICATE_TOKEN}", file=out
            )
            print("  export REPLICATE_POLL_INTERVAL=0.05", file=out)
        elif isinstance(server, FakeOpenAIServer):
            print(f"  export OPENAI_BASE_URL={server.base_url}", file=out)
            print(f"  export OPENAI_API_KEY={server.api_key or LOCAL_OPENAI_KEY}", file=out)
        elif isinstance(server, FakeFal):
            # The FAL plugin reads FAL_QUEUE_URL when no base_url option is set.
            print(f"  export FAL_QUEUE_URL={server.base_url}", file=out)
            print(f"  export FAL_KEY={server.api_key or LOCAL_FAL_KEY}", file=out)
    if any(server.api_key is not None for server in servers):
        print(
            "\nEach server accepts only the key above and answers any other with the "
            "provider's 401\n(try a wrong one: tutopanda-providers doctor --live).",
            file=out,
        )
    print("\nNothing leaves this machine and nothing is billed. Ctrl-C to stop.", file=out)
    out.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_key(parser, "--replicate-key", args.replicate_key)
    _check_key(parser, "--openai-key", args.openai_key)
    _check_key(parser, "--fal-key", args.fal_key)
    unknown = [f for f in args.fail if f[0] not in _running(args.which)]
    if unknown:
        parser.error(f"--fail {unknown[0][0]}:...: that server is not started by {args.which!r}")
    try:
        servers = start_servers(args)
    except OSError as exc:  # the port is taken, or not ours to bind
        parser.error(
            f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}; "
            "pick another --port (0 takes any free one)"
        )
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
