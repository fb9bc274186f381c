"""Live collection through the real azure-core pipelines, replaying recorded ARM and Graph
responses with `responses` (fixtures/arm/*, written by fixtures/arm/generate.py)."""

from __future__ import annotations

import copy
import json
from functools import partial

import pytest

from diagnose import TOOL_NAME, __version__
from diagnose.arm.scopes import scope_key
from diagnose.errors import BadInput
from diagnose.model.model import Model
from diagnose.rbac.evaluator import Evaluator
from diagnose.testing.fixtures import fixtures_root, load_fixture_set, request_key
from diagnose.testing.harness import ARM_TOKEN, GRAPH_TOKEN, HUB_BASIC, collect_replayed

SUB_A = "00000000-1111-2222-3333-444444444444"
SUB_B = "55555555-6666-7777-8888-999999999999"
SEARCH = (
    f"/subscriptions/{SUB_B}/resourceGroups/rg-search/providers/Microsoft.Search/"
    "searchServices/srch-ai"
)
RG_SEARCH = f"/subscriptions/{SUB_B}/resourceGroups/rg-search"


def expected_snapshot() -> dict:
    return json.loads((fixtures_root() / "hub-basic" / "expected-snapshot.json").read_text())


def comparable(data: dict) -> dict:
    data = copy.deepcopy(data)
    data.pop("collectedAt", None)
    data["tool"].pop("version", None)
    return data


def by_scope(errors: list[dict]) -> dict[tuple[str, str], dict]:
    return {(e["scope"], e["operation"]): e for e in errors}


@pytest.fixture(scope="module")
def basic():
    return collect_replayed(load_fixture_set("hub-basic"))


def test_snapshot_equals_what_the_fixtures_describe(basic):
    collection, replay = basic
    assert replay.unmatched == []
    assert comparable(collection.snapshot.data) == expected_snapshot()
    assert collection.snapshot.data["tool"] == {"name": TOOL_NAME, "version": __version__}
    assert collection.snapshot.data["collectedAt"].endswith("Z")


def test_only_reads_are_sent(basic):
    _, replay = basic
    assert replay.methods <= {"GET", "POST"}
    posts = {c.request.path_url.split("?")[0] for c in replay.calls if c.request.method == "POST"}
    allowed = {
        "/providers/Microsoft.ResourceGraph/resources",
        "/v1.0/directoryObjects/getByIds",
        "/v1.0/$batch",
    }
    assert posts <= allowed, posts
    # what the batches carried: reads only, each memberships read or direct object read
    inside = {(c.request.method, c.request.path_url.split("?")[0]) for c in replay.sub_calls}
    assert inside and all(
        (m == "POST" and p.endswith("/getMemberGroups"))
        or (m == "GET" and p.startswith("/v1.0/directoryObjects/"))
        for m, p in inside
    ), inside


def test_credentials_in_responses_never_reach_the_snapshot(basic):
    collection, _ = basic
    text = json.dumps(collection.snapshot.data)
    assert "c2VjcmV0LWFjY291bnQta2V5" not in text  # the blob connection's account key
    assert "bm90LWEtcmVhbC1rZXk" not in text  # the AI services connection's key
    assert "InstrumentationKey" not in text
    connections = [
        r for r in collection.snapshot.data["resources"] if r["type"].endswith("/connections")
    ]
    assert connections and all("credentials" not in c["properties"] for c in connections)


def test_paging_is_followed_to_the_end(basic):
    collection, replay = basic
    listing = f"{SUB_A}/resourceGroups/rg-ai/providers/Microsoft.Authorization/roleAssignments"
    pages = [c for c in replay.calls if listing in c.request.url]
    assert len(pages) == 2 and "skiptoken=page-2" in pages[1].request.url
    second_page = {
        a["id"]
        for a in json.loads(
            (
                fixtures_root()
                / "hub-basic/arm/authorization/roleAssignments-00000000-rg-ai-page2.json"
            ).read_text()
        )["value"]
    }
    kept = {a["id"] for a in collection.snapshot.data["roleAssignments"]}
    assert second_page & kept


