#!/usr/bin/env python3
"""Regenerate the bundled demo hub, diagnose/demo/demo_hub.json.

Longer than ~400 lines on purpose: it is data, the demo hub written out resource by resource.

    python scripts/make_demo.py

The demo is a realistic hub, "hub-contoso", with two projects, Entra ID connections, and a
handful of the misconfigurations the tool exists to find, next to traps that must pass:

- the hub owner holds Owner, which grants no data actions (CON001, PFL001);
- a group granted Contributor on a project with the CLI, so without Reader on the hub and
  without the deployment role on the resource group (HUB001, HUB002);
- a lead who is only PIM-eligible for Azure AI Developer (HUB003: activate);
- Search still in API-key-only mode (CFG001);
- Azure OpenAI's identity missing Search Service Contributor for "add your data" (OYD001), and
  its Search Index Data Reader assigned four minutes before collection (propagation warning);
- the hub's identity without a role on storage it did not create (STG002);
- chat and embedding models in two Azure OpenAI resources, the embedding one behind a
  firewall without the trusted-services bypass and reached with a key it refuses (OYD005,
  NET001, CFG002);
- a deny assignment of a managed application blocking blob writes (CON003);
- an assignment to a deleted contractor (IDN002).
Traps that pass: access through nested groups, through an inherited resource-group
assignment, through a role renamed since (Azure AI User is now Foundry User), and through a
custom role with a wildcard.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diagnose.snapshot import dump_snapshot, parse_snapshot  # noqa: E402
from tests import arm  # noqa: E402

SUB = "6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-contoso-ai"
P = f"{RG}/providers"
HUB = f"{P}/Microsoft.MachineLearningServices/workspaces/hub-contoso"
PROJ_CHAT = f"{P}/Microsoft.MachineLearningServices/workspaces/proj-chat"
PROJ_DOCS = f"{P}/Microsoft.MachineLearningServices/workspaces/proj-docs"
AOAI = f"{P}/Microsoft.CognitiveServices/accounts/aoai-contoso"
AOAI_EMBED = f"{P}/Microsoft.CognitiveServices/accounts/aoai-contoso-embed"
SEARCH = f"{P}/Microsoft.Search/searchServices/srch-contoso"
ST_HUB = f"{P}/Microsoft.Storage/storageAccounts/stcontosoai"
ST_DATA = f"{P}/Microsoft.Storage/storageAccounts/stcontosodata"
KV = f"{P}/Microsoft.KeyVault/vaults/kv-contoso-ai"
ACR = f"{P}/Microsoft.ContainerRegistry/registries/crcontosoai"
APPI = f"{P}/Microsoft.Insights/components/appi-contoso"
COLLECTED_AT = "2026-11-20T09:30:00Z"

ANA, BEN, CHEN, DANA, EVE, FORMER = (
    arm.guid(f"demo:user:{n}") for n in ("ana", "ben", "chen", "dana", "eve", "former")
)
GRP_DEVS, GRP_DS, GRP_INTERNS, GRP_LEADS = (
    arm.guid(f"demo:group:{n}") for n in ("devs", "ds", "interns", "leads")
)
HUB_MI, AOAI_MI, EMBED_MI, SEARCH_MI, ML_APP, MANAGED_APP = (
    arm.guid(f"demo:sp:{n}") for n in ("hub", "aoai", "embed", "search", "mlapp", "managedapp")
)
SEARCH_DOCS_WILDCARD = arm.guid("demo:role:search-docs")


def role_id(role: str) -> str:
    return f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}"


def assign(scope: str, principal: str, role: str, kind: str = "User", **extra) -> dict:
    item = arm.role_assignment(scope, principal, role, principal_type=kind, **extra)
    item["properties"]["roleDefinitionId"] = role_id(role)
    return item


def workspace(resource_id: str, kind: str, properties: dict, identity: str) -> dict:
    return arm.resource(
        resource_id,
        "Microsoft.MachineLearningServices/workspaces",
        kind=kind,
        properties=properties,
        identity=arm.system_identity(identity, TENANT),
    )


def connection(
    parent: str,
    name: str,
    category: str,
    auth: str,
    target: str,
    resource_id: str | None = None,
    shared: bool = False,
    **metadata,
) -> dict:
    meta = {"ApiType": "Azure", **metadata}
    if resource_id:
        meta["ResourceId"] = resource_id
    return {
        "id": f"{parent}/connections/{name}",
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces/connections",
        "properties": {
            "category": category,
            "authType": auth,
            "target": target,
            "isSharedToAll": shared,
            "metadata": meta,
            "createdByWorkspaceArmId": parent,
            "group": "AzureAI",
        },
    }


def resources() -> list[dict]:
    hub = workspace(
        HUB,
        "Hub",
        {
            "friendlyName": "Contoso AI hub",
            "storageAccount": ST_HUB,
            "keyVault": KV,
            "applicationInsights": APPI,
            "containerRegistry": ACR,
            "systemDatastoresAuthMode": "identity",
            "associatedWorkspaces": [PROJ_CHAT, PROJ_DOCS],
            "workspaceHubConfig": {"defaultWorkspaceResourceGroup": RG},
            "publicNetworkAccess": "Enabled",
            "provisioningState": "Succeeded",
        },
        HUB_MI,
    )
    chat = workspace(
        PROJ_CHAT,
        "Project",
        {"friendlyName": "Support chat", "hubResourceId": HUB, "provisioningState": "Succeeded"},
        arm.guid("demo:sp:proj-chat"),
    )
    docs = workspace(
        PROJ_DOCS,
        "Project",
        {"friendlyName": "Document search", "hubResourceId": HUB, "provisioningState": "Succeeded"},
        arm.guid("demo:sp:proj-docs"),
    )
    aoai = arm.resource(
        AOAI,
        "Microsoft.CognitiveServices/accounts",
        kind="OpenAI",
        properties={
            "customSubDomainName": "aoai-contoso",
            "endpoint": "https://aoai-contoso.openai.azure.com/",
            "publicNetworkAccess": "Enabled",
            "disableLocalAuth": False,
            "networkAcls": {"defaultAction": "Allow", "bypass": "AzureServices"},
        },
        identity=arm.system_identity(AOAI_MI, TENANT),
    )
    embed = arm.resource(
        AOAI_EMBED,
        "Microsoft.CognitiveServices/accounts",
        kind="OpenAI",
        properties={
            "customSubDomainName": "aoai-contoso-embed",
            "endpoint": "https://aoai-contoso-embed.openai.azure.com/",
            "publicNetworkAccess": "Disabled",
            "disableLocalAuth": True,
            "networkAcls": {"defaultAction": "Deny", "bypass": "None", "ipRules": []},
        },
        identity=arm.system_identity(EMBED_MI, TENANT),
    )
    search = arm.resource(
        SEARCH,
        "Microsoft.Search/searchServices",
        properties={
            "replicaCount": 1,
            "partitionCount": 1,
            "hostingMode": "default",
            "publicNetworkAccess": "enabled",
            "authOptions": {"apiKeyOnly": {}},
            "disableLocalAuth": False,
            "networkRuleSet": {"ipRules": [], "bypass": "None"},
        },
        identity=arm.system_identity(SEARCH_MI, TENANT),
    )
    search["sku"] = {"name": "standard"}
    storage = []
    for rid, extra in ((ST_HUB, {}), (ST_DATA, {"isHnsEnabled": True})):
        name = rid.rsplit("/", 1)[-1]
        item = arm.resource(
            rid,
            "Microsoft.Storage/storageAccounts",
            kind="StorageV2",
            properties={
                "allowSharedKeyAccess": True,
                "publicNetworkAccess": "Enabled",
                "networkAcls": {"defaultAction": "Allow", "bypass": "AzureServices"},
                "primaryEndpoints": {
                    "blob": f"https://{name}.blob.core.windows.net/",
                    "file": f"https://{name}.file.core.windows.net/",
                },
                **extra,
            },
        )
        item["sku"] = {"name": "Standard_LRS", "tier": "Standard"}
        storage.append(item)
    kv = arm.resource(
        KV,
        "Microsoft.KeyVault/vaults",
        properties={
            "tenantId": TENANT,
            "enableRbacAuthorization": True,
            "sku": {"family": "A", "name": "standard"},
        },
    )
    acr = arm.resource(
        ACR, "Microsoft.ContainerRegistry/registries", properties={"adminUserEnabled": False}
    )
    appi = arm.resource(
        APPI, "Microsoft.Insights/components", kind="web", properties={"Application_Type": "web"}
    )
    connections = [
        connection(
            HUB,
            "aoai-shared",
            "AzureOpenAI",
            "AAD",
            "https://aoai-contoso.openai.azure.com/",
            AOAI,
            shared=True,
        ),
        connection(
            HUB,
            "search-shared",
            "CognitiveSearch",
            "AAD",
            "https://srch-contoso.search.windows.net",
            SEARCH,
            shared=True,
        ),
        connection(
            PROJ_CHAT,
            "blob-support-articles",
            "AzureBlob",
            "AAD",
            "https://stcontosodata.blob.core.windows.net/articles",
            ST_DATA,
            AccountName="stcontosodata",
            ContainerName="articles",
        ),
        connection(
            PROJ_CHAT,
            "onelake-sales",
            "AzureOneLake",
            "AAD",
            "https://onelake.dfs.fabric.microsoft.com/sales/Files",
        ),
        connection(
            PROJ_DOCS,
            "aoai-embeddings",
            "AzureOpenAI",
            "ApiKey",
            "https://aoai-contoso-embed.openai.azure.com/",
            AOAI_EMBED,
        ),
    ]
    return [
        arm.subscription(SUB, ["mg-ai-platform", TENANT]),
        hub,
        chat,
        docs,
        aoai,
        embed,
        search,
        *storage,
        kv,
        acr,
        appi,
        *connections,
    ]


def role_definitions() -> list[dict]:
    renamed = arm.builtin_role(arm.FOUNDRY_USER, SUB)
    renamed["properties"]["roleName"] = "Azure AI User"  # as a tenant listed it before the rename
    renamed["properties"].pop("formerRoleNames", None)
    wildcard = arm.custom_role(
        "Contoso Search Document Editor",
        role_id=SEARCH_DOCS_WILDCARD,
        actions=["Microsoft.Search/searchServices/*/read"],
        data_actions=["Microsoft.Search/searchServices/indexes/documents/*"],
    )
    wildcard["id"] = role_id(SEARCH_DOCS_WILDCARD)
    used = {
        arm.OWNER,
        arm.CONTRIBUTOR,
        arm.READER,
        arm.AZURE_AI_DEVELOPER,
        arm.AI_INFERENCE_DEPLOYMENT_OPERATOR,
        arm.OPENAI_USER,
        arm.SEARCH_INDEX_DATA_READER,
        arm.STORAGE_BLOB_DATA_CONTRIBUTOR,
        arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
        arm.STORAGE_BLOB_DATA_READER,
    }
    return [renamed, wildcard, *(arm.builtin_role(r, SUB) for r in sorted(used))]


def assignments() -> list[dict]:
    young = "2026-11-20T09:26:00.0000000Z"
    return [
        # The hub owner: Owner everywhere, which grants no data actions.
        assign(RG, ANA, arm.OWNER),
        assign(HUB, ANA, arm.OWNER),
        # ML leads build on the hub; they reach Azure OpenAI through a renamed role and Search
        # documents through a custom role with a wildcard.
        assign(HUB, GRP_LEADS, arm.AZURE_AI_DEVELOPER, "Group"),
        assign(AOAI, GRP_LEADS, arm.FOUNDRY_USER, "Group"),
        assign(SEARCH, GRP_LEADS, SEARCH_DOCS_WILDCARD, "Group"),
        assign(RG, GRP_LEADS, arm.STORAGE_BLOB_DATA_CONTRIBUTOR, "Group"),
        assign(RG, GRP_LEADS, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, "Group"),
        # Developers on the chat project, granted in the portal (with its two extra roles).
        assign(PROJ_CHAT, GRP_DEVS, arm.AZURE_AI_DEVELOPER, "Group"),
        assign(HUB, GRP_DEVS, arm.READER, "Group"),
        assign(RG, GRP_DEVS, arm.AI_INFERENCE_DEPLOYMENT_OPERATOR, "Group"),
        assign(RG, GRP_DEVS, arm.STORAGE_BLOB_DATA_CONTRIBUTOR, "Group"),
        assign(ST_HUB, GRP_DEVS, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, "Group"),
        # Data science on the docs project, granted with the CLI: nothing else came with it.
        assign(PROJ_DOCS, GRP_DS, arm.CONTRIBUTOR, "Group"),
        # Services.
        assign(ST_HUB, HUB_MI, arm.STORAGE_BLOB_DATA_CONTRIBUTOR, "ServicePrincipal"),
        assign(ST_HUB, HUB_MI, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, "ServicePrincipal"),
        assign(SEARCH, AOAI_MI, arm.SEARCH_INDEX_DATA_READER, "ServicePrincipal", created_on=young),
        assign(AOAI, SEARCH_MI, arm.OPENAI_USER, "ServicePrincipal"),
        assign(AOAI_EMBED, SEARCH_MI, arm.OPENAI_USER, "ServicePrincipal"),
        assign(RG, ML_APP, arm.READER, "ServicePrincipal"),
        # A contractor who left: the assignment stayed.
        assign(PROJ_CHAT, FORMER, arm.CONTRIBUTOR),
    ]


def principals() -> list[dict]:
    p = arm.principal
    return [
        p(ANA, "User", "Ana Lopez", [], userPrincipalName="ana.lopez@contoso.com"),
        p(BEN, "User", "Ben Carter", [GRP_DEVS], userPrincipalName="ben.carter@contoso.com"),
        p(CHEN, "User", "Chen Wei", [], userPrincipalName="chen.wei@contoso.com"),
        p(DANA, "User", "Dana Smith", [GRP_INTERNS], userPrincipalName="dana.smith@contoso.com"),
        p(EVE, "User", "Eve Martin", [GRP_DS], userPrincipalName="eve.martin@contoso.com"),
        p(
            FORMER,
            "User",
            "Former Contractor",
            [],
            deleted=True,
            deletedEvidence=(
                f"GET /v1.0/directoryObjects/{FORMER} answered 404 Request_ResourceNotFound "
                "while other directory objects were readable"
            ),
        ),
        p(GRP_DEVS, "Group", "grp-ai-developers", []),
        p(GRP_DS, "Group", "grp-data-science", []),
        p(GRP_INTERNS, "Group", "grp-ds-interns", [GRP_DS]),
        p(GRP_LEADS, "Group", "grp-ml-leads", []),
        p(HUB_MI, "ServicePrincipal", "hub-contoso", []),
        p(AOAI_MI, "ServicePrincipal", "aoai-contoso", []),
        p(EMBED_MI, "ServicePrincipal", "aoai-contoso-embed", []),
        p(SEARCH_MI, "ServicePrincipal", "srch-contoso", []),
        p(
            ML_APP,
            "ServicePrincipal",
            "Azure Machine Learning",
            [],
            appId="0736f41a-0425-4b46-bdb5-1563eff02385",
        ),
        p(MANAGED_APP, "ServicePrincipal", "Contoso archive guard (managed application)", []),
    ]


def denies() -> list[dict]:
    return [
        arm.deny_assignment(
            ST_DATA,
            name="Contoso archive guard: read-only articles",
            principals=[arm.EVERYONE],
            data_actions=[
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
            ],
            exclude=[(MANAGED_APP, "ServicePrincipal")],
            description="Created by the managed application 'contoso-archive-guard': articles are "
            "written only by the archive pipeline.",
        )
    ]


def eligibilities() -> list[dict]:
    return [arm.eligibility(HUB, CHEN, arm.AZURE_AI_DEVELOPER)]


def build() -> dict:
    data = arm.build(
        resources=resources(),
        roleDefinitions=role_definitions(),
        roleAssignments=assignments(),
        denyAssignments=denies(),
        roleEligibilities=eligibilities(),
        principals=principals(),
    )
    data["collectedAt"] = COLLECTED_AT
    data["tool"] = {"name": "ai-hub-diagnose", "version": "demo"}
    data["target"] = {"hub": HUB, "project": None}
    return data


def main() -> int:
    data = build()
    parse_snapshot(data, "demo")
    out = ROOT / "diagnose" / "demo" / "demo_hub.json"
    out.write_text(dump_snapshot(data), encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
