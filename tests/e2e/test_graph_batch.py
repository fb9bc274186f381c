"""End to end: the installed `diagnose` command sends the per-principal Graph reads in JSON
batches (POST /v1.0/$batch) to the loopback server, which answers each sub-request from the
fixtures and faults of its single call: the snapshot is the same, with fewer requests, and a
throttled, forbidden or whole-batch failure is recorded as the single calls' would be."""

from __future__ import annotations

from diagnose.snapshot import load_snapshot
from diagnose.testing.armserver import ArmServer, Faults
from diagnose.testing.fixtures import load_fixture_set
from tests.e2e.test_collect_cli import collect, comparable, expected_snapshot, serving

ALICE = "77e2fb04-8505-5573-a802-83e9a5e772f7"
DELETED = "17eb0365-32ab-5ea3-b963-38d30fe3b812"
GET_MEMBER_GROUPS = "Microsoft.Graph/directoryObjects/getMemberGroups"
OBJECT_READ = "Microsoft.Graph/directoryObjects/read"


def errors_of(data: dict) -> dict[tuple[str, str], dict]:
    return {(e["scope"], e["operation"]): e for e in data["errors"]}


def batches_of(received) -> list:
    return [r for r in received if r.method == "POST" and r.path == "/v1.0/$batch"]


def test_memberships_and_direct_reads_travel_in_batches_and_the_snapshot_is_the_same(tmp_path):
    output = tmp_path / "snapshot.json"
    with serving() as server:
        result = collect(server, output)
        received = server.requests()
        assert server.unmatched == [] and server.non_read_requests() == []
    assert result.returncode == 0, result.stderr
    data = load_snapshot(output).data
    assert comparable(data) == expected_snapshot()
    alone = [r for r in received if not r.in_batch]
    assert not any(r.path.endswith("/getMemberGroups") for r in alone)
    assert not any(r.method == "GET" and "/directoryObjects/" in r.path for r in alone)
    batches = batches_of(received)
    assert batches and all(r.status == 200 and 1 <= len(r.sub_requests) <= 20 for r in batches)
    inside = [r for r in received if r.in_batch]
    groups = {r.path for r in inside if r.path.endswith("/getMemberGroups")}
    assert groups == {
        f"/v1.0/directoryObjects/{p['id']}/getMemberGroups" for p in data["principals"]
    }
    assert [r.path for r in inside if r.method == "GET"] == [f"/v1.0/directoryObjects/{DELETED}"]
    assert sum(len(r.sub_requests) for r in batches) == len(inside)
    assert len(batches) < len(inside)  # fewer requests than single calls


def test_a_throttled_sub_request_inside_a_200_batch_is_retried_after_its_retry_after(tmp_path):
    output = tmp_path / "snapshot.json"
    throttled = rf"^POST /v1\.0/directoryObjects/{ALICE}/getMemberGroups$"
    faults = Faults(rules=[Faults.throttle(throttled, times=1, retry_after=1)])
    with serving(faults=faults) as server:
        result = collect(server, output)
        received = server.requests()
        assert server.unmatched == []
    assert result.returncode == 0, result.stderr
    assert comparable(load_snapshot(output).data) == expected_snapshot()
    alice = [r for r in received if r.path.endswith(f"/{ALICE}/getMemberGroups")]
    assert [(r.status, r.in_batch) for r in alice] == [(429, True), (200, True)]
    assert alice[1].at - alice[0].at >= 0.95  # Retry-After: 1 honoured
    assert all(r.status == 200 for r in batches_of(received))  # the batches themselves


