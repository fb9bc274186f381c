"""Memberships read from the groups' side (diagnose.collect.groups), against the loopback
server through the real pipelines: with many principals and few groups, the members of the
groups that matter are listed (transitiveMembers) instead of every principal's groups, and
the snapshot says what getMemberGroups would have said about those groups; a refused or
unfinished listing is never "no groups"."""

from __future__ import annotations

import copy
import dataclasses
from types import SimpleNamespace

import pytest

from diagnose.collect import groups
from diagnose.collect.clients import ApiError, RetrySettings
from diagnose.collect.credentials import Credentials, StaticTokenCredential
from diagnose.collect.directory import DirectoryReader
from diagnose.collect.principals import Record
from diagnose.collect.run import collect
from diagnose.collect.settings import settings_from_args
from diagnose.testing.armserver import ArmServer, Faults
from diagnose.testing.fixtures import Exchange, FixtureSet
from diagnose.testing.scenarios import FOUNDRY, HUB, RG, _id, big_foundry, big_hub

GROUP_AI = _id("group:ai")
"""big_hub's group: every person is in it; it holds Reader on the hub's resource group."""
EXCLUDED = _id("group:excluded")
MEMBERS = "/transitiveMembers"
GET_MEMBER_GROUPS = "/getMemberGroups"


def _collect(server: ArmServer, *, timeout: float | None = None, target: str = HUB):
    args = SimpleNamespace(
        hub=target, arm_endpoint=server.url, graph_endpoint=server.url, concurrency=16
    )
    if timeout is not None:
        args.timeout = timeout
    credentials = Credentials(StaticTokenCredential("arm-t0ken"), StaticTokenCredential("gr-t0ken"))
    return collect(settings_from_args(args), credentials, retry=RetrySettings(total=0))


@pytest.fixture()
def serve(monkeypatch):
    """Collect from a loopback server answering `fixtures` with `faults`: (collection, the
    requests the server received)."""

    def run(fixtures: FixtureSet, faults: Faults | None = None, **kwargs):
        with ArmServer(fixtures, faults or Faults()) as server:
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
            collection = _collect(server, **kwargs)
            assert server.non_read_requests() == []
            return collection, server.requests()

    return run


def _content(collection) -> dict:
    data = copy.deepcopy(collection.snapshot.data)
    data.pop("collectedAt", None)
    return data


def _member_groups(received) -> list:
    return [r for r in received if r.path.endswith(GET_MEMBER_GROUPS)]


def _listings(received) -> list:
    return [r for r in received if r.path.endswith(MEMBERS)]


def _people(collection) -> list[dict]:
    return [p for p in collection.snapshot.data["principals"] if p["type"] == "User"]


def _per_principal(monkeypatch) -> None:
    monkeypatch.setattr(groups, "GROUPS_FIRST_MIN", 10**9)


HUB_20 = big_hub(20, 2, people_per_project=5)  # 100 people, 20 projects' identities, ...


def test_many_principals_few_groups_list_the_groups_and_the_snapshot_is_the_same(
    serve, monkeypatch
):
    by_groups, received = serve(HUB_20)
    assert _listings(received), "the groups' side was not used: the test proves nothing"
    asked = {r.path.split("/")[3] for r in _member_groups(received)}
    people = {p["id"] for p in _people(by_groups)}
    # Those found before GROUPS_FIRST_MIN waited were asked on their own (when depends on
    # timing); the rest were answered by the group's listing.
    assert len(people) == 100 and len(asked & people) < 50
    assert all(p["memberOf"] == [GROUP_AI] for p in _people(by_groups))
    _per_principal(monkeypatch)
    one_by_one, received = serve(HUB_20)
    assert not _listings(received) and len(_member_groups(received)) > 100
    assert _content(by_groups) == _content(one_by_one)
    assert len(by_groups.requests) < len(one_by_one.requests)


def test_a_foundry_resource_whose_people_hold_roles_directly_needs_no_membership_call(
    serve, monkeypatch
):
    """No group holds anything: every principal's memberOf is [] without one membership
    request, as getMemberGroups (asked 20 to a batch) says."""
    fixtures = big_foundry(10, 200, 100)
    by_groups, received = serve(fixtures, target=FOUNDRY)
    people = _people(by_groups)
    assert len(people) == 200 and all(p["memberOf"] == [] for p in people)
    assert len(_member_groups(received)) < 20 and not _listings(received)
    _per_principal(monkeypatch)
    one_by_one, received = serve(fixtures, target=FOUNDRY)
    assert len(_member_groups(received)) > 200
    assert _content(by_groups) == _content(one_by_one)


