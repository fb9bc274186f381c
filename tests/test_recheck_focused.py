"""The focused re-read keeps only what reaches a step's scope and reads child resources with
their parent type's api-version."""

from __future__ import annotations

from typing import Any

from diagnose.collect import apiversions
from diagnose.collect.focused import Focus, read_with

SUB = "/subscriptions/00000000-1111-2222-3333-444444444444"
SEARCH = f"{SUB}/resourceGroups/rg/providers/Microsoft.Search/searchServices/srch"
PE = f"{SEARCH}/privateEndpointConnections/pe-1"


def _assignment(scope: str) -> dict[str, Any]:
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/x",
        "properties": {"scope": scope},
    }


class _Arm:
    def __init__(self) -> None:
        self.gets: list[tuple[str, dict[str, str] | None]] = []

    def get_pages(self, path: str, params: dict[str, str] | None = None) -> list[Any]:
        self.gets.append((path, params))
        if path.endswith("roleAssignments"):
            return [
                _assignment("/"),
                _assignment(SUB),
                _assignment(SEARCH),
                _assignment(f"{SUB}/resourceGroups/other"),
                _assignment(f"{SEARCH}/indexes/i"),
            ]
        return []

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        self.gets.append((path, params))
        return {"id": path, "properties": {}}


def test_only_what_reaches_the_scope_is_kept_and_children_use_their_parents_version() -> None:
    arm = _Arm()
    data = read_with(arm, Focus(scopes={SEARCH}, resources={PE}))  # type: ignore[arg-type]
    kept = {a["properties"]["scope"] for a in data["roleAssignments"]}
    assert kept == {"/", SUB, SEARCH}
    assert (PE, {"api-version": apiversions.SEARCH}) in arm.gets
    group = f"{SUB}/resourceGroups/rg/providers/Microsoft.Authorization"
    # At the step's resource group, as a collection lists: role assignments once, deny
    # assignments unfiltered and at and above; then the one GET. Never the subscription's
    # whole listing.
    assert [(path, (params or {}).get("$filter")) for path, params in arm.gets] == [
        (f"{group}/roleAssignments", None),
        (f"{group}/denyAssignments", None),
        (f"{group}/denyAssignments", "atScope()"),
        (PE, None),
    ]


def test_steps_in_two_groups_and_at_the_subscription_keep_each_assignment_once() -> None:
    arm = _Arm()
    other = f"{SUB}/resourceGroups/other"
    data = read_with(arm, Focus(scopes={SEARCH, other, SUB}))  # type: ignore[arg-type]
    kept = sorted(a["properties"]["scope"] for a in data["roleAssignments"])
    # "/" and the subscription's come with all three listings, once each in the answer
    assert kept == sorted(["/", SUB, SEARCH, other])
    listed = [(path, (params or {}).get("$filter")) for path, params in arm.gets]
    assert (f"{SUB}/providers/Microsoft.Authorization/roleAssignments", "atScope()") in listed
    assert (f"{SUB}/providers/Microsoft.Authorization/roleAssignments", None) not in listed
    assert len(listed) == 3 + 3 + 2  # each group: 1 + 2; the subscription: 1 + 1
