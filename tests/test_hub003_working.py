"""HUB003 asks in bulk which readers of a hub hold a working operation there
(hub003._working, issue 15: a hub has thousands of readers): the same readers as asking
ctx.holds of each, for readers who hold the first, only a later one, or none of the operations."""

from __future__ import annotations

from diagnose.checks.hub003_members_create_projects import WORKING_OPERATIONS, _working
from diagnose.engine.personas import Persona
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.snapshot import parse_snapshot
from tests import arm
from tests.test_people_checks import add_person, fixture, grant, rg_of, rid


def test_working_readers_are_those_holds_finds() -> None:
    data = fixture("HUB003/pass")
    hub_id = rid(data, "hub-fixture")
    holders = {}
    for index, operation in enumerate(WORKING_OPERATIONS):
        role = arm.custom_role(f"Only {index}", actions=[operation.name])
        data["roleDefinitions"].append(role)
        person = add_person(data, arm.guid(f"working:{index}"), f"Worker {index}")
        grant(data, hub_id, person, arm.READER)
        grant(data, rg_of(data), person, role["name"])
        holders[person] = index
    idle = add_person(data, arm.guid("working:idle"), "Idle Reader")
    grant(data, hub_id, idle, arm.READER)

    model = Model(parse_snapshot(data))
    ctx = Engine(model).context
    [hub] = ctx.hubs
    people = ctx.people(hub)
    readers = [u for u in people if u.persona is Persona.READER and not u.declared]
    expected = {
        u.principal.id
        for u in readers
        if any(ctx.holds(u.principal.id, hub.id, op) for op in WORKING_OPERATIONS)
    }
    # not vacuous: readers holding only the first, only the second operation; one holding none
    # (a role with jobs/write alone makes a builder, not a reader)
    assert {p for p, index in holders.items() if index < 2} <= expected, (holders, expected)
    assert idle in {u.principal.id for u in readers} and idle not in expected
    assert _working(ctx, people, hub) == expected
