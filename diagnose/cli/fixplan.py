"""`diagnose fix-plan (--demo | --snapshot FILE | --hub HUB) --as LANGUAGE [--output-file FILE]`:
the whole fix plan as one runnable script or template (diagnose.app.export_plan), written to
standard output or, once complete, to a file (diagnose.outfile)."""

from __future__ import annotations

import argparse
import sys

from diagnose.cli.output import write_output
from diagnose.exitcodes import ExitCode
from diagnose.safe import safe_message


def run_fix_plan(args: argparse.Namespace) -> int:
    from diagnose.cli.flags import refuse_idle_flags

    refuse_idle_flags(args)
    if args.hub and args.save_snapshot:  # never lose a long collection to an unwritable path
        from diagnose.outfile import check_writable

        check_writable(args.save_snapshot, "--save-snapshot")
    if args.output_file and args.output_file != "-":
        from diagnose.outfile import check_writable

        check_writable(args.output_file, "--output-file")
    from diagnose.app import diagnose, export_plan
    from diagnose.cli.inputs import diagnose_options_from, source_from

    keep_alive: list[object] | None = getattr(args, "keep_alive", None)
    diagnosis = diagnose(source_from(args), diagnose_options_from(args), keep_alive=keep_alive)
    for warning in diagnosis.snapshot.warnings:
        print(f"diagnose: warning: {safe_message(warning)}", file=sys.stderr)
    export = export_plan(diagnosis, args.language)
    write_output(export.text, args.output_file, flag="--output-file")
    if args.language != "json":
        print(
            f"diagnose: fix plan: {export.steps} steps, {export.runnable} in the {args.language} "
            f"output, {export.commented} left as comments that say why",
            file=sys.stderr,
        )
    if keep_alive is not None:
        keep_alive.append(diagnosis)
    return ExitCode.OK
