from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from diagnose.arm.scopes import scope_key
from diagnose.byidentity import ByIdentity
from diagnose.checks._agents import agent_setup, project_identity
from diagnose.engine.api import (
    Cause,
    Draft,
    ErrorText,
    PrincipalRef,
    Remediation,
    RemediationKind,
    Severity,
    Status,
    check,
)
from diagnose.engine.context import CheckContext, Connection, describe
from diagnose.engine.errortexts import GUID
from diagnose.model.cosmos import (
    BUILTIN_DATA_CONTRIBUTOR,
    BUILTIN_DEFINITIONS,
    CosmosAccount,
    CosmosRoleDefinition,
)
from diagnose.model.resources import Resource
from diagnose.rbac.cosmos import CosmosEvaluator, match_definition, outcome_of
from diagnose.rbac.decision import Decision, Outcome

DATABASE = "enterprise_memory"
PATH = f"/dbs/{DATABASE}"
_DB = "Microsoft.DocumentDB/databaseAccounts"
_ITEMS = f"{_DB}/sqlDatabases/containers/items"
THREAD_ACTIONS = (
    f"{_DB}/readMetadata",
    f"{_ITEMS}/create",
    f"{_ITEMS}/read",
    f"{_ITEMS}/replace",
    f"{_ITEMS}/upsert",
    f"{_ITEMS}/delete",
    f"{_DB}/sqlDatabases/containers/executeQuery",
    f"{_DB}/sqlDatabases/containers/readChangeFeed",
)
"""What the agent service does in the enterprise_memory database with the project's identity:
read the account's metadata, write, read, query and delete the items of its thread containers
(the data actions of Cosmos DB Built-in Data Contributor, which the docs name)."""
CONTRIBUTOR_NAME = BUILTIN_DEFINITIONS[BUILTIN_DATA_CONTRIBUTOR][0]
DOCS_AGENT_SETUP = "https://learn.microsoft.com/azure/foundry/agents/concepts/standard-agent-setup"
DOCS_COSMOS_RBAC = (
    "https://learn.microsoft.com/azure/cosmos-db/nosql/security/"
    "how-to-grant-data-plane-role-based-access"
)

COSMOS_RBAC_BLOCKED = ErrorText(
    "Cosmos DB: request blocked by RBAC (403, substatus 5301)",
    "Request blocked by Auth <account> : principal [<id>] does not have required RBAC "
    "permissions to perform action [Microsoft.DocumentDB/databaseAccounts/readMetadata] on "
    "resource [dbs/enterprise_memory] (Forbidden 403, substatus 5301)",
    "Azure Cosmos DB data plane (403, substatus 5301), e.g. a Foundry agent run writing threads",
    "the caller (for an agent run, the Foundry project's managed identity) holds no Cosmos DB "
    "SQL role granting this data action on the resource it names: Cosmos DB data access is "
    "Cosmos DB SQL RBAC, and Azure RBAC roles on the account (Owner, Contributor, Cosmos DB "
    "Operator) grant none of it",
    # A database-scoped assignment does not cover the account itself: "on resource [/]" (the
    # account's metadata) needs a grant at /, whatever the database's grants are.
    "assign the caller a Cosmos DB SQL role whose scope contains the resource the message "
    "names (az cosmosdb sql role assignment create): for a Foundry agent's threads (resource "
    "dbs/enterprise_memory/...), Cosmos DB Built-in Data Contributor at /dbs/enterprise_memory; "
    "for resource [/] (the account's metadata, which no database-scoped assignment covers), a "
    "role with Microsoft.DocumentDB/databaseAccounts/readMetadata at / (a custom role with "
    "only that data action, or Cosmos DB Built-in Data Reader, which also reads every "
    "database)",
    # Anchored lookaheads: the principal and action are read wherever they stand, after a
    # "Substatus: 5301" too (a plain alternation would match the substatus first, naming no one).
    r"\A(?=(?:.*?principal\s*\[\s*(?P<principal>" + GUID + r")\s*\]\s*does not have "
    r"required RBAC permissions to perform action\s*\[\s*(?P<operation>[^\]\s]+)\s*\]"
    r"(?:\s*on resource\s*\[\s*(?P<resource>[^\]]*?)\s*\])?)?)"
    r"(?=.*?(?:does not have required RBAC permissions|\bsub-?status(?:\s*code)?\W{0,3}5301\b))",
    data_action=True,
)


