"""Evaluator.added_grants: the grants a whole-plan round's copy (Authorization.with_assignments)
adds at a scope, told from the scope's list of assignments being the first evaluator's and then
some more, so a derived Needs (Needs._carried) looks at the more alone without a set of the
level's thousands of grants. Each test fails when one of its guards is dropped: the more are
filtered to what grants the operation, a list that is not the first's and more is not told,
nor grants that are not the evaluator's own."""

from __future__ import annotations

from diagnose.model.authorization import Assignment
from diagnose.model.scopes import scope_key
from diagnose.rbac import Evaluator
from tests import arm
from tests.test_needs_cases import ACCOUNT, OTHER, READ, SERVICE, USER, ago, grant, model_of

KEY = scope_key(ACCOUNT)


def _grants(evaluator: Evaluator) -> tuple[Assignment, ...]:
    levels = evaluator.plain_grants(ACCOUNT, READ.name, READ.data)
    assert levels is not None
    return dict(levels)[KEY]


def test_the_grants_a_copy_adds_are_those_of_its_more_that_grant() -> None:
    model = model_of([grant(OTHER, ago(days=3))])
    first = Evaluator(model.authorization)
    old = _grants(first)
    reader = Assignment.from_arm(grant(USER, ago(days=3)))
    unrelated = Assignment.from_arm(grant(SERVICE, ago(days=3), role=arm.READER))
    derived = first.derived(model.authorization.with_assignments([reader, unrelated]))
    grants = _grants(derived)
    added = derived.added_grants(first, KEY, READ.name, READ.data, grants)
    assert added == (reader,)
    assert sorted(g.id for g in grants) == sorted(g.id for g in (*old, *added))
    same = first.derived(model.authorization.with_assignments([]))
    assert same.added_grants(first, KEY, READ.name, READ.data, _grants(same)) == ()


def test_a_list_that_is_not_the_first_ones_and_more_is_not_told() -> None:
    first = Evaluator(model_of([grant(OTHER, ago(days=3))]).authorization)
    _grants(first)
    other = Evaluator(
        model_of([grant(USER, ago(days=3)), grant(SERVICE, ago(days=3))]).authorization
    )
    assert other.added_grants(first, KEY, READ.name, READ.data, _grants(other)) is None


def test_grants_that_are_not_the_evaluators_own_are_not_told() -> None:
    model = model_of([grant(OTHER, ago(days=3))])
    first = Evaluator(model.authorization)
    _grants(first)
    derived = first.derived(
        model.authorization.with_assignments([Assignment.from_arm(grant(USER, ago(days=3)))])
    )
    given = tuple(_grants(derived))[:1]  # not what plain_grants lists here
    assert derived.added_grants(first, KEY, READ.name, READ.data, given) is None
