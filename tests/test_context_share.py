"""CheckContext.share_resources: a whole-plan round on a copy whose steps change role
assignments only takes what the first run worked out from the resources alone (the services
each workspace connects, the pairs of services that call each other); a copy whose resources
a step changed works them out again."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.synthetic import build_foundry
from diagnose.arm.types import COGNITIVE_PROJECT, COSMOS_SQL_ROLE_DEFINITION
from diagnose.checks import _agents
from diagnose.checks._common import service_pairs, workspace_chain
from diagnose.demo import load_demo
from diagnose.engine.api import Remediation, RemediationKind
from diagnose.engine.context import CheckContext
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.affected import Outputs, Reach
from diagnose.remediation.plan import FixPlan
from diagnose.remediation.proof import cosmos_assignments_for
from diagnose.remediation.whole_plan import apply, converge
from diagnose.snapshot import parse_snapshot

READER = "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"


def _worked_out(ctx: CheckContext) -> list[object]:
    return [
        service_pairs(ctx, "ai", "search"),
        *(workspace_chain(ctx, w) for _, w in ctx.workspaces()),
        ctx.all_connections(),
    ]


def _search_connection(ctx: CheckContext) -> str:
    return next(c.id for c in ctx.all_connections() if c.category == "cognitivesearch")


def test_a_copy_whose_steps_change_roles_only_shares_what_the_resources_give() -> None:
    model = Model(load_demo())
    first = CheckContext(model)
    before = _worked_out(first)
    assert before[0]  # not vacuous: the demo's Azure OpenAI calls its Search service
    principal = next(iter(model.authorization.directory.principals))
    step = Remediation(
        kind=RemediationKind.ROLE_ASSIGNMENT,
        summary="Reader",
        principal_id=principal,
        role_definition_id=READER,
        scope=model.hubs[0].id,
    )
    copy = CheckContext(apply(model, [step]))
    copy.share_resources(first)
    shared = _worked_out(copy)
    assert all(mine is theirs for mine, theirs in zip(shared, before, strict=True))
    assert _worked_out(CheckContext(apply(model, [step]))) == before


def test_a_copy_whose_step_changes_a_resource_works_it_out_again() -> None:
    """Switching the hub's Search connection to a key: Azure OpenAI no longer calls Search
    with its identity, so the pair goes; the first run's pairs must not be taken."""
    model = Model(load_demo())
    first = CheckContext(model)
    before = _worked_out(first)
    step = Remediation(
        kind=RemediationKind.CONFIGURATION,
        summary="Use a key",
        resource=_search_connection(first),
        setting="properties.authType",
        value="ApiKey",
    )
    copy = CheckContext(apply(model, [step]))
    copy.share_resources(first)
    assert service_pairs(copy, "ai", "search") == []
    assert _worked_out(copy) == _worked_out(CheckContext(apply(model, [step])))
    assert _worked_out(copy) != before


def _worked_out_foundry(ctx: CheckContext) -> list[Any]:
    return [
        *(
            workspace_chain(ctx, w)
            for _, w in ctx.foundry_workspaces()
            if w.type == COGNITIVE_PROJECT
        ),
        ctx.all_connections(),
    ]


def _foundry_and_sql_step() -> tuple[Model, Remediation, CheckContext]:
    """A small Foundry resource whose plan adds Cosmos DB SQL role assignments (AGT002)."""
    model = Model(parse_snapshot(build_foundry(projects=4, principals=60, targets=2, broken=0.5)))
    engine = Engine(model, fixes=FixPlan)
    result = engine.run(load_checks()[0])
    step = next(
        fix
        for finding in result.findings
        for fix in finding.remediations
        if fix.kind == RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT
    )
    return model, step, engine.context


def test_a_copy_with_sql_role_assignments_added_shares_what_the_resources_give() -> None:
    """Cosmos DB SQL role assignments are resources, but nothing worked out from the resources
    alone, nor a workspace's people, reads them: a whole-plan round that adds some (and role
    assignments) starts from the first run's."""
    model, step, first = _foundry_and_sql_step()
    before = _worked_out_foundry(first)
    assert all(chain.search for chain in before[:-1]) and before[-1]  # not vacuous
    patched = apply(model, [step])
    assert patched.resources is not model.resources  # the assignment is a resource of the copy
    assert patched.resources_basis is model.resources
    assert apply(model, [step, step]).resources_basis is model.resources
    copy = CheckContext(patched)
    copy.share_resources(first)
    shared = _worked_out_foundry(copy)
    assert all(mine is theirs for mine, theirs in zip(shared, before, strict=True))
    workspace = first.foundry_projects()[0]
    people = first.personas.people(workspace)
    reach = Reach(model, {})
    derived = first.personas.derived(patched, Evaluator(patched.authorization), reach)
    assert derived.carried
    assert derived.people(workspace) is people


