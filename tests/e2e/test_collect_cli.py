"""End to end: the installed `diagnose` command against the loopback HTTPS ARM/Graph server."""

from __future__ import annotations

import copy
import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from diagnose.snapshot import load_snapshot
from diagnose.testing.armserver import ArmServer, Faults
from diagnose.testing.fixtures import fixtures_root, load_fixture_set
from diagnose.testing.harness import FOUNDRY_BASIC, HUB_BASIC
from tests.e2e.environment import clean_env

DIAGNOSE = (
    str(Path(sys.executable).with_name("diagnose"))
    if Path(sys.executable).with_name("diagnose").exists()
    else shutil.which("diagnose") or ""
)
SUB_B = "55555555-6666-7777-8888-999999999999"
RG_SEARCH = f"/subscriptions/{SUB_B}/resourceGroups/rg-search"
SEARCH = f"{RG_SEARCH}/providers/Microsoft.Search/searchServices/srch-ai"
TOKENS = {"DIAGNOSE_ARM_TOKEN": "e2e-arm-token", "DIAGNOSE_GRAPH_TOKEN": "e2e-graph-token"}


def expected_snapshot() -> dict:
    return json.loads((fixtures_root() / "hub-basic" / "expected-snapshot.json").read_text())


def comparable(data: dict) -> dict:
    data = copy.deepcopy(data)
    data.pop("collectedAt", None)
    data["tool"].pop("version", None)
    return data


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    assert DIAGNOSE, "the diagnose command is not installed (pip install -e .)"
    return subprocess.run(
        [DIAGNOSE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else clean_env(),
        stdin=subprocess.DEVNULL,
    )


@contextmanager
def serving(fixtures: str = "hub-basic", faults: Faults | None = None) -> Iterator[ArmServer]:
    with ArmServer(load_fixture_set(fixtures), faults) as server:
        yield server


def collect(
    server: ArmServer,
    output: Path,
    *extra: str,
    hub: str = HUB_BASIC,
    environment: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`diagnose collect` of `hub` from the server, trusting its certificate; `environment`
    adds to (or overrides) the variables it runs with."""
    env = clean_env(
        **{"REQUESTS_CA_BUNDLE": str(server.ca_bundle), **TOKENS, **(environment or {})}
    )
    return run(
        "collect",
        "--hub",
        hub,
        "--arm-endpoint",
        server.url,
        "--graph-endpoint",
        server.url,
        "--output-file",
        str(output),
        *extra,
        env=env,
    )


def errors_by_scope(data: dict) -> dict[tuple[str, str], dict]:
    return {(e["scope"], e["operation"]): e for e in data["errors"]}


def test_collect_writes_the_snapshot_the_fixtures_describe(tmp_path):
    output = tmp_path / "snapshot.json"
    with serving() as server:
        result = collect(server, output)
        received = server.requests()
        assert server.unmatched == []
    assert result.returncode == 0, result.stderr
    snapshot = load_snapshot(output)  # validated against the schema
    assert comparable(snapshot.data) == expected_snapshot()
    assert f"wrote {output}" in result.stderr and result.stdout == ""
    assert "\x1b[" not in result.stderr  # no progress display when stderr is not a terminal
    assert received and all(r.is_read for r in received)
    assert all(r.has_authorization for r in received)
    assert {r.method for r in received} == {"GET", "POST"}


def test_a_forbidden_scope_becomes_errors_and_the_run_goes_on(tmp_path):
    output = tmp_path / "snapshot.json"
    with serving(faults=Faults(forbidden_scopes=[f"/subscriptions/{SUB_B}"])) as server:
        result = collect(server, output)
        assert server.non_read_requests() == [] and server.unmatched == []
    assert result.returncode == 0, result.stderr
    data = load_snapshot(output).data
    errors = errors_by_scope(data)
    assert errors[(SEARCH, "Microsoft.Search/searchServices/read")]["status"] == 403
    for listing in ("roleAssignments", "denyAssignments", "roleEligibilityScheduleInstances"):
        assert (
            errors[(RG_SEARCH, f"Microsoft.Authorization/{listing}/read")]["code"]
            == "AuthorizationFailed"
        )
    assert {r["name"] for r in data["resources"]} >= {"hub-ai", "proj-a", "proj-b", "aoai-ai"}
    assert "partial:" in result.stderr and f"retry with Reader on {SEARCH}" in result.stderr


def test_throttling_and_server_errors_are_survived(tmp_path):
    output = tmp_path / "snapshot.json"
    faults = Faults(
        rules=[
            Faults.throttle(r"^GET .*/workspaces/hub-ai/connections$", times=1, retry_after=1),
            Faults.server_error(r"^POST /v1\.0/directoryObjects/getByIds$", times=1),
            Faults.server_error(r"^GET .*/roleDefinitions/", times=2),
            Faults.throttle(
                r"^POST /providers/Microsoft\.ResourceGraph/resources$", times=1, retry_after=0
            ),
        ]
    )
    with serving(faults=faults) as server:
        result = collect(server, output)
        received = server.requests()
        assert server.unmatched == []
    assert result.returncode == 0, result.stderr
    assert comparable(load_snapshot(output).data) == expected_snapshot()
    statuses = [r.status for r in received]
    assert statuses.count(429) == 2 and statuses.count(500) == 3
    connections = [r for r in received if r.path.endswith("/workspaces/hub-ai/connections")]
    assert [r.status for r in connections] == [429, 200]
    assert connections[1].at - connections[0].at >= 0.95  # Retry-After: 1 was honoured


def test_paging_is_followed(tmp_path):
    output = tmp_path / "snapshot.json"
    with serving(faults=Faults(page_size=2)) as server:
        result = collect(server, output)
        received = server.requests()
    assert result.returncode == 0, result.stderr
    assert comparable(load_snapshot(output).data) == expected_snapshot()
    assert max(r.page for r in received) >= 3  # e.g. the subscription's workspaces: 6 items


def test_graph_without_rights_still_gives_a_snapshot(tmp_path):
    output = tmp_path / "snapshot.json"
    with serving("graph-denied", Faults(graph_forbidden=True)) as server:
        result = collect(server, output)
        assert server.unmatched == [] and server.non_read_requests() == []
    assert result.returncode == 0, result.stderr
    data = load_snapshot(output).data
    assert data["principals"] and all(p["memberOf"] is None for p in data["principals"])
    assert "Directory.Read.All" in result.stderr


def test_an_ambiguous_hub_name_exits_2_and_lists_the_matches(tmp_path):
    output = tmp_path / "snapshot.json"
    with serving("hub-lookup") as server:
        result = collect(server, output, hub="hub-twin")
    assert result.returncode == 2
    assert "2 hubs are named 'hub-twin'" in result.stderr
    assert "/resourceGroups/rg-twin/" in result.stderr and "--resource-group" in result.stderr
    assert not output.exists()


def test_a_hub_name_is_resolved(tmp_path):
    output = tmp_path / "snapshot.json"
    with serving("hub-lookup") as server:
        result = collect(server, output, "--quiet", hub="hub-ai")
    assert result.returncode == 0, result.stderr
    assert load_snapshot(output).data["target"]["hub"] == HUB_BASIC


def test_bad_endpoint_is_bad_input(tmp_path):
    result = run(
        "collect",
        "--hub",
        HUB_BASIC,
        "--arm-endpoint",
        "http://127.0.0.1:1",
        "--output-file",
        str(tmp_path / "x.json"),
        env=clean_env(**TOKENS),
    )
    assert result.returncode == 2
    assert "--arm-endpoint" in result.stderr and "not an https URL" in result.stderr


def test_no_credential_is_bad_input_that_says_how_to_sign_in(tmp_path):
    result = run(
        "collect",
        "--hub",
        HUB_BASIC,
        "--auth",
        "environment",
        "--output-file",
        str(tmp_path / "x.json"),
        env=clean_env(),
    )
    assert result.returncode == 2
    assert "az login" in result.stderr and "DIAGNOSE_ARM_TOKEN" in result.stderr


def test_tls_trust_comes_from_requests_ca_bundle(tmp_path):
    with serving() as server:
        env = clean_env(**TOKENS)  # the server's certificate is not trusted
        result = run(
            "collect",
            "--hub",
            HUB_BASIC,
            "--arm-endpoint",
            server.url,
            "--graph-endpoint",
            server.url,
            "--output-file",
            str(tmp_path / "x.json"),
            env=env,
        )
        assert server.requests() == []
    assert result.returncode == 2
    assert "could not read the hub" in result.stderr and "SSL" in result.stderr


def _without_volatile(report: dict) -> dict:
    """The report minus where its snapshot came from (the live run names the collection, the
    replay the file): everything else must be identical."""
    report = copy.deepcopy(report)
    report.get("target", {}).pop("snapshot", None)
    return report


@pytest.mark.skipif(
    importlib.util.find_spec("diagnose.cli.report") is None,
    reason="the report command (diagnose/cli/report.py) is not there yet",
)
def test_live_report_equals_the_report_from_the_saved_snapshot(tmp_path):
    saved = tmp_path / "saved.json"
    with serving() as server:
        env = clean_env(REQUESTS_CA_BUNDLE=str(server.ca_bundle), **TOKENS)
        live = run(
            "--hub",
            HUB_BASIC,
            "--arm-endpoint",
            server.url,
            "--graph-endpoint",
            server.url,
            "--json",
            "--quiet",
            "--save-snapshot",
            str(saved),
            env=env,
        )
    replayed = run("--snapshot", str(saved), "--json")
    assert live.returncode == replayed.returncode, (live.stderr, replayed.stderr)
    assert saved.exists() and comparable(load_snapshot(saved).data) == expected_snapshot()
    assert _without_volatile(json.loads(live.stdout)) == _without_volatile(
        json.loads(replayed.stdout)
    )


# -- a Foundry resource with projects ---------------------------------------------------------
def foundry_expected() -> dict:
    return json.loads((fixtures_root() / "foundry-basic" / "expected-snapshot.json").read_text())


def test_collect_a_foundry_resource_end_to_end(tmp_path):
    output = tmp_path / "snapshot.json"
    with serving("foundry-basic") as server:
        result = collect(server, output, hub=FOUNDRY_BASIC)
        received = server.requests()
        assert server.unmatched == [] and server.non_read_requests() == []
    assert result.returncode == 0, result.stderr
    assert comparable(load_snapshot(output).data) == foundry_expected()
    assert received and all(r.has_authorization for r in received)
    paths = {r.path for r in received}
    assert f"{FOUNDRY_BASIC}/projects/proj-agents/capabilityHosts" in paths
    assert any(p.endswith("/sqlRoleAssignments") for p in paths)


def test_live_and_offline_diagnosis_of_a_foundry_resource_agree(tmp_path):
    saved = tmp_path / "saved.json"
    with serving("foundry-basic") as server:
        env = clean_env(REQUESTS_CA_BUNDLE=str(server.ca_bundle), **TOKENS)
        live = run(
            "--hub",
            FOUNDRY_BASIC,
            "--arm-endpoint",
            server.url,
            "--graph-endpoint",
            server.url,
            "--json",
            "--quiet",
            "--save-snapshot",
            str(saved),
            env=env,
        )
        assert server.non_read_requests() == []
    replayed = run("--snapshot", str(saved), "--json")
    assert live.returncode == replayed.returncode, (live.stderr, replayed.stderr)
    assert live.returncode in (0, 1), live.stderr  # a diagnosis, not an error
    assert saved.exists() and comparable(load_snapshot(saved).data) == foundry_expected()
    live_report = json.loads(live.stdout)
    assert live_report["target"]["hub"] == FOUNDRY_BASIC
    assert _without_volatile(live_report) == _without_volatile(json.loads(replayed.stdout))


def test_a_foundry_project_name_is_resolved_end_to_end(tmp_path):
    output = tmp_path / "snapshot.json"
    with serving("foundry-lookup") as server:
        result = collect(server, output, "--quiet", hub="proj-agents")
        assert server.non_read_requests() == []
    assert result.returncode == 0, result.stderr
    target = load_snapshot(output).data["target"]
    assert target == {"hub": f"{FOUNDRY_BASIC}/projects/proj-agents", "project": "proj-agents"}


def test_an_unknown_project_of_a_foundry_resource_exits_2(tmp_path):
    output = tmp_path / "snapshot.json"
    with serving("foundry-basic") as server:
        result = collect(server, output, "--project", "proj-z", hub=FOUNDRY_BASIC)
    assert result.returncode == 2
    assert "has no project named 'proj-z'" in result.stderr
    assert "proj-agents, proj-eval" in result.stderr and not output.exists()


def test_foundry_sdk_reads_survive_throttling_and_a_forbidden_cosmos_subscription(tmp_path):
    """The SDK clients send through the collector's pipeline: its retries honour Retry-After
    on a throttled project list, and a 403 on the Cosmos DB account's subscription becomes
    errors entries while the rest is collected."""
    output = tmp_path / "snapshot.json"
    faults = Faults(
        rules=[
            Faults.throttle(r"^GET .*/accounts/fdy-ai/projects$", times=1, retry_after=1),
            Faults.server_error(r"^GET .*/projects/proj-eval/connections$", times=1),
        ],
        forbidden_scopes=[f"/subscriptions/{SUB_B}"],
    )
    with serving("foundry-basic", faults) as server:
        result = collect(server, output, hub=FOUNDRY_BASIC)
        received = server.requests()
        assert server.unmatched == [] and server.non_read_requests() == []
    assert result.returncode == 0, result.stderr
    data = load_snapshot(output).data
    projects = [r for r in received if r.path.endswith("/accounts/fdy-ai/projects")]
    assert [r.status for r in projects] == [429, 200]
    assert projects[1].at - projects[0].at >= 0.95  # Retry-After: 1 was honoured
    retried = [r.status for r in received if r.path.endswith("/proj-eval/connections")]
    assert retried == [500, 200]
    cosmos = next(r["id"] for r in foundry_expected()["resources"] if r["name"] == "cosmos-fdy")
    errors = errors_by_scope(data)
    for operation in (
        "Microsoft.DocumentDB/databaseAccounts/read",
        "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments/read",
        "Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions/read",
    ):
        assert errors[(cosmos, operation)]["status"] == 403, operation
    names = {r["name"] for r in data["resources"]}
    assert {"fdy-ai", "proj-agents", "proj-eval", "aoai-grader", "agents-host"} <= names
    assert "cosmos-fdy" not in names


def test_a_collection_through_an_authenticating_proxy_is_the_same(tmp_path):
    from diagnose.testing.proxy import TunnelProxy

    secret = "pr0xy-s3cret"
    with serving() as server, TunnelProxy(("proxyuser", secret)) as proxy:
        proxy_url = f"http://proxyuser:{secret}@127.0.0.1:{proxy.port}"
        through = {"HTTPS_PROXY": proxy_url, "NO_PROXY": "", "no_proxy": ""}
        result = collect(server, tmp_path / "s.json", environment=through)
        requests_result = collect(
            server,
            tmp_path / "r.json",
            environment={**through, "DIAGNOSE_HTTP_CLIENT": "requests"},
        )
    assert result.returncode == 0, result.stderr
    assert requests_result.returncode == 0, requests_result.stderr
    assert comparable(load_snapshot(tmp_path / "s.json").data) == expected_snapshot()
    assert comparable(load_snapshot(tmp_path / "r.json").data) == expected_snapshot()
    assert proxy.tunnels and all(t.allowed for t in proxy.tunnels)
    written = (tmp_path / "s.json").read_text() + result.stdout + result.stderr
    assert secret not in written and "proxyuser" not in written
