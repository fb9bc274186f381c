"""`diagnose recheck --plan PLAN.json (--hub HUB | --snapshot FILE | --demo)`: parse ->
diagnose.app.recheck -> text or JSON -> the exit code (0 every step done, 1 something
failed, 3 only not-yet-visible steps remain, 2 bad input)."""

from __future__ import annotations

import argparse
import dataclasses
import json

from diagnose.app.recheck import DONE, FAILED, NOT_YET, Recheck, read_plan, recheck
from diagnose.cli.output import write_output
from diagnose.errors import BadInput
from diagnose.exitcodes import ExitCode
from diagnose.snapshot import Snapshot


def run_recheck(args: argparse.Namespace) -> int:
    fmt = "json" if args.json else args.format
    if args.json and args.format not in ("text", "json"):
        raise BadInput(f"--json and -o {args.format} ask for two formats", fix="give one of them")
    if args.output_file and args.output_file != "-":
        from diagnose.outfile import check_writable

        check_writable(args.output_file, "--output-file")
    from diagnose.app.sources import load
    from diagnose.cli.inputs import limits_from, source_from

    limits = limits_from(args)
    try:
        with open(args.plan, "rb") as handle:
            raw = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        raise BadInput(f"cannot read --plan {args.plan}: {exc.strerror}") from None
    if len(raw) > limits.max_bytes:
        raise BadInput(f"--plan {args.plan} is larger than {limits.max_bytes} bytes")
    plan = read_plan(raw.decode("utf-8", errors="replace"), f"--plan {args.plan}")
    if args.hub:  # only what the plan touched, never a whole collection
        from diagnose.app.recheck import LiveReader
        from diagnose.cli.inputs import live_options_from

        live = LiveReader(live_options_from(args), plan)
        result = recheck(plan, live, wait=args.wait, rerun=False)
        result = dataclasses.replace(result, requests=len(live.requests))
    else:
        args.save_snapshot = None
        source = source_from(args)

        def read() -> Snapshot:
            return load(source).snapshot

        result = recheck(plan, read, wait=args.wait)
    text = _json(result) if fmt == "json" else _text(result)
    write_output(text, args.output_file, flag="--output-file")
    if result.count(FAILED):
        return ExitCode.FINDINGS
    if result.count(NOT_YET):
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def _json(result: Recheck) -> str:
    from diagnose.safe import safe_json

    body = {
        "summary": {s: result.count(s) for s in (DONE, NOT_YET, FAILED)},
        "polls": result.polls,
        "requests": result.requests,
        "elapsedSeconds": round(result.elapsed, 1),
        "steps": [
            {
                "id": s.id,
                "order": s.order,
                "kind": s.kind,
                "summary": s.summary,
                "status": s.status,
                "reason": s.reason,
                **({"note": s.note} if s.note else {}),
            }
            for s in result.steps
        ],
    }
    return safe_json(json.dumps(body, indent=2)) + "\n"


def _text(result: Recheck) -> str:
    from diagnose.safe import safe_message

    lines = []
    for s in result.steps:
        lines.append(f"{s.order:>3}. {s.status:<16} {safe_message(s.summary)}")
        lines.append(f"     {safe_message(s.reason)}")
        if s.note:
            lines.append(f"     note: {safe_message(s.note)}")
    lines.append(
        f"{result.count(DONE)} done, {result.count(NOT_YET)} not yet visible, "
        f"{result.count(FAILED)} failed ({result.polls} read{'s' if result.polls != 1 else ''})"
    )
    return "\n".join(lines) + "\n"
