"""Short cuts of a whole-plan round (diagnose.remediation.affected), each against what it
stands for, worked out the plain way:

- the Needs of the checks about people are narrowed to the principals a round affects, or to
  all but them (_Narrowing): a list narrowed from another is narrowed again from the first
  one's positions, not user by user. Whatever the chain of filters, each list must be exactly
  what filtering user by user gives, in the same order;
- the requirements the first run found met (Engine.met: keys and sets of ids met in bulk) and
  those a round keeps (still_met of a Met) say of every key what met_keys and still_met of
  the listed keys say."""

from __future__ import annotations

import random
from typing import NoReturn

import pytest

from benchmarks.synthetic import build_foundry, small_hub
from diagnose.engine import runner
from diagnose.engine.api import (
    Need,
    Operation,
    PrincipalRef,
    Remediation,
    RemediationKind,
    Requirement,
)
from diagnose.engine.personas import Classification, Persona
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine, MetKey
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.remediation.affected import Reach, _Narrowing, still_met, touched
from diagnose.remediation.plan import FixPlan
from diagnose.remediation.whole_plan import apply
from diagnose.snapshot import parse_snapshot

READER_ROLE = (
    "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
)
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


def test_narrowing_to_all_none_or_all_but_one_is_filtering_user_by_user() -> None:
    # The edges a round meets most (a list kept whole, or left out whole) and those beside
    # them: the filters that keep every user, none, or all but one, inside and not, on a list
    # a check gave and on lists narrowed from it.
    rng = random.Random(11)
    ids = [f"P{i:02d}" if i % 2 else f"p{i:02d}" for i in range(12)]
    for _ in range(40):
        narrowing = _Narrowing()
        need = _need([_user(i) for i in rng.sample(ids, 8)])
        expected = list(need.users)
        for _ in range(4):
            present = [u.principal.id.lower() for u in expected]
            outside = [i.lower() for i in ids if i.lower() not in present]
            one = rng.sample(present, 1) if present else []
            keep = frozenset(
                rng.choice(
                    (
                        present,
                        present[1:],
                        one,
                        [],
                        outside,
                        present + outside,
                        [p for p in present if p not in one] + outside[:1],
                    )
                )
            )
            inside = rng.random() < 0.5
            narrowed = narrowing(need, keep, inside)
            want = _plainly(expected, keep, inside)
            assert [u.principal.id for u in narrowed.users] == [u.principal.id for u in want]
            assert all(a is b for a, b in zip(narrowed.users, want, strict=True))
            assert (narrowed is need) == (len(want) == len(need.users))
            if not inside:
                need, expected = narrowed, want


def test_a_list_naming_a_principal_twice_is_filtered_user_by_user() -> None:
    twice = [_user("a"), _user("B"), _user("b"), _user("c")]
    narrowing = _Narrowing()
    out = narrowing(_need(twice), frozenset({"b"}), False)
    assert [u.principal.id for u in out.users] == ["a", "c"]
    inside = narrowing(_need(twice), frozenset({"b"}), True)
    assert [u.principal.id for u in inside.users] == ["B", "b"]


def test_narrowing_from_the_ids_a_run_listed_is_filtering_user_by_user() -> None:
    # A round narrows first the lists the run before split (Needs.known_ids): their ids in
    # order, and as a set, when all are spelled lower-case, nothing for any other list.
    model = Model(parse_snapshot(synthetic("foundry")))
    needs = Engine(model).needs
    rng = random.Random(5)
    ids = [f"{i:02d}ab" for i in range(40)]
    lower = [_user(i) for i in rng.sample(ids, 30)]
    mixed = [_user(i.upper() if n % 4 == 0 else i) for n, i in enumerate(rng.sample(ids, 30))]
    twice = [*lower[:10], _user(lower[0].principal.id)]
    for users in (lower, mixed, twice):
        needs.plainly_met(_need(users))
    assert needs.known_ids(lower) == (
        [u.principal.id for u in lower],
        {u.principal.id for u in lower},
    )
    assert needs.known_ids(list(lower)) is None  # another list, never split
    assert needs.known_ids(mixed) is None  # not every id as the evaluator asks about it
    for _ in range(20):
        narrowing = _Narrowing()
        narrowing.known = needs.known_ids
        for users in (lower, mixed, twice):
            need, expected = _need(users), list(users)
            for _ in range(3):
                keep = frozenset(i for i in ids if rng.random() < 0.3)
                inside = rng.random() < 0.3
                narrowed = narrowing(need, keep, inside)
                want = _plainly(expected, keep, inside)
                assert all(a is b for a, b in zip(narrowed.users, want, strict=True))
                assert len(narrowed.users) == len(want)
                if not inside:
                    need, expected = narrowed, want


