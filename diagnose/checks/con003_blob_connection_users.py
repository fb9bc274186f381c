from diagnose.checks._common import (
    BLOB_CATEGORIES,
    BLOB_READ,
    BLOB_WRITE,
    DOCS_STORAGE_RBAC,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    STORAGE_BLOB_DATA_READER,
    entra_id_connections,
)
from diagnose.checks._error_texts import STORAGE_AUTHENTICATION_FAILED, STORAGE_PERMISSION_MISMATCH
from diagnose.checks._people import DataNeed, connection_requirements
from diagnose.engine.api import Draft, Severity, check
from diagnose.engine.context import CheckContext
from diagnose.model.resources import STORAGE_ACCOUNT


@check(
    id="CON003",
    title="Users of an Entra ID connection can read and write its storage",
    severity=Severity.HIGH,
    scenario="Entra ID connection to Blob / ADLS Gen2",
    docs=(DOCS_STORAGE_RBAC,),
    people=True,
    explains=(STORAGE_PERMISSION_MISMATCH, STORAGE_AUTHENTICATION_FAILED),
)
def blob_connection_users(ctx: CheckContext):
    """
    What it checks: for every Azure Blob or ADLS Gen2 connection that uses Entra ID, the people
    who use it (the builders of the project that owns it, or of the hub and the projects a hub
    connection is shared with) hold the blob data action
    Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read on the storage account,
    and blobs/write to upload.

    Who needs it: a builder without blob read is a failure; a builder without blob write
    gets a warning (only uploading needs it); an administrator gets a warning for either; a
    reader is asked nothing. A `ManagedIdentity` connection asks the same roles of the
    identity it names (credentials.resourceId or clientId; else the owning workspace's
    identity) instead of the people: a failure to read, a warning to write.

    A connection a Foundry capability host names (standard agent setup: thread storage,
    file storage, vector store, AI services) asks nothing of people: the agent service uses
    it with the project's managed identity, which AGT001 checks.

    Why it matters: with Entra ID, storage authorizes each call with the caller's data roles;
    Owner or Contributor on the account are not enough, and the call fails with
    AuthorizationPermissionMismatch.

    How to fix: assign Storage Blob Data Reader on the storage account to read, or Storage Blob
    Data Contributor to upload as well.
    """
    for item in entra_id_connections(ctx, BLOB_CATEGORIES, STORAGE_ACCOUNT):
        if isinstance(item, Draft):
            yield item
            continue
        connection, target = item
        yield from connection_requirements(
            ctx,
            connection,
            target,
            (
                DataNeed((BLOB_READ,), (STORAGE_BLOB_DATA_READER,)),
                DataNeed((BLOB_WRITE,), (STORAGE_BLOB_DATA_CONTRIBUTOR,), "to upload", writes=True),
            ),
        )
