"""Microsoft Graph answering in part, replayed through the real pipelines: an id getByIds
leaves out is unknown until read on its own, a principal is deleted only when that read
answers 404 while the directory is demonstrably readable, refused memberships are unknown
with the right that is missing, and a list without `value` is an error, never empty."""

from __future__ import annotations

import copy
import dataclasses
import json
import threading
import time

import pytest

from diagnose.collect.clients import ApiError, RetrySettings
from diagnose.collect.collector import ASSIGNMENTS, Collector
from diagnose.collect.credentials import Credentials, StaticTokenCredential
from diagnose.collect.directory import DirectoryReader
from diagnose.collect.run import collect
from diagnose.collect.scheduler import Scheduler
from diagnose.collect.settings import settings_from_args
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.model.principals import Principal
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.plan import FixPlan
from diagnose.testing.fixtures import (
    Exchange,
    FixtureSet,
    exchange,
    fixtures_root,
    load_fixture_set,
)
from diagnose.testing.harness import HUB_BASIC, cli_args, collect_replayed
from diagnose.testing.replay import replay

ALICE = "77e2fb04-8505-5573-a802-83e9a5e772f7"
DELETED = "17eb0365-32ab-5ea3-b963-38d30fe3b812"
AML_APP = "6fd551a1-b389-5c49-a6de-aecc4c53dede"
AML_APP_ID = "0736f41a-0425-4b46-bdb5-1563eff02385"
SUB_A = "00000000-1111-2222-3333-444444444444"
RG_AI = f"/subscriptions/{SUB_A}/resourceGroups/rg-ai"
CHAT = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
GET_MEMBER_GROUPS = "Microsoft.Graph/directoryObjects/getMemberGroups"
OBJECT_READ = "Microsoft.Graph/directoryObjects/read"
DENIED = {
    "error": {
        "code": "Authorization_RequestDenied",
        "message": "Insufficient privileges to complete the operation.",
    }
}


def expected_snapshot() -> dict:
    return json.loads((fixtures_root() / "hub-basic" / "expected-snapshot.json").read_text())


def comparable(data: dict) -> dict:
    data = copy.deepcopy(data)
    data.pop("collectedAt", None)
    data["tool"].pop("version", None)
    return data


def by_ids(fixtures: FixtureSet) -> Exchange:
    return next(e for e in fixtures.exchanges if e.by_ids)


def leaving_out(fixtures: FixtureSet, *ids: str) -> FixtureSet:
    """getByIds answers without these objects."""
    answer = by_ids(fixtures)
    body = dict(answer.body, value=[o for o in answer.body["value"] if o["id"] not in ids])
    return fixtures.replaced(dataclasses.replace(answer, body=body))


def object_read(object_id: str, status: int, body: object) -> Exchange:
    return exchange("GET", f"/v1.0/directoryObjects/{object_id}", status=status, body=body)


def principals_of(data: dict) -> dict[str, dict]:
    return {p["id"]: p for p in data["principals"]}


def errors_of(data: dict) -> dict[tuple[str, str], dict]:
    return {(e["scope"], e["operation"]): e for e in data["errors"]}


def findings(snapshot) -> list:
    return Engine(Model(snapshot), fixes=FixPlan).run(load_checks()[0]).findings


def test_an_object_getbyids_left_out_is_read_directly_and_found():
    fixtures = load_fixture_set("hub-basic")
    alice = next(o for o in by_ids(fixtures).body["value"] if o["id"] == ALICE)
    fixtures = leaving_out(fixtures, ALICE).replaced(object_read(ALICE, 200, alice))
    collection, result = collect_replayed(fixtures)
    assert result.unmatched == []
    assert comparable(collection.snapshot.data) == expected_snapshot()
    assert any(c.request.url.endswith(f"/v1.0/directoryObjects/{ALICE}") for c in result.sub_calls)


def test_an_object_left_out_and_unreadable_is_unknown_not_deleted():
    fixtures = leaving_out(load_fixture_set("hub-basic"), ALICE).replaced(
        object_read(ALICE, 403, DENIED)
    )
    collection, result = collect_replayed(fixtures)
    assert result.unmatched == []
    data = collection.snapshot.data
    alice = principals_of(data)[ALICE]
    assert "deleted" not in alice and alice["type"] == "User" and alice["displayName"] is None
    assert alice["memberOf"]  # her groups were readable: they are kept
    error = errors_of(data)[(ALICE, OBJECT_READ)]
    assert error["status"] == 403 and "whether it still exists is unknown" in error["message"]
    assert not Model(collection.snapshot).authorization.directory.get(ALICE).deleted
    idn002 = [f for f in findings(collection.snapshot) if f.check_id == "IDN002"]
    assert [f.principal.id for f in idn002] == [DELETED]  # the one really deleted, confirmed


