"""A hub's projects (Model.projects_of), from the index of projects by hub built once per
model: the same answer as a scan of the resources, in the snapshot's order, and built again
by a copy whose resources differ."""

from __future__ import annotations

from typing import Any

from diagnose.arm.scopes import scope_key
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from tests import arm

WORKSPACES = "Microsoft.MachineLearningServices/workspaces"
HUB_A = f"{arm.RG}/providers/{WORKSPACES}/hub-a"
HUB_B = f"{arm.RG}/providers/{WORKSPACES}/hub-b"


def workspace(name: str, kind: str, hub: str | None = None) -> dict[str, Any]:
    properties = {"hubResourceId": hub} if hub is not None else {}
    return arm.resource(
        f"{arm.RG}/providers/{WORKSPACES}/{name}", WORKSPACES, kind=kind, properties=properties
    )


RESOURCES = [
    workspace("p1", "Project", HUB_B.upper()),  # ARM's casing of kinds and ids varies
    workspace("hub-a", "Hub"),
    workspace("p2", "project", HUB_A),
    workspace("hub-b", "hub"),
    workspace("p3", "project", HUB_A.upper() + "/"),
    workspace("plain", "Default", HUB_A),  # names a hub, but is no hub project
    arm.resource(
        f"{arm.RG}/providers/Other.Rp/things/p4",
        "Other.Rp/things",
        kind="project",
        properties={"hubResourceId": HUB_A},
    ),
]


def scanned(model: Model, hub: Resource) -> list[str]:
    """What projects_of answered before it had an index: a scan of every resource."""
    return [
        r.name
        for r in model.resources.values()
        if r.is_hub_project and scope_key(r.prop("hubResourceId") or "") == hub.key
    ]


def names(resources: list[Resource]) -> list[str]:
    return [r.name for r in resources]


def test_a_hubs_projects_are_those_a_scan_finds_in_the_snapshots_order():
    model = Model(arm.load(resources=RESOURCES))
    hub_a, hub_b = model.hubs
    assert names(model.projects_of(hub_a)) == ["p2", "p3"] == scanned(model, hub_a)
    assert names(model.projects_of(hub_b)) == ["p1"] == scanned(model, hub_b)
    model.projects_of(hub_a).clear()  # the caller's list: the index is not changed
    assert names(model.projects_of(hub_a)) == ["p2", "p3"]


def test_a_copy_with_a_project_moved_to_another_hub_answers_for_its_own_resources():
    model = Model(arm.load(resources=RESOURCES))
    hub_a, hub_b = model.hubs
    assert names(model.projects_of(hub_b)) == ["p1"]  # the original's index is built
    moved = model.with_resource(workspace("p2", "project", HUB_B))
    assert names(moved.projects_of(hub_b)) == ["p1", "p2"] == scanned(moved, hub_b)
    assert names(moved.projects_of(hub_a)) == ["p3"] == scanned(moved, hub_a)
    assert names(model.projects_of(hub_b)) == ["p1"]  # the original is unchanged


def test_a_copy_adding_only_sql_role_assignments_shares_the_index():
    account = f"{arm.RG}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos"
    model = Model(arm.load(resources=[*RESOURCES, arm.cosmos_account(account)]))
    hub_a = model.hubs[0]
    assert names(model.projects_of(hub_a)) == ["p2", "p3"]
    grant = arm.cosmos_sql_role_assignment(
        account, "00000000-0000-0000-0000-000000000002", "11111111-0000-0000-0000-000000000001"
    )
    copy = model.with_resources([grant])
    assert copy.__dict__["_projects_by_hub"] is model.__dict__["_projects_by_hub"]
    assert names(copy.projects_of(hub_a)) == ["p2", "p3"]
