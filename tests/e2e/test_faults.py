"""End to end under faults: the installed `diagnose` command against the loopback HTTPS server
when Graph answers in part, refuses memberships, a list comes without `value`, Retry-After is
odd, a body trickles in, a server echoes the bearer token, or the token is rejected."""

from __future__ import annotations

import email.utils
import json
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from diagnose.snapshot import load_snapshot
from diagnose.testing.armserver import ArmServer, Faults
from diagnose.testing.fixtures import load_fixture_set
from diagnose.testing.harness import HUB_BASIC
from tests.e2e.test_collect_cli import (
    TOKENS,
    clean_env,
    collect,
    comparable,
    expected_snapshot,
    run,
    serving,
)

ALICE = "77e2fb04-8505-5573-a802-83e9a5e772f7"
DELETED = "17eb0365-32ab-5ea3-b963-38d30fe3b812"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SUB_A = "00000000-1111-2222-3333-444444444444"
RG_AI = f"/subscriptions/{SUB_A}/resourceGroups/rg-ai"
ASSIGNMENTS_A = f"^GET {RG_AI}/providers/Microsoft.Authorization/roleAssignments$"
"""The role assignments listing at the hub's resource group."""
CONNECTIONS = r"^GET .*/workspaces/hub-ai/connections$"
GRACE = 2.0  # diagnose.collect.scheduler.GRACE


def report(server: ArmServer, *extra: str, env: dict[str, str] | None = None, timeout=60):
    env = env or clean_env(REQUESTS_CA_BUNDLE=str(server.ca_bundle), **TOKENS)
    return run(
        "--hub",
        HUB_BASIC,
        "--arm-endpoint",
        server.url,
        "--graph-endpoint",
        server.url,
        *extra,
        env=env,
        timeout=timeout,
    )


def errors_of(data: dict) -> dict[tuple[str, str], dict]:
    return {(e["scope"], e["operation"]): e for e in data["errors"]}


def test_getbyids_leaving_ids_out_changes_nothing(tmp_path):
    output = tmp_path / "snapshot.json"
    with serving(faults=Faults(left_out=[ALICE, DELETED])) as server:
        result = collect(server, output)
        reads = [
            r.path
            for r in server.requests()
            if r.method == "GET" and r.path.startswith("/v1.0/directoryObjects/")
        ]
        assert server.unmatched == []
    assert result.returncode == 0, result.stderr
    assert comparable(load_snapshot(output).data) == expected_snapshot()
    assert sorted(reads) == sorted(f"/v1.0/directoryObjects/{i}" for i in (ALICE, DELETED))


def test_a_directory_that_shows_nothing_never_leads_to_removing_access(tmp_path):
    faults = Faults(
        left_out=[p["id"] for p in expected_snapshot()["principals"]],
        rules=[
            Faults.refuse(r"^GET /v1\.0/directoryObjects/", "Request_ResourceNotFound", 404),
            Faults.refuse(r"/getMemberGroups$"),
            Faults.refuse(r"^GET /v1\.0/servicePrincipals"),
        ],
    )
    saved = tmp_path / "snapshot.json"
    with serving(faults=faults) as server:
        result = report(server, "--json", "--fail-on", "never", "--save-snapshot", str(saved))
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert not [f for f in findings if f["checkId"] == "IDN002"]
    assert "removeAssignment" not in result.stdout and "role assignment delete" not in result.stdout
    data = load_snapshot(saved).data
    assert not any(p.get("deleted") for p in data["principals"])
    assert (
        "whether it was deleted is unknown"
        in errors_of(data)[(DELETED, "Microsoft.Graph/directoryObjects/read")]["message"]
    )


