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
- an assignment to a deleted contractor (IDN002);
- the hub's identity lost its role on the resource group (Azure AI Administrator, or
  Contributor for hubs created before 2024-11-19), so it cannot create the resources it manages
  (IDN003);
- the hub's managed network reaches Search through a private endpoint whose connection is still
  Pending, and the hub's identity may not approve it (NET002);
- the support chat project sends traces to Application Insights, and its builders cannot read
  them: no Log Analytics Reader on the component or its Log Analytics workspace (INS002, a
  warning: tracing is optional).
Traps that pass: access through nested groups, through an inherited resource-group
assignment, through a role renamed since (Azure AI User is now Foundry User), and through a
custom role with a wildcard.

Beside the hub, in the same snapshot (the target stays the hub) and its own resource group
rg-contoso-agents, the agents team's Foundry resource "aif-contoso" (kind AIServices,
allowProjectManagement, two OpenAI deployments) with one project, "proj-agents", set up for the
agent service's standard setup: Entra ID connections to a Cosmos DB account, a Search service
and a storage account, named by the project's capability host, and the Cosmos account's SQL
role definitions and assignments as ARM lists them. Its faults:
- the project identity holds Search Service Contributor on the agents' Search service but not
  Search Index Data Contributor (vector stores cannot write indexes);
- Gus holds Foundry User on the project only: agents work, model inference (authorized at the
  account) fails;
- the project identity's Cosmos DB Built-in Data Contributor is on the agents_archive database,
  not enterprise_memory (agent threads cannot be written).
Kim Park owns its resource group (Owner there: who can run the fixes). Its traps that pass:
builders (grp-agent-builders, Fay) with Foundry User on the account; Hana, a reader with Reader
on the project; Ivan, an app tester with only Foundry Agent Consumer; the project identity's
blob roles granted the templates' way (Storage Blob Data Contributor, and Storage Blob Data
Owner under a condition, at the storage account, no Storage Account Contributor); Cosmos DB
Operator on the Cosmos account; the project identity's Foundry User on the account.
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
# The central Log Analytics workspace, in the platform team's monitoring resource group.
LAW = (
    f"/subscriptions/{SUB}/resourceGroups/rg-contoso-monitor/providers/"
    "Microsoft.OperationalInsights/workspaces/log-contoso"
)
COLLECTED_AT = "2026-11-20T09:30:00Z"

