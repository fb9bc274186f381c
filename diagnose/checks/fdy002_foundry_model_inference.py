from functools import partial

from diagnose.arm import types
from diagnose.checks._agents import project_identity
from diagnose.checks._common import CHAT_COMPLETIONS, EMBEDDINGS, FOUNDRY_USER
from diagnose.checks._people import builders, person_requirement
from diagnose.engine.api import Need, Operation, Requirement, Severity, check
from diagnose.engine.context import CheckContext, describe, lower_keys
from diagnose.engine.personas import Classification
from diagnose.model.resources import Resource

DOCS_FOUNDRY = "https://learn.microsoft.com/azure/foundry/concepts/rbac-foundry"
AGENTS_WRITE = Operation.data_action("Microsoft.CognitiveServices/accounts/AIServices/agents/write")
MAAS_CHAT = Operation.data_action(
    "Microsoft.CognitiveServices/accounts/MaaS/chat/completions/action"
)
MAAS_EMBEDDINGS = Operation.data_action(
    "Microsoft.CognitiveServices/accounts/MaaS/embeddings/action"
)
PROJECT_ONLY = (
    "Model inference is authorized at the Foundry resource, not at the project: a project-only "
    "role assignment doesn't authorize model inference."
)


@check(
    id="FDY002",
    title="Foundry project builders and identity can call the account's models",
    severity=Severity.HIGH,
    scenario="Foundry project, model inference",
    docs=(DOCS_FOUNDRY,),
)
def foundry_model_inference(ctx: CheckContext):
    """
    What it checks: for each Foundry project in scope, its builders (people holding a role on
    the project, its Foundry resource or above) and the project's managed identity hold, on the
    Foundry resource (the account), the inference data action of each model deployment the
    account has: Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action
    for a model in OpenAI format (embeddings/action for an embedding model), the
    accounts/MaaS/chat/completions/action (or MaaS/embeddings/action) of the model inference API
    for the others; chat completions when the deployments were not collected.

    Who needs it: a builder (Foundry User, Foundry Project Manager, Cognitive Services User, or
    Owner / Contributor / the hub-era Azure AI Developer on the project itself) without it is a
    failure, and one who holds Foundry User only on the project is told that a project-only
    assignment does not reach model inference. The project's managed identity needs it to run
    agents (a failure). Administrators are not asked here (FDY001 warns them once), nor readers
    (Reader, Foundry Agent Consumer) and app testers.

    Why it matters: agent work through the project endpoint is authorized at the project, but
    model inference is authorized at the account ("a project-only role assignment doesn't
    authorize model inference"): a builder with Foundry User on the project alone can create
    agents whose runs then fail calling the model with 401 PermissionDenied. That is why
    Microsoft's minimum setup assigns Foundry User on the account.

    How to fix: assign, on the Foundry resource (not the project), a role with the inference
    data action: the docs name Foundry User (formerly Azure AI User), which Microsoft's minimum
    setup assigns there; for OpenAI-format deployments Cognitive Services OpenAI User is the
    least role that grants it (Foundry User can also list the account's keys), and the fix
    proposes that, naming Foundry User as the docs' choice.
    """
    for account in ctx.foundry_accounts:
        operations = inference_operations(ctx, account)
        for project in ctx.foundry_projects(account):
            because = f"calls the models of {describe(account)} from {describe(project)}"
            # Said of everyone who holds the Foundry data actions on the project: made once.
            project_only = _project_only(project)
            users = builders(ctx, ctx.people(project))
            if users:
                yield Need(
                    users,
                    account,
                    operations,
                    partial(_builder, ctx, account, project, operations, because, project_only),
                )
            identity = project_identity(ctx, project)
            if identity is not None:
                yield Requirement(
                    principal=identity,
                    resource=account,
                    operations=operations,
                    because=f"runs the agents of {describe(project)}, which call the models of "
                    f"{describe(account)}",
                    roles=(FOUNDRY_USER,),
                    note=project_only if ctx.holds(identity.id, project.id, AGENTS_WRITE) else "",
                )


def _builder(
    ctx: CheckContext,
    account: Resource,
    project: Resource,
    operations: tuple[Operation, ...],
    because: str,
    project_only: str,
    user: Classification,
) -> Requirement:
    """A builder's requirement, with a note when it holds the Foundry data actions on the
    project alone."""
    requirement = person_requirement(
        user,
        account,
        operations,
        because,
        (FOUNDRY_USER,),
        note=project_only if ctx.holds(user.principal.id, project.id, AGENTS_WRITE) else None,
    )
    if requirement is None:
        raise TypeError(f"{user.principal.id} is not a builder of {describe(project)}")
    return requirement


def _project_only(project: Resource) -> str:
    return (
        f"It holds the Foundry data actions on {describe(project)}, which is not enough: "
        f"{PROJECT_ONLY}"
    )


def inference_operations(ctx: CheckContext, account: Resource) -> tuple[Operation, ...]:
    """The inference data action of each deployment of the account (in its order, once each);
    chat completions when no deployment was collected."""
    found: list[Operation] = []
    for deployment in ctx.model.children_of(account, types.COGNITIVE_DEPLOYMENT):
        model = lower_keys(deployment.prop("model"))
        openai = str(model.get("format") or "").lower() == "openai"
        embedding = "embed" in str(model.get("name") or "").lower()
        if openai:
            operation = EMBEDDINGS if embedding else CHAT_COMPLETIONS
        else:
            operation = MAAS_EMBEDDINGS if embedding else MAAS_CHAT
        if operation not in found:
            found.append(operation)
    return tuple(found) or (CHAT_COMPLETIONS,)
