from diagnose.checks._common import (
    BLOB_READ,
    DOCS_USE_YOUR_DATA,
    STORAGE_BLOB_DATA_READER,
    service_pairs,
)
from diagnose.checks._error_texts import STORAGE_PERMISSION_MISMATCH
from diagnose.engine.api import ErrorText, Requirement, Severity, Status, check
from diagnose.engine.context import CheckContext, describe

SEARCH_DATA_SOURCE_CREDENTIALS = ErrorText(
    "Search data source credentials invalid",
    "Error with data source: Credentials provided in the connection string are invalid or have "
    "expired.",
    "Azure AI Search indexer (storage data source)",
    "with a key or SAS in the connection string: the key was rotated or the SAS expired; with "
    "the Search service's managed identity (ResourceId=<storage account id>;): the identity is "
    "off, or it holds no blob data role on the storage account",
    "a key or SAS: put a current one in the data source's connection string, or better move "
    "to the managed identity; the managed identity: enable it and assign it Storage Blob Data "
    "Reader on the storage account, which OYD004 checks",
    r"Credentials provided in the connection string are invalid or have expired",
)


@check(
    id="OYD004",
    title="Search can read the documents in storage",
    severity=Severity.MEDIUM,
    scenario="Search reads documents",
    docs=(DOCS_USE_YOUR_DATA,),
    explains=(STORAGE_PERMISSION_MISMATCH, SEARCH_DATA_SOURCE_CREDENTIALS),
)
def search_reads_storage(ctx: CheckContext):
    """
    What it checks: wherever a hub or project connects a Search service and a storage account
    (the storage account through an Entra ID connection, not a key),
    the Search service's managed identity holds
    Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read on the storage
    account. Reported as a warning: only indexers that pull from storage need it.

    Who needs it: the Search service's system-assigned managed identity, which the indexer
    runs as: Storage Blob Data Reader (Storage Blob Data Contributor when a knowledge store
    writes back). A missing role is a warning, never a failure: the snapshot does not show
    whether an indexer pulls from that storage account. People are asked nothing here (CON003
    checks the users of the blob connection).

    Why it matters: Search indexers read source documents as the Search service's identity;
    without a blob data role the indexer fails and the index stays empty.

    How to fix: assign Storage Blob Data Reader (Storage Blob Data Contributor when a knowledge
    store writes back) on the storage account to the Search service's managed identity.
    """
    for workspace, search, storage in service_pairs(ctx, "search", "blob"):
        identity = ctx.identity(search)
        if identity is None:
            continue
        yield Requirement(
            principal=identity,
            resource=storage,
            operations=(BLOB_READ,),
            because=f"indexes documents from {describe(storage)} for {describe(workspace)}",
            roles=(STORAGE_BLOB_DATA_READER,),
            status_if_missing=Status.WARN,
        )
