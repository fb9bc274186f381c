"""A key vault that uses access policies, collected live (replayed fixtures/arm/
keyvault-access-policies): its policies' permission lists are named `keys` and `secrets`, like
credentials, but they are settings the CMK checks read, so they reach the snapshot; the
credentials the other responses carry still do not."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from diagnose.app import DiagnoseOptions, diagnose_snapshot
from diagnose.report.formats import render_report
from diagnose.snapshot import parse_snapshot
from diagnose.testing.fixtures import fixtures_root, load_fixture_set
from diagnose.testing.harness import collect_replayed

SET = "keyvault-access-policies"
KEY_VAULT = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-ai/"
    "providers/Microsoft.KeyVault/vaults/kv-hub-ai"
)


@pytest.fixture(scope="module")
def collected() -> tuple[Any, Any]:
    return collect_replayed(load_fixture_set(SET))


def findings(snapshot: Any, creator: str) -> list[dict[str, Any]]:
    run = diagnose_snapshot(snapshot, DiagnoseOptions(select=("CMK001", "CMK003"), creator=creator))
    return json.loads(render_report(run.report, "json"))["findings"]


def test_access_policies_reach_the_snapshot_whole(collected: tuple[Any, Any]) -> None:
    collection, replay = collected
    assert replay.unmatched == []
    data = copy.deepcopy(collection.snapshot.data)
    data.pop("collectedAt")
    data["tool"].pop("version")
    assert data == json.loads((fixtures_root() / SET / "expected-snapshot.json").read_text())
    vault = next(r for r in collection.snapshot.data["resources"] if r["id"] == KEY_VAULT)
    assert vault["properties"]["enableRbacAuthorization"] is False
    policies = vault["properties"]["accessPolicies"]
    assert [p["permissions"]["keys"] for p in policies] == [
        ["get", "wrapKey", "unwrapKey"],
        ["create", "get", "delete", "purge", "list"],
    ]
    assert [p["permissions"]["secrets"] for p in policies] == [["get", "list"], ["all"]]


def test_credentials_still_never_reach_the_snapshot(collected: tuple[Any, Any]) -> None:
    collection, replay = collected
    bodies = [
        json.dumps(call.response.json())
        for call in replay.calls
        if "json" in call.response.headers.get("Content-Type", "")
    ]
    planted = [
        "c2VjcmV0LWFjY291bnQta2V5LW5ldmVyLWluLWEtc25hcHNob3Q=",  # blob connection key
        "bm90LWEtcmVhbC1rZXktYnV0LXN0aWxsLWEta2V5",  # AI services connection key
        "InstrumentationKey",
    ]
    assert all(any(p in body for body in bodies) for p in planted)  # the responses had them
    text = json.dumps(collection.snapshot.data)
    assert [p for p in planted if p in text] == []
    connections = [
        r for r in collection.snapshot.data["resources"] if r["type"].endswith("/connections")
    ]
    assert connections and all("credentials" not in c["properties"] for c in connections)
    assert "<removed>" not in text  # left out, not marked


def test_the_cmk_checks_read_the_collected_policies(collected: tuple[Any, Any]) -> None:
    collection, _ = collected
    data = collection.snapshot.data
    alice = next(
        p["id"] for p in data["principals"] if p.get("userPrincipalName") == "alice@contoso.com"
    )
    found = findings(collection.snapshot, alice)
    # the identity may get, wrap and unwrap the key, Alice may manage it: no access-policy
    # finding; what is left is Alice's missing Contributor (she is only eligible for it)
    assert [f["checkId"] for f in found] == ["CMK003"]
    assert "Microsoft.KeyVault/vaults/write" in found[0]["message"]
    assert not any("access policy" in f["message"] for f in found)
    # control: without wrapKey and purge, both checks fail on the access policies
    changed = copy.deepcopy(data)
    vault = next(r for r in changed["resources"] if r["id"] == KEY_VAULT)
    for policy in vault["properties"]["accessPolicies"]:
        policy["permissions"]["keys"] = ["get", "unwrapKey", "create", "delete"]
    found = findings(parse_snapshot(changed), alice)
    policy_findings = sorted(f["checkId"] for f in found if "access policy" in f["message"])
    assert policy_findings == ["CMK001", "CMK003"]
