"""Explain an error message: recognise it, pull out what it names, and answer from a snapshot
with the evaluator's decision, a proven fix and the findings of the checks that look at that
cause."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from diagnose.arm.scopes import scope_key, scope_problem
from diagnose.engine.api import (
    CheckInfo,
    Finding,
    Operation,
    PrincipalRef,
    Requirement,
    Severity,
)
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine
from diagnose.explain.patterns import ErrorPattern, recognise
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.rbac.decision import Decision
from diagnose.remediation.plan import FixPlan
from diagnose.snapshot import Snapshot

_QUESTION = CheckInfo(
    "ERR001",
    "Access named in the error message",
    Severity.HIGH,
    "diagnose explain",
    (),
    {
        "What it checks": "The access the error message names.",
        "Why it matters": "-",
        "How to fix": "-",
    },
    lambda ctx: (),
)


@dataclass
class Explanation:
    text: str
    pattern: ErrorPattern | None
    extracted: dict[str, str] = field(default_factory=dict)
    principal: PrincipalRef | None = None
    decision: Decision | None = None
    finding: Finding | None = None
    """The named access evaluated as a requirement, with its proven fix (when it fails)."""
    related: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def recognised(self) -> bool:
        return self.pattern is not None


def explain_error(text: str, snapshot: Snapshot | None) -> Explanation:
    found = recognise(text)
    if found is None:
        return Explanation(text, None)
    pattern, extracted = found
    explanation = Explanation(text, pattern, extracted)
    if snapshot is None:
        explanation.notes.append(
            "Pass --snapshot FILE (or --demo) to see which identity and "
            "role are involved and get the exact fix."
        )
        return explanation
    model = Model(snapshot)
    engine = Engine(model, fixes=FixPlan)
    _evaluate_named_access(explanation, model, engine)
    checks, _ = load_checks()
    related = [c for c in checks if c.id in pattern.checks]
    result = engine.run(related)
    findings = list(result.findings)
    if explanation.principal is not None:
        closure = model.authorization.directory.closure(explanation.principal.id).via
        # A finding that stands for several principals names them in affected_principals.
        mine = [
            f
            for f in findings
            if (f.principal and f.principal.id in closure)
            or any(a.id in closure for a in f.affected_principals)
        ]
        if mine:
            findings = mine
    explanation.related = findings
    return explanation


def _evaluate_named_access(explanation: Explanation, model: Model, engine: Engine) -> None:
    extracted = explanation.extracted
    pattern = explanation.pattern
    assert pattern is not None
    principal_text = extracted.get("principal")
    if not principal_text:
        return
    from diagnose.errors import BadInput
    from diagnose.model.lookup import resolve_principal

    try:
        principal_id = resolve_principal(model, principal_text)
    except BadInput as exc:
        explanation.notes.append(exc.what)
        return
    ref = engine.context.principal(principal_id, "User")
    explanation.principal = ref
    operation = extracted.get("operation")
    scope = extracted.get("scope")
    if not operation or not scope:
        return
    if scope_problem(scope):
        explanation.notes.append(f"the scope in the message ({scope}) is not a full ARM scope")
        return
    data = bool(pattern.data_action)
    explanation.decision = engine.evaluator.check(principal_id, scope, operation, data_action=data)
    resource = model.resource(scope) or Resource.from_arm(
        {"id": scope, "name": scope.rstrip("/").rsplit("/", 1)[-1], "type": ""}
    )
    if model.resource(scope) is None and scope_key(scope) != "/":
        explanation.notes.append(
            "the scope in the message is not a resource in the snapshot; "
            "it was evaluated from the assignments the snapshot holds"
        )
    requirement = Requirement(
        principal=ref,
        resource=resource,
        operations=(Operation(operation, data),),
        because="is the caller named in the error message",
    )
    explanation.finding = engine.requirement_finding(_QUESTION, requirement)


def explanation_json(explanation: Explanation) -> dict[str, Any]:
    from diagnose.jsonable import to_jsonable

    pattern = explanation.pattern
    return {
        "recognised": explanation.recognised,
        "pattern": None
        if pattern is None
        else {
            "name": pattern.name,
            "where": pattern.where,
            "cause": pattern.cause,
            "fix": pattern.fix,
            "checks": list(pattern.checks),
        },
        "extracted": explanation.extracted,
        "principal": to_jsonable(explanation.principal),
        "decision": explanation.decision.to_json() if explanation.decision else None,
        "finding": to_jsonable(explanation.finding),
        "related": [to_jsonable(f) for f in explanation.related],
        "notes": explanation.notes,
    }
