"""Reader on resource groups only (the README's minimum rights) and no directory rights: the
assignedTo('{id}') listings that stand in for group memberships must still be made where
the caller may list, at the resource groups, not only at the subscription that refuses
them."""

from __future__ import annotations

import dataclasses

from diagnose.testing.fixtures import FixtureSet, load_fixture_set
from diagnose.testing.harness import collect_replayed
from diagnose.testing.listings import listed_at

SUB_A = "/subscriptions/00000000-1111-2222-3333-444444444444"
SUB_B = "/subscriptions/55555555-6666-7777-8888-999999999999"
GROUPS = {
    SUB_A: [f"{SUB_A}/resourceGroups/{g}" for g in ("rg-ai", "rg-ai-projects", "rg-data")],
    SUB_B: [f"{SUB_B}/resourceGroups/rg-search"],
}
REFUSED = {
    "error": {
        "code": "AuthorizationFailed",
        "message": "does not have authorization to perform action "
        "'Microsoft.Authorization/roleAssignments/read' over scope the subscription",
    }
}


def _resource_group_reader(fixtures: FixtureSet) -> FixtureSet:
    """graph-denied, with each subscription's assignedTo listing refused and answered at its
    resource groups instead (what lies at, above and below each, as ARM lists it)."""
    changed = []
    for e in fixtures.exchanges:
        if "assignedTo" not in e.query.get("$filter", ""):
            continue
        subscription = e.path.split("/providers/")[0]
        changed.append(dataclasses.replace(e, status=403, body=REFUSED))
        for group in GROUPS[subscription]:
            items = listed_at(e.body["value"], group, ("at", "above", "below"))
            path = f"{group}/providers/Microsoft.Authorization/roleAssignments"
            changed.append(dataclasses.replace(e, path=path, body={"value": items}))
    return fixtures.replaced(*changed)


def test_a_resource_group_reader_without_graph_still_learns_group_grants() -> None:
    fixtures = _resource_group_reader(load_fixture_set("graph-denied"))
    collection, replay = collect_replayed(fixtures, all_fired=False)
    assert replay.unmatched == []
    principals = {p["id"]: p for p in collection.snapshot.data["principals"]}
    data_scientists = next(p["id"] for p in principals.values() if p["type"] == "Group")
    alice = [p for p in principals.values() if p["type"] == "User" and p.get("assignedToGroups")]
    # README: "role assignments listed with assignedTo('{id}') still reveal group grants"
    assert alice and data_scientists in alice[0]["assignedToGroups"]
    at_groups = [
        c
        for c in replay.calls
        if "assignedTo" in c.request.url and "/resourceGroups/" in c.request.url
    ]
    assert at_groups and all(c.response.status_code == 200 for c in at_groups)
