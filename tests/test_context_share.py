"""CheckContext.share_resources: a whole-plan round on a copy whose steps change role
assignments only takes what the first run worked out from the resources alone (the services
each workspace connects, the pairs of services that call each other); a copy whose resources
a step changed works them out again."""

from __future__ import annotations

from diagnose.checks._common import service_pairs, workspace_chain
from diagnose.demo import load_demo
from diagnose.engine.api import Remediation, RemediationKind
from diagnose.engine.context import CheckContext
from diagnose.model.model import Model
from diagnose.remediation.whole_plan import apply

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
