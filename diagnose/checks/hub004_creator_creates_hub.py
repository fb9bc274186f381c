from diagnose.checks._common import CONTRIBUTOR, DOCS_HUB_RBAC
from diagnose.checks._error_texts import AUTHORIZATION_FAILED, LINKED_AUTHORIZATION_FAILED
from diagnose.engine.api import Operation, Requirement, Severity, check
from diagnose.engine.context import CheckContext
from diagnose.model.scopes import resource_group_key

HUB_CREATION = (
    Operation.action("Microsoft.Storage/storageAccounts/write"),
    Operation.action("Microsoft.KeyVault/vaults/write"),
    Operation.action("Microsoft.CognitiveServices/accounts/write"),
    Operation.action("Microsoft.MachineLearningServices/workspaces/write"),
)


@check(
    id="HUB004",
    title="The hub creator can create a hub and its dependencies",
    severity=Severity.HIGH,
    scenario="Create a hub",
    docs=(DOCS_HUB_RBAC,),
    explains=(AUTHORIZATION_FAILED, LINKED_AUTHORIZATION_FAILED),
)
def creator_creates_hub(ctx: CheckContext):
    """
    What it checks: with --creator, that principal holds, on the hub's resource group, the
    writes that creating a hub needs: storage accounts, key vaults, Cognitive Services accounts
    and Machine Learning workspaces.

    Why it matters: creating (or re-creating) a hub creates its dependencies too. Only Owner and
    Contributor grant all of this; Azure AI Developer explicitly excludes hub creation, and
    custom roles cannot create hubs today.

    How to fix: assign Contributor (or Owner) on the resource group to the person or pipeline
    that creates hubs.
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
            because="creates hubs (--creator)",
            roles=(CONTRIBUTOR,),
            builtin_roles_only=True,
        )
