"""A hub with a managed network, private storage and tracing, collected live (replayed
fixtures/arm/hub-network through the real pipelines): the collector reads what NET002, STG003
and INS002 need (the targets of the managed network's private endpoint rules with their private
endpoint connections, the storage's private endpoints, the Log Analytics workspace behind
Application Insights) with GETs only, and a refused read is an errors entry while the rest is
collected."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from diagnose.app import DiagnoseOptions, diagnose_snapshot
from diagnose.report.formats import render_report
from diagnose.testing.fixtures import FixtureSet, exchange, load_fixture_set
from diagnose.testing.harness import collect_replayed

SET = "hub-network"
SUB_A = "/subscriptions/00000000-1111-2222-3333-444444444444"
SUB_C = "/subscriptions/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
HUB = f"{SUB_A}/resourceGroups/rg-ai/providers/Microsoft.MachineLearningServices/workspaces/hub-ai"
STORAGE = f"{SUB_A}/resourceGroups/rg-ai/providers/Microsoft.Storage/storageAccounts/sthubai"
KEY_VAULT = f"{SUB_A}/resourceGroups/rg-ai/providers/Microsoft.KeyVault/vaults/kv-hub-ai"
SHARED_AI = f"{SUB_C}/resourceGroups/rg-shared-ai/providers"
AOAI = f"{SHARED_AI}/Microsoft.CognitiveServices/accounts/aoai-shared"
ENDPOINTS = f"{SUB_C}/resourceGroups/rg-network/providers/Microsoft.Network/privateEndpoints"
PE_BLOB = f"{ENDPOINTS}/pe-sthubai-blob"
PE_FILE = f"{ENDPOINTS}/pe-sthubai-file"
APPI = f"{SUB_C}/resourceGroups/rg-monitor/providers/Microsoft.Insights/components/appi-proj-a"
LOG_ANALYTICS = (
    f"{SUB_C}/resourceGroups/rg-monitor/providers/Microsoft.OperationalInsights/workspaces/log-ai"
)
FORBIDDEN = {
    "error": {
        "code": "AuthorizationFailed",
        "message": "The client 'alice@contoso.com' does not have authorization to perform this "
        "action over this scope.",
    }
}
READ_ONLY_POSTS = ("/providers/microsoft.resourcegraph/resources", "/v1.0/")


@pytest.fixture(scope="module")
def fixtures() -> FixtureSet:
    return load_fixture_set(SET)


@pytest.fixture(scope="module")
def collected(fixtures: FixtureSet) -> tuple[Any, Any]:
    # every exchange firing is asserted in a test (test_every_recorded_read_is_made), so that
    # a collector that skips some still lets the other tests say what is missing
    return collect_replayed(fixtures, all_fired=False)


def sent(replay: Any) -> list[tuple[str, str]]:
    """Every request, the sub-requests of Graph batches included (as they would be sent alone)."""
    return [(c.request.method, urlsplit(c.request.url).path.lower()) for c in replay.all_calls]


def by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"].lower(): r for r in data["resources"]}


def findings(snapshot: Any, *checks: str) -> list[dict[str, Any]]:
    run = diagnose_snapshot(snapshot, DiagnoseOptions(select=checks))
    return json.loads(render_report(run.report, "json"))["findings"]


def test_the_snapshot_holds_what_the_hub_scenarios_read(collected: tuple[Any, Any]) -> None:
    collection, replay = collected
    assert replay.unmatched == []
    data = collection.snapshot.data
    resources = by_id(data)
    # NET002: the rules (those only the listing has joined the hub's), their targets, and the
    # targets' private endpoint connections, embedded (aoai-shared) or listed (the key vault)
    hub = resources[HUB.lower()]
    rules = hub["properties"]["managedNetwork"]["outboundRules"]
    assert sorted(rules) == [
        "__SYS_PE_hub-ai_kv-hub-ai_vault",
        "__SYS_PE_hub-ai_sthubai_blob",
        "__SYS_PE_hub-ai_sthubai_file",
        "pe-aoai-shared",
        "pypi",
    ]
    assert rules["__SYS_PE_hub-ai_kv-hub-ai_vault"]["destination"]["serviceResourceId"] == (
        KEY_VAULT
    )
    aoai = resources[AOAI.lower()]
    [pending] = aoai["properties"]["privateEndpointConnections"]
    assert pending["properties"]["privateLinkServiceConnectionState"]["status"] == "Pending"
    listed = [
        r
        for key, r in resources.items()
        if key.startswith(KEY_VAULT.lower() + "/privateendpointconnections/")
    ]
    assert [r["properties"]["privateLinkServiceConnectionState"]["status"] for r in listed] == [
        "Approved"
    ]
    # STG003: the storage's private endpoints, read in their own subscription
    for endpoint in (PE_BLOB, PE_FILE):
        read = resources[endpoint.lower()]
        assert read["type"] == "Microsoft.Network/privateEndpoints"
        [link] = read["properties"]["privateLinkServiceConnections"]
        assert link["properties"]["privateLinkServiceId"] == STORAGE
    # INS002: the component the project's connection names, and its Log Analytics workspace
    assert resources[APPI.lower()]["properties"]["WorkspaceResourceId"] == LOG_ANALYTICS
    workspace = resources[LOG_ANALYTICS.lower()]
    assert workspace["properties"]["features"]["enableLogAccessUsingOnlyResourcePermissions"]
    # IDN003: when the hub was created
    assert hub["systemData"]["createdAt"] == "2025-02-03T10:00:00.0000000Z"
    # The third subscription is relevant: its row and the assignments at these scopes
    assert SUB_C.lower() in resources
    scopes = {a["properties"]["scope"].lower() for a in data["roleAssignments"]}
    assert {AOAI.lower(), PE_BLOB.lower(), APPI.lower()} <= scopes
    assert f"{SUB_C}/resourceGroups/rg-unrelated".lower() not in scopes
    assert [e["operation"] for e in data["errors"]] == [
        "Microsoft.Graph/directoryObjects/getMemberGroups"  # hub-basic's deleted user
    ]
    text = json.dumps(data)
    assert "InstrumentationKey=" not in text


def test_every_recorded_read_is_made(fixtures: FixtureSet, collected: tuple[Any, Any]) -> None:
    _, replay = collected
    made = {(method, unquote(path)) for method, path in sent(replay)}
    missing = sorted(
        {(e.method, e.path.lower()) for e in fixtures.exchanges} - made,
    )
    assert missing == []


def test_only_reads_are_sent(collected: tuple[Any, Any]) -> None:
    _, replay = collected
    writes = [
        (method, path)
        for method, path in sent(replay)
        if method != "GET" and not (method == "POST" and path.startswith(READ_ONLY_POSTS))
    ]
    assert writes == []
    new_reads = {
        f"{HUB}/outboundRules",
        f"{KEY_VAULT}/privateEndpointConnections",
        AOAI,
        PE_BLOB,
        PE_FILE,
        LOG_ANALYTICS,
    }
    assert {(m, p) for m, p in sent(replay) if p in {r.lower() for r in new_reads}} == {
        ("GET", r.lower()) for r in new_reads
    }


def test_the_checks_find_what_the_fixture_implies(collected: tuple[Any, Any]) -> None:
    collection, _ = collected
    found = findings(collection.snapshot, "NET002", "STG003", "INS002")
    assert [f for f in found if f["status"] == "unknown"] == []
    summary = sorted((f["checkId"], f["status"], f["resource"].lower()) for f in found)
    assert summary == sorted(
        [
            # the managed network's endpoint to aoai-shared waits for approval; the hub's
            # identity may approve there (Azure AI Enterprise Network Connection Approver), not
            # on the storage and key vault the system rules target
            ("NET002", "fail", AOAI.lower()),
            ("NET002", "fail", STORAGE.lower()),
            ("NET002", "fail", KEY_VAULT.lower()),
            # proj-a's identity reads pe-sthubai-blob only; proj-b's reads both
            ("STG003", "fail", PE_FILE.lower()),
            # the playground's services and the storage (hub-basic grants them nothing there)
            ("STG003", "warn", STORAGE.lower()),
            ("STG003", "warn", STORAGE.lower()),
            # resource-permission mode: the builders need Log Analytics Data Reader
            ("INS002", "warn", LOG_ANALYTICS.lower()),
        ]
    )
    pending = next(f for f in found if f["checkId"] == "NET002" and f["resource"] == AOAI)
    assert "Pending" in pending["message"]
    tracing = next(f for f in found if f["checkId"] == "INS002")
    assert "Log Analytics Data Reader" in json.dumps(tracing)


@pytest.mark.parametrize(
    ("path", "query", "scope", "operation"),
    [
        (
            PE_FILE,
            {"api-version": "2024-05-01"},
            PE_FILE,
            "Microsoft.Network/privateEndpoints/read",
        ),
        (
            LOG_ANALYTICS,
            {"api-version": "2023-09-01"},
            LOG_ANALYTICS,
            "Microsoft.OperationalInsights/workspaces/read",
        ),
        (
            f"{KEY_VAULT}/privateEndpointConnections",
            {"api-version": "2023-07-01"},
            KEY_VAULT,
            "Microsoft.KeyVault/vaults/privateEndpointConnections/read",
        ),
        (
            f"{HUB}/outboundRules",
            {"api-version": "2024-10-01"},
            HUB,
            "Microsoft.MachineLearningServices/workspaces/outboundRules/read",
        ),
    ],
    ids=["private-endpoint", "log-analytics", "endpoint-connections", "outbound-rules"],
)
def test_a_refused_read_is_an_errors_entry_and_the_rest_is_collected(
    fixtures: FixtureSet, path: str, query: dict[str, str], scope: str, operation: str
) -> None:
    refused = fixtures.replaced(exchange("GET", path, query, status=403, body=FORBIDDEN))
    collection, replay = collect_replayed(refused, all_fired=False)
    assert replay.unmatched == []
    data = collection.snapshot.data
    assert [
        (e["scope"], e["operation"], e["status"]) for e in data["errors"] if e["status"] == 403
    ] == [(scope, operation, 403)]
    resources = by_id(data)
    assert path.lower() not in resources
    # the rest is there: the hub's own rule target, the storage's other private endpoint and
    # the tracing workspace, unless they are what was refused
    for other in {AOAI, PE_BLOB, LOG_ANALYTICS, PE_FILE} - {path}:
        assert other.lower() in resources


def test_connections_the_storage_get_does_not_embed_are_listed(fixtures: FixtureSet) -> None:
    storage = next(e for e in fixtures.exchanges if e.method == "GET" and e.path == STORAGE)
    body = json.loads(json.dumps(storage.body))
    connections = body["properties"].pop("privateEndpointConnections")
    changed = fixtures.replaced(
        exchange("GET", STORAGE, storage.query, body=body),
        exchange(
            "GET",
            f"{STORAGE}/privateEndpointConnections",
            {"api-version": "2023-05-01"},
            body={"value": connections},
        ),
    )
    collection, replay = collect_replayed(changed, all_fired=False)
    assert replay.unmatched == []
    resources = by_id(collection.snapshot.data)
    listed = [
        k for k in resources if k.startswith(STORAGE.lower() + "/privateendpointconnections/")
    ]
    assert len(listed) == 2
    assert PE_BLOB.lower() in resources and PE_FILE.lower() in resources
    found = findings(collection.snapshot, "STG003")
    assert [(f["status"], f["resource"]) for f in found if f["status"] == "fail"] == [
        ("fail", PE_FILE)
    ]
