"""A run whose plan is checked as a whole (diagnose_snapshot) leaves its default role fixes to
the whole-plan check rather than proving each alone first (FixPlan(prove_defaults=False)):
the check applies every such step and gives it its own verdict, which replaces the proof.
The report must be byte for byte the one of a run that proves each fix alone too."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.synthetic import build, build_foundry, with_shared_group_without_roles
from diagnose.app.diagnosis import diagnose_snapshot
from diagnose.demo import load_demo
from diagnose.remediation import plan as plan_module
from diagnose.report.json_format import render_json
from diagnose.snapshot import Snapshot, parse_snapshot

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "checks"


def _snapshots() -> list[tuple[str, Snapshot]]:
    found = [("demo", load_demo())]
    foundry = build_foundry(projects=6, principals=150, assignments=300, resources=20, targets=3)
    found.append(("foundry", parse_snapshot(foundry, "foundry")))
    hub = build(
        projects=3,
        connections=6,
        resources=6,
        principals=60,
        assignments=150,
        shared_connections=1,
        targets=(2, 1, 2),
        seed=4,
    )
    found.append(("stripped", parse_snapshot(with_shared_group_without_roles(hub, 40), "hub")))
    for check in ("FDY001", "FDY002", "HUB003", "CON001"):
        path = FIXTURES / check / "fail.json"
        found.append((check, parse_snapshot(json.loads(path.read_bytes()), str(path))))
    return found


@pytest.mark.parametrize(("name", "snapshot"), _snapshots(), ids=lambda v: str(v)[:20])
def test_the_report_is_that_of_a_run_proving_every_fix_alone(
    name: str, snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    proofs: list[int] = []
    real = plan_module.prove_requirement  # type: ignore[attr-defined]

    def counted(*args: Any, **kwargs: Any) -> bool:
        proofs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(plan_module, "prove_requirement", counted)
    deferred = render_json(diagnose_snapshot(snapshot).report, "full")
    fewer = len(proofs)
    proofs.clear()
    init = plan_module.FixPlan.__init__

    def proving(self: Any, model: Any, evaluator: Any, *, prove_defaults: bool = True) -> None:
        init(self, model, evaluator, prove_defaults=True)

    monkeypatch.setattr(plan_module.FixPlan, "__init__", proving)
    proven = render_json(diagnose_snapshot(snapshot).report, "full")
    assert deferred == proven, name
    assert plan_module.DEFERRED not in deferred
    assert fewer < len(proofs), name  # not vacuous: proofs were left out


def test_a_default_is_deferred_only_without_prove_defaults() -> None:
    """FixPlan(prove_defaults=False) writes a default role fix with DEFERRED (the whole-plan
    check's verdict replaces it), the default FixPlan proves it; a fix that names no scope is
    refused either way (commands_for), as before."""
    from diagnose.engine.api import (
        Operation,
        PrincipalRef,
        Remediation,
        RemediationKind,
        Requirement,
    )
    from diagnose.model.model import Model
    from diagnose.rbac.evaluator import Evaluator

    model = Model(load_demo())
    resource = next(iter(model.resources.values()))
    requirement = Requirement(
        principal=PrincipalRef("11111111-1111-1111-1111-111111111111", "User"),
        resource=resource,
        operations=(Operation.action("Microsoft.Storage/storageAccounts/read"),),
        because="reads it",
    )
    named = Remediation(
        kind=RemediationKind.ROLE_ASSIGNMENT,
        summary="assign Reader",
        principal_id=requirement.principal.id,
        principal_type="User",
        role_definition_id="acdd72a7-3385-48ef-bd42-f606fba81ae7",
        scope=resource.id,
    )
    unnamed = dataclasses.replace(named, scope=None)
    deferring = plan_module.FixPlan(model, Evaluator(model.authorization), prove_defaults=False)
    proving = plan_module.FixPlan(model, Evaluator(model.authorization))
    left = deferring._proven(requirement, [named], defaults=True)[0]
    assert left.verification == plan_module.DEFERRED and not left.verified
    assert proving._proven(requirement, [named], defaults=True)[0].verified
    assert deferring._proven(requirement, [named])[0].verified  # not a default: proven
    for plan in (deferring, proving):
        with pytest.raises(ValueError, match="needs scope"):
            plan._proven(requirement, [unnamed], defaults=True)
