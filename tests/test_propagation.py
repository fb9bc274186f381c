"""A grant that exists on paper but is younger than the time Azure takes to apply it is a
warning to wait and re-check, never a missing role: 10 minutes in general, 24 hours for a
managed identity through a group, 12 hours for a data role assigned at a management group."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from diagnose.engine.api import Cause, Operation, PrincipalRef, Requirement, Status
from diagnose.engine.requirements import evaluate
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.rbac.evaluator import Evaluator
from tests import arm

COLLECTED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STORAGE = f"{arm.RG}/providers/Microsoft.Storage/storageAccounts/stdata"
MG = arm.management_group_scope("mg-data")
USER = arm.guid("propagation:user")
BLOB_READ = Operation.data_action(
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
)
STORAGE_READ = Operation.action("Microsoft.Storage/storageAccounts/read")


def outcome(role: str, operation: Operation, hours_old: float):
    created = (COLLECTED - timedelta(hours=hours_old)).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
    snapshot = arm.load(
        resources=[
            arm.subscription(management_groups=("mg-data", arm.TENANT)),
            arm.resource(STORAGE, "Microsoft.Storage/storageAccounts"),
        ],
        roleDefinitions=[arm.builtin_role(role)],
        roleAssignments=[arm.role_assignment(MG, USER, role, created_on=created)],
        principals=[arm.principal(USER, name="Uma")],
    )
    model = Model(snapshot)
    requirement = Requirement(
        principal=PrincipalRef(USER, "User", "Uma"),
        resource=Resource.from_arm(arm.resource(STORAGE, "Microsoft.Storage/storageAccounts")),
        operations=(operation,),
        because="reads the documents",
    )
    return evaluate(requirement, Evaluator(model.authorization), COLLECTED)


@pytest.mark.parametrize("hours_old", [0.5, 3, 11.5])
def test_a_data_role_at_a_management_group_is_young_for_twelve_hours(hours_old: float) -> None:
    result = outcome(arm.STORAGE_BLOB_DATA_READER, BLOB_READ, hours_old)
    assert result.status is Status.WARN and result.cause is Cause.PROPAGATION


def test_a_data_role_at_a_management_group_older_than_twelve_hours_is_applied() -> None:
    assert outcome(arm.STORAGE_BLOB_DATA_READER, BLOB_READ, 12.5).met


def test_a_control_plane_role_at_a_management_group_applies_within_minutes() -> None:
    assert outcome(arm.READER, STORAGE_READ, 0.5).met
    young = outcome(arm.READER, STORAGE_READ, 0.1)
    assert young.status is Status.WARN and young.cause is Cause.PROPAGATION
