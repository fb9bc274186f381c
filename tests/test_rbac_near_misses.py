"""Near misses (diagnose.rbac.near_misses): the evaluator remembers, per principal and
operation, which of a principal's assignments anywhere grant it (the only candidates at scopes
that do not contain the target). The answers must be those of walking every assignment of the
principal and its groups, in the same order, whatever was asked before and of a changed copy."""

from __future__ import annotations

from typing import Any

from hypothesis import given

from diagnose.arm.scopes import scope_key
from diagnose.model.authorization import Assignment
from diagnose.model.model import Model
from diagnose.rbac import Evaluator
from diagnose.rbac.decision import NearMiss
from diagnose.rbac.near_misses import MAX_NEAR_MISSES, NEAR_MISS_ORDER, _miss, _miss_kind
from tests import arm
from tests.test_rbac_differential import SNAPSHOT_PROPERTY, snapshot_cases


def walk_everything(evaluator: Evaluator, principal: str, target: str, operation: str, data: bool):
    """The near misses by the walk near_misses replaced: every assignment of the principal
    and its groups, anywhere, ranked (unknown roles left out: they come last either way)."""
    authz = evaluator.authz
    roles = evaluator._roles
    membership = authz.directory.closure(principal)
    covering = set(evaluator._places.at(scope_key(target)).ancestors)
    ranked = []
    for member, via in membership.via.items():
        for key, bucket in authz.assignments_by_principal.get(member, {}).items():
            for assignment in bucket:
                role = authz.roles.get(assignment.role_id)
                if role is None:
                    continue
                match = roles.of(role, operation, data)
                kind = _miss_kind(match, key in covering)
                if kind is not None:
                    rank = (NEAR_MISS_ORDER.index(kind), role.name, assignment.scope)
                    ranked.append((*rank, assignment, role, via, key in covering, match))
    ranked.sort(key=lambda item: item[:3])
    found: list[NearMiss] = []
    for *_, assignment, role, via, covers, match in ranked:
        miss = _miss(match, assignment, role, via, covers, operation, data)
        if miss is not None:
            found.append(miss)
    return found[:MAX_NEAR_MISSES]


def known(decision) -> list[NearMiss]:
    return [m for m in decision.near_misses if m.kind != "unknownRole"]


@SNAPSHOT_PROPERTY
@given(snapshot_cases())
def test_near_misses_are_the_whole_walks_whatever_was_asked_before(
    case: tuple[dict[str, Any], list[tuple[str, str, str, bool]]],
) -> None:
    data, queries = case
    snapshot = arm.load(**{k: v for k, v in data.items() if k != "schemaVersion"})
    warm = Evaluator(Model.from_snapshot(snapshot).authorization)
    for principal, target, operation, data_action in queries:
        # one evaluator asked everything in turn (its memo filled by other operations and
        # principals) against a walk of everything, and against an evaluator asked only this
        decision = warm.check(principal, target, operation, data_action=data_action)
        if decision.allowed:
            continue
        cold = Evaluator(Model.from_snapshot(snapshot).authorization)
        expected = walk_everything(cold, principal.lower(), target, operation, data_action)
        assert known(decision) == expected
        assert (
            decision.near_misses
            == cold.check(principal, target, operation, data_action=data_action).near_misses
        )


USER = "a1a1a1a1-0000-4000-8000-000000000001"
GROUP = "b2b2b2b2-0000-4000-8000-000000000001"
OTHER_RG = f"/subscriptions/{arm.SUB}/resourceGroups/rg-other"
BLOB_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"


def test_a_changed_copy_finds_near_misses_among_the_assignments_it_added() -> None:
    data = arm.build(
        principals=[
            arm.principal(USER, "User", "ana", member_of=[GROUP]),
            arm.principal(GROUP, "Group", "team", member_of=[]),
        ],
        roleAssignments=[arm.role_assignment(OTHER_RG, GROUP, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)],
    )
    authz = Model.from_snapshot(
        arm.load(**{k: v for k, v in data.items() if k != "schemaVersion"})
    ).authorization
    evaluator = Evaluator(authz)
    before = evaluator.check(USER, arm.RG, BLOB_READ, data_action=True)
    assert [m.scope for m in before.near_misses] == [OTHER_RG]
    third = f"/subscriptions/{arm.SUB}/resourceGroups/rg-third"
    added = Assignment.from_arm(arm.role_assignment(third, GROUP, arm.STORAGE_BLOB_DATA_READER))
    copy = evaluator.derived(authz.with_assignments([added]), changed=frozenset({GROUP}))
    after = copy.check(USER, arm.RG, BLOB_READ, data_action=True)
    assert sorted(m.scope for m in after.near_misses) == sorted([OTHER_RG, third])
    # and the original still answers about its own data
    assert evaluator.check(USER, arm.RG, BLOB_READ, data_action=True) is before
