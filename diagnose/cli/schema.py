"""`diagnose schema`: print the JSON Schema of a file format."""

from __future__ import annotations

import argparse
import json


def run_schema(args: argparse.Namespace) -> int:
    if args.name == "snapshot":
        from diagnose.snapshot import schema
    else:
        from diagnose.report.schema import schema
    print(json.dumps(schema(), indent=2))
    return 0
