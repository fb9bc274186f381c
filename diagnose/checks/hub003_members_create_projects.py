import dataclasses

from diagnose.checks._common import AZURE_AI_DEVELOPER, DOCS_HUB_RBAC, HUB_JOIN
from diagnose.checks._error_texts import AUTHORIZATION_FAILED, REQUEST_DISALLOWED_BY_POLICY
from diagnose.engine.api import Operation, Requirement, Severity, Status, check
from diagnose.engine.context import CheckContext
from diagnose.engine.personas import Classification, Persona
from diagnose.model.resources import Resource

WORKING_OPERATIONS = (
    Operation.action("Microsoft.MachineLearningServices/workspaces/computes/write"),
    Operation.action("Microsoft.MachineLearningServices/workspaces/connections/write"),
    Operation.action("Microsoft.MachineLearningServices/workspaces/jobs/write"),
)
NOTE = "A warning, not a failure: some teams deliberately keep builders from creating projects."


@check(
    id="HUB003",
    title="Hub builders can create projects",
    severity=Severity.LOW,
    scenario="Create a project",
    docs=(DOCS_HUB_RBAC,),
    people=True,
    explains=(AUTHORIZATION_FAILED, REQUEST_DISALLOWED_BY_POLICY),
)
def members_create_projects(ctx: CheckContext):
    """
    What it checks: the builders of a hub (whoever holds a builder role on the hub, its
    resource group, subscription or management groups, directly or through groups, or a role
    there that creates compute, connections or jobs in the hub), and the principals eligible
    through PIM for a role on the hub or above that allows creating projects, hold
    Microsoft.MachineLearningServices/workspaces/hubs/join/action on it.

    Who needs it: builders of the hub (Azure AI Developer, AzureML Data Scientist, Owner or
    Contributor on the hub itself, or a custom role that works in the hub), and people eligible
    for such a role: a builder without it gets a warning, since some teams deliberately keep
    developers from creating projects. A reader (Reader on the hub, which the portal adds for
    every project member, or an auditor at the resource group) creates nothing and is asked
    nothing. An administrator (Owner, Contributor or Azure AI Administrator above the hub)
    manages the hub and already holds hubs/join through its role; it is not asked. Service
    identities are never asked.

    Why it matters: creating a project from a hub needs hubs/join on the hub. Team leads who
    build at hub level usually mean to create projects; without hubs/join the portal hides the
    button or fails with AuthorizationFailed.

    How to fix: assign Azure AI Developer on the hub, which grants hubs/join without the right to
    create hubs or manage permissions; or activate the eligible assignment.
    """
    authz = ctx.model.authorization
    for hub in ctx.hubs:
        asked: set[str] = set()
        people = ctx.people(hub)
        workers = _working(ctx, people, hub)
        for user in people:
            builder = _as_builder(ctx, user, hub, workers)
            if builder is None:
                continue
            asked.add(user.principal.id)
            yield Requirement(
                principal=builder.principal,
                resource=hub,
                operations=(HUB_JOIN,),
                because=f"builds on hub '{hub.name}'",
                roles=(AZURE_AI_DEVELOPER,),
                status_if_missing=Status.WARN,
                subject=f"{builder.principal.label}, {builder.reason},",
                persona=builder,
                note=NOTE,
            )
        ancestors = set(ctx.model.tree.ancestors(hub.key))
        for eligible in sorted(authz.eligibilities, key=lambda e: e.principal_id):
            principal_id = eligible.principal_id
            if principal_id in asked or eligible.scope_key not in ancestors:
                continue
            if ctx.personas.service_identity(principal_id) is not None:
                continue
            if not ctx.role_grants(eligible.role_id, HUB_JOIN):
                continue
            entry = authz.directory.get(principal_id)
            if entry is not None and entry.deleted:
                continue
            asked.add(principal_id)
            yield Requirement(
                principal=ctx.principal(principal_id, eligible.principal_type or "User"),
                resource=hub,
                operations=(HUB_JOIN,),
                because=f"is eligible for a role on hub '{hub.name}' that creates projects",
                roles=(AZURE_AI_DEVELOPER,),
                status_if_missing=Status.WARN,
                note=NOTE,
            )


def _working(ctx: CheckContext, people: list[Classification], hub: Resource) -> set[str]:
    """The ids of the readers among `people` (_as_builder asks about them) who hold one of
    WORKING_OPERATIONS on the hub, as ctx.holds says of each: asked in bulk (a hub has
    thousands of readers, almost none of whom holds one)."""
    left = [u.principal.id for u in people if u.persona is Persona.READER and not u.declared]
    found: set[str] = set()
    for op in WORKING_OPERATIONS:
        if not left:
            break
        holding = ctx.holding(left, hub.id, op)
        found |= holding
        left = [p for p in left if p not in holding]
    return found


def _as_builder(
    ctx: CheckContext, user: Classification, hub: Resource, workers: set[str]
) -> Classification | None:
    """The builder a person is to the hub: a builder persona; a reader whose roles create
    compute, connections or jobs in the hub (a custom working role, not read-only: its id is
    in `workers`, see _working); else None."""
    if user.persona is Persona.BUILDER:
        return user
    if user.persona is not Persona.READER or user.declared:
        return None
    if user.principal.id not in workers:
        return None
    working = tuple(
        e for e in user.evidence if any(ctx.role_grants(e.role_id, op) for op in WORKING_OPERATIONS)
    )
    return dataclasses.replace(user, persona=Persona.BUILDER, evidence=working or user.evidence)
