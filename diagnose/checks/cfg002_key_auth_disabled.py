from diagnose.arm.types import COSMOS_ACCOUNT
from diagnose.checks._common import DOCS_IDENTITY_STORAGE, OPENAI_KINDS
from diagnose.checks._error_texts import INVALID_API_KEY, STORAGE_AUTHENTICATION_FAILED
from diagnose.engine.api import (
    Cause,
    Draft,
    ErrorText,
    Remediation,
    RemediationKind,
    Severity,
    Status,
    check,
)
from diagnose.engine.context import CheckContext, describe
from diagnose.model.resources import COGNITIVE_ACCOUNT, SEARCH_SERVICE, STORAGE_ACCOUNT, Resource

AUTHENTICATION_TYPE_DISABLED = ErrorText(
    "AuthenticationTypeDisabled",
    "AuthenticationTypeDisabled: Key based authentication is disabled for this resource.",
    "Azure OpenAI / AI services",
    "the resource has local (key) authentication disabled while the caller, usually a "
    "connection, still uses an API key",
    "switch the connection to Entra ID and give its users the data roles (re-enabling key "
    "authentication is an option only at its security cost)",
    r"AuthenticationTypeDisabled|Key based authentication is disabled",
    no_role=True,
)

KEY_BASED_AUTHENTICATION_NOT_PERMITTED = ErrorText(
    "KeyBasedAuthenticationNotPermitted",
    "KeyBasedAuthenticationNotPermitted: Key based authentication is not permitted on this "
    "storage account.",
    "Storage",
    "the storage account has shared key access disabled while a caller uses an account key or SAS",
    "switch the caller (connection, datastore) to Entra ID and give it the data roles "
    "(allowing shared key access again is an option only at its security cost)",
    r"KeyBasedAuthenticationNotPermitted",
    no_role=True,
)

COSMOS_LOCAL_AUTHORIZATION_DISABLED = ErrorText(
    "Cosmos DB local authorization disabled",
    "Local Authorization is disabled. Use an AAD token to authorize all requests.",
    "Azure Cosmos DB data plane (401)",
    "the Cosmos DB account has disableLocalAuth while the caller, usually a connection, "
    "still uses an account key",
    "switch the caller to Entra ID and give its identity a Cosmos DB SQL role (Cosmos DB "
    "Built-in Data Contributor, a Cosmos DB SQL role assignment, not an Azure role) on the "
    "database it uses",
    r"Local Authorization is disabled",
    no_role=True,
)


@check(
    id="CFG002",
    title="Connections do not use keys a resource refuses",
    severity=Severity.CRITICAL,
    scenario="Key auth disabled while connections use keys",
    docs=(DOCS_IDENTITY_STORAGE,),
    explains=(
        AUTHENTICATION_TYPE_DISABLED,
        KEY_BASED_AUTHENTICATION_NOT_PERMITTED,
        COSMOS_LOCAL_AUTHORIZATION_DISABLED,
        INVALID_API_KEY,
        STORAGE_AUTHENTICATION_FAILED,
    ),
)
def key_auth_disabled(ctx: CheckContext):
    """
    What it checks: no connection (of a hub, a hub project, a Foundry resource or a Foundry
    project) authenticates with an API key, account key or SAS to a resource that refuses keys
    (Azure OpenAI / AI services, Search or Cosmos DB with disableLocalAuth, storage with
    allowSharedKeyAccess false).

    Who needs it: no role: the connection's authentication is the problem, and such a
    connection is a failure whoever uses it. The fix moves the need onto roles: once the
    connection uses Entra ID, its users need the data role on the target (Cognitive Services
    OpenAI User, Search Index Data Reader, Storage Blob Data Contributor: CON001-CON003 check
    them, as failures for builders and warnings for administrators).

    Why it matters: such a connection can never work: calls fail with
    "AuthenticationTypeDisabled: Key based authentication is disabled for this resource" or
    KeyBasedAuthenticationNotPermitted, and no role assignment changes that.

    How to fix: switch the connection to Entra ID and give its users the data roles the CON
    checks list. Re-enabling key authentication on the resource would also make it work, but
    it is not planned here: it is an option with a security cost (a key gives full data access
    to whoever holds it, with no per-user identity or audit) that undoes a choice someone made,
    often by policy.
    """
    for connection in ctx.all_connections():
        if not connection.uses_key:
            continue
        target = ctx.target_of(connection)
        if target is None:
            continue
        if (
            target.type in (COGNITIVE_ACCOUNT, SEARCH_SERVICE, COSMOS_ACCOUNT)
            and target.prop("disableLocalAuth") is True
        ):
            switch, enable = "disableLocalAuth", "disableLocalAuth false"
        elif target.type == STORAGE_ACCOUNT and target.prop("allowSharedKeyAccess") is False:
            switch, enable = "allowSharedKeyAccess: false", "allowSharedKeyAccess true"
        else:
            continue
        yield Draft(
            status=Status.FAIL,
            resource=connection.id,
            cause=Cause.CONFIGURATION,
            message=f"The {connection.label} authenticates with {connection.auth_type_name}, but "
            f"{describe(target)} refuses keys ({switch}): calls through it always fail. The "
            f"way forward is Entra ID: switch the connection to Entra ID and give its users "
            f"the data role on {describe(target)} ({_data_role(target)}). Re-enabling key "
            f"authentication ({enable}) is an option, not a fix planned here: it has a "
            "security cost (a key gives full data access to whoever holds it, with no "
            "per-user identity or audit) and undoes a choice someone made, often by policy.",
            remediations=(
                Remediation(
                    kind=RemediationKind.CONFIGURATION,
                    summary=f"Switch {connection.label} to Entra ID, then give its users the "
                    f"data role ({_data_role(target)}).",
                    resource=connection.id,
                    setting="properties.authType",
                    value="AAD",
                ),
            ),
            details={"authType": connection.auth_type_name, "target": target.id},
        )


def _data_role(target: Resource) -> str:
    if target.type == SEARCH_SERVICE:
        return "Search Index Data Reader, which CON002 checks"
    if target.type == STORAGE_ACCOUNT:
        return "Storage Blob Data Contributor, which CON003 checks"
    if target.type == COSMOS_ACCOUNT:
        return "a Cosmos DB SQL data role (Cosmos DB Built-in Data Contributor)"
    if target.kind in OPENAI_KINDS:
        return "Cognitive Services OpenAI User, which CON001 checks"
    return "the service's data role, such as Cognitive Services User"
