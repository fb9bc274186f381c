from diagnose.checks._common import (
    DOCS_CMK,
    KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
    cmk_settings,
    hub_identity,
    key_policy_findings,
)
from diagnose.checks._error_texts import (
    KEY_VAULT_FORBIDDEN_BY_POLICY,
    KEY_VAULT_FORBIDDEN_BY_RBAC,
)
from diagnose.engine.api import (
    Cause,
    Draft,
    Operation,
    PrincipalRef,
    Requirement,
    Severity,
    Status,
    check,
)
from diagnose.engine.context import CheckContext, describe

KEY_OPERATIONS = (
    Operation.data_action("Microsoft.KeyVault/vaults/keys/read"),
    Operation.data_action("Microsoft.KeyVault/vaults/keys/wrap/action"),
    Operation.data_action("Microsoft.KeyVault/vaults/keys/unwrap/action"),
)
POLICY_PERMISSIONS = ("get", "wrapKey", "unwrapKey")


@check(
    id="CMK001",
    title="The hub's identity can use its customer-managed key",
    severity=Severity.CRITICAL,
    scenario="Customer-managed key",
    docs=(DOCS_CMK,),
    explains=(KEY_VAULT_FORBIDDEN_BY_RBAC, KEY_VAULT_FORBIDDEN_BY_POLICY),
)
def hub_identity_key_access(ctx: CheckContext):
    """
    What it checks: for a hub encrypted with a customer-managed key, the identity named in its
    encryption settings (or the hub's identity) can get, wrap and unwrap keys in the key vault:
    through Azure RBAC when the vault uses it, otherwise through its access policies, as Key
    Vault reads them: the permissions of every entry naming the identity or a group it counts
    as add up; an entry with an applicationId (a compound identity) does not count.

    Who needs it: the identity the hub's encryption settings name
    (`encryption.identity.userAssignedIdentity`), or the hub's own identity when they name none;
    it wraps and unwraps the key for every project of the hub. A missing grant is a failure;
    a key vault or identity the snapshot lacks makes the answer unknown, as do group memberships
    not all known when a group's access policy could make up what is missing. No person is asked
    anything here (the creator's key rights are CMK003's).

    Why it matters: without key access the hub cannot encrypt or decrypt its data: the hub and
    every project fail to load, and creating one fails.

    How to fix: with RBAC vaults, assign Key Vault Crypto Service Encryption User on the key
    vault to the identity; with access-policy vaults, add an access policy giving it get,
    wrapKey and unwrapKey on keys.
    """
    for hub in ctx.hubs:
        settings = cmk_settings(hub)
        if settings is None:
            continue
        vault_id, identity_id = settings
        identity = _encryption_identity(ctx, hub, identity_id)
        vault = ctx.resource(vault_id)
        if vault is None or identity is None:
            yield Draft(
                status=Status.UNKNOWN,
                resource=hub.id,
                cause=Cause.UNREADABLE,
                message=f"{describe(hub)} uses a customer-managed key, but its key vault "
                f"({vault_id or '?'}) or encryption identity is not in the "
                "snapshot, so key access cannot be checked.",
            )
            continue
        because = f"encrypts {describe(hub)} with a customer-managed key"
        if vault.prop("enableRbacAuthorization") is True:
            yield Requirement(
                principal=identity,
                resource=vault,
                operations=KEY_OPERATIONS,
                because=because,
                roles=(KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,),
            )
            continue
        yield from key_policy_findings(ctx, vault, identity, POLICY_PERMISSIONS, because)


def _encryption_identity(ctx: CheckContext, hub, identity_id: str | None) -> PrincipalRef | None:
    if identity_id:
        for resource_id, ref in ctx.user_assigned_identities(hub):
            if resource_id.lower() == identity_id.lower():
                return ref
        uami = ctx.resource(identity_id)
        if uami is not None and uami.prop("principalId"):
            return PrincipalRef(
                str(uami.prop("principalId")).lower(), "ServicePrincipal", uami.name
            )
        return None
    return hub_identity(ctx, hub)
