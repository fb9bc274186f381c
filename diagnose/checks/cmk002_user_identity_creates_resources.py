from diagnose.checks._common import DOCS_CMK, cmk_settings
from diagnose.checks._error_texts import LINKED_AUTHORIZATION_FAILED
from diagnose.engine.api import Cause, Draft, Operation, Requirement, Severity, Status, check
from diagnose.engine.context import CheckContext, describe
from diagnose.model.resources import Resource
from diagnose.model.scopes import resource_group_key

CMK_DEPENDENCY_WRITES = (
    Operation.action("Microsoft.Storage/storageAccounts/write"),
    Operation.action("Microsoft.Search/searchServices/write"),
    Operation.action("Microsoft.DocumentDB/databaseAccounts/write"),
)
AZURE_AI_ADMINISTRATOR = "b78c5d69-af96-48a3-bf8d-a8b4d589de94"
"""The narrowest built-in role that grants the three writes (Contributor grants everything):
no built-in role grants exactly them."""
SERVICE_SIDE = "enableServiceSideCMKEncryption"
MANAGED_GROUP = "serviceProvisionedResourceGroup"
NARROWER = (
    "No built-in role grants exactly these three writes: Azure AI Administrator is the narrowest "
    "that does; a custom role with only Microsoft.Storage/storageAccounts/write, "
    "Microsoft.Search/searchServices/write and Microsoft.DocumentDB/databaseAccounts/write is "
    "narrower still."
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
    What it checks: for a hub with a customer-managed key and a user-assigned managed identity
    whose encrypted data lives in the customer's subscription, each of its user-assigned
    identities holds Microsoft.Storage/storageAccounts/write,
    Microsoft.Search/searchServices/write and Microsoft.DocumentDB/databaseAccounts/write on the
    hub's resource group. The hub says where its encrypted data lives:
    `properties.enableServiceSideCMKEncryption: true` means service-side (nothing is created in
    the subscription); `false`, or a `properties.serviceProvisionedResourceGroup` (the managed
    resource group the service created), means the customer's subscription.

    Who needs it: the hub's user-assigned identity, and only when the service creates the
    encrypted Storage, Azure Cosmos DB and Search resources in the customer's subscription
    (the managed resource group azureml-rg-<hub>_<guid>). A missing write is then a failure.
    With service-side encryption the identity needs none of them and nothing is asked; when
    the snapshot does not say which mode the hub uses and the identity lacks the writes, the
    answer is unknown. No person is asked anything here.

    Why it matters: with a customer-managed key stored in the subscription, the service
    creates encrypted Storage, Azure Cosmos DB and Search resources for the hub using the
    hub's user-assigned identity; without these writes hub creation and updates fail with
    LinkedAuthorizationFailed.

    How to fix: assign Azure AI Administrator on the resource group to the user-assigned
    identity (the narrowest built-in role with the three writes; never Contributor), or a
    custom role with exactly the three writes. A new hub can instead use service-side
    encryption, which needs none of them.
    """
    for hub in ctx.hubs:
        if cmk_settings(hub) is None or "userassigned" not in hub.identity.kinds:
            continue
        group = resource_group_key(hub.key)
        if group is None:
            continue
        mode = _where_encrypted_data_lives(hub)
        if mode == "service":
            continue
        scope = hub.id[: len(group)]
        for _, identity in ctx.user_assigned_identities(hub):
            if identity is None:
                continue
            if mode is None:
                if all(ctx.holds(identity.id, scope, op) for op in CMK_DEPENDENCY_WRITES):
                    continue
                yield Draft(
                    status=Status.UNKNOWN,
                    resource=hub.id,
                    cause=Cause.UNREADABLE,
                    principal=identity,
                    message=f"{identity.label} lacks some of the Storage, Search and Cosmos DB "
                    f"account writes on the resource group of {describe(hub)}, which it needs "
                    "only if the hub keeps its customer-managed-key data in this subscription. "
                    f"The snapshot does not say: the hub shows neither {SERVICE_SIDE} nor "
                    f"{MANAGED_GROUP}. Whether this blocks hub updates cannot be told.",
                    details={"setting": f"properties.{SERVICE_SIDE}"},
                )
                continue
            yield Requirement(
                principal=identity,
                resource=hub,
                operations=CMK_DEPENDENCY_WRITES,
                scope=scope,
                because=f"creates the encrypted dependencies of the CMK hub '{hub.name}' in this "
                "subscription",
                roles=(AZURE_AI_ADMINISTRATOR,),
                note=NARROWER,
            )


def _where_encrypted_data_lives(hub: Resource) -> str | None:
    """'service' when the hub keeps its CMK data service-side (Microsoft's subscription),
    'subscription' when the service creates the encrypted resources in the customer's
    subscription, None when the snapshot does not say."""
    flag = str(hub.prop(SERVICE_SIDE)).lower()
    if flag == "true":
        return "service"
    if flag == "false" or hub.prop(MANAGED_GROUP):
        return "subscription"
    return None
