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
    hub_storage,
    uses_identity_storage,
)
from diagnose.checks._error_texts import (
    PROMPT_FLOW_STORAGE_AUTHENTICATION,
    STORAGE_PERMISSION_MISMATCH,
)
from diagnose.checks._people import person_requirement
from diagnose.engine.api import Draft, Severity, check
from diagnose.engine.context import CheckContext, describe
from diagnose.engine.personas import Classification
from diagnose.model.resources import Resource

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
    identity), the builders and administrators of the hub and of its projects (whoever holds
    a role there or above, directly or through groups) hold, on the hub's storage account,
    the Azure Files data actions with backup semantics (files read/write plus
    readFileBackupSemantics and writeFileBackupSemantics) and the blob read/write data actions.

    Who needs it: the person who runs prompt flow, since the call is made as the user. A
    builder of the hub or of one of its projects (Azure AI Developer, AzureML Data Scientist,
    Owner / Contributor on the workspace itself, or a builder role above) without them is a
    failure: authoring and running a flow reads and writes its files, so the writes are the
    scenario itself, not an optional upload. An administrator (Owner, Contributor or Azure AI
    Administrator above the workspace) gets a warning: it can manage, but cannot use prompt
    flow with Entra ID. A reader (Reader on the hub or project, an auditor at the resource
    group) runs no flow and is asked nothing, read or write. Service identities are left to
    STG001 (the hub's own identity on its storage).

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
        for user, place in _people(ctx, hub):
            because = (
                f"runs prompt flow in {describe(place)}, whose hub's storage uses Entra ID"
                if place.key != hub.key
                else f"runs prompt flow in hub '{hub.name}', whose storage uses Entra ID"
            )
            for operations, role in (
                (FILE_OPERATIONS, STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR),
                ((BLOB_READ, BLOB_WRITE), STORAGE_BLOB_DATA_CONTRIBUTOR),
            ):
                requirement = person_requirement(user, storage, operations, because, (role,))
                if requirement is not None:
                    yield requirement


def _people(ctx: CheckContext, hub: Resource) -> list[tuple[Classification, Resource]]:
    """The people of the hub and of its projects, each once, with its strongest persona and
    the workspace that gave it (the hub first on a tie)."""
    best: dict[str, tuple[Classification, Resource]] = {}
    for workspace in [hub, *ctx.projects(hub)]:
        for person in ctx.people(workspace):
            known = best.get(person.principal.id)
            if known is None or person.persona.rank > known[0].persona.rank:
                best[person.principal.id] = (person, workspace)
    return sorted(
        best.values(),
        key=lambda p: (p[0].principal.type, p[0].principal.display_name or "", p[0].principal.id),
    )
