"""The whole-plan check's re-runs take the first run's met requirements as known for the
principals no step touches (whole_plan._still_met): the plan, its verdicts and its findings must
be exactly those of the full re-run (`met` left out), and a principal whose closure a step
touches must be evaluated again."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from benchmarks.synthetic import build
from diagnose.demo import load_demo
from diagnose.engine.api import Remediation, RemediationKind
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.remediation.plan import FixPlan
from diagnose.remediation.whole_plan import WholePlan, _still_met, apply, converge
from diagnose.snapshot import Snapshot, parse_snapshot

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "checks"
CHECKS = load_checks()[0]


def _both(snapshot: Snapshot) -> tuple[WholePlan, WholePlan, int]:
    """The incremental whole-plan check, the full re-run's, and how many met requirements the
    first run handed on."""
    model = Model(snapshot)
    engine = Engine(model, fixes=FixPlan)
    result = engine.run(CHECKS)
    reference = converge(model, result, FixPlan, evaluator=engine.evaluator)
    engine = Engine(model, fixes=FixPlan)  # a fresh run: no cache of the reference's is shared
    result = engine.run(CHECKS)
    met = engine.met_keys
    incremental = converge(model, result, FixPlan, evaluator=engine.evaluator, met=met)
    return incremental, reference, len(met)


def _assert_same(incremental: WholePlan, reference: WholePlan) -> None:
    assert incremental.verified == reference.verified
    assert incremental.why == reference.why
    assert incremental.rounds == reference.rounds
    assert incremental.steps == reference.steps
    assert incremental.findings == reference.findings
    assert incremental.remaining == reference.remaining
    assert incremental.appeared == reference.appeared
    assert incremental.excluded == reference.excluded
    assert incremental == reference


def test_the_demos_plan_is_the_same_incremental_or_not() -> None:
    incremental, reference, met = _both(load_demo())
    assert met and reference.steps  # not vacuous: something was handed on, there is a plan
    _assert_same(incremental, reference)


@pytest.mark.parametrize(
    "path", sorted(FIXTURES.glob("*/*.json")), ids=lambda p: f"{p.parent.name}/{p.stem}"
)
def test_each_fixtures_plan_is_the_same_incremental_or_not(path: Path) -> None:
    incremental, reference, _ = _both(parse_snapshot(json.loads(path.read_bytes()), str(path)))
    _assert_same(incremental, reference)


@pytest.mark.parametrize("seed", random.Random(15).sample(range(1000), 3))
def test_a_small_synthetic_hubs_plan_is_the_same_incremental_or_not(seed: int) -> None:
    data = build(
        projects=3,
        connections=12,
        resources=12,
        principals=200,
        assignments=400,
        shared_connections=2,
        targets=(4, 2, 5),
        broken=0.3,
        seed=seed,
    )
    incremental, reference, met = _both(parse_snapshot(data, f"synthetic-{seed}"))
    assert met and reference.steps
    _assert_same(incremental, reference)


# -- whom the first run's answers are kept for -------------------------------------------------
def _member_and_group(model: Model) -> tuple[str, str]:
    directory = model.authorization.directory
    for principal in directory.principals.values():
        groups = [g for g in directory.closure(principal.id).via if g != principal.id.lower()]
        if groups:
            return principal.id, groups[0]
    raise AssertionError("the demo has no group with a member")


def _role_for(principal_id: str, model: Model) -> Remediation:
    scope = model.authorization.assignments[0].scope
    return Remediation(
        kind=RemediationKind.ROLE_ASSIGNMENT,
        summary="a role for the test",
        principal_id=principal_id,
        principal_type="Group",
        role_definition_id="/providers/Microsoft.Authorization/roleDefinitions/"
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        scope=scope,
    )


def test_a_group_given_a_role_has_its_members_evaluated_again() -> None:
    model = Model(load_demo())
    member, group = _member_and_group(model)
    other = next(
        p.id
        for p in model.authorization.directory.principals.values()
        if group not in model.authorization.directory.closure(p.id).via
    )
    # the step names the group in upper case, as a snapshot may: closures are lower-case
    patched = apply(model, [_role_for(group.upper(), model)])
    changed = patched.authorization.principals_added_since(model.authorization)
    met = frozenset(
        (principal, "/subscriptions/x", (), False) for principal in (member, group, other)
    )
    kept = {key[0] for key in _still_met(met, patched, changed)}
    assert kept == {other}


def test_nothing_is_kept_once_a_step_removes_an_assignment() -> None:
    model = Model(load_demo())
    assignment = model.authorization.assignments[0]
    removal = Remediation(
        kind=RemediationKind.REMOVE_ASSIGNMENT,
        summary="remove it",
        resource=assignment.id,
    )
    patched = apply(model, [removal])
    changed = patched.authorization.principals_added_since(model.authorization)
    met = frozenset([(assignment.principal_id, "/subscriptions/x", (), False)])
    assert changed is None and _still_met(met, patched, changed) == []
