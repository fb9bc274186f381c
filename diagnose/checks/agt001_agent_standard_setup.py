from diagnose.checks._agents import AgentSetup, Store, agent_setup, project_identity
from diagnose.checks._common import (
    BLOB_READ,
    BLOB_WRITE,
    COSMOS_DB_OPERATOR,
    SEARCH_DOCUMENTS_READ,
    SEARCH_DOCUMENTS_WRITE,
    SEARCH_INDEX_DATA_CONTRIBUTOR,
    SEARCH_INDEXES_WRITE,
    SEARCH_SERVICE_CONTRIBUTOR,
    STORAGE_ACCOUNT_CONTRIBUTOR,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
)
from diagnose.checks._error_texts import (
    AGENT_FILE_UPLOAD_FAILED,
    AGENT_VECTOR_STORE_FORBIDDEN,
    SEARCH_UNAUTHORIZED,
    STORAGE_PERMISSION_MISMATCH,
)
from diagnose.engine.api import Draft, Operation, PrincipalRef, Requirement, Severity, check
from diagnose.engine.context import CheckContext, describe, describe_scope

DOCS_AGENT_SETUP = "https://learn.microsoft.com/azure/foundry/agents/concepts/standard-agent-setup"
COSMOS_CONTAINERS_WRITE = Operation.action(
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/write"
)
STORAGE_READ = Operation.action("Microsoft.Storage/storageAccounts/read")
CONTAINERS_WRITE = Operation.action(
    "Microsoft.Storage/storageAccounts/blobServices/containers/write"
)


@check(
    id="AGT001",
    title="A Foundry project's identity can use its standard agent setup",
    severity=Severity.HIGH,
    scenario="Foundry agent service, standard setup",
    docs=(DOCS_AGENT_SETUP,),
    explains=(
        AGENT_FILE_UPLOAD_FAILED,
        AGENT_VECTOR_STORE_FORBIDDEN,
        STORAGE_PERMISSION_MISMATCH,
        SEARCH_UNAUTHORIZED,
    ),
)
def agent_standard_setup(ctx: CheckContext):
    """
    What it checks: for each Foundry project in scope whose agents use a standard setup (a
    capability host, the project's own, else its Foundry resource's defaults, naming the
    connections for thread storage, file storage and vector stores), the project's managed
    identity holds on each connection's target: Cosmos DB Operator's
    databaseAccounts/sqlDatabases/containers/write on the Cosmos DB account (thread storage);
    Search Index Data Contributor's documents read and write and Search Service Contributor's
    indexes/write on the Search service (vector store); and blob data on the storage account
    (file storage) as either pattern grants it: Microsoft's templates (Storage Blob Data
    Contributor, with a conditioned Storage Blob Data Owner, on the account), or the docs
    (Storage Blob Data Contributor and Storage Blob Data Owner on the project's containers, found
    from the identity's assignments at container scope, never from container names, plus
    Storage Account Contributor on the account, which only this pattern needs). The Cosmos DB
    data role on the enterprise_memory database is AGT002's.

    Who needs it: the project's managed identity (system-assigned, else user-assigned), never a
    person: the agent service uses these connections with it. A missing role is a failure. A
    project without a capability host (basic setup, Microsoft-managed storage) is asked
    nothing; capability hosts that could not be listed, a connection a host names that is not
    in the snapshot, or a target not collected make the answer `unknown`.

    Why it matters: the agent service keeps threads in the Cosmos DB account, files in the
    storage account and vector stores in Search, calling them as the project's identity:
    without the roles, creating the capability host fails, or agent runs fail with
    AuthorizationPermissionMismatch from storage, "Failed to upload file", or 403 Forbidden from
    Search when creating a vector store or running file search.

    How to fix: assign the project's identity Cosmos DB Operator on the Cosmos DB account,
    Search Index Data Contributor and Search Service Contributor on the Search service, and
    Storage Blob Data Contributor on the storage account (or the docs' container-scope roles
    with Storage Account Contributor on the account).
    """
    for project in ctx.foundry_projects():
        setup = agent_setup(ctx, project)
        if isinstance(setup, Draft):
            yield setup
            continue
        if setup.host is None:
            continue
        yield from setup.unknown
        identity = project_identity(ctx, project)
        if identity is None:
            continue  # IDN001 reports a project without an identity
        yield from requirements_of(ctx, identity, setup)


def requirements_of(
    ctx: CheckContext, identity: PrincipalRef, setup: AgentSetup
) -> list[Requirement]:
    """What an identity needs on the resources of a standard agent setup (also what AGT003 asks
    of a published agent's own identity)."""
    found: list[Requirement] = []
    # No persona: a service identity is one by what it is (the engine knows the managed
    # identities of the snapshot's resources), not by a role it holds.
    subject = f"{identity.label}, a service identity,"
    for store in setup.stores:
        for operations, role, scope, purpose in _needs(ctx, identity, store):
            found.append(
                Requirement(
                    principal=identity,
                    resource=store.target,
                    operations=operations,
                    because=f"keeps the {store.purpose} of the agents of "
                    f"{describe(setup.project)} in it{purpose} (connection "
                    f"'{store.connection.name}', named by capability host '{store.host.name}')",
                    roles=(role,),
                    scope=scope,
                    subject=subject,
                )
            )
    return found


def _needs(
    ctx: CheckContext, identity: PrincipalRef, store: Store
) -> list[tuple[tuple[Operation, ...], str, str | None, str]]:
    if store.kind == "threadStorageConnections":
        return [((COSMOS_CONTAINERS_WRITE,), COSMOS_DB_OPERATOR, None, "")]
    if store.kind == "vectorStoreConnections":
        return [
            (
                (SEARCH_DOCUMENTS_READ, SEARCH_DOCUMENTS_WRITE),
                SEARCH_INDEX_DATA_CONTRIBUTOR,
                None,
                "",
            ),
            ((SEARCH_INDEXES_WRITE,), SEARCH_SERVICE_CONTRIBUTOR, None, ", creating its indexes"),
        ]
    if store.kind == "storageConnections":
        data = (BLOB_READ, BLOB_WRITE)
        containers = container_grants(ctx, identity.id, store.target.key)
        if not containers or ctx.holds(identity.id, store.target.id, BLOB_WRITE):
            return [(data, STORAGE_BLOB_DATA_CONTRIBUTOR, None, "")]
        needs: list[tuple[tuple[Operation, ...], str, str | None, str]] = [
            (
                (STORAGE_READ, CONTAINERS_WRITE),
                STORAGE_ACCOUNT_CONTRIBUTOR,
                None,
                " (the docs' pattern: its blob roles are at container scope, and the account "
                "takes Storage Account Contributor)",
            )
        ]
        for scope in containers:
            needs.append(
                (
                    data,
                    STORAGE_BLOB_DATA_CONTRIBUTOR,
                    scope,
                    f", in {describe_scope(scope)} where it holds a role",
                )
            )
        return needs
    return []


def container_grants(ctx: CheckContext, principal_id: str, account_key: str) -> list[str]:
    """The blob container scopes under a storage account where a principal (or a group it is
    in) holds a role: the docs' pattern grants the agent service's blob roles there."""
    prefix = f"{account_key}/blobservices/default/containers/"
    authz = ctx.model.authorization
    found: dict[str, str] = {}
    for member in authz.directory.closure(principal_id).via:
        for key, assignments in (authz.assignments_by_principal.get(member) or {}).items():
            if key.startswith(prefix) and assignments:
                found.setdefault(key, assignments[0].scope)
    return [found[k] for k in sorted(found)]
