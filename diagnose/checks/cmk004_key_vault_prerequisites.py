from diagnose.checks._common import DOCS_CMK, cmk_settings, unknown_resource
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
from diagnose.model.resources import Resource

SOFT_DELETE = "properties.enableSoftDelete"
PURGE_PROTECTION = "properties.enablePurgeProtection"


@check(
    id="CMK004",
    title="The customer-managed key's vault has soft delete and purge protection",
    severity=Severity.HIGH,
    scenario="Customer-managed keys, prerequisites",
    docs=(DOCS_CMK,),
)
def key_vault_prerequisites(ctx: CheckContext):
    """
    What it checks: for a hub encrypted with a customer-managed key, the key vault its
    encryption settings name (encryption.keyVaultProperties.keyVaultArmId) has soft delete
    (enableSoftDelete; on by default since 2020, so only an explicit false counts as off) and
    purge protection (enablePurgeProtection true). Who may use the key is CMK001's (the hub's
    encryption identity: Key Vault Crypto Service Encryption User on RBAC vaults, get / wrapKey
    / unwrapKey in an access policy otherwise) and the creator's key rights CMK003's.

    Who needs it: no principal: the vault's configuration is the prerequisite. A vault without
    either setting is a failure; a vault the snapshot lacks makes the answer unknown.

    Why it matters: Azure refuses a customer-managed key from a vault that could lose it for
    good: creating or updating a hub with such a key fails, and a key purged from a vault
    without purge protection makes the hub's data unreadable for ever.

    How to fix: turn on purge protection on the key vault (it cannot be turned off again: that
    is the point) and, for an old vault without it, soft delete.
    """
    for hub in ctx.hubs:
        settings = cmk_settings(hub)
        if settings is None:
            continue
        vault_id = settings[0]
        vault = ctx.resource(vault_id)
        if vault is None:
            if vault_id:
                yield unknown_resource(
                    ctx, vault_id, f"the key vault of the customer-managed key of {describe(hub)}"
                )
            continue
        missing = [
            (setting, what)
            for setting, what, ok in (
                (SOFT_DELETE, "soft delete", vault.prop("enableSoftDelete") is not False),
                (PURGE_PROTECTION, "purge protection", vault.prop("enablePurgeProtection") is True),
            )
            if not ok
        ]
        if missing:
            yield _missing(hub, vault, missing)


def _missing(hub: Resource, vault: Resource, missing: list[tuple[str, str]]) -> Draft:
    """One finding per vault (soft delete first: purge protection needs it), a fix per setting."""
    values = {setting: vault.prop(setting.rsplit(".", 1)[-1]) for setting, _ in missing}
    shown = ", ".join(
        f"{setting.rsplit('.', 1)[-1]}: {'not set' if value is None else str(value).lower()}"
        for setting, value in values.items()
    )
    irreversible = (
        " Once on, purge protection cannot be turned off."
        if any(setting == PURGE_PROTECTION for setting, _ in missing)
        else ""
    )
    vault_text = describe(vault)
    return Draft(
        status=Status.FAIL,
        resource=vault.id,
        cause=Cause.CONFIGURATION,
        message=f"{vault_text[:1].upper()}{vault_text[1:]} holds the customer-managed key of "
        f"{describe(hub)} but has no {' and no '.join(what for _, what in missing)} ({shown}): "
        "Azure requires both of a key vault for customer-managed keys, and creating or "
        f"updating the hub fails.{irreversible}",
        remediations=tuple(
            Remediation(
                kind=RemediationKind.CONFIGURATION,
                summary=f"Turn on {what} on {describe(vault)}."
                + (" Once on, it cannot be turned off." if setting == PURGE_PROTECTION else ""),
                resource=vault.id,
                setting=setting,
                value=True,
            )
            for setting, what in missing
        ),
        details={"missing": [setting for setting, _ in missing], "hub": hub.id},
    )
