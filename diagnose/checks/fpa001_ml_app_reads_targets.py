from diagnose.arm.types import WORKSPACE
from diagnose.checks._common import DOCS_HUB_RBAC, READER
from diagnose.engine.api import (
    Cause,
    Draft,
    ErrorText,
    Operation,
    Requirement,
    Severity,
    Status,
    check,
)
from diagnose.engine.context import AZURE_ML_APP_ID, CheckContext, Connection
from diagnose.model.resources import Resource

NETWORK_SERVICE_CANNOT_CHECK = ErrorText(
    "Network Service cannot check resource",
    "Network Service does not have permission to check resource",
    "Azure AI Foundry portal (connections)",
    "the Azure Machine Learning first-party application cannot read the connected resource",
    "assign Reader on the connected resource to the Azure Machine Learning application",
    r"Network Service does not have permission to check resource",
)


@check(
    id="FPA001",
    title="The Azure Machine Learning app can read connected resources",
    severity=Severity.LOW,
    scenario="Connection validation in the portal",
    docs=(DOCS_HUB_RBAC,),
    explains=(NETWORK_SERVICE_CANNOT_CHECK,),
)
def ml_app_reads_targets(ctx: CheckContext):
    """
    What it checks: the Azure Machine Learning first-party application (appId
    0736f41a-0425-4b46-bdb5-1563eff02385) holds read access on every ARM resource a hub's or
    hub project's connection points to. Connections of Foundry resources and Foundry projects
    are left out: the first-party app's validation is the hub portal's.

    Who needs it: the Azure Machine Learning first-party application's service principal
    (appId 0736f41a-0425-4b46-bdb5-1563eff02385), never a person: the portal validates
    connections as this application. Missing read access is a warning, not a failure: it
    breaks the portal's check of the connection, not the calls made through it. The
    application missing from the snapshot makes the answer unknown.

    Why it matters: the portal validates connections as this application; without read access
    it reports "Network Service does not have permission to check resource" and may refuse to
    save the connection.

    How to fix: assign Reader on the connected resource to the Azure Machine Learning
    application's service principal.
    """
    targets: dict[str, tuple[Resource, Connection]] = {}
    for connection in ctx.all_connections():
        if connection.workspace.type != WORKSPACE:
            continue  # a Foundry resource's or project's connection: no hub portal validation
        target = ctx.target_of(connection)
        if target is not None:
            targets.setdefault(target.key, (target, connection))
    if not targets:
        return
    app = ctx.first_party_app()
    if app is None:
        yield Draft(
            status=Status.UNKNOWN,
            resource=ctx.hubs[0].id if ctx.hubs else "/",
            cause=Cause.UNREADABLE,
            message="The service principal of the Azure Machine Learning application "
            f"(appId {AZURE_ML_APP_ID}) is not in the snapshot, so its read "
            "access to connected resources cannot be checked.",
        )
        return
    for target, connection in targets.values():
        provider_type = target.raw.get("type") or target.type
        yield Requirement(
            principal=app,
            resource=target,
            operations=(Operation.action(f"{provider_type}/read"),),
            because=f"validates {connection.label} in the portal",
            roles=(READER,),
            status_if_missing=Status.WARN,
        )
