from diagnose.checks._common import FOUNDRY_USER
from diagnose.engine.api import ErrorText, Operation, Requirement, Severity, check
from diagnose.engine.context import CheckContext, describe
from diagnose.model.resources import COGNITIVE_PROJECT, USER_ASSIGNED_IDENTITY

AGENTS_WRITE = Operation.data_action("Microsoft.CognitiveServices/accounts/AIServices/agents/write")
DOCS_FOUNDRY = "https://learn.microsoft.com/azure/foundry/concepts/rbac-foundry"


FOUNDRY_DATA_ACTION_MISSING = ErrorText(
    "Foundry: principal lacks the required data action",
    "The principal X lacks the required data action A to perform ...",
    "Foundry projects (data plane)",
    "the caller has no role with this data action on the Foundry project or its account; "
    "Owner, Contributor and the Cognitive Services roles do not grant Foundry data actions",
    "assign Foundry User (formerly Azure AI User) on the project or the account",
    r"principal\s+[`'\"]?(?P<principal>[^`'\"\s]+)[`'\"]?\s+lacks the required data "
    r"action\s+[`'\"]?(?P<operation>[A-Za-z0-9./_\-]+)[`'\"]?"
    r"(?:.*?scope\s+[`'\"](?P<scope>/[^`'\"]+)[`'\"])?",
    data_action=True,
)


@check(
    id="FDY001",
    title="Foundry project users and identity can build and run",
    severity=Severity.HIGH,
    scenario="Foundry project, build and run",
    docs=(DOCS_FOUNDRY,),
    explains=(FOUNDRY_DATA_ACTION_MISSING,),
)
def foundry_project_users(ctx: CheckContext):
    """
    What it checks: for Foundry projects (Microsoft.CognitiveServices/accounts/projects), every
    principal with a role directly on the project or its account, and the project's managed
    identity, holds the Foundry data actions (for example
    Microsoft.CognitiveServices/accounts/AIServices/agents/write) on the project. The managed
    identities of the other resources in the snapshot and the Azure Machine Learning app are
    left out: they hold roles on the account for their own calls (vectorization, connection
    validation), which other checks cover.

    Why it matters: building agents and running evaluations in a Foundry project are data-plane
    calls; Owner, Contributor and the Cognitive Services roles do not grant them, and the error
    says "The principal ... lacks the required data action".

    How to fix: assign Foundry User (formerly Azure AI User) on the project or its account.
    """
    services = _service_identities(ctx)
    for project in sorted(ctx.model.of_type(COGNITIVE_PROJECT), key=lambda r: r.key):
        account = ctx.resource(project.parent_id)
        people = {m.id: m for m in ctx.members(project) if m.id not in services}
        if account is not None:
            for member in ctx.members(account):
                if member.id not in services:
                    people.setdefault(member.id, member)
        identity = ctx.identity(project)
        if identity is not None:
            people[identity.id] = identity
        for principal in sorted(people.values(), key=lambda p: (p.type, p.id)):
            yield Requirement(
                principal=principal,
                resource=project,
                operations=(AGENTS_WRITE,),
                because=f"builds and runs agents in {describe(project)}",
                roles=(FOUNDRY_USER,),
            )


def _service_identities(ctx: CheckContext) -> set[str]:
    """Object ids of the managed identities of the resources in the snapshot (system- and
    user-assigned) and of the Azure Machine Learning first-party app."""
    found: set[str] = set()
    for resource in ctx.model.resources.values():
        if resource.identity.system_principal_id:
            found.add(resource.identity.system_principal_id)
        found |= {p.lower() for p in resource.identity.user_assigned.values() if p}
        if resource.type == USER_ASSIGNED_IDENTITY and resource.prop("principalId"):
            found.add(str(resource.prop("principalId")).lower())
    app = ctx.first_party_app()
    if app is not None:
        found.add(app.id)
    return found
