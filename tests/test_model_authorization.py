"""The authorization index built in one pass over a snapshot's assignments
(model.authorization._index_arm, the hot loop of indexing a large snapshot)."""

from __future__ import annotations

from diagnose.model.authorization import Assignment, _index_arm
from tests import arm

USER = "AAAAAAAA-0000-0000-0000-000000000001"
GROUP = "aaaaaaaa-0000-0000-0000-000000000002"
SUBSCRIPTION = f"/subscriptions/{arm.SUB}"


def test_the_one_pass_index_makes_the_assignments_from_arm_makes():
    items = [
        arm.role_assignment(arm.RG, USER, arm.READER),
        arm.role_assignment(arm.RG.upper(), USER, arm.CONTRIBUTOR, condition="@x"),
        arm.role_assignment(f"{arm.RG}/providers/A.B/c/d", GROUP, arm.OWNER),
    ]
    items[2]["properties"]["principalType"] = None
    del items[2]["properties"]["createdOn"]
    made, index = _index_arm(items)
    expected = [Assignment.from_arm(item) for item in items]
    assert made == expected
    assert all(type(a) is Assignment for a in made)
    first = made[0]
    assert (first.principal_id, first.role_id, first.scope_key) == (
        USER.lower(),
        arm.READER,
        arm.RG.lower(),
    )
    assert made[1].condition == "@x" and made[2].created_on is None
    assert made[2].principal_type is None and made[2].raw is items[2]
    # by principal (lower case), then by scope key: both spellings of the group land together
    assert index == {
        USER.lower(): {arm.RG.lower(): [made[0], made[1]]},
        GROUP: {f"{arm.RG}/providers/A.B/c/d".lower(): [made[2]]},
    }


def test_the_index_reads_each_field_as_from_arm_does_and_keeps_the_snapshots_order():
    # An empty condition is no condition; a role id in capitals or with a trailing slash
    # names the same role; principals and scopes keep the order they are first met in.
    items = [
        arm.role_assignment(f"{arm.RG}/providers/A.B/c/d", GROUP, arm.OWNER, condition=""),
        arm.role_assignment(arm.RG, USER, arm.READER),
        arm.role_assignment(arm.RG, USER.lower(), arm.CONTRIBUTOR),
        arm.role_assignment(SUBSCRIPTION, GROUP.upper(), arm.READER),
    ]
    items[1]["properties"]["roleDefinitionId"] = items[1]["properties"]["roleDefinitionId"].upper()
    items[2]["properties"]["roleDefinitionId"] += "/"
    del items[3]["properties"]["principalType"]
    made, index = _index_arm(items)
    assert made == [Assignment.from_arm(item) for item in items]
    assert made[0].condition is None
    assert (made[1].role_id, made[2].role_id) == (arm.READER, arm.CONTRIBUTOR)
    assert list(index) == [GROUP, USER.lower()]
    assert list(index[GROUP]) == [f"{arm.RG}/providers/A.B/c/d".lower(), SUBSCRIPTION]
    assert index[USER.lower()] == {arm.RG.lower(): [made[1], made[2]]}


def test_an_empty_snapshot_indexes_to_nothing():
    assert _index_arm([]) == ([], {})
