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
    hub_and_project_members,
    hub_storage,
    uses_identity_storage,
)
from diagnose.checks._error_texts import (
    PROMPT_FLOW_STORAGE_AUTHENTICATION,
    STORAGE_PERMISSION_MISMATCH,
)
from diagnose.engine.api import Draft, Requirement, Severity, check
from diagnose.engine.context import CheckContext

FILE_OPERATIONS = (FILE_READ, FILE_WRITE, FILE_READ_BACKUP_SEMANTICS, FILE_WRITE_BACKUP_SEMANTICS)


@check(
    id="PFL001",
    title="Prompt flow users can open files on identity-based hub storage",
    severity=Severity.HIGH,
    scenario="Prompt flow on identity-based storage",
    docs=(DOCS_IDENTITY_STORAGE,),
    people=True,
    explains=(STORAGE_PERMISSION_MISMATCH, PROMPT_FLOW_STORAGE_AUTHENTICATION),
)
def prompt_flow_storage(ctx: CheckContext):
    """
    What it checks: when a hub reaches its storage with Entra ID (systemDatastoresAuthMode
    identity), every member of the hub and its projects holds, on the hub's storage account, the
    Azure Files data actions with backup semantics (files read/write plus
    readFileBackupSemantics and writeFileBackupSemantics) and the blob data actions.

    Why it matters: prompt flow and notebooks open their files on the Azure Files share as the
    user. Azure Files with Entra ID needs the BackupSemantics actions, which only the Storage
    File Data Privileged roles grant; without them prompt flow fails with "Authentication Failed
    ... check the storage setting".

    How to fix: assign Storage File Data Privileged Contributor and Storage Blob Data
    Contributor on the hub's storage account.
    """
    for hub in ctx.hubs:
        if not uses_identity_storage(hub):
            continue
        storage = hub_storage(ctx, hub)
        if isinstance(storage, Draft):
            yield storage
            continue
        if storage is None:
            continue
        for user in hub_and_project_members(ctx, hub):
            because = f"runs prompt flow in hub '{hub.name}', whose storage uses Entra ID"
            yield Requirement(
                principal=user,
                resource=storage,
                operations=FILE_OPERATIONS,
                because=because,
                roles=(STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,),
            )
            yield Requirement(
                principal=user,
                resource=storage,
                operations=(BLOB_READ, BLOB_WRITE),
                because=because,
                roles=(STORAGE_BLOB_DATA_CONTRIBUTOR,),
            )
