import dataclasses
from collections.abc import Iterator

from diagnose.arm.types import APP_INSIGHTS, COGNITIVE_PROJECT
from diagnose.checks._common import READER, unknown_resource
from diagnose.checks._people import person_requirement
from diagnose.engine.api import Cause, Draft, Operation, Requirement, Severity, Status, check
from diagnose.engine.context import CheckContext, Connection, describe
from diagnose.engine.personas import Classification, Persona
from diagnose.model.resources import Resource

LOG_ANALYTICS_READER = "73c42c96-874c-492b-b04d-ab87d138a893"
LOG_ANALYTICS_DATA_READER = "3b03c2da-16b3-4a49-8834-0f8130efdd3b"
DOCS_TRACING = "https://learn.microsoft.com/azure/foundry-classic/how-to/develop/trace-application"
TRACING_CATEGORY = "appinsights"
APP_INSIGHTS_READ = (
    Operation.action("Microsoft.Insights/components/read"),
    Operation.action("Microsoft.Insights/components/query/read"),
)
WORKSPACE_READ = (
    Operation.action("Microsoft.OperationalInsights/workspaces/read"),
    Operation.action("Microsoft.OperationalInsights/workspaces/query/read"),
    Operation.action("Microsoft.OperationalInsights/workspaces/analytics/query/action"),
)
WORKSPACE_DATA_READ = (
    Operation.action("Microsoft.OperationalInsights/workspaces/read"),
    Operation.action("Microsoft.OperationalInsights/workspaces/query/read"),
    Operation.data_action("Microsoft.OperationalInsights/workspaces/tables/data/read"),
)
ACCESS_MODE = "enableLogAccessUsingOnlyResourcePermissions"
NOTE = "Tracing is optional: a missing grant is a warning, never a failure."


@check(
    id="INS002",
    title="Builders can view traces, and projects can evaluate them",
    severity=Severity.LOW,
    scenario="Tracing",
    docs=(DOCS_TRACING,),
)
def tracing_readers(ctx: CheckContext):
    """
    What it checks: for each Application Insights connection (category AppInsights: the
    resource a hub project or Foundry project sends its traces to), that the builders who use
    it can read the Application Insights component and query its linked Log Analytics workspace
    (properties.WorkspaceResourceId), and that the project's managed identity can read the
    component. On the workspace, Log Analytics Reader's query actions count, and so does Log
    Analytics Data Reader's table data action where the workspace lets resource permissions in
    (features.enableLogAccessUsingOnlyResourcePermissions true).

    Who needs it: the builders of the project (or of the projects a hub connection is shared
    with) who view traces: Log Analytics Reader on the Application Insights component and on
    its workspace (Log Analytics Data Reader on the workspace in the resource-permission access
    mode). The project's identity: Reader on the component, for trace evaluations. Every gap is
    a warning, since tracing is optional; readers and administrators are asked nothing. A
    component or workspace the snapshot lacks makes the answer unknown.

    Why it matters: the portal's tracing view queries the traces in the Log Analytics workspace
    behind Application Insights as the signed-in user, and evaluations of traces read the
    component as the project's identity: without these roles the tracing page stays empty or
    fails with an authorization error while the application keeps sending traces.

    How to fix: assign Log Analytics Reader on the Application Insights component and on its
    Log Analytics workspace to the builders (Log Analytics Data Reader on the workspace where
    its access mode uses resource permissions), and Reader on the component to the project's
    managed identity.
    """
    for connection in ctx.all_connections():
        if connection.category != TRACING_CATEGORY:
            continue
        component = _component(ctx, connection)
        if isinstance(component, Draft):
            yield component
            continue
        if component is None:
            continue
        builders = [u for u in ctx.connection_users(connection) if u.persona is Persona.BUILDER]
        because = f"views the traces {connection.label} sends to {describe(component)}"
        for user in builders:
            yield _warning(user, component, APP_INSIGHTS_READ, because, LOG_ANALYTICS_READER)
        yield from _workspace(ctx, component, builders, because)
        for project in _projects(ctx, connection):
            identity = ctx.identity(project)
            if identity is None:
                continue
            yield Requirement(
                principal=identity,
                resource=component,
                operations=APP_INSIGHTS_READ[:1],
                because=f"evaluates the traces of {describe(project)} in {describe(component)}",
                roles=(READER,),
                status_if_missing=Status.WARN,
                note=NOTE,
            )


def _component(ctx: CheckContext, connection: Connection) -> Resource | Draft | None:
    resource_id = connection.target_resource_id or (
        connection.target if connection.target.startswith("/") else None
    )
    found = ctx.target_of(connection) or ctx.resource(resource_id)
    if found is not None:
        return found if found.type == APP_INSIGHTS else None
    if resource_id is None:
        return Draft(
            status=Status.UNKNOWN,
            resource=connection.id,
            cause=Cause.UNREADABLE,
            message=f"The Application Insights resource of {connection.label} "
            f"({connection.target or '?'}) is not in the snapshot: who can view its traces "
            "cannot be told.",
        )
    return unknown_resource(ctx, resource_id, f"the Application Insights of {connection.label}")


def _workspace(
    ctx: CheckContext, component: Resource, builders: list[Classification], because: str
) -> Iterator[Requirement | Draft]:
    workspace_id = component.prop("WorkspaceResourceId")
    if not builders:
        return
    if not isinstance(workspace_id, str) or not workspace_id.startswith("/"):
        yield Draft(
            status=Status.UNKNOWN,
            resource=component.id,
            cause=Cause.UNREADABLE,
            message=f"{describe(component)[:1].upper()}{describe(component)[1:]} names no Log "
            "Analytics workspace in the snapshot (WorkspaceResourceId): whether the builders "
            "can query the traces it keeps there cannot be told.",
        )
        return
    workspace = ctx.resource(workspace_id)
    if workspace is None:
        yield unknown_resource(
            ctx, workspace_id, f"the Log Analytics workspace of {describe(component)}"
        )
        return
    resource_mode = workspace.prop("features", ACCESS_MODE) is True
    for user in builders:
        if all(ctx.holds(user.principal.id, workspace.id, op) for op in WORKSPACE_READ):
            continue
        if resource_mode:
            if all(ctx.holds(user.principal.id, workspace.id, op) for op in WORKSPACE_DATA_READ):
                continue
            yield _warning(user, workspace, WORKSPACE_DATA_READ, because, LOG_ANALYTICS_DATA_READER)
        else:
            yield _warning(user, workspace, WORKSPACE_READ, because, LOG_ANALYTICS_READER)


def _warning(
    user: Classification,
    resource: Resource,
    operations: tuple[Operation, ...],
    because: str,
    role: str,
) -> Requirement:
    requirement = person_requirement(user, resource, operations, because, (role,))
    if requirement is None:  # never for a builder; kept for the type checker
        raise ValueError(f"{user.principal.label} is no builder")
    return dataclasses.replace(requirement, status_if_missing=Status.WARN, note=NOTE)


def _projects(ctx: CheckContext, connection: Connection) -> list[Resource]:
    """The projects whose traces go through a connection: the project that owns it, or the
    projects a hub's (or Foundry resource's) connection is shared with."""
    owner = connection.workspace
    if owner.is_hub_project or owner.type == COGNITIVE_PROJECT:
        return [owner]
    children = ctx.projects(owner) if owner.is_hub else ctx.foundry_projects(owner)
    listed = set(connection.shared_with)
    return [
        child
        for child in children
        if connection.shared or child.key in listed or child.name.lower() in listed
    ]
