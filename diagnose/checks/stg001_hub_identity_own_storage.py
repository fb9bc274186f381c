from diagnose.checks._common import (
    BLOB_READ,
    BLOB_WRITE,
    DOCS_IDENTITY_STORAGE,
    FILE_READ,
    FILE_READ_BACKUP_SEMANTICS,
    FILE_WRITE,
    FILE_WRITE_BACKUP_SEMANTICS,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
    hub_identity,
    hub_storage,
    uses_identity_storage,
)
from diagnose.checks._error_texts import (
    PROMPT_FLOW_STORAGE_AUTHENTICATION,
    STORAGE_PERMISSION_MISMATCH,
)
from diagnose.engine.api import Draft, Requirement, Severity, check
from diagnose.engine.context import CheckContext


@check(
    id="STG001",
    title="The hub's identity can use the hub's own storage",
    severity=Severity.HIGH,
    scenario="Hub's own storage (identity mode)",
    docs=(DOCS_IDENTITY_STORAGE,),
    explains=(STORAGE_PERMISSION_MISMATCH, PROMPT_FLOW_STORAGE_AUTHENTICATION),
)
def hub_identity_own_storage(ctx: CheckContext):
    """
    What it checks: when a hub reaches its storage with Entra ID, the hub's managed identity
    holds the blob data actions and the Azure Files data actions (with backup semantics) on the
    hub's storage account.

    Why it matters: the hub itself writes run artifacts, prompt flow snapshots and uploaded data
    to its storage. In identity mode it has no key to fall back on, so a missing role breaks
    uploads and flow runs for everyone.

    How to fix: assign Storage Blob Data Contributor and Storage File Data Privileged Contributor
    on the storage account to the hub's managed identity.
    """
    for hub in ctx.hubs:
        if not uses_identity_storage(hub):
            continue
        storage = hub_storage(ctx, hub)
        identity = hub_identity(ctx, hub)
        if isinstance(storage, Draft):
            yield storage
            continue
        if storage is None or identity is None:
            continue  # IDN001 reports a hub without an identity
        because = "reaches the hub's own storage, which uses Entra ID"
        yield Requirement(
            principal=identity,
            resource=storage,
            operations=(BLOB_READ, BLOB_WRITE),
            because=because,
            roles=(STORAGE_BLOB_DATA_CONTRIBUTOR,),
        )
        yield Requirement(
            principal=identity,
            resource=storage,
            operations=(
                FILE_READ,
                FILE_WRITE,
                FILE_READ_BACKUP_SEMANTICS,
                FILE_WRITE_BACKUP_SEMANTICS,
            ),
            because=because,
            roles=(STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,),
        )