def test_irrelevant_assignments_are_not_kept(basic):
    collection, replay = basic
    scopes = {a["properties"]["scope"].lower() for a in collection.snapshot.data["roleAssignments"]}
    assert f"/subscriptions/{SUB_A}/resourcegroups/rg-ai-prod" not in scopes  # not rg-ai
    assert not any("virtualmachines" in s or "rg-other" in s or "stscratch" in s for s in scopes)
    assert not any("hub-ai-old" in s for s in scopes)  # listed with rg-ai; hub-ai's prefix only
    listed = [
        c for c in replay.calls if "/rg-ai/providers/Microsoft.Authorization/roleA" in c.request.url
    ]
    assert any("hub-ai-old" in c.response.text for c in listed)  # so the test proves something


def test_request_log(basic):
    collection, replay = basic
    log = collection.requests
    assert len(log) == len(replay.calls)
    entry = log[0]
    assert set(entry) >= {
        "service",
        "method",
        "path",
        "query",
        "status",
        "durationMs",
        "requestId",
        "correlationId",
        "wave",
    }
    assert entry["path"].endswith("/workspaces/hub-ai") and entry["wave"] == 0
    assert all(e["requestId"] for e in log)
    assert all(e["correlationId"] for e in log if e["service"] == "arm")
    text = json.dumps(log)
    assert ARM_TOKEN not in text and GRAPH_TOKEN not in text and "Bearer" not in text
    paged = [e for e in log if "$skiptoken" in e["query"]]
    assert paged and all(e["query"]["$skiptoken"] == "<redacted>" for e in paged)
    assert {e["status"] for e in log} == {200}
    # the deleted principal's 404 is a sub-response of a batch the log records with its size
    batches = [e for e in log if e["path"] == "/v1.0/$batch"]
    assert batches and all(e["method"] == "POST" and 1 <= e["subRequests"] <= 20 for e in batches)
    assert sum(e["subRequests"] for e in batches) == len(replay.sub_calls)
    assert 404 in {c.response.status_code for c in replay.sub_calls}
    assert all("subRequests" not in e for e in log if e["path"] != "/v1.0/$batch")


def test_waves_follow_the_dependency_depth_not_the_resource_count(basic):
    collection, _ = basic
    # hub -> projects, connections, dependencies, listings -> targets, principals -> target
    # identities and what subscription B's listing adds
    assert collection.waves == 4
    assert max(e["wave"] for e in collection.requests) == 3
    listings = [
        e
        for e in collection.requests
        if e["path"].endswith("/providers/Microsoft.Authorization/roleAssignments")
    ]
    # once per resource group that matters (rg-ai's in two pages), not per principal
    assert len(listings) == 5
    assert not any(
        e["path"].startswith("/subscriptions/") and e["path"].count("/") == 5 for e in listings
    )


def test_deleted_principal_is_an_error_and_marked(basic):
    collection, _ = basic
    deleted = [p for p in collection.snapshot.data["principals"] if p.get("deleted")]
    assert len(deleted) == 1 and deleted[0]["memberOf"] is None
    errors = by_scope(collection.snapshot.data["errors"])
    error = errors[(deleted[0]["id"], "Microsoft.Graph/directoryObjects/getMemberGroups")]
    assert error["status"] == 404 and error["code"] == "Request_ResourceNotFound"


def test_the_snapshot_feeds_the_evaluator(basic):
    collection, _ = basic
    model = Model(collection.snapshot)
    assert [h.name for h in model.hubs] == ["hub-ai"]
    assert sorted(p.name for p in model.projects_of(model.hubs[0])) == ["proj-a", "proj-b"]
    alice = next(
        p["id"]
        for p in collection.snapshot.data["principals"]
        if p.get("userPrincipalName") == "alice@contoso.com"
    )
    aoai = next(r["id"] for r in collection.snapshot.data["resources"] if r["name"] == "aoai-ai")
    decision = Evaluator(model.authorization).check(
        alice,
        aoai,
        "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action",
        data_action=True,
    )
    assert decision.decision.value == "allowed"  # through the Data Scientists group


