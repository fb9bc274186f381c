"""`diagnose collect --hub X -o snapshot.json`: collect a live hub (diagnose.app.collect) into
a snapshot file."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any, TextIO

from diagnose.exitcodes import ExitCode

MAX_ERRORS_SHOWN = 15


def run_collect(args: argparse.Namespace) -> int:
    from diagnose.app import collect
    from diagnose.cli.inputs import live_options_from
    from diagnose.collect import save_snapshot
    from diagnose.outfile import check_writable

    check_writable(args.output, "-o")  # before collecting: a failed save would lose it all
    collection = collect(live_options_from(args))
    save_snapshot(collection.snapshot, args.output)
    print_summary(
        collection.snapshot.data,
        args.output,
        len(collection.requests),
        collection.waves,
        sys.stderr,
    )
    return ExitCode.OK


def print_summary(
    data: dict[str, Any], path: str, requests: int, waves: int, stream: TextIO
) -> None:
    from diagnose.collect.hints import retry_hint

    types = Counter(str(r.get("type", "")).lower() for r in data["resources"])
    hubs = sum(1 for r in data["resources"] if str(r.get("kind", "")).lower() == "hub")
    projects = sum(1 for r in data["resources"] if str(r.get("kind", "")).lower() == "project")
    connections = sum(n for t, n in types.items() if t.endswith("/connections"))
    print(
        f"wrote {path}: {hubs} hub, {projects} project(s), {connections} connection(s), "
        f"{len(data['resources'])} resources, {len(data['roleAssignments'])} role "
        f"assignments, {len(data['principals'])} principals "
        f"({requests} requests in {waves} waves)",
        file=stream,
    )
    errors = data["errors"]
    if not errors:
        return
    print(
        f"partial: {len(errors)} thing(s) could not be read; the checks that depend on them "
        "will say 'unknown':",
        file=stream,
    )
    for error in errors[:MAX_ERRORS_SHOWN]:
        status = f"{error.get('status')} " if error.get("status") else ""
        print(
            f"  - {error['operation']} at {error['scope']}: {status}{error.get('code') or ''}"
            f"\n      {retry_hint(error)}",
            file=stream,
        )
    if len(errors) > MAX_ERRORS_SHOWN:
        print(
            f"  ... and {len(errors) - MAX_ERRORS_SHOWN} more (see the snapshot's errors)",
            file=stream,
        )
