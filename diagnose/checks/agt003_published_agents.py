from diagnose.arm import types
from diagnose.checks._agents import AgentSetup, agent_setup, project_identity
from diagnose.checks._common import (
    BLOB_READ,
    BLOB_WRITE,
    CHAT_COMPLETIONS,
    COSMOS_DB_OPERATOR,
    FOUNDRY_USER,
    OPENAI_USER,
    SEARCH_DOCUMENTS_READ,
    SEARCH_DOCUMENTS_WRITE,
    SEARCH_INDEX_DATA_CONTRIBUTOR,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
)
from diagnose.engine.api import Operation, PrincipalRef, Requirement, Severity, Status, check
from diagnose.engine.context import CheckContext, describe, lower_keys
from diagnose.engine.personas import Classification, Persona
from diagnose.model.resources import Resource

DOCS_PUBLISH = "https://learn.microsoft.com/azure/foundry/agents/how-to/agent-applications"
INVOKE = Operation.data_action(
    "Microsoft.CognitiveServices/accounts/AIServices/applications/invoke/action"
)
INTERACT = Operation.data_action(
    "Microsoft.CognitiveServices/accounts/AIServices/endpoints/interact/action"
)
COSMOS_CONTAINERS_WRITE = Operation.action(
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/write"
)
TOOL_USE = {
    types.COSMOS_ACCOUNT: ((COSMOS_CONTAINERS_WRITE,), COSMOS_DB_OPERATOR),
    types.STORAGE_ACCOUNT: ((BLOB_READ, BLOB_WRITE), STORAGE_BLOB_DATA_CONTRIBUTOR),
    types.SEARCH_SERVICE: (
        (SEARCH_DOCUMENTS_READ, SEARCH_DOCUMENTS_WRITE),
        SEARCH_INDEX_DATA_CONTRIBUTOR,
    ),
    types.COGNITIVE_ACCOUNT: ((CHAT_COMPLETIONS,), OPENAI_USER),
}
"""How an agent uses a tool's resource, by type: the operation and the role the docs name."""


@check(
    id="AGT003",
    title="Published agents: consumers can call them, their own identity holds what it uses",
    severity=Severity.HIGH,
    scenario="Foundry agent service, published agent",
    docs=(DOCS_PUBLISH,),
)
def published_agents(ctx: CheckContext):
    """
    What it checks: for each published agent (agent application,
    Microsoft.CognitiveServices/accounts/projects/applications) of the Foundry projects in
    scope whose endpoint uses the Azure RBAC authorization scheme (authorizationPolicy.type, or
    the older authorizationScheme, 'Default'), that its consumers can call it: they hold
    Microsoft.CognitiveServices/accounts/AIServices/applications/invoke/action on the
    application or above (what Microsoft's agent application docs name; Foundry User grants
    it), or Foundry Agent Consumer's
    Microsoft.CognitiveServices/accounts/AIServices/endpoints/interact/action on the application
    or at one of its agents' own scopes (.../projects/{p}/agents/{name}, the agent endpoint),
    evaluated there: Microsoft's Foundry RBAC page names Foundry Agent Consumer for these
    endpoints and the agent applications page the invoke action, and where the docs differ
    either grant is accepted, so no caller the docs would let in is failed.
    And, for every published agent, that its own Entra agent identity
    (defaultInstanceIdentity) holds what the project's identity holds on the agent's tools: the
    resources of the project's standard agent setup and the targets of the project's
    connections.

    Who needs it: the consumers are the principals declared with --principal (or declared
    builders in --personas), and the service principals and groups holding a role at the
    application's own scope (an application or a team assigned there is meant to call it):
    unable to call it, a failure. People who hold Foundry Agent Consumer or Reader on the
    project path are read-only by persona and are never failed, nor is anyone else who did not
    say they call the agent. The agent's own identity is checked apart from the project's: where
    the project identity holds a role on a tool resource and the agent identity does not, a
    warning names both identities. Endpoints using the Microsoft365 or OrganizationScope schemes
    put no Azure RBAC requirement on callers: nothing is asked of them.

    Why it matters: a published agent's endpoint authorizes each caller with Azure RBAC under
    the Default scheme: a caller without the data action gets 401/403. Foundry Agent Consumer
    grants only endpoints/interact/action, the agent endpoint's action, and none of the other
    Foundry data actions, which makes it the narrowest grant for a caller. A published agent
    gets its own Entra agent identity, and roles on the project's identity do not carry over to
    it: its tool calls (file search, storage, Cosmos DB, models) fail after publishing although
    the same agent worked in the project.

    How to fix: assign each consumer Foundry User on the agent application (the agent
    applications page's role for applications/invoke/action; Foundry Agent Consumer there is the
    narrower choice the Foundry RBAC page names); grant the published agent's identity the roles
    the project's identity holds on the tools it uses.
    """
    for project in ctx.foundry_projects():
        applications = ctx.model.children_of(project, types.PROJECT_APPLICATION)
        if not applications:
            continue
        declared = [c for c in ctx.people(project) if c.declared and c.persona is Persona.BUILDER]
        for application in applications:
            agent_ids = _agent_identity_ids(application)
            if authorization_scheme(application) == "default":
                consumers = {c.principal.id: c for c in declared}
                for assignment in ctx.assignments_at(application):
                    kind = (assignment.principal_type or "").lower()
                    if kind not in ("serviceprincipal", "group"):
                        continue
                    if assignment.principal_id in agent_ids or ctx.personas.service_identity(
                        assignment.principal_id
                    ):
                        continue
                    ref = ctx.principal(assignment.principal_id, assignment.principal_type or "")
                    consumers.setdefault(ref.id, _assigned_here(ref, application))
                for consumer in consumers.values():
                    requirement = _consumer(ctx, consumer, project, application)
                    if requirement is not None:
                        yield requirement
            yield from _agent_identity(ctx, project, application)


