"""`diagnose mcp`: a Model Context Protocol server over stdio, a front end of diagnose.app.

An assistant asks it what a person would ask the command line: diagnose a hub, Foundry
resource or project (live, a snapshot or the demo), does this principal hold this operation
there, what does this error mean, what does a check look at, what is the fix plan. Every tool
calls the application layer and answers with structured content and a short text summary. It
is read-only: it collects as `diagnose --hub` does (the read-only guard of diagnose.collect)
and writes nothing, anywhere; a live question uses the credential options the server was
started with, never credentials a caller passes.

The package is named mcpserver, not mcp, so that nothing here can ever shadow the SDK's `mcp`.
"""

from __future__ import annotations

from diagnose.mcpserver.server import build_server, serve

__all__ = ["build_server", "serve"]
