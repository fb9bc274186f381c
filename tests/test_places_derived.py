"""Places.by_role_at of a derived evaluator (Evaluator.derived) reuses its first evaluator's
table of a scope whose assignments the copy leaves as they were. The property: on the random
snapshots of test_needs_bulk, with a third of the role assignments added to a copy afterwards
(Authorization.with_assignments, as a whole-plan round does), the derived evaluator's tables
are exactly a fresh evaluator's, at every scope; it fails when the copy reuses a table of a
scope it added assignments to."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings

from diagnose.model.authorization import Assignment
from diagnose.model.model import Model
from diagnose.rbac import Evaluator
from diagnose.snapshot import parse_snapshot
from tests.test_needs_bulk import cases

SEEN: Counter[str] = Counter()


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases())
def derived_tables_agree_with_fresh(case: dict[str, Any]) -> None:
    data = copy.deepcopy(case["data"])
    every = data["roleAssignments"]
    data["roleAssignments"] = [a for i, a in enumerate(every) if i % 3]
    added = [Assignment.from_arm(a) for i, a in enumerate(every) if not i % 3]
    model = Model(parse_snapshot(data, "<test>"))
    first = Evaluator(model.authorization)
    keys = {a.scope_key for a in model.authorization.assignments_by_scope.values() for a in a}
    keys |= {a.scope_key for a in added} | {"/nowhere"}
    for key in sorted(keys):  # the first evaluator has its tables before the copy asks
        first._places.by_role_at(key)
    patched = model.authorization.with_assignments(added)
    once = first.derived(patched)
    twice = once.derived(patched.with_assignments(added[:1]))
    for derived, authz in ((once, patched), (twice, twice._places.authz)):
        fresh = Evaluator(authz)
        for key in sorted(keys):
            table = derived._places.by_role_at(key)
            assert table == fresh._places.by_role_at(key), key
            SEEN["shared" if table is first._places.by_role_at(key) else "built"] += 1


def test_a_derived_evaluator_groups_by_role_as_a_fresh_one_on_random_snapshots() -> None:
    SEEN.clear()
    derived_tables_agree_with_fresh()
    assert SEEN["shared"] > 50 and SEEN["built"] > 50, SEEN  # both ways taken, often
