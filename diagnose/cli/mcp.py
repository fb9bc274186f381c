"""`diagnose mcp`: the options -> the app's ServerOptions -> the MCP server the program gave
the command line (diagnose.program; the command line never imports another front end)."""

from __future__ import annotations

import argparse

from diagnose.app.serving import ServerOptions
from diagnose.cli.inputs import limits_from
from diagnose.errors import BadInput


def run_mcp(args: argparse.Namespace) -> int:
    if args.auth == "device-code":
        raise BadInput(
            "device-code sign-in prints a code to the terminal, which an MCP client does not show",
            where="--auth device-code",
            fix="sign in first (az login) and use the default --auth",
        )
    options = ServerOptions(
        auth=args.auth,
        cloud=args.cloud,
        arm_endpoint=args.arm_endpoint,
        graph_endpoint=args.graph_endpoint,
        concurrency=args.concurrency,
        timeout=args.timeout,
        limits=limits_from(args),
    )
    options.check()
    server = getattr(args, "mcp_server", None)
    if server is None:
        raise BadInput(
            "the MCP server is not available here",
            where="diagnose mcp",
            fix="run the installed `diagnose` command (or python -m diagnose)",
        )
    return int(server(options))