def test_a_group_listed_in_many_pages_gives_the_same_memberships(serve, monkeypatch):
    whole, _ = serve(HUB_20)
    monkeypatch.setattr(groups, "MEMBERS_PAGE", "7")
    paged, received = serve(HUB_20)
    pages = [r for r in _listings(received) if r.path == f"/v1.0/groups/{GROUP_AI}{MEMBERS}"]
    assert len(pages) == 15  # 100 people, 7 to a page
    assert _content(paged) == _content(whole)


def test_few_principals_keep_asking_each_principal(serve):
    """Below GROUPS_FIRST_MIN waiting principals, getMemberGroups reads every membership
    (a few batches in one wave): the complete lists, no listing."""
    collection, received = serve(big_hub(5, 1, people_per_project=2))
    assert not _listings(received)
    people = {p["id"] for p in _people(collection)}
    assert people and {r.path.split("/")[3] for r in _member_groups(received)} >= people


def test_a_refused_group_listing_falls_back_to_each_principal(serve):
    """403 on the group's members: getMemberGroups answers instead, so the snapshot is the
    one a run that never tried the groups' side would give (never "no groups")."""
    calm, _ = serve(HUB_20)
    faults = Faults(rules=[Faults.refuse(r"^GET /v1\.0/groups/.*/transitiveMembers$")])
    refused, received = serve(HUB_20, faults)
    assert _listings(received) and all(r.status == 403 for r in _listings(received))
    asked = {r.path.split("/")[3] for r in _member_groups(received)}
    assert {p["id"] for p in _people(refused)} <= asked
    assert _content(refused) == _content(calm)


@pytest.mark.parametrize("fault", ["forbidden", "without value", "gone"])
def test_memberships_neither_side_can_read_are_unknown_not_empty(serve, fault):
    listing = r"^GET /v1\.0/groups/.*/transitiveMembers$"
    member_groups = r"^POST /v1\.0/directoryObjects/.*/getMemberGroups$"
    faults = {
        "forbidden": Faults(rules=[Faults.refuse(listing), Faults.refuse(member_groups)]),
        "without value": Faults(without_value=[listing], rules=[Faults.refuse(member_groups)]),
        "gone": Faults(
            rules=[
                Faults.refuse(listing, "Request_ResourceNotFound", 404),
                Faults.refuse(member_groups),
            ]
        ),
    }[fault]
    collection, received = serve(HUB_20, faults)
    assert _listings(received)
    people = _people(collection)
    assert people and all(p["memberOf"] is None for p in people)
    refused = {
        e["scope"]
        for e in collection.snapshot.data["errors"]
        if e["operation"] == "Microsoft.Graph/directoryObjects/getMemberGroups"
        and e["status"] == 403
    }
    assert {p["id"] for p in people} <= refused


def test_a_listing_the_deadline_cuts_short_leaves_the_memberships_unknown(serve):
    faults = Faults(trickle=[r"^GET /v1\.0/groups/.*/transitiveMembers$"], trickle_interval=0.5)
    collection, received = serve(HUB_20, faults, timeout=3)
    # Those found before GROUPS_FIRST_MIN waited were asked on their own (when depends on
    # timing, as above): their getMemberGroups answered; the listing was for the others.
    asked = {r.path.split("/")[3] for r in _member_groups(received)}
    people = [p for p in _people(collection) if p["id"] not in asked]
    assert len(people) >= 50, "the groups' side was hardly used: the test proves little"
    assert all(p["memberOf"] is None for p in people)
    # The listing cut off at the deadline hands the people to getMemberGroups, which the
    # deadline no longer lets out: each membership is unknown, with a Timeout entry.
    timed_out = {e["scope"] for e in collection.snapshot.data["errors"] if e["code"] == "Timeout"}
    assert {p["id"] for p in people} <= timed_out


