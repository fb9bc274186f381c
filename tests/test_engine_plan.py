"""The engine finds, the plan step fixes: the engine takes the plan step as a parameter
(diagnose.engine.runner.FixPlanner) and the same findings come out with or without it, only
their fixes differ."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from diagnose.engine.api import Finding, RemediationKind
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine, NoFixes
from diagnose.model.model import Model
from diagnose.remediation.plan import FixPlan
from diagnose.snapshot import parse_snapshot

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "checks"


def run(name: str, check_id: str, **engine: Any) -> tuple[Finding, ...]:
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    checks = [c for c in load_checks()[0] if c.id == check_id]
    model = Model(parse_snapshot(data, "<test>"))
    return (
        Engine(model, creator=(data.get("target") or {}).get("creator"), **engine)
        .run(checks)
        .findings
    )


def _without_fixes(finding: Finding) -> tuple[object, ...]:
    return (
        finding.check_id,
        finding.status,
        finding.cause,
        finding.resource,
        finding.principal,
        finding.message,
        finding.evidence,
        finding.details,
    )


def test_a_missing_role_gets_a_proven_fix_only_from_the_plan_step() -> None:
    planned = run("HUB001/fail", "HUB001", fixes=FixPlan)
    bare = run("HUB001/fail", "HUB001")
    assert planned and [_without_fixes(f) for f in planned] == [_without_fixes(f) for f in bare]
    assert all(f.remediations == () for f in bare)
    fix = planned[0].remediations[0]
    assert fix.kind is RemediationKind.ROLE_ASSIGNMENT and fix.verified
    assert fix.commands is not None and set(fix.commands) >= {"azureCli", "bicep"}


def test_a_checks_own_fix_is_proven_and_rendered_by_the_plan_step() -> None:
    planned = run("CFG002/fail", "CFG002", fixes=FixPlan)
    bare = run("CFG002/fail", "CFG002", fixes=NoFixes)
    assert [_without_fixes(f) for f in planned] == [_without_fixes(f) for f in bare]
    stated, proven = bare[0].remediations, planned[0].remediations
    assert stated and len(stated) == len(proven)
    for as_stated, as_planned in zip(stated, proven, strict=True):
        assert as_stated.kind is RemediationKind.CONFIGURATION
        assert (as_stated.verified, as_stated.commands) == (False, None)
        assert as_planned.verified and as_planned.commands is not None
        assert (as_planned.resource, as_planned.setting, as_planned.value) == (
            as_stated.resource,
            as_stated.setting,
            as_stated.value,
        )
