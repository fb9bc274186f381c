"""A ManagedIdentity connection, collected live (replayed fixtures/arm/hub-basic, with proj-a's
connections answering two of them): the identity it names (credentials.resourceId, clientId,
in either case as ARM spells them) reaches the snapshot, the secrets beside them do not, the
user-assigned identity it names is read with its principal, and CON001 asks that identity,
not the project's people nor the workspace's identity. The same after a support bundle."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from diagnose.app import DiagnoseOptions, diagnose_snapshot
from diagnose.bundle import write_bundle
from diagnose.report.formats import render_report
from diagnose.snapshot import load_snapshot
from diagnose.testing.fixtures import FixtureSet, exchange, load_fixture_set
from diagnose.testing.harness import collect_replayed

SUB = "00000000-1111-2222-3333-444444444444"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-ai"
PROJ_A = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/proj-a"
AOAI = f"{RG.replace('rg-ai', 'rg-data')}/providers/Microsoft.CognitiveServices/accounts/aoai-ai"
SEARCH = (
    "/subscriptions/55555555-6666-7777-8888-999999999999/resourceGroups/rg-search/providers/"
    "Microsoft.Search/searchServices/srch-ai"
)
UAMI_RAG = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-rag"
RAG_PRINCIPAL = "9b1d3f5a-7c9e-4b2d-8f6a-0c2e4a6b8d1f"
RAG_CLIENT = "4e6a8c0e-2b4d-4f6a-9c8e-1a3c5e7b9d2f"
UAMI_HUB = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-hub-ai"
HUB_CLIENT = "e7963cfb-9c4f-58c4-a76b-79869dce5629"
PLANTED_KEY = "UGxhbnRlZEtleUJlc2lkZVRoZUlkZW50aXR5SWRzMDEyMzQ1Njc4OQ=="
PLANTED_SECRET = "xyz8Q~PlantedEntraClientSecret.AbC-12_zz"
PLANTED_SAS = "PlAnTeDsIgNaTuRe0123456789abcdef"


def connection(name: str, category: str, target: str, resource: str, **credentials: str):
    return {
        "id": f"{PROJ_A}/connections/{name}",
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces/connections",
        "properties": {
            "isSharedToAll": False,
            "sharedUserList": [],
            "category": category,
            "authType": "ManagedIdentity",
            "target": target,
            "credentials": credentials,
            "metadata": {"ApiType": "Azure", "ResourceId": resource},
        },
    }


def with_managed_identity_connections(fixtures: FixtureSet) -> FixtureSet:
    listing = next(
        e for e in fixtures.exchanges if e.path.lower() == f"{PROJ_A}/connections".lower()
    )
    body = json.loads(json.dumps(listing.body))
    body["value"] += [
        connection(
            "aoai-mi",
            "AzureOpenAI",
            "https://aoai-ai.openai.azure.com/",
            AOAI,
            resourceId=UAMI_RAG,
            clientId=RAG_CLIENT,
            clientSecret=PLANTED_SECRET,
            key=PLANTED_KEY,
        ),
        connection(
            "search-mi",
            "CognitiveSearch",
            "https://srch-ai.search.windows.net",
            SEARCH,
            ResourceId=UAMI_HUB,
            ClientId=HUB_CLIENT,
            sas=f"sv=2022-11-02&sig={PLANTED_SAS}",
        ),
    ]
    graph = next(e for e in fixtures.exchanges if e.by_ids)
    objects = json.loads(json.dumps(graph.body))
    objects["value"].append(
        {
            "@odata.type": "#microsoft.graph.servicePrincipal",
            "id": RAG_PRINCIPAL,
            "displayName": "uai-rag",
            "appId": RAG_CLIENT,
            "servicePrincipalType": "ManagedIdentity",
        }
    )
    identity = {
        "id": UAMI_RAG,
        "name": "uai-rag",
        "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
        "location": "eastus2",
        "properties": {
            "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "principalId": RAG_PRINCIPAL,
            "clientId": RAG_CLIENT,
        },
    }
    return fixtures.replaced(
        dataclasses.replace(listing, body=body),
        dataclasses.replace(graph, body=objects),
        exchange("GET", UAMI_RAG, {"api-version": "2023-01-31"}, body=identity),
        exchange(
            "POST",
            f"/v1.0/directoryObjects/{RAG_PRINCIPAL}/getMemberGroups",
            json_body={"securityEnabledOnly": False},
            body={"value": []},
        ),
    )


@pytest.fixture(scope="module")
def collected() -> tuple[Any, Any]:
    # all_fired=False: each test says which of the added exchanges must have been asked for
    return collect_replayed(
        with_managed_identity_connections(load_fixture_set("hub-basic")), all_fired=False
    )


def connections(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["name"]: r["properties"]
        for r in data["resources"]
        if r["type"].lower().endswith("/connections")
    }


def con001(snapshot: Any) -> list[dict[str, Any]]:
    run = diagnose_snapshot(snapshot, DiagnoseOptions(select=("CON001",)))
    return json.loads(render_report(run.report, "json"))["findings"]


def test_the_ids_a_connection_names_reach_the_snapshot_and_its_secrets_do_not(
    collected: tuple[Any, Any],
) -> None:
    collection, replay = collected
    assert replay.unmatched == []
    sent = json.dumps([c.response.json() for c in replay.calls if "connections" in c.request.url])
    assert PLANTED_KEY in sent and PLANTED_SECRET in sent and PLANTED_SAS in sent
    found = connections(collection.snapshot.data)
    assert found["aoai-mi"]["credentials"] == {"resourceId": UAMI_RAG, "clientId": RAG_CLIENT}
    assert found["search-mi"]["credentials"] == {"ResourceId": UAMI_HUB, "ClientId": HUB_CLIENT}
    others = [p for name, p in found.items() if name not in ("aoai-mi", "search-mi")]
    assert others and all("credentials" not in p for p in others)  # key connections: nothing
    text = json.dumps(collection.snapshot.data)
    assert [s for s in (PLANTED_KEY, PLANTED_SECRET, PLANTED_SAS) if s in text] == []
    assert "<removed>" not in text


def test_the_user_assigned_identity_a_connection_names_is_read_with_its_principal(
    collected: tuple[Any, Any],
) -> None:
    collection, replay = collected
    asked = {c.request.path_url.split("?")[0].lower() for c in replay.calls}
    assert UAMI_RAG.lower() in asked, "the identity the connection names was not read"
    data = collection.snapshot.data
    assert UAMI_RAG.lower() in {r["id"].lower() for r in data["resources"]}
    assert RAG_PRINCIPAL in {p["id"] for p in data["principals"]}


def test_con001_asks_the_identity_the_collected_connection_names(
    collected: tuple[Any, Any],
) -> None:
    collection, _ = collected
    about = [f for f in con001(collection.snapshot) if f["resource"].lower() == AOAI.lower()]
    mine = [f for f in about if "aoai-mi" in f["message"]]
    assert [(f["status"], f["principal"]["id"]) for f in mine] == [("fail", RAG_PRINCIPAL)], mine
    assert "credentials.resourceId" in mine[0]["message"]


def test_a_bundle_keeps_the_ids_and_no_secret(collected: tuple[Any, Any], tmp_path: Path) -> None:
    collection, _ = collected
    run = diagnose_snapshot(collection.snapshot)
    path = tmp_path / "bundle.zip"
    write_bundle(path, run, argv=["--hub", "hub-ai"], redact=False)
    with zipfile.ZipFile(path) as bundle:
        blobs = b"".join(bundle.read(name) for name in bundle.namelist())
    assert not [s for s in (PLANTED_KEY, PLANTED_SECRET, PLANTED_SAS) if s.encode() in blobs]
    replayed = load_snapshot(path)
    found = connections(replayed.data)
    assert found["aoai-mi"]["credentials"] == {"resourceId": UAMI_RAG, "clientId": RAG_CLIENT}
    assert found["search-mi"]["credentials"] == {"ResourceId": UAMI_HUB, "ClientId": HUB_CLIENT}
    assert [
        (f["status"], f["principal"]["id"]) for f in con001(replayed) if "aoai-mi" in f["message"]
    ] == [("fail", RAG_PRINCIPAL)]
