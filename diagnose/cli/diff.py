"""`diagnose diff BEFORE AFTER`: parse -> diagnose.app.diff -> text, JSON or Markdown -> the
exit code (1 when AFTER has new findings at or above --fail-on)."""

from __future__ import annotations

import argparse
import sys

from diagnose.app import DiagnoseOptions
from diagnose.app.diff import Diff, diff, read_side
from diagnose.cli.diff_render import RENDERERS
from diagnose.cli.inputs import limits_from
from diagnose.cli.output import write_output
from diagnose.errors import BadInput
from diagnose.exitcodes import ExitCode
from diagnose.safe import safe_message


def run_diff(args: argparse.Namespace) -> int:
    fmt = args.format
    if args.json and fmt not in ("text", "json"):
        raise BadInput(f"--json and -o {fmt} ask for two formats", fix="give one of them")
    fmt = "json" if args.json else fmt
    if args.output_file and args.output_file != "-":
        from diagnose.outfile import check_writable

        check_writable(args.output_file, "--output-file")
    limits = limits_from(args)
    before, after = read_side(args.before, limits), read_side(args.after, limits)
    for side in (before, after):
        for warning in getattr(side, "warnings", ()):
            print(f"diagnose: warning: {safe_message(warning)}", file=sys.stderr)
    options = DiagnoseOptions(
        select=tuple(args.select), ignore=tuple(args.ignore), creator=args.creator
    )
    found = diff(before, after, options)
    write_output(RENDERERS[fmt](found), args.output_file, flag="--output-file")
    return _exit_code(found, args.fail_on)


def _exit_code(found: Diff, fail_on: str) -> int:
    from diagnose.engine.api import Status

    if fail_on == "never":
        return ExitCode.OK
    threshold = Status(fail_on).rank
    ranks = {s.value: s.rank for s in Status}
    worse = [f for f in found.findings.new if ranks.get(f.status, len(ranks)) <= threshold]
    return ExitCode.FINDINGS if worse else ExitCode.OK
