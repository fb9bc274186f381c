"""Personas.derived: the personas of a copy of a snapshot whose only changes are role
assignments, carried from the original's where the changes cannot reach (a whole-plan round).
Whatever it carries, it must answer exactly as personas judged afresh on the copy: the same
people, in the same order, with the same personas and evidence."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from benchmarks.synthetic import build, build_foundry, small_hub
from diagnose.demo import load_demo
from diagnose.engine.api import Remediation, RemediationKind
from diagnose.engine.context import CheckContext
from diagnose.engine.personas import FEW_AMONG, Persona, Personas
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.affected import Reach, touched
from diagnose.remediation.whole_plan import apply
from diagnose.snapshot import parse_snapshot

ROLES = "/providers/Microsoft.Authorization/roleDefinitions/"
AI_DEVELOPER = "64702f94-c441-49e6-a78b-ef80e0188fee"  # builds in a hub project
FOUNDRY_USER = "53ca6127-db72-4b80-b1b0-d745d6d5456d"  # builds in a Foundry project
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def _role(principal: str, role: str, scope: str) -> Remediation:
    return Remediation(
        kind=RemediationKind.ROLE_ASSIGNMENT,
        summary=f"{role} for {principal} at {scope}",
        principal_id=principal,
        principal_type="User",
        role_definition_id=ROLES + role,
        scope=scope,
    )


def _models() -> Iterator[tuple[str, Model]]:
    yield "demo", Model(load_demo())
    hub = small_hub(projects=4, assignments=500, seed=5)
    yield "synthetic", Model(parse_snapshot(hub, "synthetic"))
    foundry = build_foundry(projects=4, principals=120, assignments=200, resources=20, targets=3)
    yield "foundry", Model(parse_snapshot(foundry, "foundry"))


def _workspaces(model: Model) -> list[Resource]:
    ctx = CheckContext(model)
    return [w for _, w in [*ctx.workspaces(), *ctx.foundry_workspaces()]]


def _readers_of(personas: Personas, workspace: Resource) -> list[str]:
    return [c.principal.id for c in personas.people(workspace) if c.persona is Persona.READER]


def _groups_of_readers(model: Model, personas: Personas, workspace: Resource) -> list[str]:
    """Groups among a workspace's readers that have members: a role given to one changes the
    persona of others than the principal the step names."""
    directory = model.authorization.directory
    found = []
    for principal in _readers_of(personas, workspace):
        entry = directory.get(principal)
        if entry is not None and entry.type == "Group":
            members = [
                p
                for p in directory.principals
                if principal in directory.closure(p).via and p != principal
            ]
            if members:
                found.append(principal)
    return found


def _steps(model: Model, personas: Personas, workspaces: list[Resource]) -> list[Remediation]:
    """Steps that make readers builders: a group at the resource group above every workspace
    (its members too), a user on one project itself, and Reader for someone on the first
    workspace (evidence that changes, not the persona)."""
    building = (
        FOUNDRY_USER
        if any(w.type.lower().startswith("microsoft.cognitive") for w in workspaces)
        else AI_DEVELOPER
    )
    first, last = workspaces[0], workspaces[-1]
    steps = []
    groups = [g for w in workspaces for g in _groups_of_readers(model, personas, w)]
    if groups:
        rg = first.id.split("/providers/")[0]
        steps.append(_role(groups[0], building, rg))
    readers = _readers_of(personas, last)
    steps.append(_role(readers[0], building, last.id))
    steps.append(_role(readers[-1], READER, first.id))
    return steps


def _compare(
    model: Model, steps: list[Remediation], order: str, *, carried: bool = True
) -> tuple[int, int]:
    """Compare the derived personas with fresh ones on the patched copy, asking in the given
    order ("people" first, or "among" first); (people whose persona changed, lists reused)."""
    evaluator = Evaluator(model.authorization)
    origin = Personas(model, evaluator)
    workspaces = _workspaces(model)
    for workspace in workspaces:
        origin.people(workspace)
    patched = apply(model, steps)
    changes = touched(model, steps)
    assert changes is not None
    derived = origin.derived(patched, Evaluator(patched.authorization), Reach(model, changes))
    fresh = Personas(patched, Evaluator(patched.authorization))
    assert derived.carried is carried and not fresh.carried
    principals = frozenset(p.lower() for p in [*model.authorization.directory.principals, *changes])
    among = frozenset(sorted(principals)[::2] + [p.lower() for p in changes])
    if order == "among":
        # a few (FEW_AMONG): those the changes reach and one they do not, asked first
        reach = Reach(model, changes)
        others = sorted(principals - reach.touching)[:1]
        few = frozenset([*sorted(reach.touching)[: FEW_AMONG - 1], *others])
        for workspace in workspaces:
            assert derived.people_among(workspace, few) == fresh.people_among(workspace, few)
            assert derived.people_among(workspace, among) == fresh.people_among(workspace, among)
    changed = reused = 0
    for workspace in workspaces:
        mine = derived.people(workspace)
        theirs = fresh.people(workspace)
        assert mine == theirs, workspace.id
        assert [c.evidence for c in mine] == [c.evidence for c in theirs]
        reused += mine is origin.people(workspace)
        before = {c.principal.id: c for c in origin.people(workspace)}
        changed += sum(before.get(c.principal.id) != c for c in theirs)
        assert derived.people_among(workspace, among) == fresh.people_among(workspace, among)
        assert derived.among(mine, among) == [c for c in theirs if c.principal.id in among]
        for person in theirs[:20]:
            assert derived.of(workspace, person.principal.id) == person
    for personas in (frozenset({Persona.BUILDER}), frozenset({Persona.READER})):
        assert derived.first(workspaces, personas) == fresh.first(workspaces, personas)
    assert derived.strongest(workspaces) == fresh.strongest(workspaces)
    return changed, reused


@pytest.mark.parametrize("order", ["people", "among"])
def test_derived_personas_are_those_judged_afresh_on_the_copy(order: str) -> None:
    changed = 0
    for name, model in _models():
        workspaces = _workspaces(model)
        steps = _steps(model, Personas(model, Evaluator(model.authorization)), workspaces)
        found, _ = _compare(model, steps, order)
        assert found, name  # not vacuous: the steps changed someone's persona or evidence
        changed += found
    assert changed > 3


def test_a_list_no_step_is_at_is_the_one_before_and_the_others_are_judged_again() -> None:
    """A step on one project itself leaves every other workspace's list as it was (the same
    list), while the project's changes (its reader becomes a builder)."""
    model = next(m for name, m in _models() if name == "synthetic")
    workspaces = _workspaces(model)
    project = workspaces[-1]
    reader = _readers_of(Personas(model, Evaluator(model.authorization)), project)[0]
    changed, reused = _compare(model, [_role(reader, AI_DEVELOPER, project.id)], "people")
    assert changed  # the reader (and its members, for a group) now builds there
    assert reused == len(workspaces) - 1


