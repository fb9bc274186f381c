from diagnose.checks._common import DOCS_HUB_RBAC, READER, WORKSPACE_READ
from diagnose.checks._error_texts import ABAC_CONDITION_NOT_FULFILLED, AUTHORIZATION_FAILED
from diagnose.engine.api import Requirement, Severity, Status, check
from diagnose.engine.context import CheckContext
from diagnose.engine.personas import Classification, Persona
from diagnose.model.resources import Resource

ADMINISTRATOR_NOTE = (
    "As an administrator of the project it manages it, but cannot open it in the portal "
    "without seeing its hub: a warning, not a failure."
)
READER_NOTE = (
    "A read-only person needs it only to look at the project, which loads its hub: a warning, "
    "not a failure (nothing a read-only person lacks is a failure)."
)


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
    What it checks: the people of every hub project (whoever holds a role on the project, its
    hub, its resource group, subscription or management groups, directly or through groups)
    hold Microsoft.MachineLearningServices/workspaces/read on the project's hub.

    Who needs it: everyone who opens the project. A builder (Azure AI Developer, AzureML Data
    Scientist, or Owner / Contributor on the project itself, or a builder role on the hub or
    above) without it is a failure: they cannot work in the project. An administrator
    (Owner, Contributor or Azure AI Administrator above the project) gets a warning: it
    manages rather than works there, and usually holds the read anyway. A reader gets a
    warning when it can open the project (holds workspaces/read on it, e.g. Reader on the
    project): it does need to see the hub to look at the project, and it is a read, but
    nothing a read-only person lacks is a failure. A reader that cannot open the project at
    all (a data role or the deployment role alone) is asked nothing, and service identities
    (managed identities, the Azure Machine Learning app) are never asked.

    Why it matters: a project is not an ARM child of its hub, so a role on the project does not
    reach the hub. The portal adds Reader on the hub when it grants project access, but grants
    made with the CLI, PowerShell, Bicep or Terraform do not, and the project then fails to load
    its hub's shared connections, compute and settings.

    How to fix: assign Reader on the hub to the member (to the group when access comes from a
    group).
    """
    for hub in ctx.hubs:
        # One requirement per person and hub: the strongest of its projects (the first on a tie).
        strongest: dict[str, Requirement] = {}
        sees_hub: dict[str, bool] = {}
        for project in ctx.projects(hub):
            for user in ctx.people(project):
                if user.persona is Persona.READER:
                    who = user.principal.id
                    if who in strongest:
                        continue  # a reader asked once per hub is asked as strongly as it can be
                    if who not in sees_hub:
                        sees_hub[who] = ctx.holds(who, hub.id, WORKSPACE_READ)
                    if sees_hub[who]:
                        continue  # most read at the resource group or above: nothing to ask
                known = strongest.get(user.principal.id)
                if known is not None and _rank(known) >= _persona_rank(user):
                    continue  # asked as strongly already: no need to state it again
                requirement = _sees_hub(ctx, user, hub, project)
                if requirement is None:
                    continue
                known = strongest.get(user.principal.id)
                if known is None or _rank(requirement) > _rank(known):
                    strongest[user.principal.id] = requirement
        yield from strongest.values()


def _rank(requirement: Requirement) -> int:
    return 1 if requirement.status_if_missing is Status.FAIL else 0


def _persona_rank(user: Classification) -> int:
    """The _rank of the requirement _sees_hub would state for this person, if any: known
    before building it (a person of 200 projects is asked once)."""
    return 1 if user.persona is Persona.BUILDER else 0


def _sees_hub(
    ctx: CheckContext, user: Classification, hub: Resource, project: Resource
) -> Requirement | None:
    if user.persona is Persona.BUILDER:
        status, because, note = Status.FAIL, f"works in project '{project.name}'", ""
    elif user.persona is Persona.ADMINISTRATOR:
        status, because, note = (
            Status.WARN,
            f"administers project '{project.name}'",
            ADMINISTRATOR_NOTE,
        )
    elif user.persona is Persona.READER and ctx.holds(
        user.principal.id, project.id, WORKSPACE_READ
    ):
        status, because, note = (
            Status.WARN,
            f"can open project '{project.name}' to look at it",
            READER_NOTE,
        )
    else:
        return None
    return Requirement(
        principal=user.principal,
        resource=hub,
        operations=(WORKSPACE_READ,),
        because=because,
        roles=(READER,),
        status_if_missing=status,
        subject=user.subject,
        persona=user,
        note=note,
    )
