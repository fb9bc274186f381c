"""personas._placed puts a workspace's people together in one pass of slices: the shared
people less some positions, with the workspace's own put in their places. It must give what
the way it replaced gives, deleting those positions and then inserting each of its own in turn
at bisect_left of its key, for any positions and keys (a later one of equal keys before an
earlier one, one equal to a shared person's before it). And a workspace's list is put
together only when asked for: Personas.strongest, first, of and among work from the splits."""

from __future__ import annotations

import bisect

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.synthetic import small_hub as small
from diagnose.engine.context import CheckContext
from diagnose.engine.personas import Persona, _placed
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.snapshot import parse_snapshot
from tests.test_personas_strongest import one_by_one, small_hub


def sequential(
    people: list[str], keys: list[int], drop: list[int], own: list[tuple[int, str]]
) -> list[str]:
    people, keys = list(people), list(keys)
    for index in sorted(drop, reverse=True):
        del people[index], keys[index]
    for key, item in own:
        index = bisect.bisect_left(keys, key)
        keys.insert(index, key)
        people.insert(index, item)
    return people


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[str], list[int], list[int], list[tuple[int, str]]]:
    keys = sorted(draw(st.sets(st.integers(0, 60), max_size=30)))
    people = [f"shared{k}" for k in keys]
    drop = sorted(draw(st.sets(st.integers(0, len(keys) - 1), max_size=len(keys))) if keys else [])
    own_keys = draw(st.lists(st.integers(-1, 61), max_size=12))
    return people, keys, drop, [(k, f"own{n}") for n, k in enumerate(own_keys)]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(cases())
def test_placed_is_delete_then_insert_each(
    case: tuple[list[str], list[int], list[int], list[tuple[int, str]]],
) -> None:
    people, keys, drop, own = case
    assert _placed(people, keys, drop, own) == sequential(people, keys, drop, own)  # type: ignore[arg-type]


def test_equal_keys_go_as_inserted_one_by_one() -> None:
    people, keys = ["a", "b", "c"], [1, 3, 5]
    own = [(3, "x"), (3, "y"), (0, "z"), (6, "w")]
    assert _placed(people, keys, [2], own) == ["z", "a", "y", "x", "b", "w"]  # type: ignore[arg-type]
    assert sequential(people, keys, [2], own) == ["z", "a", "y", "x", "b", "w"]


def test_merges_of_workspaces_put_no_list_together() -> None:
    model = small_hub(2)
    ctx = CheckContext(model)
    reference = CheckContext(model)
    hub = ctx.hubs[0]
    places = [hub, *ctx.projects(hub)]
    personas = ctx.personas
    assert personas.strongest(places) == one_by_one(reference, places)
    builders = personas.first(places, frozenset({Persona.BUILDER}))
    assert builders
    for principal, (index, person) in builders.items():
        assert personas.of(places[index], principal) == person
    among = frozenset(list(builders)[:3])
    assert personas.people_among(places[1], among) == [
        p for p in reference.people(places[1]) if p.principal.id in among
    ]
    assert not personas._people  # every answer from the splits: no list of people made
    assert len(personas._splits) == len(places)
    assert personas.people(places[1]) == reference.people(places[1])  # made once asked


def test_a_carried_round_asks_a_project_connection_only_about_its_few() -> None:
    """With personas carried from the round before (Personas.derived), the users of a project's
    own connection, for the few principals a round asks about, are those few among its people
    (from the project's split), not its whole list."""
    model = small_hub(3)
    first = CheckContext(model)
    reference = CheckContext(model)
    hub = first.hubs[0]
    projects = first.projects(hub)
    first.personas.strongest([hub, *projects])  # the first run's splits
    ctx = CheckContext(model)
    ctx.personas = first.personas.derived(model, ctx.personas.evaluator, _NoChanges())
    assert ctx.personas.carried
    owned = [c for p in projects for c in ctx.connections(p) if c.workspace.key == p.key]
    assert owned
    for connection in owned:
        everyone = reference.connection_users(connection)
        few = frozenset(c.principal.id.lower() for c in everyone[::3])
        ctx.only_principals = few
        got = ctx.connection_users(connection)
        assert got == [c for c in everyone if c.principal.id.lower() in few]
        assert len(got) < len(everyone)
    assert not ctx.personas._people  # no project's whole list was put together


class _NoChanges:
    scopes: frozenset[str] = frozenset()

    def reaching(self, principal: str) -> frozenset[str]:
        return frozenset()


def test_the_users_of_a_connection_as_some_personas_are_those_of_its_users() -> None:
    """CheckContext.connection_users_as: for a project's own connection, from the project's
    split; for any other, from connection_users' list; with only_principals, the few."""
    model = small_hub(1)
    ctx = CheckContext(model)
    reference = CheckContext(model)
    asked = frozenset({Persona.BUILDER, Persona.ADMINISTRATOR})
    built = frozenset({Persona.BUILDER})
    hub = ctx.hubs[0]
    connections = [c for w in [hub, *ctx.projects(hub)] for c in ctx.connections(w)]
    owned = [c for c in connections if c.workspace.key != hub.key and not c.shared_with]
    assert owned and len(owned) < len(connections)
    for connection in connections:
        users = reference.connection_users(connection)
        assert ctx.connection_users_as(connection, asked) == [
            u for u in users if u.persona in asked
        ]
        assert ctx.connection_users_as(connection, built, everyone=True) == [
            u for u in users if u.persona in built
        ]
    projects = {c.workspace.key for c in owned}
    assert projects.isdisjoint(ctx.personas._people)  # their lists never put together
    few = frozenset(u.principal.id.lower() for u in reference.connection_users(owned[0])[::2])
    ctx.only_principals = reference.only_principals = few
    assert ctx.connection_users_as(owned[0], asked) == [
        u for u in reference.connection_users(owned[0]) if u.persona in asked
    ]


def test_a_run_puts_no_projects_list_of_people_together() -> None:
    """A full run of every check on a hub lists no project's people whole (the checks about
    them ask through splits: strongest, first, only_of, people_among, about_people)."""

    model = small_hub(1)
    engine = Engine(model)
    checks, _ = load_checks()
    result = engine.run(checks)
    assert result.findings
    ctx = engine.context
    projects = {p.key for hub in ctx.hubs for p in ctx.projects(hub)}
    assert projects and len(engine.context.personas._splits) > len(projects)
    assert projects.isdisjoint(engine.context.personas._people)


def test_a_project_connection_whose_shared_user_list_names_a_reader_makes_it_a_builder() -> None:
    """sharedUserList names a principal who only reads the project: connection_users_as takes
    it as connection_users does (a builder of the connection), not from the project's split."""

    data = small(seed=7)
    model = Model(parse_snapshot(data, "plain"))
    ctx = CheckContext(model)
    hub = ctx.hubs[0]
    project = ctx.projects(hub)[0]
    reader = next(p for p in ctx.people(project) if p.persona is Persona.READER)
    connection = next(c for c in ctx.connections(project) if c.workspace.key == project.key)
    for resource in data["resources"]:
        if resource["id"].lower() == connection.id.lower():
            resource["properties"]["sharedUserList"] = [reader.principal.id]
    model = Model(parse_snapshot(data, "listed"))
    ctx = CheckContext(model)
    listed = next(c for c in ctx.connections(project) if c.id.lower() == connection.id.lower())
    builders = ctx.connection_users_as(listed, frozenset({Persona.BUILDER}), everyone=True)
    assert reader.principal.id in {b.principal.id for b in builders}
