"""An evaluator derived for a copy with assignments added keeps the earlier answers only about
principals the added assignments cannot reach (Evaluator.derived(changed=...)): every answer it
gives equals a fresh evaluator's on the same copy, for every principal, scope and operation the
first evaluator was asked about."""

from __future__ import annotations

from diagnose.app.diagnosis import diagnose_snapshot
from diagnose.demo import load_demo
from diagnose.engine.api import RemediationKind
from diagnose.model.authorization import Assignment
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.proof import assignments_for


def test_kept_answers_equal_a_fresh_evaluators() -> None:
    diagnosis = diagnose_snapshot(load_demo())
    evaluator = diagnosis.evaluator
    asked = list(evaluator._quick)  # every question the run asked
    assert len(asked) > 50
    fixes = [
        f.remediation
        for f in diagnosis.fix_plan
        if f.remediation.kind is RemediationKind.ROLE_ASSIGNMENT
        and f.remediation.alternative_to is None
    ]
    assert fixes
    added = [Assignment.from_arm(item) for item in assignments_for(fixes)]
    patched = diagnosis.model.authorization.with_assignments(added)
    changed = frozenset(a.principal_id for a in added)
    base = diagnosis.model.authorization
    assert patched.principals_added_since(base) == changed
    assert base.principals_added_since(base) == frozenset()
    assert base.principals_added_since(patched) is None  # not a copy of it: keep nothing
    kept = evaluator.derived(patched, changed=changed)
    fresh = Evaluator(patched)
    taken = touched = 0
    for principal, scope, operation, data in asked:
        mine = kept.decide(principal, scope, operation, data_action=data)
        theirs = fresh.decide(principal, scope, operation, data_action=data)
        assert mine == theirs, (principal, scope, operation)
        if changed.isdisjoint(patched.directory.closure(principal).via):
            # an answer about an untouched principal is the earlier one, not worked out again
            assert mine is evaluator._quick[(principal, scope, operation, data)]
            taken += 1
        else:
            touched += 1
    assert taken and touched
    # and so for the decisions with their evidence (check), on a copy that changes only the
    # first fix's principal: the decisions about the others are the earlier ones
    one = [Assignment.from_arm(item) for item in assignments_for(fixes[:1])]
    patched_one = base.with_assignments(one)
    changed_one = frozenset(a.principal_id for a in one)
    kept_one, fresh_one = (
        evaluator.derived(patched_one, changed=changed_one),
        Evaluator(patched_one),
    )
    taken = touched = 0
    for principal, scope, operation, data, explain in list(evaluator._decisions):
        mine_decision = kept_one.check(
            principal, scope, operation, data_action=data, explain=explain
        )
        theirs = fresh_one.check(principal, scope, operation, data_action=data, explain=explain)
        assert mine_decision == theirs, (principal, scope, operation)
        if changed_one.isdisjoint(patched_one.directory.closure(principal).via):
            key = (principal, scope, operation, data, explain)
            assert mine_decision is evaluator._decisions[key]
            taken += 1
        else:
            touched += 1
    assert taken and touched
    # and a principal the fixes grant to is answered anew: now allowed where it was not
    granted = fixes[0]
    assert granted.principal_id is not None and granted.scope is not None
    assert any(
        not evaluator.decide(p, s, o, data_action=d).allowed
        and kept.decide(p, s, o, data_action=d).allowed
        for p, s, o, d in asked
        if p == granted.principal_id
    )
