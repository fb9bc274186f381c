from functools import partial

from diagnose.checks._common import DOCS_HUB_RBAC, READER, WORKSPACE_READ
from diagnose.checks._error_texts import ABAC_CONDITION_NOT_FULFILLED, AUTHORIZATION_FAILED
from diagnose.engine.api import ErrorText, Need, Requirement, Severity, Status, check
from diagnose.engine.context import CheckContext
from diagnose.engine.errortexts import GUID
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

EXPIRED_AUTHENTICATION_TOKEN = ErrorText(
    "ExpiredAuthenticationToken",
    "ExpiredAuthenticationToken: The access token expiry UTC time '...' is earlier than current "
    "UTC time '...'.",
    "Azure Resource Manager (401)",
    "the caller sent a token that has expired (they last about an hour): a script or notebook "
    "kept one token instead of asking its credential for each call; no role is looked at",
    "sign in again (az login, Connect-AzAccount), and let the credential object hand out "
    "tokens (azure-identity renews them) instead of keeping one",
    r"ExpiredAuthenticationToken|access token expiry UTC time",
    no_role=True,
    related_findings=False,
)

TOKEN_FROM_ANOTHER_TENANT = ErrorText(
    "InvalidAuthenticationTokenTenant",
    "InvalidAuthenticationTokenTenant: The access token is from the wrong issuer "
    "'https://sts.windows.net/<tenant>/'. It must match the tenant "
    "'https://sts.windows.net/<tenant>/' associated with this subscription.",
    "Azure Resource Manager (401)",
    "the token was issued by another tenant than the subscription's: a guest user, or a "
    "session signed in to its home tenant, or a subscription recently moved to another tenant "
    "(the move can take up to an hour to be seen); the roles it holds in the subscription's "
    "tenant are never looked at with it",
    "sign in to the subscription's tenant, the one the message names: az login --tenant "
    "<tenant> (Connect-AzAccount -Tenant <tenant>); a credential in code takes the tenant too",
    r"\A(?=.*?(?:InvalidAuthenticationTokenTenant|access token is from the wrong issuer))"
    r"(?=(?:.*?must match the tenant\s+'https?://[^/']+/(?P<tenant>" + GUID + r"))?)",
    no_role=True,
    related_findings=False,
)


@check(
    id="HUB001",
    title="Project members can see the hub",
    severity=Severity.MEDIUM,
    scenario="Project member sees the hub",
    docs=(DOCS_HUB_RBAC,),
    people=True,
    explains=(
        ABAC_CONDITION_NOT_FULFILLED,
        AUTHORIZATION_FAILED,
        EXPIRED_AUTHENTICATION_TOKEN,
        TOKEN_FROM_ANOTHER_TENANT,
    ),
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
        projects = ctx.projects(hub)
        for project in projects:
            ctx.about_people(project)  # the people of every project are this check's to tell
        # One requirement per person and hub: the strongest of its projects (the first on a
        # tie), found from what the projects share, not person by person in every project.
        chosen = _strongest(ctx, hub, projects)
        if chosen:
            first = sorted(chosen.values(), key=lambda e: (e[0], ctx.personas.order(e[1])))
            yield Need(
                [user for _, user in first],
                hub,
                (WORKSPACE_READ,),
                partial(_stated, ctx, hub, projects, chosen),
            )


def _strongest(
    ctx: CheckContext, hub: Resource, projects: list[Resource]
) -> dict[str, tuple[int, Classification]]:
    """Who is asked, and in which project (its index) as whom: a builder in the first
    project where it builds (a failure); else a warning in the first project it administers
    or, when it cannot see the hub, the first it can open as a reader."""
    personas = ctx.personas
    builders = personas.first(projects, frozenset({Persona.BUILDER}))
    administrators = personas.first(projects, frozenset({Persona.ADMINISTRATOR}))
    readers = personas.first(projects, frozenset({Persona.READER}))
    chosen = dict(builders)
    for principal, entry in administrators.items():
        chosen.setdefault(principal, entry)
    # Readers who see the hub (most: the portal gives project members Reader on it) are asked
    # nothing; the others where they can open a project before any they administer.
    others = [p for p in readers if p not in builders]
    seeing = ctx.holding(others, hub.id, WORKSPACE_READ)
    for principal in others:
        if principal in seeing:
            continue
        known = administrators.get(principal)
        for index in range(readers[principal][0], known[0] if known else len(projects)):
            user = personas.of(projects[index], principal)
            if (
                user is not None
                and user.persona is Persona.READER
                and ctx.holds(principal, projects[index].id, WORKSPACE_READ)
            ):
                chosen[principal] = (index, user)
                break
    return chosen


def _stated(
    ctx: CheckContext,
    hub: Resource,
    projects: list[Resource],
    chosen: dict[str, tuple[int, Classification]],
    user: Classification,
) -> Requirement:
    index, person = chosen[user.principal.id]
    requirement = _sees_hub(ctx, person, hub, projects[index])
    if requirement is None:
        raise TypeError(f"{user.principal.id} is asked nothing about {hub.name}")
    return requirement


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
