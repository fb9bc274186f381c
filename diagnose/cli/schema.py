"""`diagnose schema`: print the JSON Schema of a file format.

`diagnose schema snapshot` documents each field where it is defined: `target.hub` is the ARM
id --hub named, which may be a hub, a Foundry resource (Microsoft.CognitiveServices/accounts,
kind AIServices) or a Foundry project (accounts/{account}/projects/{project}); the format
stays version 1."""

from __future__ import annotations

import argparse

from diagnose.cli.output import emit_document


def run_schema(args: argparse.Namespace) -> int:
    if args.name == "snapshot":
        from diagnose.snapshot import schema
    else:
        from diagnose.report.schema import schema
    emit_document(args, ("json", "jsonc", "yaml"), document=schema, default="json")
    return 0