@check(
    id="AGT002",
    title="Project identity can write agent threads to Cosmos DB",
    severity=Severity.HIGH,
    scenario="Foundry agent service, standard setup (thread storage)",
    docs=(DOCS_AGENT_SETUP, DOCS_COSMOS_RBAC),
    explains=(COSMOS_RBAC_BLOCKED,),
)
def cosmos_enterprise_memory(ctx: CheckContext) -> Iterator[Draft]:
    """
    What it checks: for each Foundry project (Microsoft.CognitiveServices/accounts/projects)
    with a system-assigned managed identity whose capability host (the project's own, else the
    Foundry resource's as defaults) names in threadStorageConnections a connection (the
    project's by name, else the resource's) to a Cosmos DB account (by metadata.ResourceId, or
    by its <name>.documents.azure.com endpoint), that the identity holds, through a Cosmos DB
    SQL role assignment of that account (directly or through a group), the data actions of
    Cosmos DB Built-in Data Contributor (readMetadata, items create, read, replace, upsert,
    delete, executeQuery, readChangeFeed) on the enterprise_memory database
    (<account>/dbs/enterprise_memory): an assignment at the account or at that database
    counts, one at another database or at a single container does not. When the account's SQL
    role assignments (or the definition one names) could not be read, the answer is unknown.

    Who needs it: the project's managed identity, which the agent service runs as when it keeps
    threads and messages in the customer's Cosmos DB (standard agent setup): a missing data
    action is a failure. No person is asked anything here (a person's agent work goes through
    the project endpoint). A project without a managed identity or without a capability host
    is left to the checks that look at those.

    Why it matters: Cosmos DB data access is Cosmos DB SQL RBAC, not Azure RBAC: Owner,
    Contributor and Cosmos DB Operator on the account (the docs' control-plane role, needed to
    create the capability host) grant no data access. Without the data role every agent run
    fails writing its thread with a 403, substatus 5301 ("Request blocked by Auth ... does not
    have required RBAC permissions to perform action [...] on resource [dbs/enterprise_memory]").
    An account with disableLocalAuth accepts nothing else: its keys are refused.

    How to fix: assign Cosmos DB Built-in Data Contributor
    (00000000-0000-0000-0000-000000000002) to the project's managed identity as a Cosmos DB SQL
    role assignment scoped to /dbs/enterprise_memory (az cosmosdb sql role assignment create,
    New-AzCosmosDBSqlRoleAssignment, a sqlRoleAssignments resource in Bicep,
    azurerm_cosmosdb_sql_role_assignment in Terraform).
    """
    evaluator = ctx.memo(
        "cosmos evaluator",
        lambda: CosmosEvaluator(ctx.model.cosmos, ctx.model.authorization.directory),
    )
    for project in ctx.foundry_projects():
        identity = project_identity(ctx, project)
        if identity is None:
            continue  # IDN001 reports a project without an identity
        setup = agent_setup(ctx, project)
        if isinstance(setup, Draft):
            yield setup  # the capability hosts could not be listed: unknown, never a pass
            continue
        for missing in setup.unknown_of("threadStorageConnections"):
            target = str(missing.details.get("target") or "")
            yield Draft(
                status=Status.UNKNOWN,
                resource=target if target.startswith("/") else missing.resource,
                message=f"The thread storage of {describe(project)} is a Cosmos DB account the "
                f"snapshot lacks ({target or '?'}): whether {identity.label} can write agent "
                "threads there cannot be told.",
                cause=Cause.UNREADABLE,
                principal=identity,
                details={"project": project.id, **missing.details},
            )
        seen: set[str] = set()
        for store in setup.of("threadStorageConnections"):
            cosmos = ctx.model.cosmos.account(store.target.id)
            if cosmos is None or cosmos.resource.key in seen:
                continue
            seen.add(cosmos.resource.key)
            why = (
                f"the thread storage connection '{store.connection.name}' of "
                f"{_capability_host_words(store.host, project)}"
            )
            if _plainly_held(ctx, identity.id, cosmos):
                continue  # what check_all would find allowed, without its evidence
            decisions = evaluator.check_all(identity.id, cosmos.id, PATH, THREAD_ACTIONS)
            outcome = outcome_of(decisions)
            if outcome is Outcome.ALLOWED:
                continue
            yield _draft(outcome, decisions, identity, project, store.connection, cosmos, why)


