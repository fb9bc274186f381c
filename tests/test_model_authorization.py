"""The authorization index built in one pass over a snapshot's assignments
(model.authorization._index_arm, the hot loop of indexing a large snapshot)."""

from __future__ import annotations

from diagnose.model.authorization import Assignment, _index_arm
from tests import arm

USER = "AAAAAAAA-0000-0000-0000-000000000001"
GROUP = "aaaaaaaa-0000-0000-0000-000000000002"


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
