"""The command line: the program's entry point, and a thin front end of the application layer.

Each command parses its arguments, turns them into the app's typed values (cli/inputs.py),
calls a use case of diagnose.app, renders what it returns and writes it, and returns an exit
code. On a terminal the report command hands the diagnosis to the viewer it was given (the
program, diagnose.program, gives it the terminal UI; the command line imports no other front
end). Heavy imports (Azure SDKs, Textual, the check engine) happen inside the
command that needs them, so `diagnose --help` stays instant.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from diagnose.errors import BadInput
from diagnose.exitcodes import ExitCode

if TYPE_CHECKING:
    from diagnose.app import Viewer
    from diagnose.app.serving import Server


def main(
    argv: Sequence[str] | None = None,
    *,
    keep_alive: list[object] | None = None,
    viewer: Viewer | None = None,
    mcp_server: Server | None = None,
) -> int:
    """Run the command line and return the exit code. With keep_alive, the objects a run built
    are appended to it instead of being freed on return (see diagnose.program.run()). viewer
    is the interactive front end that `--tui` (or a terminal) opens; without one the report
    is written as text, and an explicit --tui is an error. mcp_server is the MCP server that
    `diagnose mcp` starts (given by the program, like the viewer)."""
    from diagnose.cli.parser import build_parser

    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(arguments[0] if arguments else None)
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exc:  # argparse has printed usage and the error
        return int(exc.code) if isinstance(exc.code, int) else ExitCode.BAD_INPUT
    args.argv = arguments  # the command line as given, for the support bundle
    args.keep_alive = keep_alive
    args.viewer = viewer
    args.mcp_server = mcp_server
    try:
        return int(args.handler(args))
    except BadInput as exc:
        print(f"diagnose: error: {_printable(exc)}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        print("diagnose: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as exc:  # a bug: say so in one line, never pretend it is a finding
        if os.environ.get("DIAGNOSE_DEBUG"):
            raise
        print(
            f"diagnose: internal error: {type(exc).__name__}: {_printable(exc)}\n"
            "  this is a bug in ai-hub-diagnose; run again with DIAGNOSE_DEBUG=1 to see the "
            "traceback, and report it",
            file=sys.stderr,
        )
        return ExitCode.INTERNAL_ERROR


def _printable(exc: BaseException) -> str:
    """An exception's text as printed: it may quote Azure, a snapshot or a server's echo, so
    credentials are removed and control characters shown (diagnose.safe)."""
    from diagnose.safe import safe_message

    return safe_message(str(exc))
