"""Who may run a fix (Evaluator.who_can) starts from the assignments at each scope whose role
grants the operation (holders.granting_at), in their order: the first of a principal's names the
role and scope shown."""

from __future__ import annotations

from diagnose.model.model import Model
from diagnose.rbac import Evaluator
from tests import arm

USER = "AAAAAAAA-0000-0000-0000-000000000001"
GROUP = "aaaaaaaa-0000-0000-0000-000000000002"


def test_the_assignments_granting_an_operation_at_a_scope_in_their_order() -> None:
    unknown_role = "99999999-9999-9999-9999-999999999999"
    items = [
        arm.role_assignment(arm.RG, USER, arm.OWNER),
        arm.role_assignment(arm.RG, GROUP, arm.READER),  # reads only
        arm.role_assignment(arm.RG, USER, unknown_role),  # in neither the snapshot nor catalog
        arm.role_assignment(arm.RG, GROUP, arm.CONTRIBUTOR),
    ]
    evaluator = Evaluator(Model(arm.load(roleAssignments=items)).authorization)
    write = "Microsoft.Storage/storageAccounts/write"
    for _ in range(2):  # the second time from the evaluator's memo
        found = evaluator._granting_at(arm.RG.lower(), write, False)
        assert [(a.principal_id, a.role_id) for a in found] == [
            (USER.lower(), arm.OWNER),
            (GROUP, arm.CONTRIBUTOR),
        ]
