from diagnose.checks._common import DOCS_IDENTITY_STORAGE, hub_storage, uses_identity_storage
from diagnose.checks.cfg002_key_auth_disabled import KEY_BASED_AUTHENTICATION_NOT_PERMITTED
from diagnose.engine.api import (
    Cause,
    Draft,
    Remediation,
    RemediationKind,
    Severity,
    Status,
    check,
)
from diagnose.engine.context import CheckContext, describe

SETTING = "properties.systemDatastoresAuthMode"


@check(
    id="CFG004",
    title="The hub does not reach its storage with keys the storage refuses",
    severity=Severity.CRITICAL,
    scenario="Shared key disabled while the hub still uses keys",
    docs=(DOCS_IDENTITY_STORAGE,),
    explains=(KEY_BASED_AUTHENTICATION_NOT_PERMITTED,),
)
def hub_keys_refused(ctx: CheckContext):
    """
    What it checks: the hub's own storage account does not refuse shared keys
    (allowSharedKeyAccess false) while the hub still reaches its datastores with the account
    key (systemDatastoresAuthMode anything but `identity`: `accessKey`, or unset, which means
    keys).

    Who needs it: no role: the hub's configuration is the problem, and it is a failure on the
    hub whoever works in it. The fix moves the need onto roles: in identity mode the hub's
    identity needs Storage Blob Data Contributor on its storage (STG001 checks it) and the
    people who run prompt flow need Storage File Data Privileged Contributor and Storage Blob
    Data Contributor there (PFL001: a failure for builders, a warning for administrators).

    Why it matters: the hub's default datastores (workspaceblobstore, workspacefilestore) and
    prompt flow authenticate with the account key while the hub uses keys; a storage account
    that refuses shared keys turns every upload, data listing and flow run into
    KeyBasedAuthenticationNotPermitted, and no role assignment changes that.

    How to fix: switch the hub to identity-based access to its storage
    (systemDatastoresAuthMode identity), then give the identities and people the roles STG001
    and PFL001 list. Allowing shared keys on the storage again would also make it work, but it
    is not planned here: it undoes a security choice (often a policy's) and a key gives full
    data access to whoever holds it, with no per-user identity or audit.
    """
    for hub in ctx.hubs:
        if uses_identity_storage(hub):
            continue
        storage = hub_storage(ctx, hub)
        if isinstance(storage, Draft):
            yield storage
            continue
        if storage is None or storage.prop("allowSharedKeyAccess") is not False:
            continue
        mode = hub.prop("systemDatastoresAuthMode") or "unset, which means accessKey"
        yield Draft(
            status=Status.FAIL,
            resource=hub.id,
            cause=Cause.CONFIGURATION,
            message=f"{describe(hub)[:1].upper()}{describe(hub)[1:]} reaches its storage with "
            f"the account key (systemDatastoresAuthMode: {mode}), but {describe(storage)} "
            "refuses shared keys (allowSharedKeyAccess: false): its datastores and prompt flow "
            "fail with KeyBasedAuthenticationNotPermitted whatever roles anyone holds. Switch "
            "the hub to identity-based storage access; STG001 and PFL001 then list the roles "
            "that mode needs (Storage Blob Data Contributor for the hub's identity, Storage "
            "File Data Privileged Contributor for prompt flow users). Allowing shared keys "
            "again is an option, not a fix planned here: it undoes a security choice.",
            remediations=(
                Remediation(
                    kind=RemediationKind.CONFIGURATION,
                    summary=f"Switch {describe(hub)} to identity-based access to its storage "
                    "(systemDatastoresAuthMode identity), then assign the roles STG001 and "
                    "PFL001 list.",
                    resource=hub.id,
                    setting=SETTING,
                    value="identity",
                ),
            ),
            details={
                "systemDatastoresAuthMode": hub.prop("systemDatastoresAuthMode"),
                "storage": storage.id,
            },
        )
