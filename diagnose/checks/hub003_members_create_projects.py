from diagnose.checks._common import AZURE_AI_DEVELOPER, DOCS_HUB_RBAC, HUB_JOIN
from diagnose.checks._error_texts import AUTHORIZATION_FAILED
from diagnose.engine.api import Operation, Requirement, Severity, Status, check
from diagnose.engine.context import CheckContext

WORKING_OPERATIONS = (
    Operation.action("Microsoft.MachineLearningServices/workspaces/computes/write"),
    Operation.action("Microsoft.MachineLearningServices/workspaces/connections/write"),
    Operation.action("Microsoft.MachineLearningServices/workspaces/jobs/write"),
)


@check(
    id="HUB003",
    title="Hub builders can create projects",
    severity=Severity.LOW,
    scenario="Create a project",
    docs=(DOCS_HUB_RBAC,),
    people=True,
    explains=(AUTHORIZATION_FAILED,),
)
def members_create_projects(ctx: CheckContext):
    """
    What it checks: principals that hold a working (not read-only) role directly on a hub, or
    are eligible through PIM for a role on the hub that allows creating projects, hold
    Microsoft.MachineLearningServices/workspaces/hubs/join/action on it.

    Why it matters: creating a project from a hub needs hubs/join on the hub. Team leads who
    build at hub level usually mean to create projects; without hubs/join the portal hides the
    button or fails with AuthorizationFailed. (A warning: some teams deliberately keep
    developers from creating projects.)

    How to fix: assign Azure AI Developer on the hub, which grants hubs/join without the right to
    create hubs or manage permissions; or activate the eligible assignment.
    """
    authz = ctx.model.authorization
    for hub in ctx.hubs:
        builders: dict[str, tuple[str | None, str]] = {}
        for assignment in ctx.assignments_at(hub):
            if any(ctx.role_grants(assignment.role_id, op) for op in WORKING_OPERATIONS):
                builders[assignment.principal_id] = (
                    assignment.principal_type,
                    f"builds on hub '{hub.name}' with a working role there",
                )
        ancestors = set(ctx.model.tree.ancestors(hub.key))
        for eligible in authz.eligibilities:
            if eligible.scope_key in ancestors and ctx.role_grants(eligible.role_id, HUB_JOIN):
                builders.setdefault(
                    eligible.principal_id,
                    (
                        eligible.principal_type,
                        f"is eligible for a role on hub '{hub.name}' that creates projects",
                    ),
                )
        for principal_id, (kind, because) in sorted(builders.items()):
            entry = authz.directory.get(principal_id)
            if entry is not None and entry.deleted:
                continue
            yield Requirement(
                principal=ctx.principal(principal_id, kind or "User"),
                resource=hub,
                operations=(HUB_JOIN,),
                because=because,
                roles=(AZURE_AI_DEVELOPER,),
                status_if_missing=Status.WARN,
            )