def test_the_deleted_principal_is_confirmed_by_a_direct_read():
    collection, result = collect_replayed(load_fixture_set("hub-basic"))
    deleted = principals_of(collection.snapshot.data)[DELETED]
    assert deleted["deleted"] is True and deleted["memberOf"] is None
    assert deleted["deletedEvidence"].startswith(
        f"GET /v1.0/directoryObjects/{DELETED} answered 404 Request_ResourceNotFound"
    )
    assert "other directory objects were readable" in deleted["deletedEvidence"]
    reads = [
        c
        for c in result.sub_calls  # the direct reads travel in a JSON batch
        if c.request.method == "GET" and "/directoryObjects/" in c.request.url
    ]
    assert [c.request.url.rsplit("/", 1)[-1] for c in reads] == [DELETED]
    idn002 = [f for f in findings(collection.snapshot) if f.check_id == "IDN002"]
    assert len(idn002) == 1 and idn002[0].status.value == "warn"
    assert [r.kind for r in idn002[0].remediations] == ["removeAssignment"]
    assert "confirmed" in idn002[0].remediations[0].summary


def hidden_directory() -> FixtureSet:
    """A directory that shows nothing: getByIds answers no object, every direct read 404,
    memberships refused, the first-party app refused. Nothing proves any object is gone."""
    fixtures = load_fixture_set("hub-basic")
    answer = by_ids(fixtures)
    gone = {"error": {"code": "Request_ResourceNotFound", "message": "does not exist"}}
    ids = [p["id"] for p in expected_snapshot()["principals"]]
    replaced = [dataclasses.replace(answer, body=dict(answer.body, value=[]))]
    replaced += [object_read(i, 404, gone) for i in ids]
    replaced += [
        exchange(
            "POST",
            f"/v1.0/directoryObjects/{i}/getMemberGroups",
            json_body={"securityEnabledOnly": False},
            status=403,
            body=DENIED,
        )
        for i in ids
    ]
    replaced.append(
        exchange(
            "GET",
            f"/v1.0/servicePrincipals(appId='{AML_APP_ID}')",
            {"$select": "id,appId,displayName,servicePrincipalType"},
            status=403,
            body=DENIED,
        )
    )
    return fixtures.replaced(*replaced)


def test_a_directory_that_hides_everything_confirms_no_deletion():
    collection, _ = collect_replayed(hidden_directory(), all_fired=False)
    data = collection.snapshot.data
    assert data["principals"] and not any(p.get("deleted") for p in data["principals"])
    error = errors_of(data)[(DELETED, OBJECT_READ)]
    assert error["status"] == 404 and "whether it was deleted is unknown" in error["message"]
    assert "no other directory object could be read" in error["message"]
    found = findings(collection.snapshot)
    assert not [f for f in found if f.check_id == "IDN002"]
    assert not [r for f in found for r in f.remediations if r.kind == "removeAssignment"]


def test_refused_memberships_are_unknown_with_the_right_that_is_missing():
    hub_basic = load_fixture_set("hub-basic")
    keep = [
        by_ids(hub_basic),
        next(e for e in hub_basic.exchanges if e.path == f"/v1.0/directoryObjects/{DELETED}"),
        next(e for e in hub_basic.exchanges if "servicePrincipals(appId" in e.path),
    ]
    fixtures = load_fixture_set("graph-denied").replaced(*keep)  # only memberships refused
    collection, result = collect_replayed(fixtures, all_fired=False)
    assert result.unmatched == []
    data = collection.snapshot.data
    alice = principals_of(data)[ALICE]
    assert alice["memberOf"] is None and alice["displayName"] == "Alice Smith"
    error = errors_of(data)[(ALICE, GET_MEMBER_GROUPS)]
    assert error["status"] == 403 and "GroupMember.Read.All" in error["message"]
    model = Model(collection.snapshot)
    aoai = next(r["id"] for r in data["resources"] if r["name"] == "aoai-ai")
    decision = Evaluator(model.authorization).check(ALICE, aoai, CHAT, data_action=True)
    assert decision.decision.value == "unknown"
    assert any("GroupMember.Read.All" in reason for reason in decision.unknowns)
    assert principals_of(data)[DELETED]["deleted"] is True  # confirmed all the same


