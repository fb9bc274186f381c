from diagnose.checks._common import DOCS_HUB_RBAC
from diagnose.checks._error_texts import (
    AUTHORIZATION_FAILED,
    LINKED_AUTHORIZATION_FAILED,
    REQUEST_DISALLOWED_BY_POLICY,
)
from diagnose.engine.api import Operation, Requirement, Severity, check
from diagnose.engine.context import CheckContext
from diagnose.model.resources import Resource
from diagnose.model.scopes import resource_group_key, scope_key

HUB_CREATION = (
    Operation.action("Microsoft.Storage/storageAccounts/write"),
    Operation.action("Microsoft.KeyVault/vaults/write"),
    Operation.action("Microsoft.CognitiveServices/accounts/write"),
    Operation.action("Microsoft.MachineLearningServices/workspaces/write"),
)
PRIVATE_ENDPOINT_WRITE = Operation.action("Microsoft.Network/privateEndpoints/write")
ASSIGN_IDENTITY = Operation.action("Microsoft.ManagedIdentity/userAssignedIdentities/assign/action")
AZURE_AI_ADMINISTRATOR = "b78c5d69-af96-48a3-bf8d-a8b4d589de94"
"""Grants the four writes of a basic hub with actions that are a strict subset of
Contributor's (no data actions): the narrowest built-in role for them, named first so the
planner does not rank it by breadth estimates."""
DOCS_NOTE = (
    "The hub docs name Owner or Contributor for creating hubs; what counts here is the actions "
    "this hub's creation needs, so the fix is the narrowest built-in role that grants them."
)


@check(
    id="HUB004",
    title="The hub creator can create a hub and its dependencies",
    severity=Severity.HIGH,
    scenario="Create a hub",
    docs=(DOCS_HUB_RBAC,),
    explains=(AUTHORIZATION_FAILED, LINKED_AUTHORIZATION_FAILED, REQUEST_DISALLOWED_BY_POLICY),
)
def creator_creates_hub(ctx: CheckContext):
    """
    What it checks: with --creator, that principal holds the actions that creating (or
    re-creating) each hub as it is configured needs, read from the hub's own settings: on the
    hub's resource group, the writes of storage accounts, key vaults, Cognitive Services
    accounts and Machine Learning workspaces, through a built-in role; for a hub with private
    endpoints (`properties.privateEndpointConnections`),
    Microsoft.Network/privateEndpoints/write on each endpoint's resource group; for a hub with
    user-assigned identities,
    Microsoft.ManagedIdentity/userAssignedIdentities/assign/action on each identity. The
    Application Insights and Log Analytics writes are INS001's.

    Who needs it: only the principal named with --creator (the person or pipeline that
    creates hubs); nobody is asked anything without it. Any action this hub's creation needs
    and the creator lacks is a failure. Roles are judged by their actions, not their names:
    Azure AI Administrator covers a basic public hub, and lacks only the private endpoint,
    Log Analytics and identity-assignment actions; Azure AI Developer cannot create hubs.

    Why it matters: creating a hub creates its dependencies too, and custom roles cannot
    create hubs today; a missing action makes creation fail with AuthorizationFailed or
    LinkedAuthorizationFailed part-way through.

    How to fix: assign the creator the narrowest built-in role with the missing actions where
    they are needed (Azure AI Administrator on the resource group for a basic hub; Owner or
    Contributor, which the docs name, cover every case).
    """
    creator = ctx.creator
    if creator is None:
        return
    for hub in ctx.hubs:
        group = resource_group_key(hub.key)
        if group is None:
            continue
        yield Requirement(
            principal=creator,
            resource=hub,
            operations=HUB_CREATION,
            scope=hub.id[: len(group)],
            because=f"creates hubs like '{hub.name}' (--creator)",
            roles=(AZURE_AI_ADMINISTRATOR,),
            builtin_roles_only=True,
            note=DOCS_NOTE,
        )
        for endpoint_group in _private_endpoint_groups(hub):
            yield Requirement(
                principal=creator,
                resource=hub,
                operations=(PRIVATE_ENDPOINT_WRITE,),
                scope=endpoint_group,
                because=f"creates hubs like '{hub.name}', which is reached through a private "
                "endpoint (--creator)",
                note=DOCS_NOTE,
            )
        for identity_id, _ in ctx.user_assigned_identities(hub):
            identity = ctx.resource(identity_id)
            yield Requirement(
                principal=creator,
                resource=identity or hub,
                operations=(ASSIGN_IDENTITY,),
                scope=identity.id if identity is not None else identity_id,
                because=f"creates hubs like '{hub.name}', which uses the user-assigned "
                f"identity '{identity_id.rsplit('/', 1)[-1]}' (--creator)",
                note=DOCS_NOTE,
            )


def _private_endpoint_groups(hub: Resource) -> list[str]:
    """The resource groups of the hub's private endpoints, each once, as the ids spell them."""
    found: dict[str, str] = {}
    for connection in hub.prop("privateEndpointConnections") or []:
        if not isinstance(connection, dict):
            continue
        properties = connection.get("properties") or {}
        endpoint = str((properties.get("privateEndpoint") or {}).get("id") or "")
        key = resource_group_key(scope_key(endpoint)) if endpoint else None
        if key is not None:
            segments = [s for s in endpoint.split("/") if s]
            found.setdefault(key, "/" + "/".join(segments[:4]))
    return list(found.values())
