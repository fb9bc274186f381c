from diagnose.checks._common import (
    DOCS_SEARCH_RBAC,
    SEARCH_CATEGORIES,
    SEARCH_DOCUMENTS_READ,
    SEARCH_DOCUMENTS_WRITE,
    SEARCH_INDEX_DATA_CONTRIBUTOR,
    SEARCH_INDEXES_READ,
    connection_users,
    entra_id_connections,
    used_in,
)
from diagnose.checks._error_texts import SEARCH_UNAUTHORIZED
from diagnose.engine.api import Draft, Requirement, Severity, check
from diagnose.engine.context import CheckContext
from diagnose.model.resources import SEARCH_SERVICE


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
    What it checks: for every Azure AI Search connection that uses Entra ID, each principal
    using it holds the document data actions (Microsoft.Search/searchServices/indexes/documents/
    read and write) and the index listing action (Microsoft.Search/searchServices/indexes/read)
    on the Search service.

    Why it matters: Search is hybrid: documents are authorized with DataActions, index
    definitions with Actions. A user with only a data role cannot list indexes in the portal; a
    user with only Contributor cannot read documents. Either way "add your data" and the
    playground fail with 403.

    How to fix: assign Search Index Data Contributor (documents) on the Search service, and a
    role that grants indexes/read (Search Service Contributor, or Reader) to list indexes.
    """
    for item in entra_id_connections(ctx, SEARCH_CATEGORIES, SEARCH_SERVICE):
        if isinstance(item, Draft):
            yield item
            continue
        connection, target = item
        because = used_in(connection)
        for user in connection_users(ctx, connection):
            yield Requirement(
                principal=user,
                resource=target,
                operations=(SEARCH_DOCUMENTS_READ, SEARCH_DOCUMENTS_WRITE),
                because=because,
                roles=(SEARCH_INDEX_DATA_CONTRIBUTOR,),
            )
            yield Requirement(
                principal=user,
                resource=target,
                operations=(SEARCH_INDEXES_READ,),
                because=f"{because} and lists its indexes",
            )
