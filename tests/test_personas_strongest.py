"""Personas.strongest (who uses a hub connection shared with every project) merges what the
workspaces share with what each classifies itself: it must give what merging every
workspace's people one by one gives (the strongest persona of each person, the first
workspace's of equals, in people() order), for any workspaces in any order, with personas
declared or not, and in focus."""

from __future__ import annotations

import random

import pytest

from benchmarks.synthetic import build
from diagnose.engine.api import PrincipalRef
from diagnose.engine.context import CheckContext
from diagnose.engine.personas import Classification, Declarations, Persona
from diagnose.model.model import Model
from diagnose.model.resources import Resource
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
