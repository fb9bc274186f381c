"""A whole-plan round narrows the Needs of the checks about people to the principals it affects,
or to all but them (diagnose.remediation.affected._Narrowing): a list narrowed from another is
narrowed again from the first one's positions, not user by user. Whatever the chain of
filters, each list must be exactly what filtering user by user gives, in the same order."""

from __future__ import annotations

import random

from diagnose.engine.api import Need, Operation, PrincipalRef
from diagnose.engine.personas import Classification, Persona
from diagnose.model.resources import Resource
from diagnose.remediation.affected import _Narrowing

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
