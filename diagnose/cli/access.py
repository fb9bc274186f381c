"""`diagnose access`: one access question, answered with evidence (diagnose.app.access)."""

from __future__ import annotations

import argparse
import json
import sys

from diagnose.app import access, access_question, load
from diagnose.cli.inputs import snapshot_source_from
from diagnose.exitcodes import ExitCode
from diagnose.rbac import Outcome
from diagnose.render.decision_text import render_decision
from diagnose.safe import safe_message

EXIT_BY_OUTCOME = {
    Outcome.ALLOWED: ExitCode.OK,
    Outcome.DENIED: ExitCode.FINDINGS,
    Outcome.CONDITIONAL: ExitCode.FINDINGS,
    Outcome.UNKNOWN: ExitCode.INCOMPLETE,
}


def run_access(args: argparse.Namespace) -> int:
    data_action = args.data_action is not None
    question = access_question(
        args.principal,
        args.scope,
        args.data_action if data_action else args.action,
        data_action=data_action,
    )
    source = snapshot_source_from(args)
    assert source is not None  # the parser requires --snapshot or --demo
    snapshot = load(source).snapshot
    for warning in snapshot.warnings:
        print(f"diagnose: warning: {safe_message(warning)}", file=sys.stderr)
    answer = access(snapshot, question)
    if answer.plane_warning:
        print(f"diagnose: warning: {safe_message(answer.plane_warning)}", file=sys.stderr)
    if args.json:
        print(json.dumps(answer.decision.to_json(), indent=2))
    else:
        sys.stdout.write(render_decision(answer.decision, answer.name_of))
    return EXIT_BY_OUTCOME[answer.decision.decision]
