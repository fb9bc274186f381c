"""End to end: `diagnose scan` through the real command line against the loopback server
answering a generated tenant (diagnose.testing.tenant) as ARM, Resource Graph and Graph."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from diagnose.testing.armserver import ArmServer, Faults
from diagnose.testing.fixtures import FixtureSet
from diagnose.testing.tenant import SyntheticTenant, subscription_id
from tests.e2e.environment import served_env

RESOURCE_GRAPH = "/providers/Microsoft.ResourceGraph/resources"


def environment(server: ArmServer) -> dict[str, str]:
    return served_env(server, "scan")


@contextmanager
def tenant_server(tenant: SyntheticTenant) -> Iterator[ArmServer]:
    with ArmServer(FixtureSet("generated", []), Faults(), tenant=tenant) as server:
        yield server


def run(server: ArmServer, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "diagnose", *args]
    if args and args[0] in ("scan", "collect"):
        command += ["--arm-endpoint", server.url, "--graph-endpoint", server.url, "--quiet"]
    return subprocess.run(
        command, env=environment(server), capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_scan_finds_every_hub_and_reads_shared_data_once() -> None:
    tenant = SyntheticTenant(hubs=12, subscriptions=3, foundry=2)
    with tenant_server(tenant) as server:
        result = run(server, "scan", "--all-subscriptions", "--json")
        received = server.requests()
        unmatched = list(server.unmatched)
    assert result.returncode == 1, result.stderr  # hubs 0 and 7 miss a role
    document = json.loads(result.stdout)
    assert document["summary"]["hubs"] == 14
    assert document["summary"]["subscriptions"] == 3
    assert document["unknownSubscriptions"] == []
    names = {row["name"] for row in document["hubs"]}
    assert names == {f"hub{i}" for i in range(12)} | {"fdy0", "fdy1"}
    for row in document["hubs"]:
        assert row["unknowns"] == 0 and not row["partial"], row
        assert row["failures"] >= 1 and row["topCause"]
    assert unmatched == []
    assert [r for r in received if not r.is_read] == []
    # Resource Graph: the subscriptions, then resources, assignments, definitions (one batch)
    assert sum(1 for r in received if r.path == RESOURCE_GRAPH) == 4
    # What Resource Graph served is never read per hub ...
    paths = Counter(r.path.lower() for r in received)
    # (a Foundry resource's own listings go through azure-mgmt-cognitiveservices, per resource)
    per_hub = ("connections", "projects", "capabilityhosts", "deployments")
    per_hub += ("privateendpointconnections",)
    read = [p for p in paths if "/resourcegroups/" in p and p.rsplit("/", 1)[-1] not in per_hub]
    assert read == [], read
    assert not any("roledefinitions" in p for p in paths)
    # ... and what it cannot serve is read once per subscription, not per hub
    for subscription in tenant.subscription_ids:
        listing = f"/subscriptions/{subscription}/providers/microsoft.authorization/"
        assert paths[listing + "denyassignments"] == 2  # unfiltered and atScope()
        assert paths[listing + "roleassignments"] == 1  # atScope(): what is inherited


@pytest.mark.parametrize("name", ["hub3", "fdy1"])
def test_a_hub_scanned_has_the_snapshot_its_own_collection_has(name: str, tmp_path: Path) -> None:
    """The scan serves from Resource Graph what the single-hub path reads per scope: the
    snapshot of a hub (or Foundry resource) must be the same (the management-group
    assignment included)."""
    tenant = SyntheticTenant(hubs=6, subscriptions=2, foundry=2)
    hub = tenant.hub_id(3) if name == "hub3" else tenant.foundry_id(1)
    with tenant_server(tenant) as server:
        scanned = run(server, "scan", "--all-subscriptions", "--bundle", str(tmp_path / "s.zip"))
        single = run(server, "collect", "--hub", hub, "--output-file", str(tmp_path / "one.json"))
    assert scanned.returncode == 1, scanned.stderr
    assert single.returncode == 0, single.stderr
    with zipfile.ZipFile(tmp_path / "s.zip") as outer:
        assert "scan.json" in outer.namelist()
        inner_name = next(n for n in outer.namelist() if n.endswith(f"-{name}.zip"))
        with zipfile.ZipFile(io.BytesIO(outer.read(inner_name))) as inner:
            from_scan = json.loads(inner.read("snapshot.json"))
    alone = json.loads((tmp_path / "one.json").read_text())
    for section in ("target", "resources", "roleAssignments", "roleDefinitions", "principals"):
        assert from_scan[section] == alone[section], section
    assert any(
        a["properties"]["scope"].startswith("/providers/Microsoft.Management/")
        for a in from_scan["roleAssignments"]
    )
    # the inner bundle replays on its own
    (tmp_path / "one.zip").write_bytes(zipfile.ZipFile(tmp_path / "s.zip").read(inner_name))
    replay = run(server, "--snapshot", str(tmp_path / "one.zip"), "--json")
    assert json.loads(replay.stdout)["target"]["hubName"] == name


def test_a_refused_or_missing_subscription_is_reported_not_skipped() -> None:
    refused, hidden = subscription_id(1), subscription_id(2)
    tenant = SyntheticTenant(
        hubs=6, subscriptions=3, hidden=frozenset({hidden}), refused=frozenset({refused})
    )
    asked = [subscription_id(0), refused, hidden]
    with tenant_server(tenant) as server:
        # CFG001 finds nothing in this tenant: what is left to say is what was not read
        text = run(server, "scan", "--subscription", *asked, "--select", "CFG001")
        as_json = run(server, "scan", "--subscription", *asked, "--select", "CFG001", "--json")
    assert text.returncode == 3, text.stderr
    assert "partial: 2 subscription(s) could not be scanned" in text.stdout
    assert f"/subscriptions/{refused}: 403 AuthorizationFailed" in text.stdout
    assert f"/subscriptions/{hidden}:" in text.stdout and "NoResourceGraphRow" in text.stdout
    document = json.loads(as_json.stdout)
    assert {e["scope"] for e in document["unknownSubscriptions"]} == {
        f"/subscriptions/{refused}",
        f"/subscriptions/{hidden}",
    }
    assert {row["name"] for row in document["hubs"]} == {"hub0", "hub3"}


def test_resource_graph_pages_are_followed_by_skip_token() -> None:
    tenant = SyntheticTenant(hubs=300, subscriptions=2)  # 1,200 resource rows: two pages
    with tenant_server(tenant) as server:
        result = run(server, "scan", "--all-subscriptions", "--json", "--select", "CFG001")
        bodies = [r for r in server.requests() if r.path == RESOURCE_GRAPH]
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["summary"]["hubs"] == 300
    assert document["summary"]["resourceGraphPages"] == len(bodies) == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "exactly one of --subscription, --management-group and --all-subscriptions"),
        (("--all-subscriptions", "--management-group", "mg"), "exactly one of"),
        (("--subscription", "not-a-guid"), "is not a subscription id"),
    ],
)
def test_bad_scope_is_one_message_and_exit_2(args: tuple[str, ...], message: str) -> None:
    with tenant_server(SyntheticTenant(hubs=1, subscriptions=1)) as server:
        result = run(server, "scan", *args)
        assert server.requests() == []
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["hub0", "hub3", "fdy1"])
def test_a_hub_scanned_has_the_findings_its_own_diagnosis_has(name: str) -> None:
    """The scan's report of a hub (--details) says what `diagnose --hub` says of it alone:
    the same findings, statuses, causes and fixes (hub0 misses a role, hub3 does not)."""
    tenant = SyntheticTenant(hubs=6, subscriptions=2, foundry=2)
    hub = tenant.hub_id(int(name[3:])) if name.startswith("hub") else tenant.foundry_id(1)
    with tenant_server(tenant) as server:
        scanned = run(server, "scan", "--all-subscriptions", "--json", "--details")
        endpoints = ["--arm-endpoint", server.url, "--graph-endpoint", server.url]
        alone = subprocess.run(
            [sys.executable, "-m", "diagnose", "--hub", hub, "--json", "--quiet", *endpoints],
            env=environment(server),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert scanned.returncode == 1, scanned.stderr
    assert alone.returncode in (0, 1), alone.stderr
    row = next(r for r in json.loads(scanned.stdout)["hubs"] if r["name"] == name)
    single = json.loads(alone.stdout)
    assert row["report"]["findings"] == single["findings"]
    assert row["report"]["fixPlan"] == single["fixPlan"]
    assert row["failures"] == sum(1 for f in single["findings"] if f["status"] == "fail")
    assert row["failures"] >= 1 and single["findings"]
