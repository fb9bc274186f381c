from functools import partial

from diagnose.checks._common import (
    AI_INFERENCE_DEPLOYMENT_OPERATOR,
    DEPLOYMENT_WRITE,
    DOCS_HUB_RBAC,
)
from diagnose.checks._error_texts import ABAC_CONDITION_NOT_FULFILLED, AUTHORIZATION_FAILED
from diagnose.engine.api import Need, Requirement, Severity, check
from diagnose.engine.context import CheckContext
from diagnose.engine.personas import Classification, Persona
from diagnose.model.resources import Resource
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
        projects = ctx.projects(hub)
        groups: dict[str, list[int]] = {}
        for index, project in enumerate(projects):
            ctx.about_people(project)  # the people of every project are this check's to tell
            group = resource_group_key(project.key)
            if group is not None:
                groups.setdefault(group, []).append(index)
        # One grant on a resource group covers all its projects: each builder is asked in the
        # first project of the group where it builds (found from what the projects share).
        asked: dict[int, list[Classification]] = {}
        for indexes in groups.values():
            builders = ctx.personas.first(
                [projects[i] for i in indexes], frozenset({Persona.BUILDER})
            )
            for position, user in builders.values():
                asked.setdefault(indexes[position], []).append(user)
        for index, project in enumerate(projects):
            users = sorted(asked.get(index, ()), key=ctx.personas.order)
            if not users:
                continue
            group = resource_group_key(project.key)
            assert group is not None
            scope = project.id[: len(group)]
            yield Need(
                users, project, (DEPLOYMENT_WRITE,), partial(_deploys, project, scope), scope=scope
            )


def _deploys(project: Resource, scope: str, user: Classification) -> Requirement:
    return Requirement(
        principal=user.principal,
        resource=project,
        operations=(DEPLOYMENT_WRITE,),
        scope=scope,
        because=f"deploys models from project '{project.name}'",
        roles=(AI_INFERENCE_DEPLOYMENT_OPERATOR,),
        subject=user.subject,
        persona=user,
    )