# The agents team's Foundry resource, in its own resource group beside the hub's.
RG_AGENTS = f"/subscriptions/{SUB}/resourceGroups/rg-contoso-agents"
PA = f"{RG_AGENTS}/providers"
FOUNDRY = f"{PA}/Microsoft.CognitiveServices/accounts/aif-contoso"
PROJ_AGENTS = f"{FOUNDRY}/projects/proj-agents"
COSMOS = f"{PA}/Microsoft.DocumentDB/databaseAccounts/cosmos-contoso-agents"
SEARCH_AGENTS = f"{PA}/Microsoft.Search/searchServices/srch-agents-contoso"
ST_AGENTS = f"{PA}/Microsoft.Storage/storageAccounts/stcontosoagents"
MEMORY_DB = f"{COSMOS}/dbs/enterprise_memory"
COSMOS_DATA_READER = "00000000-0000-0000-0000-000000000001"
COSMOS_DATA_CONTRIBUTOR = "00000000-0000-0000-0000-000000000002"

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
FAY, GUS, HANA, IVAN, KIM = (
    arm.guid(f"demo:user:{n}") for n in ("fay", "gus", "hana", "ivan", "kim")
)
GRP_AGENT_BUILDERS = arm.guid("demo:group:agent-builders")
FOUNDRY_MI, AGENTS_MI, SEARCH_AGENTS_MI = (
    arm.guid(f"demo:sp:{n}") for n in ("foundry", "proj-agents", "srch-agents")
)
FOUNDRY_USER = "53ca6127-db72-4b80-b1b0-d745d6d5456d"
FOUNDRY_AGENT_CONSUMER = "eed3b665-ab3a-47b6-8f48-c9382fb1dad6"
FOUNDRY_ACCOUNT_OWNER = "e47c6f54-e4a2-4754-9501-8e0985b135e1"
COSMOS_DB_OPERATOR = "230815da-be43-4aae-9cb4-875f7bd000aa"
SEARCH_SERVICE_CONTRIBUTOR = "7ca78c08-252a-4471-8644-bb5ff32d4ba0"
STORAGE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
AGENT_CONTAINERS_ONLY = (
    "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags/read'})"
    " AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/"
    "filter/action'}) AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/"
    "containers/blobs/tags/write'})) OR (@Resource[Microsoft.Storage/storageAccounts/"
    "blobServices/containers:name] StringStartsWithIgnoreCase '7f3c9a52-6d1e-4b8f-a0c2-"
    "5e9d8b4a1f36' AND @Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]"
    " StringLikeIgnoreCase '*-azureml-agent'))"
)
"""The condition Microsoft's agent templates put on the project identity's Storage Blob Data
Owner at the storage account: tag reads and writes only on the project's agent containers."""


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
            # Its managed network reaches Search through a private endpoint it created.
            "managedNetwork": {
                "isolationMode": "AllowInternetOutbound",
                "outboundRules": {
                    "search-pe": {
                        "type": "PrivateEndpoint",
                        "category": "UserDefined",
                        "status": "Inactive",
                        "destination": {
                            "serviceResourceId": SEARCH,
                            "subresourceTarget": "searchService",
                        },
                    }
                },
                "status": {"status": "Active", "sparkReady": False},
            },
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
        APPI,
        "Microsoft.Insights/components",
        kind="web",
        properties={"Application_Type": "web", "WorkspaceResourceId": LAW},
    )
    law = arm.resource(
        LAW,
        "Microsoft.OperationalInsights/workspaces",
        properties={
            "sku": {"name": "PerGB2018"},
            "retentionInDays": 30,
            "features": {"enableLogAccessUsingOnlyResourcePermissions": True},
        },
    )
    # The managed network's private endpoint on Search waits for an approval no one gave.
    search_endpoint = {
        "id": f"{SEARCH}/privateEndpointConnections/hub-contoso-search-pe",
        "name": "hub-contoso-search-pe",
        "type": "Microsoft.Search/searchServices/privateEndpointConnections",
        "properties": {
            "privateEndpoint": {
                "id": f"/subscriptions/{SUB}/resourceGroups/azureml-rg-hub-contoso/providers/"
                "Microsoft.Network/privateEndpoints/hub-contoso-search-pe"
            },
            "privateLinkServiceConnectionState": {
                "status": "Pending",
                "description": "Managed network endpoint of hub-contoso",
                "actionsRequired": "None",
            },
            "provisioningState": "Succeeded",
        },
    }
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
        # Traces of the support chat go to the hub's Application Insights.
        connection(
            PROJ_CHAT,
            "appi-traces",
            "AppInsights",
            "AAD",
            APPI,
            APPI,
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
        law,
        search_endpoint,
        *connections,
        *foundry_resources(),
    ]


def foundry_connection(name: str, category: str, target: str, resource_id: str) -> dict:
    """A Foundry project's connection as ARM returns it (Entra ID, not shared)."""
    return {
        "id": f"{PROJ_AGENTS}/connections/{name}",
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts/projects/connections",
        "properties": {
            "category": category,
            "authType": "AAD",
            "target": target,
            "isSharedToAll": False,
            "sharedUserList": [],
            "metadata": {"ApiType": "Azure", "ResourceId": resource_id, "location": "eastus2"},
            "group": "AzureAI",
        },
    }


def deployment(name: str, model: str, version: str, sku: str, capacity: int) -> dict:
    return {
        "id": f"{FOUNDRY}/deployments/{name}",
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "sku": {"name": sku, "capacity": capacity},
        "properties": {
            "model": {"format": "OpenAI", "name": model, "version": version},
            "versionUpgradeOption": "OnceNewDefaultVersionAvailable",
            "currentCapacity": capacity,
            "raiPolicyName": "Microsoft.DefaultV2",
            "provisioningState": "Succeeded",
        },
    }


def cosmos_sql_definition(role: str, name: str, data_actions: list[str]) -> dict:
    return {
        "id": f"{COSMOS}/sqlRoleDefinitions/{role}",
        "name": role,
        "type": "Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions",
        "properties": {
            "roleName": name,
            "type": "BuiltInRole",
            "assignableScopes": [COSMOS],
            "permissions": [{"dataActions": data_actions, "notDataActions": []}],
        },
    }


def cosmos_sql_assignment(scope: str, principal: str, role: str) -> dict:
    name = arm.guid(f"demo:cosmos-ra:{scope}:{principal}:{role}")
    return {
        "id": f"{COSMOS}/sqlRoleAssignments/{name}",
        "name": name,
        "type": "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments",
        "properties": {
            "roleDefinitionId": f"{COSMOS}/sqlRoleDefinitions/{role}",
            "scope": scope,
            "principalId": principal,
        },
    }


