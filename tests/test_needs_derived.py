"""Needs.derived (diagnose.engine.needs): a whole-plan round's bulk answers start from the first
run's, and a level whose grants are the first run's plus some more is worked out from the more
alone. The property: on the random snapshots of test_needs_bulk, with a third of the role
assignments added to a copy afterwards (Authorization.with_assignments, as a round does), the
derived Needs meets exactly whom a fresh one meets, for every need. The cases below each fail
when one of its guards is dropped (a grant gone from a level, another directory)."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings

from diagnose.engine.context import CheckContext
from diagnose.engine.needs import Needs
from diagnose.model.authorization import Assignment
from diagnose.model.model import Model
from diagnose.rbac import Evaluator
from diagnose.snapshot import parse_snapshot
from tests import arm
from tests.test_needs_bulk import _need, _users, cases
from tests.test_needs_cases import (
    GROUP,
    OTHER,
    READ,
    SERVICE,
    USER,
    ago,
    grant,
    model_of,
    need_of,
    users,
)

SEEN: Counter[str] = Counter()


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases())
def derived_agrees_with_fresh(case: dict[str, Any]) -> None:
    data = copy.deepcopy(case["data"])
    every = data["roleAssignments"]
    data["roleAssignments"] = [a for i, a in enumerate(every) if i % 3]
    added = [Assignment.from_arm(a) for i, a in enumerate(every) if not i % 3]
    model = Model(parse_snapshot(data, "<test>"))
    collected = CheckContext(model).collected_at
    people = _users(model, case["upper"])
    needs = [_need(model, people, spec) for spec in case["needs"]]
    patched = model.authorization.with_assignments(added)
    for apart in (1, 256):  # groups kept apart, or copied into their level's set
        first = Needs(Evaluator(model.authorization), collected, apart=apart)
        for need in needs:
            first.plainly_met(need)
        derived = first.derived(first._evaluator.derived(patched), collected)
        assert derived._before is first  # same directory, roles and time: carried
        fresh = Needs(Evaluator(patched), collected, apart=apart)
        for need in needs:
            assert derived.plainly_met(need) == fresh.plainly_met(need), need.target_scope
        for key, (grants, _) in derived._raw.items():
            before = first._raw.get(key)
            if before is not None and len(grants) > len(before[0]):
                SEEN["level with more grants"] += 1


def test_a_derived_needs_meets_whom_a_fresh_one_meets_on_random_snapshots() -> None:
    SEEN.clear()
    derived_agrees_with_fresh()
    assert SEEN["level with more grants"] > 50, SEEN  # the short cut was taken, often


def test_a_level_that_lost_a_grant_is_worked_out_again() -> None:
    """The first run's level held OTHER's grant; a level without it (and with another) is
    not the first's plus more: OTHER is not met."""
    model = model_of([grant(OTHER, ago(days=3)), grant(USER, ago(days=3))])
    collected = CheckContext(model).collected_at
    need = need_of(model, users(model))
    first = Needs(Evaluator(model.authorization), collected)
    assert first.plainly_met(need) == {OTHER, USER}
    derived = first.derived(first._evaluator, collected)
    [(key, (grants, _))] = [(k, v) for k, v in first._raw.items() if v[0]]  # the account's
    kept = tuple(g for g in grants if g.principal_id != OTHER)
    newcomer = Assignment.from_arm(grant(SERVICE, ago(days=3)))
    plain = derived._level(key[0], (*kept, newcomer), READ, False)
    assert plain is not None
    assert set().union(*plain[0]) == {USER, SERVICE}


def test_a_copy_with_another_directory_starts_afresh() -> None:
    """The group's members are the directory's: a copy of the same assignments and roles where
    OTHER joined the group meets OTHER through the group's grant, whatever the first run found
    of its members."""
    before = model_of([grant(GROUP, ago(days=3))])
    collected = CheckContext(before).collected_at
    first = Needs(Evaluator(before.authorization), collected)
    assert OTHER not in first.plainly_met(need_of(before, users(before)))
    joined = model_of([], principals=_principals(other_member_of=[GROUP]))
    after = copy.copy(before.authorization)
    after.directory = joined.authorization.directory
    derived = first.derived(Evaluator(after), collected)
    assert derived._before is None
    assert OTHER in derived.plainly_met(need_of(before, users(before)))


def test_a_young_group_grant_among_the_more_meets_its_people_not_its_services() -> None:
    """A grant two hours old through a group, added to a level the first run knew: its user
    member is met, its service principal member is not (a day for those), as afresh."""
    model = model_of([grant(OTHER, ago(days=3))])
    collected = CheckContext(model).collected_at
    need = need_of(model, users(model))
    first = Needs(Evaluator(model.authorization), collected)
    assert first.plainly_met(need) == {OTHER}
    patched = model.authorization.with_assignments(
        [Assignment.from_arm(grant(GROUP, ago(hours=2)))]
    )
    derived = first.derived(first._evaluator.derived(patched), collected)
    fresh = Needs(Evaluator(patched), collected)
    assert derived.plainly_met(need) == fresh.plainly_met(need) == {OTHER, USER, GROUP}


def _principals(*, other_member_of: list[str]) -> list[dict[str, Any]]:
    return [
        arm.principal(USER, "User", "ann", member_of=[GROUP]),
        arm.principal(OTHER, "User", "bob", member_of=other_member_of),
        arm.principal(SERVICE, "ServicePrincipal", "app", member_of=[GROUP]),
        arm.principal(GROUP, "Group", "builders", member_of=[]),
    ]
