"""Short cuts of a whole-plan round (diagnose.remediation.affected), each against what it
stands for, worked out the plain way:

- the Needs of the checks about people are narrowed to the principals a round affects, or to
  all but them (_Narrowing): a list narrowed from another is narrowed again from the first
  one's positions, not user by user. Whatever the chain of filters, each list must be exactly
  what filtering user by user gives, in the same order;
- whom a change of some principals' assignments affects (`affected`) is found from the
  directory's inverse of closure: exactly the principals whose closure holds a changed one."""

from __future__ import annotations

import random

import pytest

from benchmarks.synthetic import build, build_foundry
from diagnose.engine.api import Need, Operation, PrincipalRef
from diagnose.engine.personas import Classification, Persona
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.remediation.affected import _Narrowing, affected
from diagnose.snapshot import parse_snapshot

READ = Operation.action("Microsoft.Resources/subscriptions/read")
PLACE = Resource.from_arm(
    {"id": "/subscriptions/s/resourceGroups/rg", "name": "rg", "type": "resourceGroups"}
)


def _user(principal: str) -> Classification:
    return Classification(PrincipalRef(principal, "User"), Persona.BUILDER, ())


def _need(users: list[Classification]) -> Need:
    return Need(users, PLACE, (READ,), lambda user: None)  # type: ignore[arg-type,return-value]


def _plainly(users: list[Classification], keep: set[str], inside: bool) -> list[Classification]:
    return [u for u in users if (u.principal.id.lower() in keep) is inside]


def test_narrowing_again_and_again_is_filtering_user_by_user() -> None:
    rng = random.Random(7)
    ids = [f"P{i:03d}" if i % 3 else f"p{i:03d}" for i in range(120)]  # mixed case
    for _ in range(30):
        narrowing = _Narrowing()
        users = [_user(i) for i in rng.sample(ids, 80)]
        need = _need(users)
        expected = list(users)
        for _ in range(6):
            keep = frozenset(i.lower() for i in rng.sample(ids, rng.choice((0, 1, 5, 40, 120))))
            inside = rng.random() < 0.3
            narrowed = narrowing(need, keep, inside)
            want = _plainly(expected, keep, inside)
            assert [u.principal.id for u in narrowed.users] == [u.principal.id for u in want]
            assert all(a is b for a, b in zip(narrowed.users, want, strict=True))
            if len(want) == len(need.users):
                assert narrowed is need  # nothing left out: the need as it was
            if not inside:  # the next filter starts from this one (a round's before)
                need, expected = narrowed, want


def test_a_list_naming_a_principal_twice_is_filtered_user_by_user() -> None:
    twice = [_user("a"), _user("B"), _user("b"), _user("c")]
    narrowing = _Narrowing()
    out = narrowing(_need(twice), frozenset({"b"}), False)
    assert [u.principal.id for u in out.users] == ["a", "c"]
    inside = narrowing(_need(twice), frozenset({"b"}), True)
    assert [u.principal.id for u in inside.users] == ["B", "b"]


def _by_closure(changed: frozenset[str], model: Model) -> frozenset[str]:
    """`affected` the plain way: every principal the snapshot knows of (or changed) whose
    closure holds a changed one."""
    authorization = model.authorization
    directory = authorization.directory
    candidates = {p.lower() for p in directory.principals}
    candidates.update(authorization.assignments_by_principal)
    candidates.update(changed)
    return frozenset(p for p in candidates if not changed.isdisjoint(directory.closure(p).via))


@pytest.mark.parametrize("kind", ["hub", "foundry"])
def test_whom_a_change_affects_is_everyone_whose_closure_holds_a_changed_one(kind: str) -> None:
    data = (
        build(
            projects=4,
            connections=12,
            resources=12,
            principals=200,
            assignments=500,
            shared_connections=2,
            targets=(4, 2, 5),
        )
        if kind == "hub"
        else build_foundry(projects=3, principals=150, assignments=100, resources=10, targets=2)
    )
    model = Model(parse_snapshot(data))
    directory = model.authorization.directory
    groups = sorted({g for p in directory.principals.values() for g in p.member_of or ()})
    people = sorted(directory.principals)
    holders = sorted(model.authorization.assignments_by_principal)
    assert len(groups) > 3  # nested groups: their members' members count too
    rng = random.Random(5)
    for _ in range(40):
        changed = frozenset(
            rng.sample(groups, rng.choice((0, 1, 3)))
            + rng.sample(people, rng.choice((0, 1, 4)))
            + rng.sample(holders, rng.choice((0, 2)))
            + ["00000000-0000-4000-8000-0000000000ab"] * rng.choice((0, 1))  # known to no one
        )
        assert affected(changed, model) == _by_closure(changed, model)
    upper = frozenset(g.upper() for g in groups[:2])
    assert affected(upper, model) == _by_closure(frozenset(groups[:2]), model)