def test_memberships_answered_without_value_are_unknown_not_empty():
    fixtures = load_fixture_set("hub-basic").replaced(
        exchange(
            "POST",
            f"/v1.0/directoryObjects/{ALICE}/getMemberGroups",
            json_body={"securityEnabledOnly": False},
            body={"@odata.context": "x"},
        )
    )
    collection, _ = collect_replayed(fixtures, all_fired=False)
    data = collection.snapshot.data
    assert principals_of(data)[ALICE]["memberOf"] is None
    error = errors_of(data)[(ALICE, GET_MEMBER_GROUPS)]
    assert (error["status"], error["code"]) == (200, "InvalidList")
    model = Model(collection.snapshot)
    aoai = next(r["id"] for r in data["resources"] if r["name"] == "aoai-ai")
    assert (
        Evaluator(model.authorization).check(ALICE, aoai, CHAT, data_action=True).decision.value
        == "unknown"
    )


def test_getbyids_without_value_deletes_no_one():
    fixtures = load_fixture_set("hub-basic")
    answer = by_ids(fixtures)
    fixtures = fixtures.replaced(
        dataclasses.replace(answer, body={"@odata.context": "x"}, by_ids=False)
    )
    collection, _ = collect_replayed(fixtures, all_fired=False)
    data = collection.snapshot.data
    assert not any(p.get("deleted") for p in data["principals"])
    failed = [e for e in data["errors"] if e["operation"].endswith("getByIds")]
    assert failed and all(e["code"] == "InvalidList" for e in failed)


def test_an_arm_list_without_value_is_an_error_and_the_checks_say_unknown():
    fixtures = load_fixture_set("hub-basic")
    listing = next(
        e
        for e in fixtures.exchanges
        if e.path == f"{RG_AI}/providers/Microsoft.Authorization/roleAssignments"
        and not e.query.get("$skiptoken")
    )
    fixtures = fixtures.replaced(dataclasses.replace(listing, body={"nextLink": None}))
    collection, _ = collect_replayed(fixtures, all_fired=False)
    data = collection.snapshot.data
    error = errors_of(data)[(RG_AI, ASSIGNMENTS.operation)]
    assert (error["status"], error["code"]) == (200, "InvalidList")
    people = [f for f in findings(collection.snapshot) if f.check_id in ("HUB001", "CON001")]
    # Who holds a role on the hub and its projects (in rg-ai) cannot be told; what reaches
    # the Azure OpenAI account in rg-data is known from rg-data's own listing, which includes
    # what applies from the subscription and above.
    in_rg_ai = [f for f in people if f.resource.lower().startswith(RG_AI.lower() + "/")]
    assert in_rg_ai and all(f.status.value == "unknown" for f in in_rg_ai)
    assert {f.check_id for f in in_rg_ai} == {"HUB001", "CON001"}
    elsewhere = [f for f in people if f not in in_rg_ai]
    assert all("/resourcegroups/rg-data/" in f.resource.lower() for f in elsewhere)


# -- the deadline abandons a step that cannot be cut short --------------------------------------
class _Hanging(StaticTokenCredential):
    """A credential that never answers (an azure-identity helper process that hangs): no
    socket for the watchdog to close, so the scheduler must give up on the steps it holds."""

    def __init__(self, token: str, release: threading.Event) -> None:
        super().__init__(token)
        self._release = release

    def get_token(self, *scopes, **kwargs):
        self._release.wait(20)
        return super().get_token(*scopes, **kwargs)


def test_steps_stuck_past_the_deadline_become_timed_out_errors():
    release = threading.Event()
    settings = settings_from_args(cli_args(timeout=1.0))
    credentials = Credentials(
        StaticTokenCredential("arm-token-for-tests"), _Hanging("graph-token-for-tests", release)
    )
    start = time.monotonic()
    try:
        with replay(load_fixture_set("hub-basic"), all_fired=False):
            collection = collect(settings, credentials, retry=RetrySettings(total=0))
        elapsed = time.monotonic() - start
    finally:
        release.set()
    assert elapsed < 1.0 + 2.0 + 1.5  # the deadline, the grace period, some slack
    data = collection.snapshot.data
    timed_out = [e for e in data["errors"] if e["code"] == "Timeout"]
    assert timed_out and all("--timeout of 1 s" in e["message"] for e in timed_out)
    assert {e["operation"] for e in timed_out} >= {GET_MEMBER_GROUPS}
    assert all(p["memberOf"] is None and "deleted" not in p for p in data["principals"])
    assert {r["name"] for r in data["resources"]} >= {"hub-ai", "proj-a", "aoai-ai"}


