"""Argument parsing for every command. Imports nothing heavy."""

from __future__ import annotations

import argparse

from diagnose import __version__

EXIT_CODES = """exit codes:
  0  allowed / no finding at or above --fail-on
  1  denied or conditional / findings at or above --fail-on
  2  bad usage or input
  3  incomplete: the answer depends on something that could not be read"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diagnose",
        description="Find why access fails in an Azure AI Foundry hub and how to fix it.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.set_defaults(handler=_run_report)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_access(commands)
    _add_schema(commands)
    return parser


def _add_access(commands: argparse._SubParsersAction) -> None:
    access = commands.add_parser(
        "access",
        help="does a principal hold an operation at a scope, and why",
        description="Evaluate effective access exactly as Azure does, with the evidence: the "
                    "granting assignments and group chains, deny assignments, conditions, PIM "
                    "eligibility and the nearest misses.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    access.add_argument("--snapshot", required=True, metavar="FILE",
                        help="snapshot JSON (or support bundle .zip) to evaluate against")
    access.add_argument("--principal", required=True, metavar="ID",
                        help="object id of the user, group or service principal (a display name "
                             "or user principal name found in the snapshot also works)")
    access.add_argument("--scope", required=True, metavar="SCOPE",
                        help="ARM scope, e.g. /subscriptions/<id>/resourceGroups/<rg>/providers/"
                             "Microsoft.Search/searchServices/<name>")
    operation = access.add_mutually_exclusive_group(required=True)
    operation.add_argument("--action", metavar="OP", help="a control-plane operation")
    operation.add_argument("--data-action", metavar="OP", help="a data-plane operation")
    access.add_argument("--json", action="store_true", help="print one JSON object")
    access.set_defaults(handler=_run_access)


def _add_schema(commands: argparse._SubParsersAction) -> None:
    schema = commands.add_parser("schema", help="print the JSON Schema of a file format")
    schema.add_argument("name", choices=["snapshot"], help="which format")
    schema.set_defaults(handler=_run_schema)


def _run_access(args: argparse.Namespace) -> int:
    from diagnose.cli.access import run_access

    return run_access(args)


def _run_schema(args: argparse.Namespace) -> int:
    import json

    from diagnose.snapshot import schema

    print(json.dumps({"snapshot": schema}[args.name](), indent=2))
    return 0


def _run_report(args: argparse.Namespace) -> int:
    build_parser().print_help()
    return 0
