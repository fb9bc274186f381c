from datetime import datetime

from diagnose.checks._common import DOCS_HUB_RBAC, hub_identity
from diagnose.engine.api import Operation, Requirement, Severity, check
from diagnose.engine.context import CheckContext, describe
from diagnose.model.resources import Resource
from diagnose.model.scopes import resource_group_key

AZURE_AI_ADMINISTRATOR = "b78c5d69-af96-48a3-bf8d-a8b4d589de94"
ADMINISTRATOR_SINCE = datetime.fromisoformat("2024-11-19T00:00:00+00:00")
"""Hubs created from this day get Azure AI Administrator on their resource group, older ones
Contributor."""
MANAGED_RESOURCE_WRITES = (
    Operation.action("Microsoft.Storage/storageAccounts/write"),
    Operation.action("Microsoft.KeyVault/vaults/write"),
    Operation.action("Microsoft.CognitiveServices/accounts/write"),
    Operation.action("Microsoft.ContainerRegistry/registries/write"),
    Operation.action("Microsoft.Insights/components/write"),
)
NOTE = (
    "Either role Azure assigns to a hub's identity grants these writes (Azure AI Administrator "
    "for hubs created from 2024-11-19, Contributor before): the check evaluates the actions, "
    "and the fix names the narrower one."
)


@check(
    id="IDN003",
    title="The hub's identity can manage the resources of its resource group",
    severity=Severity.MEDIUM,
    scenario="Hub identity on its resource group",
    docs=(DOCS_HUB_RBAC,),
)
def hub_identity_resource_group(ctx: CheckContext):
    """
    What it checks: the identity a hub uses (its system-assigned identity, or its primary
    user-assigned identity when it has none) holds, on the hub's resource group, the writes the
    hub needs to create and update the resources it manages: storage accounts, key vaults,
    Azure OpenAI / AI services accounts, container registries and Application Insights
    components. The actions are evaluated, never the role's name: Azure AI Administrator (what
    Azure assigns to hubs created from 2024-11-19, by the hub's systemData.createdAt) and
    Contributor (before) both grant them.

    Who needs it: the hub's identity. Azure assigns the role to a system-assigned identity when
    it creates the hub; a user-assigned identity gets nothing automatically and needs the grant
    explicitly. A missing write is a failure. No person is asked anything here (the hub
    creator's rights are HUB004's).

    Why it matters: the hub creates and updates resources in its resource group as its own
    identity (a container registry on first image build, Azure OpenAI / AI services resources
    and their connections, key vault secrets and settings, the managed network's endpoints);
    when the role was removed, or never given to a user-assigned identity, those operations
    fail with AuthorizationFailed naming the hub's identity.

    How to fix: assign Azure AI Administrator on the hub's resource group to the hub's identity
    (the narrower of the two roles Azure uses; never Owner).
    """
    for hub in ctx.hubs:
        group = resource_group_key(hub.key)
        identity = hub_identity(ctx, hub)
        if group is None or identity is None:
            continue  # IDN001 reports a hub without an identity
        system = ctx.identity(hub) is not None
        yield Requirement(
            principal=identity,
            resource=hub,
            operations=MANAGED_RESOURCE_WRITES,
            scope=hub.id[: len(group)],
            because=f"creates and updates the resources {describe(hub)} manages in its resource "
            f"group{_expected(hub, system)}",
            roles=(AZURE_AI_ADMINISTRATOR,),
            note=NOTE,
        )


def _expected(hub: Resource, system: bool) -> str:
    if not system:
        return (
            " (a user-assigned identity gets no role automatically: it needs this grant explicitly)"
        )
    created = _created(hub)
    if created is None:
        return ""
    role = "Azure AI Administrator" if created >= ADMINISTRATOR_SINCE else "Contributor"
    return f" (created {created.date().isoformat()}: Azure assigned it {role} there)"


def _created(hub: Resource) -> datetime | None:
    system_data = hub.raw.get("systemData")
    text = system_data.get("createdAt") if isinstance(system_data, dict) else None
    if not isinstance(text, str) or not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=ADMINISTRATOR_SINCE.tzinfo)
