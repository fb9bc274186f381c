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
from diagnose.checks._private_links import public_access_disabled
from diagnose.engine.api import Draft, Requirement, Severity, check
from diagnose.engine.context import CheckContext, describe

DOCS_PRIVATE_PLAYGROUND = (
    "https://learn.microsoft.com/azure/foundry-classic/how-to/secure-data-playground"
)
FILE_OPERATIONS = (FILE_READ, FILE_WRITE, FILE_READ_BACKUP_SEMANTICS, FILE_WRITE_BACKUP_SEMANTICS)


@check(
    id="STG001",
    title="The hub's and projects' identities can use the hub's own storage",
    severity=Severity.HIGH,
    scenario="Hub's own storage (identity mode)",
    docs=(DOCS_IDENTITY_STORAGE, DOCS_PRIVATE_PLAYGROUND),
    explains=(STORAGE_PERMISSION_MISMATCH, PROMPT_FLOW_STORAGE_AUTHENTICATION),
)
def hub_identity_own_storage(ctx: CheckContext):
    """
    What it checks: when a hub reaches its storage with Entra ID (systemDatastoresAuthMode
    identity), the identity the hub uses for its own datastores (its system-assigned identity,
    or its primary user-assigned identity when it has no system one) holds the blob data
    actions on the hub's storage account; and when that storage account also refuses public
    traffic (publicNetworkAccess Disabled), the managed identity of each of the hub's projects
    holds the Azure Files data actions with backup semantics on it.

    Who needs it: only identities, never people. The hub's identity needs Storage Blob Data
    Contributor (the docs' table for identity-based hub storage; the portal assigns it when it
    creates the hub): without it, a failure. The Azure Files role for prompt flow is the user's
    (PFL001 checks the people) and, on private hub storage, the project's identity's: a project
    identity without Storage File Data Privileged Contributor there is a failure. The hub's
    identity is not asked for the file role: prompt flow does not open its files as the hub.
    Readers, builders and administrators are asked nothing here.

    Why it matters: in identity mode nobody falls back on the account key. The hub reads and
    writes its datastores' blobs (uploads, run artifacts, indexes it builds) as its own
    identity; behind a private endpoint, a project's flows open their Azure Files share as the
    project's identity, which needs the BackupSemantics actions only the Storage File Data
    Privileged roles grant. A missing role breaks uploads and flow runs for everyone.

    How to fix: assign Storage Blob Data Contributor on the storage account to the hub's
    managed identity, and, for private hub storage, Storage File Data Privileged Contributor on
    it to each project's managed identity (which also needs Reader on the storage account's
    private endpoints: STG003 checks that, and the rest of private hub storage).
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
        identity = hub_identity(ctx, hub)
        if identity is not None:  # else IDN001 reports a hub without an identity
            yield Requirement(
                principal=identity,
                resource=storage,
                operations=(BLOB_READ, BLOB_WRITE),
                because=f"reads and writes the datastores of {describe(hub)} on its own "
                "storage, which uses Entra ID",
                roles=(STORAGE_BLOB_DATA_CONTRIBUTOR,),
            )
        if not public_access_disabled(storage):
            continue
        for project in ctx.projects(hub):
            project_identity = ctx.identity(project)
            if project_identity is None:
                continue
            yield Requirement(
                principal=project_identity,
                resource=storage,
                operations=FILE_OPERATIONS,
                because=f"opens the prompt flow files of {describe(project)} on the hub's "
                "storage, which uses Entra ID and refuses public traffic",
                roles=(STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,),
            )
