from diagnose.checks._common import (
    BLOB_CATEGORIES,
    BLOB_READ,
    BLOB_WRITE,
    DOCS_STORAGE_RBAC,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    connection_users,
    entra_id_connections,
    used_in,
)
from diagnose.checks._error_texts import STORAGE_PERMISSION_MISMATCH
from diagnose.engine.api import Draft, Requirement, Severity, check
from diagnose.engine.context import CheckContext
from diagnose.model.resources import STORAGE_ACCOUNT


@check(
    id="CON003",
    title="Users of an Entra ID connection can read and write its storage",
    severity=Severity.HIGH,
    scenario="Entra ID connection to Blob / ADLS Gen2",
    docs=(DOCS_STORAGE_RBAC,),
    people=True,
    explains=(STORAGE_PERMISSION_MISMATCH,),
)
def blob_connection_users(ctx: CheckContext):
    """
    What it checks: for every Azure Blob or ADLS Gen2 connection that uses Entra ID, each
    principal using it holds the blob data actions
    Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read and write on the
    storage account.

    Why it matters: with Entra ID, storage authorizes each call with the caller's data roles;
    Owner or Contributor on the account are not enough, and the call fails with
    AuthorizationPermissionMismatch.

    How to fix: assign Storage Blob Data Contributor on the storage account.
    """
    for item in entra_id_connections(ctx, BLOB_CATEGORIES, STORAGE_ACCOUNT):
        if isinstance(item, Draft):
            yield item
            continue
        connection, target = item
        because = used_in(connection)
        for user in connection_users(ctx, connection):
            yield Requirement(
                principal=user,
                resource=target,
                operations=(BLOB_READ, BLOB_WRITE),
                because=because,
                roles=(STORAGE_BLOB_DATA_CONTRIBUTOR,),
            )