def synthetic(kind: str) -> dict:
    """A small synthetic hub, or Foundry resource, with nested groups and a plan of roles."""
    return (
        small_hub(projects=4, assignments=500, broken=0.03)
        if kind == "hub"
        else build_foundry(projects=3, principals=150, assignments=100, resources=10, targets=2)
    )


def _run_and_step(kind: str) -> tuple[Model, Engine, list[Remediation]]:
    model = Model(parse_snapshot(synthetic(kind)))
    engine = Engine(model, fixes=FixPlan)
    result = engine.run(load_checks()[0])
    steps = [
        fix
        for finding in result.findings
        for fix in finding.remediations
        if fix.kind == RemediationKind.ROLE_ASSIGNMENT and fix.alternative_to is None
    ]
    assert steps  # not vacuous: the plan gives roles
    return model, engine, steps


def _others(keys: frozenset[MetKey]) -> list[MetKey]:
    """Keys like the met ones that are not met: another principal, scope or operations."""
    found = []
    for principal, scope, operations, builtin in sorted(keys, key=str)[:300]:
        found += [
            (principal + "0", scope, operations, builtin),
            (principal, scope + "/x", operations, builtin),
            (principal, scope, (*operations, READ), builtin),
            (principal, scope, operations, not builtin),
        ]
    return [k for k in found if k not in keys]


@pytest.mark.parametrize("kind", ["hub", "foundry"])
def test_the_met_requirements_asked_key_by_key_are_those_listed(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, engine, steps = _run_and_step(kind)
    listed = engine.met_keys
    met = engine.met
    assert len(listed) > 100 and engine._met  # in bulk and one by one, both
    assert all(key in met for key in listed)
    assert not any(key in met for key in _others(listed))
    assert frozenset(met) == listed
    # the plan's first steps, and roles where some met requirements are (their scope)
    steps = steps[:20] + [
        Remediation(
            kind=RemediationKind.ROLE_ASSIGNMENT,
            summary="Reader",
            principal_id=principal,
            principal_type="User",
            role_definition_id=READER_ROLE,
            scope=scope,
        )
        for principal, scope, _, _ in sorted(listed, key=str)[::40]
    ]
    changes = touched(model, steps)
    assert changes is not None
    reach = Reach(model, changes)
    kept = still_met(listed, reach)
    assert len(kept) < len(listed)  # not vacuous: the steps reach some
    for given in (met, listed):
        still = still_met(given, reach)
        assert all((key in still) is (key in kept) for key in listed)
        assert not any(key in still for key in _others(listed))
        assert frozenset(still) == kept
    # a round's engine given them as known lists them among its own, as met_keys did, and
    # does not evaluate them again
    round_engine = Engine(apply(model, steps), known_met=still_met(met, reach))
    assert round_engine.met_keys == kept
    monkeypatch.setattr(runner, "evaluate", _never)
    for principal, scope, operations, builtin in sorted(kept, key=str)[:50]:
        requirement = Requirement(
            principal=PrincipalRef(principal, "User"),
            resource=PLACE,
            operations=operations,
            because="test",
            scope=scope,
            builtin_roles_only=builtin,
        )
        assert round_engine.shortfall(requirement) is None


def _never(*args: object, **kwargs: object) -> NoReturn:
    raise AssertionError("a requirement known to be met was evaluated again")