def test_refused_memberships_say_unknown_and_name_the_right(tmp_path):
    output = tmp_path / "snapshot.json"
    with serving(faults=Faults(rules=[Faults.refuse(r"/getMemberGroups$")])) as server:
        result = collect(server, output)
        strict = report(server, "--json", "--strict", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    assert "Directory.Read.All" in result.stderr
    data = load_snapshot(output).data
    error = errors_of(data)[(ALICE, "Microsoft.Graph/directoryObjects/getMemberGroups")]
    assert error["status"] == 403 and "GroupMember.Read.All" in error["message"]
    assert strict.returncode == 3, strict.stderr
    unknown = [f for f in json.loads(strict.stdout)["findings"] if f["status"] == "unknown"]
    assert any("GroupMember.Read.All" in json.dumps(f) for f in unknown)


def test_a_list_without_value_is_partial_not_empty(tmp_path):
    output = tmp_path / "snapshot.json"
    faults = Faults(without_value=[r"/providers/Microsoft\.Authorization/roleAssignments$"])
    with serving(faults=faults) as server:
        result = collect(server, output)
        strict = report(server, "--json", "--strict", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    data = load_snapshot(output).data
    error = errors_of(data)[(RG_AI, "Microsoft.Authorization/roleAssignments/read")]
    assert (error["status"], error["code"]) == (200, "InvalidList")
    assert data["roleAssignments"] == [] and "partial:" in result.stderr
    assert strict.returncode == 3
    people = [
        f for f in json.loads(strict.stdout)["findings"] if f["checkId"] in ("HUB001", "CON001")
    ]
    assert people and all(f["status"] == "unknown" for f in people)


def test_retry_after_as_an_http_date_or_garbage(tmp_path):
    output = tmp_path / "snapshot.json"
    # A whole second, so the date the header carries (one-second resolution) is exact; far
    # enough ahead that even a slow process start reaches the first request before it.
    due = int(time.time()) + 5
    soon = email.utils.format_datetime(datetime.fromtimestamp(due, UTC), usegmt=True)
    faults = Faults(
        rules=[
            Faults.throttle(CONNECTIONS, retry_after=soon),
            Faults.throttle(
                r"^POST /providers/Microsoft\.ResourceGraph/resources$", retry_after="after lunch"
            ),
            Faults.throttle(r"/getMemberGroups$", retry_after="-1"),
        ]
    )
    with serving(faults=faults) as server:
        result = collect(server, output)
        received = server.requests()
    assert result.returncode == 0, result.stderr
    assert comparable(load_snapshot(output).data) == expected_snapshot()
    connections = [r for r in received if r.path.endswith("/workspaces/hub-ai/connections")]
    assert [r.status for r in connections] == [429, 200]
    to_wall = time.time() - time.monotonic()  # the server stamps requests with monotonic time
    assert connections[0].at + to_wall < due  # asked before the date, so there was a wait
    assert connections[1].at + to_wall >= due - 0.05  # and the retry waited for the date
    graph = [r for r in received if r.path == "/providers/Microsoft.ResourceGraph/resources"]
    assert graph[0].status == 429 and graph[1].at - graph[0].at < 2  # backoff, not a crash


def test_a_day_long_retry_after_ends_within_the_timeout(tmp_path):
    output = tmp_path / "snapshot.json"
    faults = Faults(rules=[Faults.throttle(ASSIGNMENTS_A, times=100, retry_after="86400")])
    with serving(faults=faults) as server:
        start = time.monotonic()
        result = collect(server, output, "--timeout", "3")
        elapsed = time.monotonic() - start
        strict = report(server, "--json", "--strict", "--fail-on", "never", "--timeout", "3")
    assert result.returncode == 0, result.stderr
    assert elapsed < 3 + GRACE + 3  # the deadline, the grace period, process start
    data = load_snapshot(output).data
    error = errors_of(data)[(RG_AI, "Microsoft.Authorization/roleAssignments/read")]
    assert error["code"] == "Timeout" and "--timeout of 3 s" in error["message"]
    assert "retry with a longer --timeout" in result.stderr
    assert {r["name"] for r in data["resources"]} >= {"hub-ai", "proj-a"}  # the rest kept
    assert strict.returncode == 3, strict.stderr
    people = [f for f in json.loads(strict.stdout)["findings"] if f["checkId"] == "HUB001"]
    assert people and all(f["status"] == "unknown" for f in people)


def test_a_trickling_body_cannot_keep_the_run_alive(tmp_path):
    output = tmp_path / "snapshot.json"
    with serving(faults=Faults(trickle=[ASSIGNMENTS_A], trickle_interval=0.2)) as server:
        start = time.monotonic()
        result = collect(server, output, "--timeout", "2")
        elapsed = time.monotonic() - start
        strict = report(server, "--json", "--strict", "--fail-on", "never", "--timeout", "2")
    assert result.returncode == 0, result.stderr
    assert elapsed < 2 + GRACE + 3
    data = load_snapshot(output).data
    error = errors_of(data)[(RG_AI, "Microsoft.Authorization/roleAssignments/read")]
    assert error["code"] == "Timeout"
    assert {r["name"] for r in data["resources"]} >= {"hub-ai", "proj-a", "aoai-ai"}
    assert strict.returncode == 3
    assert json.loads(strict.stdout)["summary"]["partial"] is True


def _everything_written(tmp_path: Path) -> str:
    texts = []
    for path in tmp_path.iterdir():
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as bundle:
                texts += [
                    bundle.read(name).decode("utf-8", "replace") for name in bundle.namelist()
                ]
        else:
            texts.append(path.read_text("utf-8", "replace"))
    return "\n".join(texts)


def test_an_echoed_token_is_never_printed_logged_or_stored(tmp_path):
    opaque = "opaque-arm-token-5d41402abc"  # looks like nothing: caught by its exact value
    jwt = (
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5j"
        "b20ifQ.ZmFrZS1zaWduYXR1cmUtZm9yLXRoZS1lY2hvLXRlc3Q"
    )
    faults = Faults(
        rules=[
            Faults.echo(r"/vaults/"),
            Faults.echo(rf"/{ALICE}/getMemberGroups$"),
            Faults.echo(r"/providers/Microsoft\.Authorization/roleAssignments$", status=500),
        ]
    )
    with serving(faults=faults) as server:
        env = clean_env(
            REQUESTS_CA_BUNDLE=str(server.ca_bundle),
            DIAGNOSE_ARM_TOKEN=opaque,
            DIAGNOSE_GRAPH_TOKEN=jwt,
        )
        result = report(
            server,
            "--json",
            "--fail-on",
            "never",
            "--output-file",
            str(tmp_path / "report.json"),
            "--save-snapshot",
            str(tmp_path / "snapshot.json"),
            "--bundle",
            str(tmp_path / "bundle.zip"),
            env=env,
        )
        echoed = [r for r in server.requests() if r.status in (400, 500)]
    assert result.returncode == 0, result.stderr
    assert len(echoed) >= 3  # the server did echo the tokens back
    written = _everything_written(tmp_path)
    assert "kv-hub-ai" in written and "<removed>" in written
    for token in (opaque, jwt):
        assert token not in result.stdout + result.stderr
        assert token not in written


def test_a_rejected_token_is_one_paragraph_and_exit_2(tmp_path):
    with serving(faults=Faults(rules=[Faults.reject_token(TENANT)])) as server:
        result = collect(server, tmp_path / "snapshot.json")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("diagnose: error:"), result.stderr
    assert "rejected the token in DIAGNOSE_ARM_TOKEN" in lines[0]
    assert f"--tenant {TENANT}" in lines[0] and "az account get-access-token" in lines[0]
    assert TOKENS["DIAGNOSE_ARM_TOKEN"] not in result.stderr
    assert not (tmp_path / "snapshot.json").exists()


def test_a_failed_sign_in_prints_no_sdk_log_unless_debugging(tmp_path):
    args = (
        "collect",
        "--hub",
        HUB_BASIC,
        "--auth",
        "environment",
        "--output-file",
        str(tmp_path / "x.json"),
    )
    quiet = run(*args, env=clean_env())
    debug = run(*args, env=clean_env(DIAGNOSE_DEBUG="1"))
    assert quiet.returncode == debug.returncode == 2
    lines = quiet.stderr.strip().splitlines()
    assert len(lines) == 1 and "--auth environment (EnvironmentCredential)" in lines[0]
    assert "AZURE_CLIENT_SECRET" in lines[0] and "get_token failed" not in quiet.stderr
    assert "get_token failed" in debug.stderr  # the SDK's own line, kept for a bug report


def test_the_server_faults_are_what_they_say():
    """The loopback server itself: each fault does what the tests above rely on."""
    import requests

    fixtures = load_fixture_set("hub-basic")
    faults = Faults(
        left_out=[ALICE], without_value=[r"/connections$"], rules=[Faults.echo(r"/vaults/")]
    )
    with ArmServer(fixtures, faults) as server:
        options = {
            "verify": str(server.ca_bundle),
            "headers": {"Authorization": "Bearer tok-123456789"},
        }
        found = requests.post(
            f"{server.url}/v1.0/directoryObjects/getByIds",
            json={"ids": [ALICE, DELETED]},
            **options,
        ).json()
        alice = requests.get(f"{server.url}/v1.0/directoryObjects/{ALICE}", **options)
        connections = requests.get(
            f"{server.url}{HUB_BASIC}/connections", params={"api-version": "2024-10-01"}, **options
        )
        vault = requests.get(
            f"{server.url}/subscriptions/x/providers/Microsoft.KeyVault/vaults/v", **options
        )
    assert found["value"] == []  # Alice left out, the deleted user not there
    assert alice.status_code == 200 and alice.json()["displayName"] == "Alice Smith"
    assert connections.status_code == 200 and "value" not in connections.json()
    assert vault.status_code == 400 and "tok-123456789" in vault.text
    assert vault.headers["x-ms-request-id"] == "tok-123456789"
