from diagnose.checks._agents import agent_service_connection
from diagnose.checks._common import (
    DOCS_SEARCH_RBAC,
    SEARCH_CATEGORIES,
    SEARCH_DOCUMENTS_READ,
    SEARCH_DOCUMENTS_WRITE,
    SEARCH_INDEX_DATA_CONTRIBUTOR,
    SEARCH_INDEX_DATA_READER,
    entra_id_connections,
)
from diagnose.checks._error_texts import SEARCH_UNAUTHORIZED
from diagnose.checks._people import (
    BUILT,
    DataNeed,
    connection_requirements,
    key_path_warning,
)
from diagnose.engine.api import Draft, Operation, Severity, check
from diagnose.engine.context import CheckContext
from diagnose.model.resources import SEARCH_SERVICE

LIST_ADMIN_KEYS = Operation.action("Microsoft.Search/searchServices/listAdminKeys/action")


@check(
    id="CON002",
    title="Users of an Entra ID connection can use Azure AI Search",
    severity=Severity.HIGH,
    scenario="Entra ID connection to AI Search",
    docs=(DOCS_SEARCH_RBAC,),
    people=True,
    explains=(SEARCH_UNAUTHORIZED,),
)
def search_connection_users(ctx: CheckContext):
    """
    What it checks: for every Azure AI Search connection that uses Entra ID, the people who use
    it (the builders of the project that owns it, or of the hub and the projects a hub
    connection is shared with) hold the document read data action
    Microsoft.Search/searchServices/indexes/documents/read on the Search service, and
    documents/write to index.

    Who needs it: a builder without documents/read is a failure (Search Index Data
    Reader); a builder without documents/write gets a warning (only indexing needs it, Search
    Index Data Contributor); an administrator gets a warning; a reader is asked nothing. The
    portal's admin-key path is one warning per Search service that names Search Service
    Contributor and why, never a failure and never a proposed fix. A `ManagedIdentity`
    connection asks the same roles of the identity it names (credentials.resourceId or
    clientId; else the owning workspace's identity) instead of the people: a failure to read,
    a warning to write.

    A connection a Foundry capability host names (standard agent setup: thread storage,
    file storage, vector store, AI services) asks nothing of people: the agent service uses
    it with the project's managed identity, which AGT001 checks.

    Why it matters: with Entra ID, Search authorizes queries with data roles; Owner or
    Contributor alone cannot read a document, and the playground fails with 403. Index
    definitions are readable with Reader. The portal lists indexes for "add your data" with the
    service's admin keys, which only a role that can read the keys (Search Service Contributor)
    allows.

    How to fix: assign Search Index Data Reader on the Search service (Search Index Data
    Contributor for those who index).
    """
    for item in entra_id_connections(ctx, SEARCH_CATEGORIES, SEARCH_SERVICE):
        if isinstance(item, Draft):
            yield item
            continue
        connection, target = item
        yield from connection_requirements(
            ctx,
            connection,
            target,
            (
                DataNeed((SEARCH_DOCUMENTS_READ,), (SEARCH_INDEX_DATA_READER,)),
                DataNeed(
                    (SEARCH_DOCUMENTS_WRITE,),
                    (SEARCH_INDEX_DATA_CONTRIBUTOR,),
                    "to index documents",
                    writes=True,
                ),
            ),
        )
        if not connection.uses_entra_id or agent_service_connection(ctx, connection):
            continue  # the portal's key path is about people using their own identity
        # Said of all the builders at once: asked of everyone, also when the people the check
        # is asked about are fewer (diagnose.remediation.affected).
        warning = key_path_warning(
            ctx,
            target,
            ctx.connection_users_as(connection, BUILT, everyone=True),
            LIST_ADMIN_KEYS,
            "Search Service Contributor",
            "Listing the indexes in the portal (add your data)",
        )
        if warning is not None:
            yield warning
