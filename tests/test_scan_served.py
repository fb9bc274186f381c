"""The scan's served reads (diagnose.collect.scan, served.py): what a hub's collector is given
from the tenant index must be what it would keep of the ARM answer, read once however many
hubs ask."""

from __future__ import annotations

from typing import Any

import pytest

from diagnose.collect.scan import TenantIndex
from diagnose.collect.served import _Groups

SUB = "00000000-0000-0000-0000-000000000001"
OTHER = "00000000-0000-0000-0000-000000000002"
WS = "Microsoft.MachineLearningServices/workspaces"


def _workspace(sub: str, name: str, kind: str, hub: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": f"/subscriptions/{sub}/resourceGroups/rg/providers/{WS}/{name}",
        "name": name,
        "type": WS,
        "kind": kind,
        "properties": {},
    }
    if hub is not None:
        item["properties"]["hubResourceId"] = hub
    return item


def _index(*rows: dict[str, Any]) -> TenantIndex:
    index = TenantIndex()
    for row in rows:
        index.resources[row["id"].lower()] = row
    return index


def test_a_hubs_workspace_listing_holds_its_projects_only() -> None:
    hub_a = _workspace(SUB, "hubA", "Hub")
    hub_b = _workspace(SUB, "hubB", "Hub")
    # the hub's id in another case, as ARM sometimes writes it: still this hub's project
    a1 = _workspace(SUB, "a1", "Project", hub_a["id"].upper())
    b1 = _workspace(SUB, "b1", "project", hub_b["id"])
    a2 = _workspace(SUB, "a2", "project", hub_a["id"])
    plain = _workspace(SUB, "classic", "Default")
    elsewhere = _workspace(OTHER, "a3", "Project", hub_a["id"])
    not_a_project = _workspace(SUB, "odd", "Hub", hub_a["id"])
    index = _index(hub_a, a1, hub_b, b1, a2, plain, elsewhere, not_a_project)
    key_a = hub_a["id"].lower()
    assert [w["name"] for w in index.workspaces(SUB, key_a)] == ["a1", "a2"]
    assert [w["name"] for w in index.workspaces(SUB, hub_b["id"].lower())] == ["b1"]
    assert [w["name"] for w in index.workspaces(OTHER, key_a)] == ["a3"]
    # the whole listing, as ARM answers it, in Resource Graph's order
    assert [w["name"] for w in index.workspaces(SUB)] == [
        "hubA", "a1", "hubB", "b1", "a2", "classic", "odd"
    ]  # fmt: skip
    # copies: a collector that scrubs or edits one leaves the index as it was
    index.workspaces(SUB, key_a)[0]["name"] = "changed"
    assert index.resources[a1["id"].lower()]["name"] == "a1"


def test_an_sdk_clients_operation_groups_are_built_once() -> None:
    built: list[str] = []

    class Client:
        @property
        def role_assignments(self) -> object:
            built.append("role_assignments")
            return object()

    groups: Any = _Groups(Client())
    first = groups.role_assignments
    assert groups.role_assignments is first
    assert built == ["role_assignments"]


@pytest.mark.parametrize(
    "resource_id",
    [
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/{WS}/hub/providers/"
        "Microsoft.Authorization/roleAssignments/a",
        f"/SUBSCRIPTIONS/{SUB.upper()}/providers/Microsoft.Authorization/roleAssignments/b",
        "/providers/Microsoft.Management/managementGroups/mg/providers/"
        "Microsoft.Authorization/roleAssignments/c",
        "/subscriptions/not-a-guid/providers/Microsoft.Authorization/roleAssignments/d",
        f"/subscriptions/{SUB}",
        "",
    ],
)
def test_a_rows_subscription_is_read_as_the_id_parser_reads_it(resource_id: str) -> None:
    from diagnose.arm.ids import followable
    from diagnose.collect.scan import _subscription_of

    parsed = followable(resource_id)
    parts = resource_id.lower().split("/")
    expected = (
        parsed.subscription
        if parsed is not None
        else (parts[2] if len(parts) > 2 and parts[1] == "subscriptions" else "")
    )
    assert _subscription_of(resource_id) == expected


def _served_sdk(index: TenantIndex) -> Any:
    """A ServedSdk over this index, without clients (fits() reads only the index)."""
    from diagnose.collect.served import ServedArm, ServedSdk

    arm = ServedArm.__new__(ServedArm)
    arm._index = index
    sdk = ServedSdk.__new__(ServedSdk)
    sdk._arm = arm
    sdk._definitions_fit = {}
    return sdk


def test_a_served_role_definition_is_checked_once_for_every_hub(monkeypatch) -> None:
    """Every hub's collector checks the role definitions it reads (1,900 in a scan of 500
    hubs); those served from the index (copies holding the index's own values) are checked
    once, and give the same answer as checking each; any other definition is checked itself."""
    from diagnose.catalog import builtin_role_definitions
    from diagnose.collect import shapes
    from diagnose.collect.shapes import ROLE_DEFINITION

    good = dict(builtin_role_definitions()[0])
    guid = good["id"].rsplit("/", 1)[-1].lower()
    odd = {**good, "id": good["id"].replace(guid, "0" * 32), "properties": "not an object"}
    index = TenantIndex()
    index.role_definitions[guid] = good
    index.role_definitions["0" * 32] = odd
    checked: list[Any] = []
    real = shapes.fits

    def counted(shape: str, item: Any) -> bool:
        checked.append(item)
        return real(shape, item)

    monkeypatch.setattr("diagnose.collect.served.fits", counted)
    monkeypatch.setattr(shapes, "fits", counted)
    sdk = _served_sdk(index)
    assert [sdk.fits(ROLE_DEFINITION, dict(good)) for _ in range(3)] == [True] * 3
    assert [sdk.fits(ROLE_DEFINITION, dict(odd)) for _ in range(3)] == [False] * 3
    assert checked == [good, odd]  # each once, from the index
    # the same id, other values (not what the index served): checked itself, every time
    changed = {**good, "properties": {**good["properties"], "roleName": 5}}
    assert sdk.fits(ROLE_DEFINITION, changed) is False
    assert sdk.fits(ROLE_DEFINITION, {**good, "extra": 1}) is real(
        ROLE_DEFINITION, {**good, "extra": 1}
    )
    assert checked[2:] == [changed, {**good, "extra": 1}]
