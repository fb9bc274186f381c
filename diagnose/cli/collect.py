"""`diagnose collect --hub X --output-file snapshot.json`: collect a live hub
(diagnose.app.collect) into a snapshot file.

collect writes one format, so its `-o FILE` (the spelling before -o named a format) still
names the file, with a note; `-o json` and the other format names are refused, since a file
named `json` is not what anyone typing them wants."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any, TextIO

from diagnose.errors import BadInput
from diagnose.exitcodes import ExitCode

MAX_ERRORS_SHOWN = 15


def run_collect(args: argparse.Namespace) -> int:
    from diagnose.app import collect
    from diagnose.cli.inputs import live_options_from
    from diagnose.collect import save_snapshot
    from diagnose.outfile import check_writable

    path, flag = _path(args)
    check_writable(path, flag)  # before collecting: a failed save would lose it all
    collection = collect(live_options_from(args))
    save_snapshot(collection.snapshot, path)
    print_summary(
        collection.snapshot.data,
        path,
        len(collection.requests),
        collection.waves,
        sys.stderr,
    )
    return ExitCode.OK


def _path(args: argparse.Namespace) -> tuple[str, str]:
    """Where the snapshot goes, and the flag that said so (for messages)."""
    if args.output_file is not None:
        return args.output_file, "--output-file"
    from diagnose.report.formats import DOCUMENT_FORMATS, REPORT_FORMATS

    if args.output in {*REPORT_FORMATS, *DOCUMENT_FORMATS}:
        raise BadInput(
            f"collect writes a snapshot (JSON), its one format: -o {args.output} would name "
            f"a file '{args.output}'",
            where="-o",
            fix="write it with --output-file FILE (- for standard output)",
        )
    print(
        f"diagnose: note: collect -o {args.output} still names the snapshot file; "
        f"--output-file {args.output} is the spelling every command shares",
        file=sys.stderr,
    )
    return args.output, "-o"


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
