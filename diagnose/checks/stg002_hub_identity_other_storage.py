from diagnose.checks._common import (
    BLOB_CATEGORIES,
    BLOB_READ,
    DOCS_STORAGE_RBAC,
    STORAGE_BLOB_DATA_READER,
    hub_identity,
    target_or_unknown,
)
from diagnose.checks._error_texts import STORAGE_PERMISSION_MISMATCH
from diagnose.engine.api import Draft, Requirement, Severity, check
from diagnose.engine.context import CheckContext
from diagnose.model.resources import STORAGE_ACCOUNT
from diagnose.model.scopes import scope_key


@check(
    id="STG002",
    title="The hub's identity can read storage the hub did not create",
    severity=Severity.MEDIUM,
    scenario="Hub uses a blob it did not create",
    docs=(DOCS_STORAGE_RBAC,),
    explains=(STORAGE_PERMISSION_MISMATCH,),
)
def hub_identity_other_storage(ctx: CheckContext):
    """
    What it checks: for every Blob or ADLS Gen2 connection (using Entra ID or a managed
    identity) of a hub or its projects that points to a storage account other than the hub's
    own, the hub's managed identity holds
    Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read on it.

    Who needs it: the identity the hub reaches its dependencies with (its system-assigned
    identity, or its primary user-assigned identity without one), for storage the hub did not
    create that a hub or project connection reaches without a key. A missing read is a
    failure; a target the snapshot lacks is unknown. Key-authenticated connections ask nothing,
    and the people using the connection are CON003's.

    Why it matters: the hub only has roles on the resources it created. To use another storage
    account the hub's identity must be allowed to read it, or data import and indexing fail.

    How to fix: assign Storage Blob Data Reader on that storage account to the hub's managed
    identity.
    """
    for hub in ctx.hubs:
        identity = hub_identity(ctx, hub)
        own = scope_key(hub.prop("storageAccount") or "")
        seen: set[str] = set()
        for workspace in [hub, *ctx.projects(hub)]:
            for connection in ctx.connections(workspace):
                if connection.category not in BLOB_CATEGORIES or connection.uses_key:
                    continue
                target = target_or_unknown(ctx, connection, STORAGE_ACCOUNT)
                if isinstance(target, Draft):
                    yield target
                    continue
                if target is None or target.key == own or target.key in seen or identity is None:
                    continue
                seen.add(target.key)
                yield Requirement(
                    principal=identity,
                    resource=target,
                    operations=(BLOB_READ,),
                    because=f"reads data through {connection.label}",
                    roles=(STORAGE_BLOB_DATA_READER,),
                )
