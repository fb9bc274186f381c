"""The plan step's caches (issue 15): each answer is computed once per distinct input and
shared only between inputs that give the same answer. Each test would fail if a cache handed
one input's answer to another."""

from __future__ import annotations

import copy
from typing import Any

from diagnose.engine.api import Operation
from diagnose.model.model import Model
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.planner import Planner, ScopeProviders
from diagnose.snapshot import parse_snapshot
from tests import arm

RG = f"/subscriptions/{arm.SUB}/resourceGroups/rg-ai"
SEARCH = f"{RG}/providers/Microsoft.Search/searchServices/srch"
STORAGE = f"{RG}/providers/Microsoft.Storage/storageAccounts/st"
CONTAINER = f"{STORAGE}/blobServices/default/containers/data"
USER = arm.guid("user:dev")


def snapshot_data() -> dict[str, Any]:
    return arm.build(
        resources=[
            arm.subscription(),
            arm.resource(SEARCH, "Microsoft.Search/searchServices"),
            arm.resource(STORAGE, "Microsoft.Storage/storageAccounts", kind="StorageV2"),
        ],
        principals=[arm.principal(USER, "User", "dev")],
    )


def model_of(data: dict[str, Any]) -> Model:
    return Model(parse_snapshot(copy.deepcopy(data), "<plan cache test>"))


def planner_of(model: Model) -> Planner:
    return Planner(Evaluator(model.authorization), ScopeProviders.of(model).at)


READ_ACCOUNT = (Operation.action("Microsoft.Storage/storageAccounts/read"),)


def test_a_role_choice_is_shared_only_between_scopes_with_the_same_providers() -> None:
    model = model_of(snapshot_data())
    shared = planner_of(model)
    at_storage = shared.choose(READ_ACCOUNT, (), STORAGE)
    at_search = shared.choose(READ_ACCOUNT, (), SEARCH)
    # Roles are ranked over the providers at the scope (Reader reads every Storage operation
    # on the account, nothing of Storage on a Search service): the Search service's answer is
    # its own, as a planner that never saw the storage account says.
    alone = planner_of(model).choose(READ_ACCOUNT, (), SEARCH)
    assert [(c.role.id, c.risk, c.extra, c.label()) for c in at_search] == [
        (c.role.id, c.risk, c.extra, c.label()) for c in alone
    ]
    assert at_storage[0].role.id == arm.READER
    assert at_search[0].role.id != arm.READER
    # A container of the storage account has the same providers: the same answer, not redone.
    assert shared.choose(READ_ACCOUNT, (), CONTAINER) is at_storage


def test_each_finding_keeps_its_own_units_in_the_whole_plan_memo() -> None:
    """The whole-plan check remembers each finding's units: findings made and dropped one after
    another (as each round's re-run makes them) each get their own, never a freed one's."""
    from diagnose.engine.api import Cause, Finding, PrincipalRef, Severity, Status
    from diagnose.remediation.whole_plan import _Units, units

    memo = _Units()
    for number in range(200):
        finding = Finding(
            check_id="HUB001",
            title="t",
            severity=Severity.HIGH,
            status=Status.FAIL,
            resource=SEARCH,
            principal=PrincipalRef(arm.guid(f"user:{number}"), "User", f"u{number}"),
            message="m",
            cause=Cause.MISSING_ROLE,
            details={"scope": SEARCH, "n": number},
        )
        assert memo.of(finding) == units(finding)
        assert memo.uncaused(finding) == {(u[0], u[1], *u[3:]) for u in units(finding)}
