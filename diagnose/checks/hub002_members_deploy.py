from diagnose.checks._common import (
    AI_INFERENCE_DEPLOYMENT_OPERATOR,
    DEPLOYMENT_WRITE,
    DOCS_HUB_RBAC,
)
from diagnose.checks._error_texts import ABAC_CONDITION_NOT_FULFILLED, AUTHORIZATION_FAILED
from diagnose.engine.api import Requirement, Severity, check
from diagnose.engine.context import CheckContext
from diagnose.engine.personas import Persona
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
    What it checks: the builders of every hub project (whoever holds a builder role on the
    project, its hub, its resource group or above, directly or through groups) hold
    Microsoft.Resources/deployments/write on the resource group that holds the project.

    Who needs it: builders only (Azure AI Developer, AzureML Data Scientist, or Owner /
    Contributor on the project itself, or a builder role on the hub or above): deploying a
    model is their work, and a builder without it is a failure. A reader (Reader on the
    project or the hub, an auditor at the resource group) never deploys and is asked nothing.
    An administrator (Owner, Contributor or Azure AI Administrator above the project) is asked
    nothing either: at the resource group or above its role already grants deployments/*, and
    one that manages the hub alone is not a project member; deploying from the project would
    make it a builder (give it a role on the project, or declare it with --personas).

    Why it matters: deploying a model from a project creates an ARM deployment in the project's
    resource group. The portal grants Azure AI Inference Deployment Operator there when it adds a
    project member; grants made any other way skip it and deployments fail with
    AuthorizationFailed. A builder role on the project or the hub grants deployments/* only
    there, not on the resource group.

    How to fix: assign Azure AI Inference Deployment Operator on the project's resource group.
    """
    for hub in ctx.hubs:
        asked: set[tuple[str, str]] = set()  # (principal, resource group): one grant covers all
        for project in ctx.projects(hub):
            group = resource_group_key(project.key)
            if group is None:
                continue
            scope = project.id[: len(group)]
            for user in ctx.people(project):
                if user.persona is not Persona.BUILDER or (user.principal.id, group) in asked:
                    continue
                asked.add((user.principal.id, group))
                yield Requirement(
                    principal=user.principal,
                    resource=project,
                    operations=(DEPLOYMENT_WRITE,),
                    scope=scope,
                    because=f"deploys models from project '{project.name}'",
                    roles=(AI_INFERENCE_DEPLOYMENT_OPERATOR,),
                    subject=user.subject,
                    persona=user,
                )
