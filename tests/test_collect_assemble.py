"""The snapshot's assembly: every resource scrubbed once, by the collector as it reads it or
at assembly when it was stored any other way."""

from __future__ import annotations

import json

import diagnose.collect.assemble as assemble
from diagnose.collect.assemble import build_snapshot
from diagnose.collect.directory import DirectoryReader
from diagnose.collect.steps import State
from diagnose.testing.fixtures import load_fixture_set
from diagnose.testing.harness import collect_replayed

STORAGE = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/"
    "Microsoft.Storage/storageAccounts/st"
)
KEY = "c2VjcmV0LWFjY291bnQta2V5c2VjcmV0LWFjY291bnQta2V5"


def test_the_assembly_scrubs_only_what_the_collector_did_not(monkeypatch):
    """Resources the collector scrubbed as it read them (Steps._scrubbed) are not scrubbed a
    second time at assembly: that gave the same objects back, at a tenth of the collection's
    serial tail. Subscription rows, which the collector keeps as read, still are."""
    scrub_json = assemble.scrub_json
    again: list[dict] = []

    def counting(value, parent="", *, drop=False):
        if drop:
            again.append(value)
        return scrub_json(value, parent, drop=drop)

    monkeypatch.setattr(assemble, "scrub_json", counting)
    collection, _ = collect_replayed(load_fixture_set("hub-basic"))
    resources = collection.snapshot.data["resources"]
    assert len(resources) > 10
    assert again, "subscription rows are scrubbed at assembly"
    assert {str(r.get("type")).lower() for r in again} == {"microsoft.resources/subscriptions"}


def test_a_resource_stored_without_the_collectors_scrub_is_scrubbed_at_assembly():
    state = State()
    state.resources[STORAGE.lower()] = {
        "id": STORAGE,
        "name": "st",
        "type": "Microsoft.Storage/storageAccounts",
        "tags": {"accountKey": KEY, "owner": "team"},
    }
    data = build_snapshot(state, DirectoryReader(None), hub_id=STORAGE, project=None)
    assert KEY not in json.dumps(data)
    assert data["resources"][0]["tags"] == {"owner": "team"}
