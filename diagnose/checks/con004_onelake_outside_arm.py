from diagnose.checks._common import DOCS_HUB_RBAC, ONELAKE_CATEGORIES, connections_of_category
from diagnose.engine.api import Cause, Draft, Severity, Status, check
from diagnose.engine.context import CheckContext


@check(
    id="CON004",
    title="OneLake connections are authorized outside Azure RBAC",
    severity=Severity.INFO,
    scenario="OneLake connection",
    docs=(DOCS_HUB_RBAC,),
)
def onelake_outside_arm(ctx: CheckContext):
    """
    What it checks: lists every Microsoft OneLake connection.

    Who needs it: the people who use the connection, as for any connection: the builders of
    the project that owns it (Azure AI Developer, AzureML Data Scientist, or Owner /
    Contributor on the project), or, for a hub connection, the builders of the hub and of the
    projects it is shared with. Each of them needs Contributor on the Microsoft Fabric
    workspace the connection points to (the role the docs name; Member and Admin include it);
    readers need nothing. The grant lives in Fabric, where this tool cannot look, so no persona
    makes it a failure or a warning: every OneLake connection is reported as info, for someone
    who can open the Fabric workspace's "Manage access" to confirm.

    Why it matters: access to OneLake is granted in the Microsoft Fabric workspace, not with
    Azure role assignments, so this tool cannot see or verify it. A user without access to the
    Fabric workspace gets errors that no Azure role fixes.

    How to fix: in Microsoft Fabric, give the connection's users the Contributor role on the
    Fabric workspace.
    """
    for connection in connections_of_category(ctx, ONELAKE_CATEGORIES):
        yield Draft(
            status=Status.INFO,
            resource=connection.id,
            cause=Cause.OUTSIDE_ARM,
            message=f"The OneLake {connection.label} points to {connection.target or '?'}. "
            "Its users need Contributor on the Microsoft Fabric workspace, which Azure "
            "role assignments do not show: check it in Fabric.",
            details={"target": connection.target},
        )