def test_a_forbidden_sub_request_is_unreadable_memberships_and_the_assigned_to_fallback(tmp_path):
    output = tmp_path / "snapshot.json"
    faults = Faults(rules=[Faults.refuse(rf"/{ALICE}/getMemberGroups$")])
    with serving(faults=faults) as server:
        result = collect(server, output)
        received = server.requests()
        # hub-basic has no assignedTo() listings for Alice: those are the only ones unmatched
        assert all("assignedTo" in u for u in server.unmatched)
        assert server.non_read_requests() == []
    assert result.returncode == 0, result.stderr
    data = load_snapshot(output).data
    error = errors_of(data)[(ALICE, GET_MEMBER_GROUPS)]
    assert (error["status"], error["code"]) == (403, "Authorization_RequestDenied")
    assert "GroupMember.Read.All" in error["message"]
    alice = next(p for p in data["principals"] if p["id"] == ALICE)
    assert alice["memberOf"] is None and alice["displayName"] == "Alice Smith"
    assigned_to = [r for r in received if r.query.get("$filter") == f"assignedTo('{ALICE}')"]
    assert assigned_to  # the listings that show group grants without directory rights
    assert all(r.status == 200 for r in batches_of(received))
    others = [p for p in data["principals"] if p["id"] not in (ALICE, DELETED)]
    assert others and all(p["memberOf"] is not None for p in others)


def test_a_batch_that_fails_whole_is_each_principals_failure(tmp_path):
    output = tmp_path / "snapshot.json"
    faults = Faults(rules=[Faults.refuse(r"^POST /v1\.0/\$batch$", "BadRequest", 400)])
    with serving(faults=faults) as server:
        result = collect(server, output)
        received = server.requests()
    assert result.returncode == 0, result.stderr
    data = load_snapshot(output).data
    errors = errors_of(data)
    principals = {p["id"]: p for p in data["principals"]}
    assert principals and all(p["memberOf"] is None for p in principals.values())
    for principal in principals:
        assert (errors[(principal, GET_MEMBER_GROUPS)]["status"]) == 400
    # the deleted user's direct read failed too: not confirmed deleted, and said so
    assert not principals[DELETED].get("deleted")
    assert errors[(DELETED, OBJECT_READ)]["status"] == 400
    assert "whether it still exists is unknown" in errors[(DELETED, OBJECT_READ)]["message"]
    assert not any(r.in_batch for r in received)
    listed = {r.query.get("$filter") for r in received}
    assert {f"assignedTo('{p}')" for p in principals if p != DELETED} <= listed


def test_the_server_answers_a_batch_and_counts_a_write_inside_it_as_a_write():
    import requests

    with ArmServer(load_fixture_set("hub-basic")) as server:
        options = {
            "verify": str(server.ca_bundle),
            "headers": {"Authorization": "Bearer tok"},
        }
        reads = {
            "requests": [
                {"id": "a", "method": "GET", "url": f"/directoryObjects/{ALICE}"},
                {
                    "id": "b",
                    "method": "POST",
                    "url": f"/directoryObjects/{ALICE}/getMemberGroups",
                    "body": {"securityEnabledOnly": False},
                    "headers": {"Content-Type": "application/json"},
                },
                {"id": "c", "method": "GET", "url": f"/directoryObjects/{DELETED}"},
            ]
        }
        answer = requests.post(f"{server.url}/v1.0/$batch", json=reads, **options)
        assert server.non_read_requests() == []
        write = {"requests": [{"id": "1", "method": "PATCH", "url": f"/users/{ALICE}", "body": {}}]}
        requests.post(f"{server.url}/v1.0/$batch", json=write, **options)
        written = server.non_read_requests()
    assert answer.status_code == 200
    by_id = {r["id"]: r for r in answer.json()["responses"]}
    assert by_id["a"]["status"] == 200 and by_id["a"]["body"]["displayName"] == "Alice Smith"
    assert by_id["b"]["status"] == 200 and isinstance(by_id["b"]["body"]["value"], list)
    assert by_id["c"]["status"] == 404
    assert by_id["c"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert [(r.method, r.path, r.in_batch) for r in written] == [
        ("POST", "/v1.0/$batch", False),
        ("PATCH", f"/v1.0/users/{ALICE}", True),
    ]
