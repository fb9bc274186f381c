"""`diagnose access`: one access question, answered with evidence."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys

from diagnose.cli.parser import input_options
from diagnose.errors import BadInput
from diagnose.exitcodes import ExitCode
from diagnose.model.model import Model
from diagnose.model.scopes import scope_problem
from diagnose.rbac import Evaluator, Outcome
from diagnose.render.decision_text import render_decision
from diagnose.render.safe import safe_message, safe_text
from diagnose.snapshot import load_snapshot

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
EXIT_BY_OUTCOME = {
    Outcome.ALLOWED: ExitCode.OK,
    Outcome.DENIED: ExitCode.FINDINGS,
    Outcome.CONDITIONAL: ExitCode.FINDINGS,
    Outcome.UNKNOWN: ExitCode.INCOMPLETE,
}


def run_access(args: argparse.Namespace) -> int:
    data_action = args.data_action is not None
    operation = (args.data_action if data_action else args.action).strip()
    _check_operation(operation, "--data-action" if data_action else "--action")
    problem = scope_problem(args.scope)
    if problem:
        raise BadInput(f"--scope {args.scope!r} is not an ARM scope: {problem}",
                       fix="pass an ARM id such as /subscriptions/<id>/resourceGroups/<name>")
    if args.demo:
        from diagnose.demo import load_demo

        snapshot = load_demo()
    else:
        snapshot = load_snapshot(args.snapshot, **input_options(args))
        for warning in snapshot.warnings:
            print(f"diagnose: warning: {warning}", file=sys.stderr)
    model = Model.from_snapshot(snapshot)
    principal = resolve_principal(model, args.principal)
    decision = Evaluator(model.authorization).check(principal, args.scope.strip(), operation,
                                                    data_action=data_action)
    from diagnose.catalog import plane_warning

    hint = plane_warning(operation, data_action)
    if hint:
        decision = dataclasses.replace(decision, warnings=(hint, *decision.warnings))
        print(f"diagnose: warning: {safe_message(hint)}", file=sys.stderr)
    if args.json:
        print(json.dumps(decision.to_json(), indent=2))
    else:
        def name_of(principal_id: str) -> str | None:
            entry = model.authorization.directory.get(principal_id)
            return entry.display_name if entry else None

        sys.stdout.write(render_decision(decision, name_of))
    return EXIT_BY_OUTCOME[decision.decision]


def _check_operation(operation: str, flag: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9.\-]+(/[A-Za-z0-9_.\-]+)+", operation):
        raise BadInput(
            f"{flag} {operation!r} is not an operation name",
            fix="give a provider operation such as "
                "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
                " (no wildcards: they belong in role definitions)")


def resolve_principal(model: Model, text: str) -> str:
    """An object id, or a display name / user principal name that the snapshot knows."""
    text = text.strip()
    if GUID.match(text):
        return text.lower()
    lowered = text.lower()
    found = [p for p in model.authorization.directory.principals.values()
             if lowered in {(p.display_name or "").lower(),
                            str(p.raw.get("userPrincipalName") or "").lower()}]
    if len(found) == 1:
        return found[0].id
    if not found:
        raise BadInput(f"--principal {text!r} is neither an object id nor a name in the snapshot",
                       fix="pass the principal's object id (a GUID)")
    choices = ", ".join(safe_text(f"{p.display_name} ({p.id}, {p.type})") for p in found)
    raise BadInput(f"--principal {text!r} matches several principals: {choices}",
                   fix="pass the object id of the one you mean")
