from diagnose.checks._common import DOCS_IDENTITY_STORAGE
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
from diagnose.model.resources import COGNITIVE_ACCOUNT, SEARCH_SERVICE, STORAGE_ACCOUNT

AUTHENTICATION_TYPE_DISABLED = ErrorText(
    "AuthenticationTypeDisabled",
    "AuthenticationTypeDisabled: Key based authentication is disabled for this resource.",
    "Azure OpenAI / AI services",
    "the resource has local (key) authentication disabled while the caller, usually a "
    "connection, still uses an API key",
    "switch the connection to Entra ID, or re-enable key authentication",
    r"AuthenticationTypeDisabled|Key based authentication is disabled",
)

KEY_BASED_AUTHENTICATION_NOT_PERMITTED = ErrorText(
    "KeyBasedAuthenticationNotPermitted",
    "KeyBasedAuthenticationNotPermitted: Key based authentication is not permitted on this "
    "storage account.",
    "Storage",
    "the storage account has shared key access disabled while a caller uses an account key or SAS",
    "switch the caller (connection, datastore) to Entra ID, or allow shared key access",
    r"KeyBasedAuthenticationNotPermitted",
)


@check(
    id="CFG002",
    title="Connections do not use keys a resource refuses",
    severity=Severity.CRITICAL,
    scenario="Key auth disabled while connections use keys",
    docs=(DOCS_IDENTITY_STORAGE,),
    explains=(AUTHENTICATION_TYPE_DISABLED, KEY_BASED_AUTHENTICATION_NOT_PERMITTED),
)
def key_auth_disabled(ctx: CheckContext):
    """
    What it checks: no connection authenticates with an API key, account key or SAS to a
    resource that refuses keys (Azure OpenAI / AI services or Search with disableLocalAuth,
    storage with allowSharedKeyAccess false).

    Why it matters: such a connection can never work: calls fail with
    "AuthenticationTypeDisabled: Key based authentication is disabled for this resource" or
    KeyBasedAuthenticationNotPermitted, and no role assignment changes that.

    How to fix: switch the connection to Entra ID (and give its users the data roles the CON
    checks list), or, if policy allows, re-enable key authentication on the resource.
    """
    for connection in ctx.all_connections():
        if not connection.uses_key:
            continue
        target = ctx.target_of(connection)
        if target is None:
            continue
        if (
            target.type in (COGNITIVE_ACCOUNT, SEARCH_SERVICE)
            and target.prop("disableLocalAuth") is True
        ):
            setting, value, switch = "properties.disableLocalAuth", False, "disableLocalAuth"
        elif target.type == STORAGE_ACCOUNT and target.prop("allowSharedKeyAccess") is False:
            setting, value, switch = (
                "properties.allowSharedKeyAccess",
                True,
                "allowSharedKeyAccess: false",
            )
        else:
            continue
        yield Draft(
            status=Status.FAIL,
            resource=connection.id,
            cause=Cause.CONFIGURATION,
            message=f"The {connection.label} authenticates with {connection.auth_type_name}, but "
            f"{describe(target)} refuses keys ({switch}): calls through it always fail.",
            remediations=(
                Remediation(
                    kind=RemediationKind.CONFIGURATION,
                    summary=f"Switch {connection.label} to Entra ID (recommended).",
                    resource=connection.id,
                    setting="properties.authType",
                    value="AAD",
                ),
                Remediation(
                    kind=RemediationKind.CONFIGURATION,
                    summary=f"Or re-enable key authentication on {describe(target)}.",
                    resource=target.id,
                    setting=setting,
                    value=value,
                ),
            ),
            details={"authType": connection.auth_type_name, "target": target.id},
        )