def test_every_step_abandoned_at_the_deadline_says_what_it_would_have_read():
    collector = Collector(object(), DirectoryReader(None), Scheduler(1))  # type: ignore[arg-type]
    timeout = ApiError(None, "Timeout", "timed out")
    search = f"/subscriptions/{SUB_A}/resourceGroups/rg/providers/Microsoft.Search/searchServices/s"
    steps = [
        (collector.fetch_resource, (search,)),
        (collector.list_projects, (SUB_A,)),
        (collector.list_connections, (HUB_BASIC,)),
        (collector.resolve_targets, ({f"{HUB_BASIC}/connections/c": ("t", "n")},)),
        (collector.list_at_subscription, (ASSIGNMENTS, SUB_A, None)),
        (collector.list_at_group, (ASSIGNMENTS, f"/subscriptions/{SUB_A}/resourceGroups/rg", None)),
        # a named project's group listed early, where nothing turned relevant: no entry
        (
            collector.list_at_group,
            (ASSIGNMENTS, f"/subscriptions/{SUB_A}/resourceGroups/old", None),
        ),
        (
            collector.fetch_role_definition,
            ("/providers/Microsoft.Authorization/roleDefinitions/x",),
        ),
        (collector.read_subscription, (SUB_A,)),
        (collector.list_assigned_to, (SUB_A, ALICE)),
        (collector.directory.find_first_party_app, ()),
    ]
    with collector.locked():
        # rg holds something relevant (the Search service): its listings are no guess
        collector._groups_that_matter.add(f"/subscriptions/{SUB_A}/resourcegroups/rg")
        for step, args in steps:
            collector.timed_out(step, args, timeout)
    places = {(e["scope"], e["operation"]) for e in collector.state.errors}
    assert places == {
        (search, "Microsoft.Search/searchServices/read"),
        (f"/subscriptions/{SUB_A}", "Microsoft.MachineLearningServices/workspaces/read"),
        (HUB_BASIC, "Microsoft.MachineLearningServices/workspaces/connections/read"),
        (f"{HUB_BASIC}/connections/c", "Microsoft.ResourceGraph/resources/read"),
        (f"/subscriptions/{SUB_A}", ASSIGNMENTS.operation),
        (f"/subscriptions/{SUB_A}/resourceGroups/rg", ASSIGNMENTS.operation),
        (
            "/providers/Microsoft.Authorization/roleDefinitions/x",
            "Microsoft.Authorization/roleDefinitions/read",
        ),
        (f"/subscriptions/{SUB_A}", "Microsoft.Resources/subscriptions/read"),
    }
    assert [(e["scope"], e["code"]) for e in collector.directory.errors] == [
        (AML_APP_ID, "Timeout")
    ]


# -- what the model trusts ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("entry", "deleted", "unconfirmed"),
    [
        ({"deleted": True, "deletedEvidence": "GET ... answered 404"}, True, False),
        ({"deleted": True}, False, True),
        ({"deleted": True, "deletedEvidence": "  "}, False, True),
        ({"deletedEvidence": "GET ... answered 404"}, False, False),
        ({}, False, False),
    ],
)
def test_only_a_confirmed_deletion_counts_as_deleted(entry, deleted, unconfirmed):
    principal = Principal.from_snapshot(
        {"id": ALICE.upper(), "type": "User", "memberOf": [], **entry}
    )
    assert (principal.deleted, principal.deletion_unconfirmed) == (deleted, unconfirmed)
    assert (principal.deleted_evidence is not None) == deleted


def test_an_unconfirmed_deletion_gets_no_removal_advice():
    from diagnose.snapshot import load_snapshot

    snapshot = load_snapshot(
        fixtures_root().parent / "checks" / "IDN002" / "unknown-deletion-unconfirmed.json"
    )
    found = findings(snapshot)
    idn002 = [f for f in found if f.check_id == "IDN002"]
    assert len(idn002) == 1 and idn002[0].status.value == "unknown"
    assert idn002[0].remediations == () and "without saying how" in idn002[0].message
    assert not [r for f in found for r in f.remediations if r.kind == "removeAssignment"]
    former = Model(snapshot).authorization.directory.get(idn002[0].principal.id)
    assert former is not None and not former.deleted  # the evaluator treats it as existing


def test_a_principal_found_late_in_an_early_wave_is_looked_up_in_the_next_wave():
    """A long listing of wave 1 can finish after a wave-2 step asked for another principal:
    its principals are still looked up in wave 2, not by the batch waiting in wave 3 (which
    made the deleted user's direct read, and the wave count, depend on timing)."""
    submitted: list[tuple[int, str]] = []
    reader = DirectoryReader(object())  # type: ignore[arg-type]
    reader.attach(
        threading.RLock(),
        lambda wave, step, *args: submitted.append((wave, step.__name__)),
        lambda wave, principal: None,
    )
    reader.want(2, "11111111-1111-1111-1111-111111111111", "User")
    reader.want(1, "22222222-2222-2222-2222-222222222222", "User")
    batches = [wave for wave, name in submitted if name == "look_up_batch"]
    assert min(batches) == 2
