"""A project the hub still names (associatedWorkspaces) but that belongs to another hub now:
its resource group is listed early, on the guess that the project is the hub's. When that
listing fails and nothing there turns out to matter, the failure is about nothing the checks
read: it must not make the collection partial or name an unrelated resource group."""

from __future__ import annotations

import copy

from diagnose.testing.fixtures import exchange, load_fixture_set
from diagnose.testing.harness import collect_replayed

SUB_A = "/subscriptions/00000000-1111-2222-3333-444444444444"
HUB = f"{SUB_A}/resourceGroups/rg-ai/providers/Microsoft.MachineLearningServices/workspaces/hub-ai"
RG_OLD = f"{SUB_A}/resourceGroups/rg-old"
MOVED = f"{RG_OLD}/providers/Microsoft.MachineLearningServices/workspaces/proj-moved"
BUSY = {"error": {"code": "ServiceUnavailable", "message": "try again later"}}


def test_a_failed_early_listing_of_a_stale_projects_group_is_no_error() -> None:
    fixtures = load_fixture_set("hub-basic")
    hub = next(e for e in fixtures.exchanges if e.path == HUB)
    body = copy.deepcopy(hub.body)
    body["properties"]["associatedWorkspaces"].append(MOVED)
    changed = [
        exchange("GET", HUB, hub.query, body=body),
        # readable, but now another hub's project
        exchange(
            "GET",
            MOVED,
            hub.query,
            body={
                "id": MOVED,
                "name": "proj-moved",
                "type": "Microsoft.MachineLearningServices/workspaces",
                "location": "eastus2",
                "kind": "Project",
                "properties": {"hubResourceId": HUB.replace("hub-ai", "hub-other")},
            },
        ),
    ]
    for collection, version, filters in (
        ("roleAssignments", "2022-04-01", (None,)),
        ("denyAssignments", "2022-04-01", (None, "atScope()")),
        ("roleEligibilityScheduleInstances", "2020-10-01", (None, "atScope()")),
    ):
        for listing_filter in filters:
            query = {"api-version": version}
            if listing_filter:
                query["$filter"] = listing_filter
            path = f"{RG_OLD}/providers/Microsoft.Authorization/{collection}"
            changed.append(exchange("GET", path, query, body=BUSY, status=503))
    collection, replay = collect_replayed(fixtures.replaced(*changed), all_fired=False)
    assert replay.unmatched == []
    data = collection.snapshot.data
    assert not any(r["id"].lower() == MOVED.lower() for r in data["resources"])  # not ours
    assert not [e for e in data["errors"] if "rg-old" in e["scope"].lower()]


def test_a_failed_early_listing_of_the_hubs_projects_group_is_still_an_error() -> None:
    """The same failure where the project is the hub's: what reaches it is unknown, and
    the errors entry says so."""
    fixtures = load_fixture_set("hub-basic")
    group = f"{SUB_A}/resourceGroups/rg-ai-projects"
    listing = next(
        e
        for e in fixtures.exchanges
        if e.path == f"{group}/providers/Microsoft.Authorization/roleAssignments"
    )
    failing = exchange("GET", listing.path, listing.query, body=BUSY, status=503)
    collection, replay = collect_replayed(fixtures.replaced(failing), all_fired=False)
    assert replay.unmatched == []
    data = collection.snapshot.data
    projects = [r for r in data["resources"] if r["id"].lower().startswith(group.lower() + "/")]
    assert projects  # the hub's project there was collected
    errors = [e for e in data["errors"] if e["scope"].lower() == group.lower()]
    assert [(e["operation"], e["status"]) for e in errors] == [
        ("Microsoft.Authorization/roleAssignments/read", 503)
    ]
