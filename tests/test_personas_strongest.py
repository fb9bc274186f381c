"""Personas.strongest (who uses a hub connection shared with every project), first and of
work from what the workspaces share and what each classifies itself: they must give what
walking every workspace's people one by one gives (for strongest, the strongest persona of
each person, the first workspace's of equals, in people() order), for any workspaces in any
order, with personas declared or not, and in focus; and HUB001 and HUB002, which use them,
report what their one-by-one versions reported."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator

import pytest

from benchmarks.synthetic import build
from diagnose.checks._common import WORKSPACE_READ
from diagnose.checks.hub001_members_read_hub import _sees_hub, members_read_hub
from diagnose.checks.hub002_members_deploy import _deploys, members_deploy
from diagnose.engine.api import PrincipalRef, Requirement, Status
from diagnose.engine.context import CheckContext
from diagnose.engine.personas import Classification, Declarations, Persona
from diagnose.engine.runner import Engine
from diagnose.jsonable import to_jsonable
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.model.scopes import resource_group_key
from diagnose.snapshot import parse_snapshot


def one_by_one(ctx: CheckContext, places: list[Resource]) -> list[Classification]:
    """The merge as it was written first: every person of every workspace, in order."""
    best: dict[str, Classification] = {}
    for place in places:
        for person in ctx.people(place):
            known = best.get(person.principal.id)
            if known is None or person.persona.rank > known.persona.rank:
                best[person.principal.id] = person
    return sorted(best.values(), key=ctx.personas.order)


def small_hub(seed: int) -> Model:
    data = build(
        projects=8,
        connections=60,
        resources=40,
        principals=160,
        assignments=2500,
        shared_connections=4,
        targets=(3, 2, 3),
        broken=0.3,
        seed=seed,
    )
    return Model(parse_snapshot(data, f"synthetic-{seed}"))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_strongest_is_the_one_by_one_merge(seed: int) -> None:
    model = small_hub(seed)
    rng = random.Random(seed)
    people = [p.id for p in model.authorization.directory.principals.values()]
    declared = {pid: rng.choice(list(Persona)[:3]) for pid in rng.sample(people, 12)}
    for declarations in (None, Declarations(personas=declared)):
        ctx = CheckContext(model, declarations=declarations)
        reference = CheckContext(model, declarations=declarations)
        hub = ctx.hubs[0]
        places = [hub, *ctx.projects(hub)]
        assert len(places) == 9
        orders = [places, places[::-1], rng.sample(places, 5), rng.sample(places, 3)]
        for order in orders:
            got = ctx.personas.strongest(order)
            assert got == one_by_one(reference, order)
            assert len({c.principal.id for c in got}) == len(got)
        # Some project classifies people itself, or the test would prove little.
        assert any(split.own for split in ctx.personas._splits.values())


def test_strongest_in_focus_is_the_one_by_one_merge() -> None:
    model = small_hub(4)
    someone = next(iter(model.authorization.directory.principals.values()))
    focus = Declarations(focus=(PrincipalRef(someone.id, someone.type, someone.display_name),))
    ctx = CheckContext(model, declarations=focus)
    hub = ctx.hubs[0]
    places = [hub, *ctx.projects(hub)]
    assert ctx.personas.strongest(places) == one_by_one(ctx, places)
    assert [c.principal.id for c in ctx.personas.strongest(places)] == [someone.id]


def first_one_by_one(
    ctx: CheckContext, places: list[Resource], personas: frozenset[Persona]
) -> dict[str, tuple[int, Classification]]:
    found: dict[str, tuple[int, Classification]] = {}
    for index, place in enumerate(places):
        for person in ctx.people(place):
            if person.persona in personas:
                found.setdefault(person.principal.id, (index, person))
    return found


@pytest.mark.parametrize("seed", [1, 2])
def test_first_and_of_are_what_walking_every_workspace_finds(seed: int) -> None:
    model = small_hub(seed)
    rng = random.Random(seed)
    ctx = CheckContext(model)
    hub = ctx.hubs[0]
    places = [hub, *ctx.projects(hub)]
    for order in (places, places[::-1], rng.sample(places, 4)):
        for personas in (
            frozenset({Persona.BUILDER}),
            frozenset({Persona.READER}),
            frozenset({Persona.ADMINISTRATOR, Persona.BUILDER}),
        ):
            assert ctx.personas.first(order, personas) == first_one_by_one(ctx, order, personas)
    everyone = {c.principal.id for place in places for c in ctx.people(place)}
    for place in places:
        listed = {c.principal.id: c for c in ctx.people(place)}
        for principal in everyone:
            assert ctx.personas.of(place, principal) is listed.get(principal)


def hub001_one_by_one(ctx: CheckContext) -> Iterator[Requirement]:
    """HUB001 as it was written first (before Needs): every project's people, one by one."""
    rank = {Status.FAIL: 1}
    for hub in ctx.hubs:
        strongest: dict[str, Requirement] = {}
        sees_hub: dict[str, bool] = {}
        for project in ctx.projects(hub):
            for user in ctx.people(project):
                if user.persona is Persona.READER:
                    who = user.principal.id
                    if who in strongest:
                        continue
                    if who not in sees_hub:
                        sees_hub[who] = ctx.holds(who, hub.id, WORKSPACE_READ)
                    if sees_hub[who]:
                        continue
                known = strongest.get(user.principal.id)
                if known is not None and rank.get(known.status_if_missing, 0) >= (
                    1 if user.persona is Persona.BUILDER else 0
                ):
                    continue
                requirement = _sees_hub(ctx, user, hub, project)
                if requirement is None:
                    continue
                known = strongest.get(user.principal.id)
                if known is None or rank.get(requirement.status_if_missing, 0) > rank.get(
                    known.status_if_missing, 0
                ):
                    strongest[user.principal.id] = requirement
        yield from strongest.values()


