from functools import partial

from diagnose.checks._agents import project_identity
from diagnose.checks._common import CHAT_COMPLETIONS, FOUNDRY_USER
from diagnose.checks._people import ASKED, asked, person_requirement
from diagnose.engine.api import ErrorText, Need, Operation, Requirement, Severity, check
from diagnose.engine.context import CheckContext, describe, describe_scope
from diagnose.engine.personas import Classification, Persona, PersonaEvidence
from diagnose.model.authorization import Assignment
from diagnose.model.resources import Resource

AGENTS_WRITE = Operation.data_action("Microsoft.CognitiveServices/accounts/AIServices/agents/write")
DOCS_FOUNDRY = "https://learn.microsoft.com/azure/foundry/concepts/rbac-foundry"

# What makes a role a hub-era build role: it works in hub workspaces (jobs) without managing
# them, like Azure AI Developer and AzureML Data Scientist.
_HUB_BUILD = Operation.action("Microsoft.MachineLearningServices/workspaces/jobs/write")
_HUB_MANAGE = Operation.action("Microsoft.MachineLearningServices/workspaces/write")


FOUNDRY_DATA_ACTION_MISSING = ErrorText(
    "Foundry: principal lacks the required data action",
    "The principal X lacks the required data action A to perform ...",
    "Foundry projects (data plane)",
    "the caller has no role with this data action on the Foundry project or its account. "
    "Owner, Contributor, Foundry Account Owner and Reader grant no data actions, the Azure "
    "OpenAI roles only accounts/OpenAI/*, and the hub-era Azure AI Developer accounts/OpenAI/* "
    "but none of accounts/AIServices/* (agents); Foundry User and Cognitive Services User carry "
    "identical Microsoft.CognitiveServices/* data actions, and either grants it",
    "assign Foundry User (formerly Azure AI User) on the project or the account",
    r"principal\s+[`'\"]?(?P<principal>[^`'\"\s]+)[`'\"]?\s+lacks the required data "
    r"action\s+[`'\"]?(?P<operation>[A-Za-z0-9./_\-]+)[`'\"]?"
    r"(?:.*?scope\s+[`'\"](?P<scope>/[^`'\"]+)[`'\"])?",
    data_action=True,
    roles=(FOUNDRY_USER,),
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
    What it checks: for Foundry projects (Microsoft.CognitiveServices/accounts/projects), the
    builders and administrators among the people holding a role on the project, its account,
    its resource group or above (directly or through groups), and the project's managed
    identity, hold the Foundry data actions (for example
    Microsoft.CognitiveServices/accounts/AIServices/agents/write) on the project. The managed
    identities of the other resources in the snapshot and the Azure Machine Learning app are
    left out: they hold roles on the account for their own calls (vectorization, connection
    validation), which other checks cover.

    Who needs it: a builder (Foundry User, Foundry Project Manager, Cognitive Services User:
    roles that grant the Foundry data actions) holds them by definition, so a builder fails
    only where something takes them away (a deny assignment) or when declared one
    (--personas, --principal). A person whose only builder role on the project or its account
    is a hub-era one (Azure AI Developer, AzureML Data Scientist) is a builder with the wrong
    role: a failure that says so. An administrator (Owner, Contributor, Foundry Account Owner,
    Azure AI Administrator) gets a warning: it manages the account, and cannot build agents
    with Entra ID; Foundry Account Owner is an administrator wherever it is assigned, on the
    project itself too. A reader (Reader, Foundry Agent Consumer, which only calls published
    agent endpoints, a data role alone) and an app tester (who only holds Foundry Agent
    Consumer, or a role only at a published agent's own scope, below the project) are asked
    nothing. The project's managed identity (system-assigned, else user-assigned) needs them to
    run agents: a failure. Only the projects in scope are looked at (the target Foundry
    project, or those of the target Foundry resource).

    Why it matters: building agents and running evaluations in a Foundry project are data-plane
    calls; Owner, Contributor, Foundry Account Owner and Reader grant no data actions, the
    Azure OpenAI roles only accounts/OpenAI/*, and the hub-era Azure AI Developer grants
    accounts/OpenAI/* (with Speech, Content Safety and MaaS) but none of accounts/AIServices/*,
    so no agents: the error says "The principal ... lacks the required data action". Foundry
    User and Cognitive Services User carry identical Microsoft.CognitiveServices/* data
    actions.

    How to fix: assign Foundry User (formerly Azure AI User) on the project or its account
    (model inference is authorized at the account).
    """
    for project in ctx.foundry_projects():
        account = ctx.resource(project.parent_id)
        because = f"builds and runs agents in {describe(project)}"
        holding = _hub_era_holding(ctx, project, account)
        people = ctx.people(project)
        # Builders and administrators are asked, and a reader whose hub-era role makes it a
        # builder here (almost no one holds one: looked up only where someone does).
        users = (
            [
                u
                for u in people
                if u.persona in ASKED
                or (not u.declared and _hub_era_roles(ctx, u.principal.id, holding))
            ]
            if holding
            else asked(ctx, people)
        )
        if users:
            yield Need(
                users,
                project,
                (AGENTS_WRITE,),
                partial(_project_user, ctx, project, because, holding),
            )
        identity = project_identity(ctx, project)
        if identity is not None:
            yield Requirement(
                principal=identity,
                resource=project,
                operations=(AGENTS_WRITE,),
                because=f"runs the agents of {describe(project)}",
                roles=(FOUNDRY_USER,),
            )


Holding = list[tuple[Resource, dict[str, list[Assignment]]]]
"""The project, then its account, each with who holds a hub-era build role there (principal id
-> its assignments of such roles there, in the snapshot's order); places where none does are
left out."""


def _project_user(
    ctx: CheckContext, project: Resource, because: str, holding: Holding, user: Classification
) -> Requirement:
    """What a person of the project needs to build there: a builder's or an administrator's
    requirement, and a builder's with a note for one whose role is a hub-era one."""
    hub_era = _hub_era_roles(ctx, user.principal.id, holding) if holding else ()
    if hub_era and user.persona is not Persona.BUILDER and not user.declared:
        user = Classification(user.principal, Persona.BUILDER, hub_era[:3])
    requirement = person_requirement(
        user,
        project,
        (AGENTS_WRITE,),
        because,
        (FOUNDRY_USER,),
        note=_wrong_role(ctx, hub_era) if hub_era else None,
    )
    if requirement is None:
        raise TypeError(f"{user.principal.id} is asked nothing in {describe(project)}")
    return requirement


def _hub_era_holding(ctx: CheckContext, project: Resource, account: Resource | None) -> Holding:
    """Who holds a hub-era build role on the project and on its account: each scope's table is
    built once per run (an account's is shared by all its projects), and thousands of people
    are then looked up against them, almost none of whom holds such a role."""
    holding: Holding = []
    for place in (project, account):
        if place is None:
            continue
        table = ctx.memo(("hub-era holders at", place.key), partial(_holders_at, ctx, place))
        if table:
            holding.append((place, table))
    return holding


def _hub_era_roles(
    ctx: CheckContext, principal_id: str, holding: Holding
) -> tuple[PersonaEvidence, ...]:
    """The hub-era build roles (they work in hub workspaces without managing them, and grant
    no Foundry agents data action) a principal holds on the project or its account, directly
    or through groups. Those held at the resource group or above are taken as meant for the
    hub workspaces there, not for this project.

    In the order Authorization.held_at finds them: the principal's groups in closure order,
    then the project before the account (holding's order), then the snapshot's order."""
    authz = ctx.model.authorization
    closure = authz.directory.closure(principal_id).via
    if all(closure.keys().isdisjoint(table.keys()) for _, table in holding):
        return ()
    found: list[PersonaEvidence] = []
    for member, via in closure.items():
        for place, table in holding:
            for assignment in table.get(member, ()):
                role = authz.role(assignment.role_id)
                assert role is not None  # _holders_at keeps only known roles
                found.append(
                    PersonaEvidence(
                        role.name,
                        role.id,
                        assignment.scope,
                        via,
                        where=describe_scope(place.key, place),
                    )
                )
    return tuple(found)


def _holders_at(ctx: CheckContext, place: Resource) -> dict[str, list[Assignment]]:
    """Principal id -> its assignments of a hub-era build role made directly on this scope, in
    the snapshot's order."""
    authz = ctx.model.authorization
    # Whether a role is hub-era, once per role for the run (a Foundry resource has thousands
    # of assignments of a few roles).
    judged: dict[str, bool] = ctx.memo("hub-era roles", dict)
    found: dict[str, list[Assignment]] = {}
    for assignment in authz.assignments_by_scope.get(place.key, ()):
        role_id = assignment.role_id
        hub_era = judged.get(role_id)
        if hub_era is None:
            hub_era = judged[role_id] = authz.role(role_id) is not None and _hub_era(ctx, role_id)
        if hub_era:
            found.setdefault(assignment.principal_id, []).append(assignment)
    return found


def _hub_era(ctx: CheckContext, role_id: str) -> bool:
    return (
        ctx.role_grants(role_id, _HUB_BUILD)
        and not ctx.role_grants(role_id, _HUB_MANAGE)
        and not ctx.role_grants(role_id, AGENTS_WRITE)
    )


def _wrong_role(ctx: CheckContext, roles: tuple[PersonaEvidence, ...]) -> str:
    unique = list(dict.fromkeys(e.role_name for e in roles))
    names, verb = (
        " and ".join(unique),
        ("are hub-era roles" if len(unique) > 1 else "is a hub-era role"),
    )
    first = roles[0]
    grants = (
        "grants the Azure OpenAI data actions (accounts/OpenAI/*) but none of accounts/AIServices/*"
        if ctx.role_grants(first.role_id, CHAT_COMPLETIONS)
        else "grants none of the Foundry data actions (accounts/AIServices/*)"
    )
    return (
        f"{names}, which it holds at {first.where}, {verb}: on a Foundry project "
        f"{'it' if len(unique) == 1 else first.role_name} {grants}, so no agents. It is the "
        "wrong role for building here: "
        "Foundry User (formerly Azure AI User) is the one."
    )