def _with_deny_excluding_a_group(fixtures: FixtureSet, members: list[str]) -> FixtureSet:
    """A deny assignment on the hub's resource group for everyone but EXCLUDED (a group that
    holds no role), whose members are `members`."""
    authorization = f"{RG}/providers/Microsoft.Authorization"
    deny = {
        "id": f"{RG}/providers/Microsoft.Authorization/denyAssignments/{_id('deny')}",
        "name": _id("deny"),
        "type": "Microsoft.Authorization/denyAssignments",
        "properties": {
            "denyAssignmentName": "locked",
            "description": "",
            "doNotApplyToChildScopes": False,
            "isSystemProtected": True,
            "permissions": [
                {"actions": ["*/write"], "notActions": [], "dataActions": [], "notDataActions": []}
            ],
            "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}],
            "excludePrincipals": [{"id": EXCLUDED, "type": "Group"}],
            "scope": RG,
        },
    }
    listing = next(
        e
        for e in fixtures.exchanges
        if e.path == f"{authorization}/denyAssignments" and "$filter" not in e.query
    )
    changed: list[Exchange] = [dataclasses.replace(listing, body={"value": [deny]})]
    for e in fixtures.exchanges:
        principal = e.path.split("/")[3] if e.path.endswith(GET_MEMBER_GROUPS) else None
        if principal in members:
            changed.append(dataclasses.replace(e, body={"value": [*e.body["value"], EXCLUDED]}))
        if e.by_ids:
            group = {"@odata.type": "#microsoft.graph.group", "id": EXCLUDED, "displayName": "x"}
            changed.append(dataclasses.replace(e, body={"value": [*e.body["value"], group]}))
    return fixtures.replaced(*changed)


def test_a_group_a_deny_assignment_excludes_is_listed_too(serve, monkeypatch):
    """Whether the deny applies to a person depends on their membership in EXCLUDED, which
    holds nothing: the groups' side lists it as well, and says what getMemberGroups says
    about it."""
    people = [p for p in (_id(f"user:{i}") for i in range(100))][:3]
    fixtures = _with_deny_excluding_a_group(HUB_20, people)
    by_groups, received = serve(fixtures)
    assert f"/v1.0/groups/{EXCLUDED}{MEMBERS}" in {r.path for r in _listings(received)}
    excluded = {p["id"] for p in _people(by_groups) if EXCLUDED in p["memberOf"]}
    assert excluded == set(people)
    _per_principal(monkeypatch)
    one_by_one, _ = serve(fixtures)
    assert _content(by_groups) == _content(one_by_one)


def _reader(waiting: int, groups_known: int, *, groups_first: bool = True) -> DirectoryReader:
    reader = DirectoryReader(None, groups_first=groups_first)
    for number in range(groups_known):
        key = _id(f"g{number}")
        reader.records[key] = Record(key, "Group")
    reader._groups.keys = [_id(f"p{n}") for n in range(waiting)]
    return reader


@pytest.mark.parametrize(
    ("waiting", "groups_known", "groups_first", "chosen"),
    [
        (150, 7, True, True),  # 7 listings against 8 batches
        (150, 8, True, False),  # as many listings as batches: no gain
        (99, 0, True, False),  # too few waiting
        (2000, 0, False, False),  # not asked for (the scan's directory)
    ],
)
def test_the_groups_side_is_chosen_only_when_it_costs_fewer_requests(
    waiting, groups_known, groups_first, chosen
):
    reader = _reader(waiting, groups_known, groups_first=groups_first)
    assert reader._choose_groups(len(reader._groups.keys)) is chosen


def test_a_listing_abandoned_at_the_deadline_leaves_its_principals_unknown():
    """The scheduler gave up on a listing still running: the principals it was answering
    get a Timeout entry for it and memberOf null, never the groups the others gave."""
    reader = _reader(0, 1)
    reader._mode = groups.GROUPS
    person = _id("someone")
    reader.records[person] = Record(person, "User", lookup="found", via_groups=True)
    reader._members = {_id("g0"): None}
    timeout = ApiError(None, "Timeout", "the --timeout of 1 s passed")
    assert reader.timed_out(reader.list_members, (_id("g0"),), timeout)
    entry = next(p for p in reader.principal_entries() if p["id"] == person)
    assert entry["memberOf"] is None
    assert (person, groups.GROUP_MEMBERS_READ, "Timeout") in {
        (e["scope"], e["operation"], e["code"]) for e in reader.error_entries()
    }


def test_a_group_a_deny_assignment_names_is_listed_only_for_a_whole_object_id() -> None:
    """The id becomes part of a Graph path: an object id with anything after it (a line
    break too) is not one, and is never listed."""
    from diagnose.collect.directory import DirectoryReader

    reader = DirectoryReader(None, groups_first=True)
    group = "0a1b2c3d-0000-4000-8000-00000000abcd"
    reader.named_group(0, group + "\n")
    reader.named_group(0, group + "/members")
    assert not reader._named_groups
    reader.named_group(0, group.upper())
    assert reader._named_groups == {group}