def foundry_resources() -> list[dict]:
    """The Foundry resource, its project with the standard agent setup, and the customer
    resources its capability host names, as ARM returns them."""
    foundry = arm.resource(
        FOUNDRY,
        "Microsoft.CognitiveServices/accounts",
        kind="AIServices",
        properties={
            "allowProjectManagement": True,
            "customSubDomainName": "aif-contoso",
            "endpoint": "https://aif-contoso.cognitiveservices.azure.com/",
            "endpoints": {
                "AI Foundry API": "https://aif-contoso.services.ai.azure.com/",
                "OpenAI Language Model Instance API": "https://aif-contoso.openai.azure.com/",
            },
            "associatedProjects": ["proj-agents"],
            "defaultProject": "proj-agents",
            "publicNetworkAccess": "Enabled",
            "disableLocalAuth": True,
            "networkAcls": {"defaultAction": "Allow", "virtualNetworkRules": [], "ipRules": []},
            "provisioningState": "Succeeded",
        },
        identity=arm.system_identity(FOUNDRY_MI, TENANT),
        location="eastus2",
    )
    foundry["sku"] = {"name": "S0"}
    project = arm.resource(
        PROJ_AGENTS,
        "Microsoft.CognitiveServices/accounts/projects",
        properties={
            "displayName": "Support agents",
            "description": "Agents that answer support tickets",
            "isDefault": True,
            "endpoints": {
                "AI Foundry API": "https://aif-contoso.services.ai.azure.com/api/projects/proj-agents"
            },
            "provisioningState": "Succeeded",
        },
        identity=arm.system_identity(AGENTS_MI, TENANT),
        location="eastus2",
    )
    connections = [
        foundry_connection(
            "cosmos-agents",
            "CosmosDb",
            "https://cosmos-contoso-agents.documents.azure.com:443/",
            COSMOS,
        ),
        foundry_connection(
            "search-agents",
            "CognitiveSearch",
            "https://srch-agents-contoso.search.windows.net",
            SEARCH_AGENTS,
        ),
        foundry_connection(
            "storage-agents",
            "AzureStorageAccount",
            "https://stcontosoagents.blob.core.windows.net/",
            ST_AGENTS,
        ),
    ]
    host = {
        "id": f"{PROJ_AGENTS}/capabilityHosts/caphost-agents",
        "name": "caphost-agents",
        "type": "Microsoft.CognitiveServices/accounts/projects/capabilityHosts",
        "properties": {
            "capabilityHostKind": "Agents",
            "threadStorageConnections": ["cosmos-agents"],
            "vectorStoreConnections": ["search-agents"],
            "storageConnections": ["storage-agents"],
            "provisioningState": "Succeeded",
        },
    }
    cosmos = arm.resource(
        COSMOS,
        "Microsoft.DocumentDB/databaseAccounts",
        kind="GlobalDocumentDB",
        properties={
            "databaseAccountOfferType": "Standard",
            "documentEndpoint": "https://cosmos-contoso-agents.documents.azure.com:443/",
            "disableLocalAuth": True,
            "publicNetworkAccess": "Enabled",
            "consistencyPolicy": {"defaultConsistencyLevel": "Session"},
            "locations": [{"locationName": "East US 2", "failoverPriority": 0}],
            "provisioningState": "Succeeded",
        },
        location="eastus2",
    )
    search = arm.resource(
        SEARCH_AGENTS,
        "Microsoft.Search/searchServices",
        properties={
            "replicaCount": 1,
            "partitionCount": 1,
            "hostingMode": "default",
            "publicNetworkAccess": "enabled",
            "authOptions": {"aadOrApiKey": {"aadAuthFailureMode": "http401WithBearerChallenge"}},
            "disableLocalAuth": False,
            "networkRuleSet": {"ipRules": [], "bypass": "AzureServices"},
        },
        identity=arm.system_identity(SEARCH_AGENTS_MI, TENANT),
        location="eastus2",
    )
    search["sku"] = {"name": "standard"}
    storage = arm.resource(
        ST_AGENTS,
        "Microsoft.Storage/storageAccounts",
        kind="StorageV2",
        properties={
            "allowSharedKeyAccess": False,
            "publicNetworkAccess": "Enabled",
            "networkAcls": {"defaultAction": "Allow", "bypass": "AzureServices"},
            "primaryEndpoints": {"blob": "https://stcontosoagents.blob.core.windows.net/"},
        },
        location="eastus2",
    )
    storage["sku"] = {"name": "Standard_ZRS", "tier": "Standard"}
    sql_definitions = [
        cosmos_sql_definition(
            COSMOS_DATA_READER,
            "Cosmos DB Built-in Data Reader",
            [
                "Microsoft.DocumentDB/databaseAccounts/readMetadata",
                "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/executeQuery",
                "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/readChangeFeed",
                "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read",
            ],
        ),
        cosmos_sql_definition(
            COSMOS_DATA_CONTRIBUTOR,
            "Cosmos DB Built-in Data Contributor",
            [
                "Microsoft.DocumentDB/databaseAccounts/readMetadata",
                "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/*",
                "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/*",
            ],
        ),
    ]
    sql_assignments = [
        # The project identity's data role went to the old database, not enterprise_memory.
        cosmos_sql_assignment(f"{COSMOS}/dbs/agents_archive", AGENTS_MI, COSMOS_DATA_CONTRIBUTOR),
        # The agent builders read threads across the account.
        cosmos_sql_assignment(COSMOS, GRP_AGENT_BUILDERS, COSMOS_DATA_READER),
    ]
    return [
        foundry,
        deployment("gpt-4o", "gpt-4o", "2024-11-20", "GlobalStandard", 50),
        deployment("text-embedding-3-large", "text-embedding-3-large", "1", "Standard", 120),
        project,
        *connections,
        host,
        cosmos,
        *sql_definitions,
        *sql_assignments,
        search,
        storage,
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
        FOUNDRY_AGENT_CONSUMER,
        COSMOS_DB_OPERATOR,
        SEARCH_SERVICE_CONTRIBUTOR,
        STORAGE_BLOB_DATA_OWNER,
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
        *foundry_assignments(),
    ]


