"""The program: the `diagnose` console script and `python -m diagnose`.

It is the one place that knows every front end: it runs the command line and hands it the
terminal UI as the viewer that `--tui` (or a terminal) opens, and the MCP server that
`diagnose mcp` starts, so no front end imports another. Nothing imports this module but the
entry points.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the app (and the core under it) is imported by the command that needs it
    from diagnose.app import DiagnoseOptions, Diagnosis, Source
    from diagnose.app.serving import ServerOptions


def open_terminal_ui(
    source: Source, options: DiagnoseOptions, *, fail_on: str, strict: bool, argv: Sequence[str]
) -> tuple[int, Diagnosis | None]:
    """The terminal UI as the command line's viewer (Textual is imported only now)."""
    from diagnose.tui import run_tui

    return run_tui(source, options, fail_on=fail_on, strict=strict, argv=argv)


def serve_mcp(options: ServerOptions) -> int:
    """The MCP server as the command line's `diagnose mcp` (the mcp SDK is imported only
    now)."""
    from diagnose.mcpserver import serve

    return serve(options)


def main(argv: Sequence[str] | None = None, *, keep_alive: list[object] | None = None) -> int:
    """The command line with the terminal UI and the MCP server: the exit code."""
    from diagnose.cli import main as command_line

    return command_line(argv, keep_alive=keep_alive, viewer=open_terminal_ui, mcp_server=serve_mcp)


def run() -> None:
    """The console script. A process that is about to end need not free what it built: a large
    hub's run is millions of objects that take ~0.2 s to free, memory the operating system
    reclaims at once anyway. So they are kept alive, the output is flushed, and the process
    ends without the interpreter's teardown (every file the tool writes is closed by then)."""
    kept: list[object] = []
    code = main(keep_alive=kept)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (| head): nothing more to say
        pass
    os._exit(code)