def test_a_role_the_copy_defines_that_an_assignment_named_before_is_judged_again() -> None:
    """An assignment of a role the snapshot does not define makes a reader; a step that
    creates a custom role with that id makes its holder a builder, though no step changes the
    holder's assignments: nothing judged by the old definition is carried."""
    data = build(
        projects=2,
        connections=6,
        resources=6,
        principals=60,
        assignments=100,
        shared_connections=1,
        targets=(2, 1, 2),
        seed=9,
    )
    model = Model(parse_snapshot(data, "synthetic"))
    project = _workspaces(model)[-1]
    holder = _readers_of(Personas(model, Evaluator(model.authorization)), project)[0]
    unknown = "0d3f7c55-6d4c-4f0e-9c8e-5a3d1b2c4e6f"
    data["roleAssignments"].append(
        {
            "id": f"{project.id}/providers/Microsoft.Authorization/roleAssignments/x",
            "name": "x",
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {
                "roleDefinitionId": ROLES + unknown,
                "principalId": holder,
                "principalType": "User",
                "scope": project.id,
            },
        }
    )
    model = Model(parse_snapshot(data, "synthetic"))
    assert model.authorization.role(unknown) is None
    other = _readers_of(Personas(model, Evaluator(model.authorization)), project)[-1]
    step = dataclasses.replace(
        _role(other, unknown, project.id),
        value={
            "type": "Microsoft.Authorization/roleDefinitions",
            "name": unknown,
            "id": ROLES + unknown,
            "properties": {
                "roleName": "Builds",
                "permissions": [{"actions": ["Microsoft.MachineLearningServices/workspaces/*"]}],
                "assignableScopes": [project.id],
            },
        },
    )
    changed, _ = _compare(model, [step], "people", carried=False)
    assert changed >= 2  # the step's principal and the holder of the role before it