def foundry_assignments() -> list[dict]:
    sp = "ServicePrincipal"
    return [
        # The agents team's platform owner: Owner of their resource group; the Azure Machine
        # Learning app reads it, as it reads the hub's.
        assign(RG_AGENTS, KIM, arm.OWNER),
        # ... and of the monitoring resource group, with the central Log Analytics workspace.
        assign(LAW.split("/providers/")[0], KIM, arm.OWNER),
        assign(RG_AGENTS, ML_APP, arm.READER, "ServicePrincipal"),
        # Agent builders hold Foundry User on the account: agents and model inference.
        assign(FOUNDRY, GRP_AGENT_BUILDERS, FOUNDRY_USER, "Group"),
        # Gus was given Foundry User on the project only: inference is authorized at the account.
        assign(PROJ_AGENTS, GUS, FOUNDRY_USER),
        # A support lead who looks, and an app tester who calls the published agent.
        assign(PROJ_AGENTS, HANA, arm.READER),
        assign(PROJ_AGENTS, IVAN, FOUNDRY_AGENT_CONSUMER),
        # The project identity runs the agents and calls the models: Foundry User on the account,
        # as Microsoft's minimum setup assigns it.
        assign(FOUNDRY, AGENTS_MI, FOUNDRY_USER, sp),
        # The project identity, standard agent setup the templates' way: blob roles at the
        # storage account (Owner under a condition), no Storage Account Contributor; on Search
        # only Search Service Contributor (Search Index Data Contributor is missing).
        assign(COSMOS, AGENTS_MI, COSMOS_DB_OPERATOR, sp),
        assign(SEARCH_AGENTS, AGENTS_MI, SEARCH_SERVICE_CONTRIBUTOR, sp),
        assign(ST_AGENTS, AGENTS_MI, arm.STORAGE_BLOB_DATA_CONTRIBUTOR, sp),
        assign(ST_AGENTS, AGENTS_MI, STORAGE_BLOB_DATA_OWNER, sp, condition=AGENT_CONTAINERS_ONLY),
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
        p(
            FAY,
            "User",
            "Fay Okafor",
            [GRP_AGENT_BUILDERS],
            userPrincipalName="fay.okafor@contoso.com",
        ),
        p(GUS, "User", "Gus Novak", [], userPrincipalName="gus.novak@contoso.com"),
        p(KIM, "User", "Kim Park", [], userPrincipalName="kim.park@contoso.com"),
        p(HANA, "User", "Hana Sato", [], userPrincipalName="hana.sato@contoso.com"),
        p(IVAN, "User", "Ivan Petrov", [], userPrincipalName="ivan.petrov@contoso.com"),
        p(GRP_AGENT_BUILDERS, "Group", "grp-agent-builders", []),
        p(FOUNDRY_MI, "ServicePrincipal", "aif-contoso", []),
        p(AGENTS_MI, "ServicePrincipal", "aif-contoso/proj-agents", []),
        p(arm.guid("demo:sp:proj-chat"), "ServicePrincipal", "proj-chat", []),
        p(arm.guid("demo:sp:proj-docs"), "ServicePrincipal", "proj-docs", []),
        p(SEARCH_AGENTS_MI, "ServicePrincipal", "srch-agents-contoso", []),
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
