"""The ``tutopanda-providers`` command.

Start-up stays fast: this module imports only Typer. The registry, pydantic models and Rich
tables are imported inside each command, when it runs (``--help`` never loads a plugin).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tutopanda_providers.cli.app import app


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line (the ``tutopanda-providers`` console script).

    Every way out is an exit code of ``docs/cli.md``, never a traceback: a usage error is
    exit 2 (one JSON document with ``--json``), Ctrl-C is 130, and an unexpected error is one
    line naming the file that holds its full trace (exit 70).

    Raises:
        SystemExit: always, with the command's exit code.
    """
    import typer

    from tutopanda_providers.cli import exitcodes

    args = list(sys.argv[1:] if argv is None else argv)
    json_out = "--json" in args
    try:
        # Without standalone mode, Click returns the code of a ``typer.Exit`` instead of raising.
        code = app(args=args, prog_name="tutopanda-providers", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("\nstopped (Ctrl-C)\n")
        sys.exit(exitcodes.INTERRUPTED)
    except typer.TyperException as exc:  # Typer's (vendored Click's) usage errors
        if json_out:
            from tutopanda_providers.cli.render import print_json

            print_json(
                {
                    "error": {"kind": "usage", "message": exc.format_message()},
                    "exit_code": exitcodes.USAGE,
                }
            )
        else:
            show = getattr(exc, "show", None)
            if callable(show):
                show()
            else:
                sys.stderr.write(f"error: {exc}\n")
        sys.exit(getattr(exc, "exit_code", exitcodes.USAGE))
    except Exception as exc:
        from tutopanda_providers.cli.render import report_error

        sys.exit(report_error(exc, json_out))
    sys.exit(code if isinstance(code, int) else exitcodes.OK)


__all__ = ["app", "main"]
