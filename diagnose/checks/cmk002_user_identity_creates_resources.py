from diagnose.checks._common import CONTRIBUTOR, DOCS_CMK, cmk_settings
from diagnose.checks._error_texts import LINKED_AUTHORIZATION_FAILED
from diagnose.engine.api import Operation, Requirement, Severity, check
from diagnose.engine.context import CheckContext
from diagnose.model.scopes import resource_group_key

CMK_DEPENDENCY_WRITES = (
    Operation.action("Microsoft.Storage/storageAccounts/write"),
    Operation.action("Microsoft.Search/searchServices/write"),
    Operation.action("Microsoft.DocumentDB/databaseAccounts/write"),
)


@check(
    id="CMK002",
    title="A user-assigned hub identity can create the CMK resources",
    severity=Severity.HIGH,
    scenario="CMK with a user-assigned hub identity",
    docs=(DOCS_CMK,),
    explains=(LINKED_AUTHORIZATION_FAILED,),
)
def user_identity_creates_resources(ctx: CheckContext):
    """
    What it checks: for a hub with a customer-managed key and a user-assigned managed identity,
    each of its user-assigned identities holds Microsoft.Storage/storageAccounts/write,
    Microsoft.Search/searchServices/write and Microsoft.DocumentDB/databaseAccounts/write on the
    hub's resource group.

    Why it matters: with a customer-managed key, the service creates encrypted Storage, Azure
    Cosmos DB and Search resources for the hub using the hub's user-assigned identity; without
    these writes hub creation and updates fail.

    How to fix: assign a role with these writes (Contributor, or a custom role with exactly
    them) on the resource group to the user-assigned identity.
    """
    for hub in ctx.hubs:
        if cmk_settings(hub) is None or "userassigned" not in hub.identity.kinds:
            continue
        group = resource_group_key(hub.key)
        if group is None:
            continue
        for _, identity in ctx.user_assigned_identities(hub):
            if identity is None:
                continue
            yield Requirement(
                principal=identity,
                resource=hub,
                operations=CMK_DEPENDENCY_WRITES,
                scope=hub.id[: len(group)],
                because=f"creates the encrypted dependencies of the CMK hub '{hub.name}'",
                roles=(CONTRIBUTOR,),
            )