def _plainly_held(ctx: CheckContext, principal_id: str, cosmos: CosmosAccount) -> bool:
    """Whether every thread action is granted at the enterprise_memory database: exactly when
    CosmosEvaluator.check_all would say allowed for each (a grant is a SQL role assignment of
    the principal or one of its groups whose path contains the database and whose definition
    is known and grants the action; a grant makes the answer allowed whatever else is in
    doubt). The check asks this of every project on every run, proofs and whole-plan rounds
    included, and almost every identity holds them: the decisions, with their evidence, are
    built only for those who may not."""
    target = cosmos.path(PATH)
    assert target is not None  # PATH is a database path of any account
    grants: ByIdentity[frozenset[str]] = ctx.memo("cosmos thread actions granted", ByIdentity)
    left = set(THREAD_ACTIONS)
    closure = ctx.model.authorization.directory.closure(principal_id.strip().lower())
    for member in closure.via:
        for assignment in cosmos.by_principal.get(member, ()):
            if assignment.path is None or not assignment.path.contains(target):
                continue
            definition = cosmos.definition(assignment.role_definition_id)
            if definition is None:
                continue
            left -= grants.get((definition,), partial(_granted, definition))
            if not left:
                return True
    return False


def _granted(definition: CosmosRoleDefinition) -> frozenset[str]:
    """The thread actions a SQL role definition grants (match_definition, as the evaluator
    asks it)."""
    return frozenset(a for a in THREAD_ACTIONS if match_definition(definition, a).granted)


def _details(project: Resource, connection: Connection, scope: str) -> dict[str, object]:
    return {
        "project": project.id,
        "connection": connection.id,
        "scope": scope,
        "dataActions": list(THREAD_ACTIONS),
    }


def _draft(
    outcome: Outcome,
    decisions: tuple[Decision, ...],
    identity: PrincipalRef,
    project: Resource,
    connection: Connection,
    cosmos: CosmosAccount,
    why: str,
) -> Draft:
    scope = f"{cosmos.id.rstrip('/')}{PATH}"
    details = _details(project, connection, scope)
    where = f"the {DATABASE} database of Cosmos DB account '{cosmos.name}'"
    local = (
        " The account has disableLocalAuth: it accepts only Entra ID callers holding a Cosmos DB "
        "SQL role, so no key can stand in."
        if cosmos.local_auth_disabled
        else ""
    )
    if outcome is Outcome.UNKNOWN:
        doubts = list(dict.fromkeys(u for d in decisions for u in d.unknowns))
        return Draft(
            status=Status.UNKNOWN,
            resource=cosmos.id,
            message=f"Whether {identity.label} can write agent threads to {where} ({why} keeps "
            f"them there) cannot be told: {'; '.join(doubts[:3])}.{local}",
            cause=Cause.UNREADABLE,
            principal=identity,
            details=details,
            evidence=decisions,
        )
    missing = [d.operation for d in decisions if d.decision is Outcome.DENIED]
    short = (
        f"any of the data actions of {CONTRIBUTOR_NAME} it needs (readMetadata and the items, "
        "query and change feed actions)"
        if len(missing) == len(THREAD_ACTIONS)
        else ", ".join(m.removeprefix(f"{_DB}/") for m in missing)
    )
    misses = list(dict.fromkeys(m.detail for d in decisions for m in d.near_misses))
    closest = f" Closest: {'; '.join(misses[:2])}." if misses else ""
    fix = Remediation(
        kind=RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT,
        summary=f"Assign {CONTRIBUTOR_NAME} to {identity.label} on {where}: a Cosmos DB SQL role "
        f"assignment at {PATH}.",
        principal_id=identity.id,
        principal_type=identity.type,
        role_definition_id=cosmos.definition_id(BUILTIN_DATA_CONTRIBUTOR),
        role_name=CONTRIBUTOR_NAME,
        scope=scope,
        resource=cosmos.id,
        value={"dataActions": list(THREAD_ACTIONS), "neededAt": scope},
    )
    return Draft(
        status=Status.FAIL,
        resource=cosmos.id,
        message=f"{identity.label[:1].upper()}{identity.label[1:]} cannot write agent threads to "
        f"{where}, where {why} keeps them: no Cosmos DB SQL role assignment of the account "
        f"grants it {short} there. Cosmos DB data access is Cosmos DB SQL RBAC: Azure RBAC "
        f"roles on the account (Owner, Contributor, Cosmos DB Operator) grant none of it."
        f"{closest}{local}",
        cause=Cause.MISSING_ROLE,
        principal=identity,
        remediations=(fix,),
        details=details,
        evidence=decisions,
    )


def _capability_host_words(host: Resource, project: Resource) -> str:
    if scope_key(host.parent_id) == project.key:
        return f"{describe(project)} (capability host '{host.name}')"
    return (
        f"the Foundry resource's capability host '{host.name}' (the defaults of "
        f"{describe(project)})"
    )
