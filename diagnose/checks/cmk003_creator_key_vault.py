from diagnose.checks._common import (
    CONTRIBUTOR,
    DOCS_CMK,
    cmk_settings,
    key_policy_findings,
    unknown_resource,
)
from diagnose.checks._error_texts import (
    KEY_VAULT_FORBIDDEN_BY_POLICY,
    KEY_VAULT_FORBIDDEN_BY_RBAC,
)
from diagnose.engine.api import (
    Operation,
    Requirement,
    Severity,
    check,
)
from diagnose.engine.context import CheckContext, describe

CREATOR_KEY_PERMISSIONS = ("create", "get", "delete", "purge")


@check(
    id="CMK003",
    title="The hub creator can manage the customer-managed key",
    severity=Severity.HIGH,
    scenario="Customer-managed key (creator)",
    docs=(DOCS_CMK,),
    explains=(KEY_VAULT_FORBIDDEN_BY_RBAC, KEY_VAULT_FORBIDDEN_BY_POLICY),
)
def creator_key_vault(ctx: CheckContext):
    """
    What it checks: with --creator, for a hub with a customer-managed key, that principal holds
    Owner or Contributor rights on the key vault (Microsoft.KeyVault/vaults/write) and, for a
    vault using access policies, create, get, delete and purge on keys (the union of the
    entries naming it or a group it counts as; compound-identity entries, with an
    applicationId, do not count).

    Who needs it: only the principal named with --creator (the person or pipeline that
    creates CMK hubs); without --creator nobody is asked anything. A creator without the key
    vault write, or (access-policy vaults) without create, get, delete and purge on keys, is a
    failure; a key vault the snapshot lacks makes the answer unknown, as do group memberships
    not all known when a group's access policy could make up what is missing. The hub's own
    key access is CMK001's.

    Why it matters: whoever creates a CMK hub must be able to manage the key vault and its key;
    otherwise creation fails with an access error on the vault.

    How to fix: assign Contributor on the key vault to the creator, and add an access policy with
    create, get, delete and purge on keys (access-policy vaults).
    """
    creator = ctx.creator
    if creator is None:
        return
    for hub in ctx.hubs:
        settings = cmk_settings(hub)
        if settings is None or not settings[0]:
            continue
        vault = ctx.resource(settings[0])
        if vault is None:
            yield unknown_resource(ctx, settings[0], f"the key vault of {describe(hub)}")
            continue
        yield Requirement(
            principal=creator,
            resource=vault,
            operations=(Operation.action("Microsoft.KeyVault/vaults/write"),),
            because=f"creates the CMK-encrypted hub '{hub.name}' (--creator)",
            roles=(CONTRIBUTOR,),
        )
        if vault.prop("enableRbacAuthorization") is True:
            continue
        yield from key_policy_findings(
            ctx,
            vault,
            creator,
            CREATOR_KEY_PERMISSIONS,
            f"creates the CMK-encrypted hub '{hub.name}'",
        )
