"""affected (diagnose.remediation.affected): whom a change of some principals' assignments can
concern, found as the changed principals and their members (Directory.members_of) rather than
by asking every principal's closure. The property: on the random directories of
test_needs_bulk (nested groups with cycles, unlisted groups, memberships not collected or
unreadable) and on the demo and the fixtures, it is exactly the definition's answer."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnose.demo import load_demo
from diagnose.model.model import Model
from diagnose.remediation.affected import affected
from diagnose.snapshot import parse_snapshot
from tests.test_needs_bulk import EVERYONE, GROUPS, cases
from tests.test_whole_plan_shortcuts import synthetic

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "checks"


def _by_closure(changed: frozenset[str], model: Model) -> frozenset[str]:
    """The definition: every principal that may have a closure (in the directory, holding a
    role, or changed) whose closure holds one of `changed`."""
    changed = frozenset(p.lower() for p in changed)
    authorization = model.authorization
    directory = authorization.directory
    candidates = {p.lower() for p in directory.principals}
    candidates.update(authorization.assignments_by_principal)
    candidates.update(changed)
    return frozenset(p for p in candidates if not changed.isdisjoint(directory.closure(p).via))


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases(), st.lists(st.sampled_from([*EVERYONE, *GROUPS, "an-unknown-id"]), max_size=4))
def test_affected_is_its_definition_on_random_directories(
    case: dict[str, Any], changed: list[str]
) -> None:
    model = Model(parse_snapshot(copy.deepcopy(case["data"]), "<test>"))
    spelled = frozenset(p.upper() if i % 2 else p for i, p in enumerate(changed))
    assert affected(spelled, model) == _by_closure(spelled, model)


def test_affected_is_its_definition_on_the_demo_and_the_fixtures() -> None:
    snapshots = [load_demo()] + [
        parse_snapshot(json.loads(p.read_bytes()), str(p))
        for p in sorted(FIXTURES.glob("*/*.json"))
    ]
    grew = 0
    for snapshot in snapshots:
        model = Model(snapshot)
        directory = model.authorization.directory
        groups = [p for p in directory.principals.values() if p.type == "Group"]
        for group in groups:
            found = affected(frozenset({group.id}), model)
            assert found == _by_closure(frozenset({group.id}), model)
            grew += len(found) > 1
    assert grew  # not vacuous: some group has members


@pytest.mark.parametrize("kind", ["hub", "foundry"])
def test_whom_a_change_affects_is_everyone_whose_closure_holds_a_changed_one(kind: str) -> None:
    model = Model(parse_snapshot(synthetic(kind)))
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
