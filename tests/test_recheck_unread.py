"""A live recheck judges a step only on what it could read: a step whose role or deny
assignments listing failed (or was never made: a management group's scope) is unknown, never
"done" because the assignment it removes was not in an answer that never came."""

from __future__ import annotations

from typing import Any

from diagnose.app.recheck import DONE, FAILED, NOT_YET, recheck
from diagnose.collect.clients import ApiError
from diagnose.collect.focused import Focus, read_with
from diagnose.snapshot import Snapshot

SUB = "/subscriptions/00000000-1111-2222-3333-444444444444"
RG = f"{SUB}/resourceGroups/rg-data"
STORAGE = f"{RG}/providers/Microsoft.Storage/storageAccounts/st"
MG = "/providers/Microsoft.Management/managementGroups/mg-ai"
PRINCIPAL = "17eb0365-32ab-5ea3-b963-38d30fe3b812"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def _assignment(scope: str) -> dict[str, Any]:
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/"
        "00000000-0000-4000-8000-000000000001",
        "properties": {
            "scope": scope,
            "principalId": PRINCIPAL,
            "roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{READER}",
        },
    }


class _Arm:
    """Every listing answers with the assignment at `scope` (it applies everywhere below
    it), unless `failing` is set: then each listing is refused."""

    def __init__(self, scope: str, failing: bool = False) -> None:
        self.scope, self.failing = scope, failing
        self.gets: list[str] = []

    def get_pages(self, path: str, params: dict[str, str] | None = None) -> list[Any]:
        self.gets.append(path)
        if self.failing:
            raise ApiError(503, "ServiceUnavailable", "try again later")
        return [_assignment(self.scope)] if path.endswith("/roleAssignments") else []

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        raise AssertionError("no resource is read")


def _step(kind: str, scope: str) -> dict[str, Any]:
    assignment = _assignment(scope)
    return {
        "id": kind,
        "order": 1,
        "fixes": [],
        "remediation": {
            "kind": kind,
            "principalId": PRINCIPAL,
            "principalType": "ServicePrincipal",
            "roleDefinitionId": READER,
            "scope": scope,
            "resource": assignment["id"] if kind == "removeAssignment" else None,
            "summary": kind,
        },
    }


def _recheck(step: dict[str, Any], arm: _Arm, *, past: bool = False) -> Any:
    focus = Focus(scopes={step["remediation"]["scope"]})
    read = lambda: Snapshot(read_with(arm, focus), "focused read")  # type: ignore[arg-type]  # noqa: E731
    result = recheck([step], read, rerun=False, window=0.0 if past else 600.0)
    return result.steps[0]


def test_a_removal_whose_listing_failed_is_not_done() -> None:
    step = _recheck(_step("removeAssignment", STORAGE), _Arm(STORAGE, failing=True))
    assert step.status != DONE, step.reason
    assert step.status == NOT_YET and "unknown" in step.reason


def test_an_assignment_whose_listing_failed_does_not_fail_past_the_window() -> None:
    step = _recheck(_step("roleAssignment", STORAGE), _Arm(STORAGE, failing=True), past=True)
    assert step.status != FAILED, step.reason
    assert step.status == NOT_YET and "unknown" in step.reason


def test_a_removal_at_a_management_group_is_not_done_unread() -> None:
    # The assignment is still there; nothing lists a management group's assignments here.
    arm = _Arm(MG)
    step = _recheck(_step("removeAssignment", MG), arm)
    assert step.status != DONE, (step.reason, arm.gets)
    assert step.status == NOT_YET and "unknown" in step.reason


def test_an_assignment_at_a_management_group_does_not_fail_unread() -> None:
    step = _recheck(_step("roleAssignment", MG), _Arm(MG), past=True)
    assert step.status != FAILED, step.reason


def test_a_removal_read_and_gone_is_still_done() -> None:
    arm = _Arm(f"{SUB}/resourceGroups/other")  # the listing answers; the removed one is gone
    step = _recheck(_step("removeAssignment", STORAGE), arm)
    assert step.status == DONE, step.reason


def test_a_deny_assignment_removal_whose_listing_failed_is_not_done() -> None:
    deny = f"{RG}/providers/Microsoft.Authorization/denyAssignments/d-1"
    step = {
        "id": "deny",
        "order": 1,
        "fixes": [],
        "remediation": {
            "kind": "configuration",
            "setting": "denyAssignment",
            "resource": deny,
            "summary": "remove the deny assignment",
        },
    }
    focus = Focus(scopes={RG})  # as LiveReader lists it: where it sits
    arm = _Arm(RG, failing=True)
    result = recheck([step], lambda: Snapshot(read_with(arm, focus), "focused"), rerun=False)  # type: ignore[arg-type]
    assert result.steps[0].status == NOT_YET and "deny assignments" in result.steps[0].reason