def test_graph_denied_keeps_going_and_says_unknown():
    collection, replay = collect_replayed(load_fixture_set("graph-denied"))
    assert replay.unmatched == []
    data = collection.snapshot.data
    principals = {p["id"]: p for p in data["principals"]}
    assert principals and all(p["memberOf"] is None for p in principals.values())
    errors = [
        e
        for e in data["errors"]
        if e["operation"] == "Microsoft.Graph/directoryObjects/getMemberGroups"
    ]
    assert {e["scope"] for e in errors} == set(principals)
    assert all(e["status"] == 403 and e["code"] == "Authorization_RequestDenied" for e in errors)
    # getByIds failed the same way: folded into the membership error, not repeated
    assert not any(e["operation"].endswith("getByIds") for e in data["errors"])
    assert (
        "0736f41a-0425-4b46-bdb5-1563eff02385",
        "Microsoft.Graph/servicePrincipals/read",
    ) in by_scope(data["errors"])
    # assignedTo('{id}') listings, once per principal and subscription, reveal group grants
    assigned_to = [c for c in replay.calls if "assignedTo" in c.request.url]
    assert len(assigned_to) == 2 * len(principals)
    alice = next(
        p for p in principals.values() if p["type"] == "User" and p.get("assignedToGroups")
    )
    data_scientists = next(p["id"] for p in principals.values() if p["type"] == "Group")
    assert data_scientists in alice["assignedToGroups"]
    assert not any("rg-sandbox" in a["properties"]["scope"] for a in data["roleAssignments"])
    # the evaluator cannot rule on group grants without memberships: unknown, not denied
    model = Model(collection.snapshot)
    aoai = next(r["id"] for r in data["resources"] if r["name"] == "aoai-ai")
    decision = Evaluator(model.authorization).check(
        alice["id"],
        aoai,
        "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action",
        data_action=True,
    )
    assert decision.decision.value == "unknown"


def test_without_a_graph_token_memberships_are_unreadable_not_empty():
    fixtures = load_fixture_set("graph-denied")
    graph_free = fixtures.without(*[e.key for e in fixtures.exchanges if e.service == "graph"])
    collection, replay = collect_replayed(graph_free, graph=False)
    assert replay.unmatched == [] and all("/v1.0/" not in c.request.url for c in replay.calls)
    data = collection.snapshot.data
    assert all(p["memberOf"] is None for p in data["principals"])
    unavailable = [e for e in data["errors"] if e["code"] == "GraphUnavailable"]
    assert len(unavailable) == len(data["principals"]) + 1  # + the first-party app lookup


def test_a_forbidden_subscription_becomes_errors_and_the_rest_is_collected():
    collection, replay = collect_replayed(load_fixture_set("search-forbidden"), all_fired=False)
    assert replay.unmatched == []
    data = collection.snapshot.data
    errors = by_scope(data["errors"])
    assert errors[(SEARCH, "Microsoft.Search/searchServices/read")]["status"] == 403
    for operation in ("roleAssignments", "denyAssignments", "roleEligibilityScheduleInstances"):
        error = errors[(RG_SEARCH, f"Microsoft.Authorization/{operation}/read")]
        assert error["status"] == 403 and error["code"] == "AuthorizationFailed"
    assert (
        errors[(f"/subscriptions/{SUB_B}", "Microsoft.Resources/subscriptions/read")]["code"]
        == "NoResourceGraphRow"
    )
    names = {r["name"] for r in data["resources"]}
    assert "srch-ai" not in names and {"hub-ai", "aoai-ai", "proj-a", "stdocsai"} <= names
    assert not any(SUB_B in a["properties"]["scope"] for a in data["roleAssignments"])
    # the model sees that assignments reaching the Search service could not be read
    model = Model(collection.snapshot)
    doubts = model.authorization.errors_above(scope_key(SEARCH), "assignments")
    assert [d.scope for d in doubts] == [RG_SEARCH]