def test_a_copy_with_another_resource_changed_has_resources_of_its_own() -> None:
    model, step, _ = _foundry_and_sql_step()
    patched = apply(model, [step])
    project = next(r for r in model.resources.values() if r.type == COGNITIVE_PROJECT)
    definition = next(r for r in model.resources.values() if r.type == COSMOS_SQL_ROLE_DEFINITION)
    changed = {**project.raw, "tags": {"changed": "yes"}}
    for copy in (
        model.with_resource(changed),
        patched.with_resource(changed),
        patched.with_resources([changed, step_raw(step)]),
        patched.with_resource({**definition.raw, "properties": {}}),  # no assignment
        model.with_resource({**definition.raw, "id": f"{definition.id}0"}),  # a new one
    ):
        assert copy.resources_basis is copy.resources
        assert copy.resources_basis is not model.resources


def step_raw(step: Remediation) -> dict[str, Any]:
    return cosmos_assignments_for([step])[0]


def test_the_agent_setups_are_worked_out_once_for_the_proofs_and_rounds_of_sql_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A project's agent setup reads its capability host, connections and their targets: a
    proof of a Cosmos DB SQL role assignment (AGT002 run again on a copy with it) and a
    whole-plan round whose steps are role and SQL role assignments take the first run's."""
    calls: list[str] = []
    setup = _agents._setup

    def counted(ctx: CheckContext, project: Resource) -> object:
        calls.append(project.key)
        return setup(ctx, project)

    monkeypatch.setattr(_agents, "_setup", counted)
    model = Model(parse_snapshot(build_foundry(projects=4, principals=60, targets=2, broken=0.5)))
    engine = Engine(model, fixes=FixPlan)
    outputs = Outputs()
    result = engine.run(outputs.wrap(load_checks()[0], engine.context))
    proofs = [
        fix
        for finding in result.findings
        for fix in finding.remediations
        if fix.kind == RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT
    ]
    assert proofs and all(fix.verified for fix in proofs)  # proven: AGT002 ran on copies
    projects = len(engine.context.foundry_projects())
    assert sorted(calls) == sorted(set(calls)) and len(calls) == projects
    whole = converge(
        model, result, FixPlan, evaluator=engine.evaluator, met=engine.met, outputs=outputs
    )
    assert whole.rounds >= 1 and any(
        s.remediation.kind == RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT for s in whole.steps
    )
    assert len(calls) == projects


def _rebuilt(model: Model) -> Model:
    """The same model with its indexes of resources built again from its resources."""
    fresh = object.__new__(Model)
    fresh.__dict__.update(
        {
            k: v
            for k, v in model.__dict__.items()
            if k not in ("hubs", "_connections_by_parent", "_children_by_parent", "_cosmos")
        }
    )
    return fresh


def test_a_copy_adding_sql_role_assignments_has_the_indexes_a_fresh_build_would() -> None:
    """Its children, Cosmos DB accounts, hubs and connections are the original's with the new
    assignments added (no index is built again): exactly what building them over the copy's
    resources gives."""
    model, step, _ = _foundry_and_sql_step()
    projects = [r for r in model.resources.values() if r.type == COGNITIVE_PROJECT]
    account = model.resource(projects[0].parent_id)
    assert account is not None
    before = model.children_of(account, COGNITIVE_PROJECT)
    assert model.cosmos.accounts and model.hubs == [] and before
    grants = cosmos_assignments_for([step])
    other = {
        **grants[0],
        "id": grants[0]["id"][:-1] + "0",
        "properties": {**grants[0]["properties"], "principalId": projects[1].identity.principal_id},
    }
    for copy in (apply(model, [step]), model.with_resources([*grants, other])):
        fresh = _rebuilt(copy)
        assert copy.cosmos is not model.cosmos
        assert copy.cosmos.accounts == fresh.cosmos.accounts
        assert copy.cosmos.accounts != model.cosmos.accounts  # not vacuous: one has them
        for resource in copy.resources.values():
            for child_type in {r.type for r in copy.resources.values()}:
                assert copy.children_of(resource, child_type) == fresh.children_of(
                    resource, child_type
                )
        assert copy.hubs == fresh.hubs
        assert copy.connections_of(projects[0]) == fresh.connections_of(projects[0])
        again = copy.with_resources([other])  # new to the first copy, replaced in the second
        assert again.cosmos.accounts == _rebuilt(again).cosmos.accounts


def test_a_resources_identity_is_kept_with_the_resource_it_was_made_from() -> None:
    """CheckContext.identity is worked out once per resource of the run (four checks ask it of
    every Foundry project): asked again of the same resource, the same answer; asked of
    another resource object with the same id (a patched copy's, whose identity a step changed,
    or removed), that resource's own."""
    data = build_foundry(projects=3, principals=40, assignments=50)
    model = Model(parse_snapshot(data))
    ctx = CheckContext(model)
    project = next(r for r in model.resources.values() if r.type == COGNITIVE_PROJECT.lower())
    first = ctx.identity(project)
    assert first is not None and ctx.identity(project) is first
    other_id = "0000aaaa-1111-2222-3333-444455556666"
    changed = Resource.from_arm(
        {**project.raw, "identity": {"type": "SystemAssigned", "principalId": other_id}}
    )
    assert changed.key == project.key
    now = ctx.identity(changed)
    assert now is not None and now.id == other_id
    removed = Resource.from_arm({**project.raw, "identity": {"type": "None"}})
    assert ctx.identity(removed) is None
    assert ctx.identity(project) == first
