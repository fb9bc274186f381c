"""How much of the evaluator's decisions a JSON report carries with each finding.

`summary` (the default) keeps what a reader needs to act: who (principal), what (operation),
where (scope), the outcome, what grants, denies, conditions or PIM eligibility decided it (the
first few of each), the nearest misses in brief, and everything that makes an answer unknown.
The fix is the finding's remediations. What is left out is counted in `omitted`, and the whole
decision is one `diagnose access` away (or `--evidence full`). Measured on a 200-project hub:
near misses alone were 32 MB of a report of tens of thousands of findings, with their
assignment and definition ids repeated in every one.

`full` is every decision as `diagnose access --json` prints it.
"""

from __future__ import annotations

from typing import Any

from diagnose.jsonable import to_jsonable
from diagnose.rbac.decision import Decision, NearMiss

EVIDENCE_LEVELS = ("summary", "full")
"""What --evidence takes; the first is the default."""
DEFAULT_EVIDENCE = EVIDENCE_LEVELS[0]

MAX_DECIDING = 3
"""Grants, denies, conditions and eligibilities kept per decision in a summary (the first of
each is what settled it; Azure needs one)."""
MAX_NEAR_MISSES = 2
"""Near misses kept per decision in a summary (the evaluator ranks them nearest first)."""
_DECIDING = ("grants", "denies", "conditions", "eligible")


def decision_json(decision: Decision, evidence: str = DEFAULT_EVIDENCE) -> dict[str, Any]:
    """One decision as a report's finding carries it at the given evidence level."""
    if evidence == "full":
        return decision.to_json()
    omitted: dict[str, int] = {}
    out: dict[str, Any] = {
        "decision": decision.decision.value,
        "principal": decision.principal,
        "scope": decision.scope,
        "operation": decision.operation,
        "dataAction": decision.data_action,
    }
    for key, entries in zip(
        _DECIDING,
        (decision.grants, decision.denies, decision.conditions, decision.eligible),
        strict=True,
    ):
        out[key] = [to_jsonable(e) for e in entries[:MAX_DECIDING]]
        if len(entries) > MAX_DECIDING:
            omitted[key] = len(entries) - MAX_DECIDING
    out["nearMisses"] = [_near_miss(m) for m in decision.near_misses[:MAX_NEAR_MISSES]]
    if len(decision.near_misses) > MAX_NEAR_MISSES:
        omitted["nearMisses"] = len(decision.near_misses) - MAX_NEAR_MISSES
    out["unknowns"] = list(decision.unknowns)  # each can change the answer: never cut
    out["warnings"] = list(decision.warnings)
    out["principalType"] = decision.principal_type
    out["principalName"] = decision.principal_name
    if omitted:  # only then: a decision shown whole keeps its exact shape
        out["omitted"] = omitted
    return out


def _near_miss(miss: NearMiss) -> dict[str, Any]:
    """A near miss in brief: the role, where it is assigned, through which groups, and why it
    does not grant (detail); its assignment and definition ids are in the full decision."""
    return {
        "kind": miss.kind,
        "roleName": miss.role_name,
        "scope": miss.scope,
        "via": list(miss.via),
        "detail": miss.detail,
    }