def test_a_resource_group_reader_is_never_refused_a_listing():
    """Reader on resource groups only: the subscription's listings would be refused, and
    the collection never asks for them (nor needs them: a resource group's listing includes
    what applies from above)."""
    collection, replay = collect_replayed(
        load_fixture_set("resource-group-reader"), all_fired=False
    )
    assert replay.unmatched == []
    assert not any(c.response.status_code == 403 for c in replay.calls)
    assert comparable(collection.snapshot.data) == expected_snapshot()


def test_resource_group_listings_replace_a_refused_subscription_listing(monkeypatch):
    """A scan's collector lists once per subscription; refused, it lists at each resource
    group that matters instead, and the snapshot is the same."""
    from diagnose.collect import run

    monkeypatch.setattr(run, "FoundryCollector", partial(run.FoundryCollector, per_group=False))
    collection, replay = collect_replayed(load_fixture_set("resource-group-reader"))
    assert replay.unmatched == []
    refused = [c for c in replay.calls if c.response.status_code == 403]
    assert len(refused) == 10  # five listings in each of the two subscriptions
    assert comparable(collection.snapshot.data) == expected_snapshot()


def test_project_narrows_the_collection():
    fixtures = load_fixture_set("hub-basic")
    collection, replay = collect_replayed(fixtures, all_fired=False, project="PROJ-A")
    assert replay.unmatched == []
    data = collection.snapshot.data
    assert data["target"] == {"hub": HUB_BASIC, "project": "PROJ-A"}
    workspaces = sorted(
        r["name"]
        for r in data["resources"]
        if r["type"] == "Microsoft.MachineLearningServices/workspaces"
    )
    assert workspaces == ["hub-ai", "proj-a"]
    assert not any("proj-b" in c.request.url for c in replay.calls)
    assert not any("proj-b" in a["properties"]["scope"] for a in data["roleAssignments"])


def test_unknown_project_is_bad_input():
    with pytest.raises(BadInput) as raised:
        collect_replayed(load_fixture_set("hub-basic"), all_fired=False, project="proj-z")
    assert "proj-a, proj-b" in raised.value.fix


def test_hub_name_is_found_with_resource_graph():
    fixtures = load_fixture_set("hub-lookup")
    collection, replay = collect_replayed(fixtures, all_fired=False, hub="hub-ai")
    assert replay.unmatched == []
    assert collection.snapshot.data["target"]["hub"] == HUB_BASIC
    assert collection.waves == 5  # the lookup is one more wave
    assert comparable(collection.snapshot.data) == expected_snapshot()


def test_ambiguous_hub_name_lists_the_matches():
    with pytest.raises(BadInput) as raised:
        collect_replayed(load_fixture_set("hub-lookup"), all_fired=False, hub="hub-twin")
    message = str(raised.value)
    assert "2 hubs are named 'hub-twin'" in message
    assert "rg-twin" in message and "/resourceGroups/rg-ai/" in message
    assert "--subscription" in message and "--resource-group" in message


def test_subscription_narrows_the_name_lookup():
    fixtures = load_fixture_set("hub-lookup")
    twin = next(
        e
        for e in fixtures.exchanges
        if e.has_json
        and "hub-twin" in e.json.get("query", "")
        and e.json.get("subscriptions") == [SUB_B]
    )
    with pytest.raises(BadInput) as raised:  # found, then gone (Resource Graph lags behind)
        collect_replayed(fixtures, all_fired=False, hub="hub-twin", subscription=SUB_B)
    assert "no such hub (404 ResourceNotFound" in str(raised.value)
    assert raised.value.where == twin.body["data"][0]["id"]


def test_no_hub_of_that_name_is_bad_input():
    with pytest.raises(BadInput, match="no hub, Foundry resource or Foundry project named 'hub-n"):
        collect_replayed(load_fixture_set("hub-lookup"), all_fired=False, hub="hub-none")


