from diagnose.checks._common import DOCS_HUB_RBAC, READER, WORKSPACE_READ
from diagnose.checks._error_texts import ABAC_CONDITION_NOT_FULFILLED, AUTHORIZATION_FAILED
from diagnose.engine.api import Requirement, Severity, check
from diagnose.engine.context import CheckContext


@check(
    id="HUB001",
    title="Project members can see the hub",
    severity=Severity.MEDIUM,
    scenario="Project member sees the hub",
    docs=(DOCS_HUB_RBAC,),
    people=True,
    explains=(ABAC_CONDITION_NOT_FULFILLED, AUTHORIZATION_FAILED),
)
def members_read_hub(ctx: CheckContext):
    """
    What it checks: every user, group or service principal with a role on a project also holds
    Microsoft.MachineLearningServices/workspaces/read on the project's hub.

    Why it matters: a project is not an ARM child of its hub, so a role on the project does not
    reach the hub. The portal adds Reader on the hub when it grants project access, but grants
    made with the CLI, PowerShell, Bicep or Terraform do not, and the project then fails to load
    its hub's shared connections, compute and settings.

    How to fix: assign Reader on the hub to the member (to the group when access comes from a
    group).
    """
    for hub in ctx.hubs:
        for project in ctx.projects(hub):
            for member in ctx.members(project):
                yield Requirement(
                    principal=member,
                    resource=hub,
                    operations=(WORKSPACE_READ,),
                    because=f"is a member of project '{project.name}'",
                    roles=(READER,),
                )