def hub002_one_by_one(ctx: CheckContext) -> Iterator[Requirement]:
    """HUB002 as it was written first: every project's builders, one by one."""
    for hub in ctx.hubs:
        asked: set[tuple[str, str]] = set()
        for project in ctx.projects(hub):
            group = resource_group_key(project.key)
            if group is None:
                continue
            for user in ctx.people(project):
                if user.persona is not Persona.BUILDER or (user.principal.id, group) in asked:
                    continue
                asked.add((user.principal.id, group))
                yield _deploys(project, project.id[: len(group)], user)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hub001_and_hub002_report_what_the_one_by_one_checks_report(seed: int) -> None:
    model = small_hub(seed)
    for new, old in ((members_read_hub, hub001_one_by_one), (members_deploy, hub002_one_by_one)):
        reference = dataclasses.replace(new, run=old)
        got, expected = Engine(model).run([new]), Engine(model).run([reference])
        assert got.check_errors == expected.check_errors == ()
        assert [to_jsonable(f) for f in got.findings] == [to_jsonable(f) for f in expected.findings]
        assert (got.requirements, got.met) == (expected.requirements, expected.met)
        assert got.requirements > 10


@pytest.mark.parametrize("seed", [1, 2])
def test_only_is_the_filtered_list(seed: int) -> None:
    model = small_hub(seed)
    ctx = CheckContext(model)
    hub = ctx.hubs[0]
    for place in [hub, *ctx.projects(hub)]:
        people = ctx.people(place)
        for personas in (
            frozenset({Persona.BUILDER}),
            frozenset({Persona.BUILDER, Persona.ADMINISTRATOR}),
            frozenset({Persona.READER}),
        ):
            expected = [p for p in people if p.persona in personas]
            assert ctx.personas.only(people, personas) == expected
            assert ctx.personas.only(list(people), personas) == expected  # not people()'s
