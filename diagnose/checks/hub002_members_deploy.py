from diagnose.checks._common import (
    AI_INFERENCE_DEPLOYMENT_OPERATOR,
    DEPLOYMENT_WRITE,
    DOCS_HUB_RBAC,
)
from diagnose.checks._error_texts import ABAC_CONDITION_NOT_FULFILLED, AUTHORIZATION_FAILED
from diagnose.engine.api import Requirement, Severity, check
from diagnose.engine.context import CheckContext
from diagnose.model.scopes import resource_group_key


@check(
    id="HUB002",
    title="Project members can deploy in the project's resource group",
    severity=Severity.MEDIUM,
    scenario="Project member deploys",
    docs=(DOCS_HUB_RBAC,),
    people=True,
    explains=(ABAC_CONDITION_NOT_FULFILLED, AUTHORIZATION_FAILED),
)
def members_deploy(ctx: CheckContext):
    """
    What it checks: every member of a project holds Microsoft.Resources/deployments/write on the
    resource group that holds the project.

    Why it matters: deploying a model from a project creates an ARM deployment in the project's
    resource group. The portal grants Azure AI Inference Deployment Operator there when it adds a
    project member; grants made any other way skip it and deployments fail with
    AuthorizationFailed.

    How to fix: assign Azure AI Inference Deployment Operator on the project's resource group.
    """
    for hub in ctx.hubs:
        for project in ctx.projects(hub):
            group = resource_group_key(project.key)
            if group is None:
                continue
            scope = project.id[: len(group)]
            for member in ctx.members(project):
                yield Requirement(
                    principal=member,
                    resource=project,
                    operations=(DEPLOYMENT_WRITE,),
                    scope=scope,
                    because=f"is a member of project '{project.name}'",
                    roles=(AI_INFERENCE_DEPLOYMENT_OPERATOR,),
                )