def authorization_scheme(application: Resource) -> str:
    """The endpoint's authorization scheme, lower-case ('default' is Azure RBAC)."""
    policy = application.prop("authorizationPolicy")
    value = lower_keys(policy).get("type") if isinstance(policy, dict) else policy
    if not value:
        scheme = application.prop("authorizationScheme")
        value = lower_keys(scheme).get("type") if isinstance(scheme, dict) else scheme
    return str(value or "default").strip().lower()


def _agent_identity_ids(application: Resource) -> set[str]:
    found = set()
    for key in ("defaultInstanceIdentity", "agentIdentityBlueprint"):
        principal = lower_keys(application.prop(key)).get("principalid")
        if principal:
            found.add(str(principal).lower())
    return found


def _assigned_here(ref: PrincipalRef, application: Resource) -> Classification:
    from diagnose.engine.personas import PersonaEvidence

    return Classification(
        ref,
        Persona.BUILDER,
        (PersonaEvidence("", "", application.id, declared="a role at the application"),),
        f"a role at the published agent '{application.name}'",
    )


def _consumer(
    ctx: CheckContext,
    consumer: Classification,
    project: Resource,
    application: Resource,
) -> Requirement | None:
    principal = consumer.principal
    # Foundry Agent Consumer (endpoints/interact/action) is what the Foundry RBAC page names for
    # Azure RBAC endpoints; the agent applications page asks for applications/invoke/action.
    # Where the docs differ, either grant is accepted: at the application, at one of its agents'
    # own scopes, or above them.
    places = [application.id, *(f"{project.id}/agents/{agent}" for agent in _agents(application))]
    if any(ctx.holds(principal.id, place, INTERACT) for place in places):
        return None
    return Requirement(
        principal=principal,
        resource=application,
        operations=(INVOKE,),
        because=f"calls the published agent '{application.name}' of {describe(project)}, "
        "whose endpoint uses Azure RBAC (authorization scheme Default)",
        roles=(FOUNDRY_USER,),
        note="Foundry Agent Consumer's endpoints/interact/action on the application or its "
        "agents would count too; the agent applications page names this action, which Foundry "
        "User grants.",
        subject=f"{principal.label}, {consumer.reason},",
        persona=consumer,
        status_if_missing=Status.FAIL,
    )


def _agents(application: Resource) -> list[str]:
    listed = application.prop("agents")
    names = []
    for item in listed if isinstance(listed, list) else []:
        name = lower_keys(item).get("agentname")
        if name:
            names.append(str(name))
    return names


def _agent_identity(ctx: CheckContext, project: Resource, application: Resource):
    principal_id = lower_keys(application.prop("defaultInstanceIdentity")).get("principalid")
    identity = project_identity(ctx, project)
    if not principal_id or identity is None:
        return
    agent = ctx.principal(str(principal_id).lower())
    agent = PrincipalRef(
        agent.id,
        "ServicePrincipal",
        agent.display_name or application.name,
        description=f"the agent identity of the published agent '{application.name}'",
    )
    persona = Classification(agent, Persona.SERVICE_IDENTITY, ())
    for tool in _tools(ctx, project):
        use = TOOL_USE.get(tool.type)
        if use is None:
            continue
        operations, role = use
        if not all(ctx.holds(identity.id, tool.id, op) for op in operations):
            continue  # the project identity does not use it this way either
        yield Requirement(
            principal=agent,
            resource=tool,
            operations=operations,
            because=f"runs the published agent '{application.name}', whose tools use "
            f"{describe(tool)}",
            roles=(role,),
            status_if_missing=Status.WARN,
            subject=f"{agent.label}, a service identity,",
            persona=persona,
            note=f"{identity.label[:1].upper()}{identity.label[1:]} holds it, but roles on the "
            f"project's identity do not carry over to {agent.label} ({agent.id}): a published "
            "agent runs as its own identity.",
        )


def _tools(ctx: CheckContext, project: Resource) -> list[Resource]:
    """The resources a project's agents use: those of its standard agent setup, and the targets
    of the connections usable in it, once each."""
    found: dict[str, Resource] = {}
    setup = agent_setup(ctx, project)
    if isinstance(setup, AgentSetup):
        for store in setup.stores:
            found.setdefault(store.target.key, store.target)
    for connection in ctx.usable_connections(project):
        target = ctx.target_of(connection)
        if target is not None:
            found.setdefault(target.key, target)
    return list(found.values())