def test_a_project_given_as_hub_is_bad_input_that_names_its_hub():
    fixtures = load_fixture_set("hub-basic")
    project_id = HUB_BASIC.replace("hub-ai", "proj-a")
    project = json.loads(
        (fixtures_root() / "hub-basic/arm/workspaces/list-subscription-a.json").read_text()
    )["value"]
    body = next(w for w in project if w["name"] == "proj-a")
    from diagnose.testing.fixtures import exchange

    fixtures = fixtures.replaced(
        exchange("GET", project_id, {"api-version": "2024-10-01"}, body=body)
    )
    with pytest.raises(BadInput) as raised:
        collect_replayed(fixtures, all_fired=False, hub=project_id)
    assert "not a hub" in str(raised.value) and f"--hub {HUB_BASIC}" in raised.value.fix


def test_an_uncovered_request_fails_the_replay():
    fixtures = load_fixture_set("hub-basic")
    vault = next(e for e in fixtures.exchanges if e.path.endswith("/vaults/kv-hub-ai"))
    collection, replay = collect_replayed(fixtures.without(vault.key), all_fired=True)
    assert replay.unmatched == [
        f"GET https://management.azure.com{vault.path}?api-version=2023-07-01"
    ]
    error = by_scope(collection.snapshot.data["errors"])[
        (vault.path, "Microsoft.KeyVault/vaults/read")
    ]
    assert error["status"] is None and error["code"] == "ServiceRequestError"


def test_request_key_ignores_path_case():
    assert request_key("get", "/A/b", {"x": "1"}, None) == request_key(
        "GET", "/a/B/", {"x": "1"}, None
    )


def test_odd_data_from_azure_is_data_not_instructions():
    """Malformed or hostile values in responses are skipped or kept as data: never followed
    outside ARM, never put into a query unchecked, never a crash."""
    from diagnose.testing.fixtures import exchange

    fixtures = load_fixture_set("hub-basic")
    hub_connections = next(
        e for e in fixtures.exchanges if e.path.endswith("/workspaces/hub-ai/connections")
    )
    sub = f"/subscriptions/{SUB_A}/resourceGroups/rg-ai/providers"
    kind = "Microsoft.MachineLearningServices/workspaces/connections"
    odd = [
        "not an object",
        {"id": 5, "type": kind},
        {"id": f"{HUB_BASIC}/connections/a", "type": kind, "properties": []},
        {
            "id": f"{HUB_BASIC}/connections/b",
            "type": kind,
            "properties": {
                "metadata": {
                    "ResourceId": f"{sub}/Microsoft.Storage/storageAccounts/x/../../../../y"
                }
            },
        },
        {
            "id": f"{HUB_BASIC}/connections/c",
            "type": kind,
            "properties": {
                "category": "AzureBlob",
                "target": "https://evil.example/x",
                "metadata": {"AccountName": "st'; resources | take 1 //"},
            },
        },
        {
            "id": f"{HUB_BASIC}/connections/d",
            "type": kind,
            "properties": {
                "category": "AzureOpenAI",
                "target": "javascript:alert(1)",
                "metadata": {"ResourceId": "https://evil.example/subscriptions/x"},
            },
        },
    ]
    body = {"value": [*hub_connections.body["value"], *odd]}
    changed = fixtures.replaced(
        exchange("GET", hub_connections.path, hub_connections.query, body=body)
    )
    collection, replay = collect_replayed(changed)
    assert replay.unmatched == []
    assert all(
        c.request.url.startswith(("https://management.azure.com/", "https://graph.microsoft.com/"))
        for c in replay.calls
    )
    names = {r["name"] for r in collection.snapshot.data["resources"] if "name" in r}
    assert {"hub-ai", "aoai-ai", "srch-ai", "stdocsai"} <= names
    kept = {
        r["id"].rsplit("/", 1)[-1]
        for r in collection.snapshot.data["resources"]
        if r["id"].startswith(f"{HUB_BASIC}/connections/")
    }
    assert {"b", "c", "d"} <= kept and "a" not in kept  # kept as data, not followed
    error = by_scope(collection.snapshot.data["errors"])[
        (HUB_BASIC, "Microsoft.MachineLearningServices/workspaces/connections/read")
    ]
    assert error["code"] == "UnexpectedShape" and error["message"].startswith("3 connection")
