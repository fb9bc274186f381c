"""Fixture sets built in code, for scale: a hub with many projects and connections.

`big_hub(projects, connections_per_project=2, people_per_project=5)` is what
benchmarks/bench_collect.py serves: every project has its own managed identity, members with
Azure AI Developer on it, and Entra ID connections to one of a few Azure OpenAI accounts and
Search services; assignments are listed once for the subscription, as ARM returns them.
"""

from __future__ import annotations

import uuid
from typing import Any

from diagnose.collect import apiversions, queries
from diagnose.testing import listings
from diagnose.testing.fixtures import Exchange, FixtureSet, exchange

SUBSCRIPTION = "0a0a0a0a-1111-2222-3333-444444444444"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
GROUP = "rg-scale"
RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}"
ML = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces"
HUB = f"{ML}/hub-scale"
AML_APP_ID = "0736f41a-0425-4b46-bdb5-1563eff02385"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
AI_DEVELOPER = "64702f94-c441-49e6-a78b-ef80e0188fee"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
SEARCH_INDEX_READER = "1407120a-92aa-4202-b7e9-c0e197c71c8f"
BLOB_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"


def _id(seed: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"scale:{seed}"))


def _identity(principal: str) -> dict[str, Any]:
    return {"type": "SystemAssigned", "principalId": principal, "tenantId": TENANT}


def _resource(
    resource_id: str,
    resource_type: str,
    properties: dict[str, Any],
    *,
    kind: str | None = None,
    identity: dict[str, Any] | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": resource_id,
        "name": resource_id.rsplit("/", 1)[-1],
        "type": resource_type,
        "location": "eastus2",
        "properties": properties,
    }
    if kind:
        item["kind"] = kind
    if identity:
        item["identity"] = identity
    return item


def _assignment(scope: str, principal: str, role: str, kind: str) -> dict[str, Any]:
    name = _id(f"ra:{scope}:{principal}:{role}")
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": f"/subscriptions/{SUBSCRIPTION}/providers/"
            f"Microsoft.Authorization/roleDefinitions/{role}",
            "principalId": principal,
            "principalType": kind,
            "scope": scope,
            "createdOn": "2025-03-01T10:00:00.0000000Z",
        },
    }


def big_hub(
    projects: int = 20,
    connections_per_project: int = 2,
    accounts: int = 2,
    search_services: int = 1,
    members: int = 10,
    people_per_project: int = 1,
) -> FixtureSet:
    """`people_per_project` people hold Azure AI Developer on each project (at least
    `members` people in all, shared round-robin when there are more projects than people)."""
    from diagnose.catalog import builtin_role_definitions

    out: list[Exchange] = []

    def get(path: str, version: str, body: Any) -> None:
        out.append(exchange("GET", path, {"api-version": version}, body=body))

    storage = f"{RG}/providers/Microsoft.Storage/storageAccounts/stscale"
    vault = f"{RG}/providers/Microsoft.KeyVault/vaults/kv-scale"
    hub_mi = _id("mi:hub")
    project_ids = [f"{ML}/proj-{i:02d}" for i in range(projects)]
    hub = _resource(
        HUB,
        "Microsoft.MachineLearningServices/workspaces",
        {
            "storageAccount": storage,
            "keyVault": vault,
            "associatedWorkspaces": project_ids,
            "systemDatastoresAuthMode": "identity",
        },
        kind="Hub",
        identity=_identity(hub_mi),
    )
    get(HUB, apiversions.WORKSPACES, hub)
    get(
        storage,
        apiversions.STORAGE,
        _resource(storage, "Microsoft.Storage/storageAccounts", {"allowSharedKeyAccess": False}),
    )
    get(
        vault,
        apiversions.KEY_VAULT,
        _resource(vault, "Microsoft.KeyVault/vaults", {"enableRbacAuthorization": True}),
    )
    get(f"{HUB}/connections", apiversions.WORKSPACES, {"value": []})

    aoai = [
        f"{RG}/providers/Microsoft.CognitiveServices/accounts/aoai-{i}" for i in range(accounts)
    ]
    search = [
        f"{RG}/providers/Microsoft.Search/searchServices/srch-{i}" for i in range(search_services)
    ]
    targets = [*aoai, *search]
    principals: list[str] = [hub_mi]
    for target in aoai:
        principal = _id(f"mi:{target}")
        principals.append(principal)
        get(
            target,
            apiversions.COGNITIVE_SERVICES,
            _resource(
                target,
                "Microsoft.CognitiveServices/accounts",
                {"customSubDomainName": target.rsplit("/", 1)[-1]},
                kind="OpenAI",
                identity=_identity(principal),
            ),
        )
    for target in search:
        principal = _id(f"mi:{target}")
        principals.append(principal)
        get(
            target,
            apiversions.SEARCH,
            _resource(
                target,
                "Microsoft.Search/searchServices",
                {"authOptions": {"aadOrApiKey": {"aadAuthFailureMode": "http403"}}},
                identity=_identity(principal),
            ),
        )

    users = [_id(f"user:{i}") for i in range(max(members, projects * people_per_project))]
    assignments = [
        _assignment(storage, hub_mi, BLOB_CONTRIBUTOR, "ServicePrincipal"),
        _assignment(RG, _id("group:ai"), READER, "Group"),
    ]
    workspaces = [hub]
    for index, project_id in enumerate(project_ids):
        project_mi = _id(f"mi:{project_id}")
        principals.append(project_mi)
        workspaces.append(
            _resource(
                project_id,
                "Microsoft.MachineLearningServices/workspaces",
                {"hubResourceId": HUB},
                kind="Project",
                identity=_identity(project_mi),
            )
        )
        connections = []
        for number in range(connections_per_project):
            target = targets[(index + number) % len(targets)]
            category = "CognitiveSearch" if "searchServices" in target else "AzureOpenAI"
            connections.append(
                {
                    "id": f"{project_id}/connections/conn-{number}",
                    "name": f"conn-{number}",
                    "type": "Microsoft.MachineLearningServices/workspaces/connections",
                    "properties": {
                        "category": category,
                        "authType": "AAD",
                        "target": f"https://{target.rsplit('/', 1)[-1]}.example",
                        "metadata": {"ResourceId": target},
                    },
                }
            )
        get(f"{project_id}/connections", apiversions.WORKSPACES, {"value": connections})
        for person in range(people_per_project):
            member = users[(index * people_per_project + person) % len(users)]
            assignments.append(_assignment(project_id, member, AI_DEVELOPER, "User"))
        assignments.append(
            _assignment(aoai[index % len(aoai)], project_mi, OPENAI_USER, "ServicePrincipal")
        )
    for target in search:
        for account in aoai:
            assignments.append(
                _assignment(target, _id(f"mi:{account}"), SEARCH_INDEX_READER, "ServicePrincipal")
            )
    principals += [*users, _id("group:ai")]
    get(
        f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.MachineLearningServices/workspaces",
        apiversions.WORKSPACES,
        {"value": workspaces},
    )
    out += group_listings(RG, assignments)
    out.append(
        exchange(
            "POST",
            "/providers/Microsoft.ResourceGraph/resources",
            {"api-version": apiversions.RESOURCE_GRAPH},
            json_body={
                "query": queries.subscription_rows(),
                "options": {"resultFormat": "objectArray"},
                "subscriptions": [SUBSCRIPTION],
            },
            body={
                "data": [
                    {
                        "id": f"/subscriptions/{SUBSCRIPTION}",
                        "name": "scale",
                        "type": "microsoft.resources/subscriptions",
                        "subscriptionId": SUBSCRIPTION,
                        "tenantId": TENANT,
                        "properties": {
                            "managementGroupAncestorsChain": [
                                {"name": TENANT, "displayName": "Tenant Root Group"}
                            ]
                        },
                    }
                ]
            },
        )
    )
    for definition in builtin_role_definitions():
        get(definition["id"], apiversions.ROLE_DEFINITIONS, definition)

    aml_app = _id("sp:aml")
    principals.append(aml_app)
    out.append(
        exchange(
            "GET",
            f"/v1.0/servicePrincipals(appId='{AML_APP_ID}')",
            {"$select": "id,appId,displayName,servicePrincipalType"},
            body={"id": aml_app, "appId": AML_APP_ID, "displayName": "Azure Machine Learning"},
        )
    )
    objects = [
        {
            "@odata.type": "#microsoft.graph.user",
            "id": u,
            "displayName": f"user {u[:8]}",
            "userPrincipalName": f"{u[:8]}@contoso.com",
        }
        for u in users
    ]
    objects.append(
        {"@odata.type": "#microsoft.graph.group", "id": _id("group:ai"), "displayName": "AI team"}
    )
    objects += [
        {
            "@odata.type": "#microsoft.graph.servicePrincipal",
            "id": p,
            "displayName": f"identity {p[:8]}",
            "appId": _id(f"app:{p}"),
        }
        for p in principals
        if p not in users and p != _id("group:ai")
    ]
    getbyids = exchange("POST", "/v1.0/directoryObjects/getByIds", body={"value": objects})
    out.append(
        Exchange(
            getbyids.method, getbyids.path, {}, None, False, 200, getbyids.body, {}, by_ids=True
        )
    )
    for principal in principals:
        groups = [_id("group:ai")] if principal in users else []
        out.append(
            exchange(
                "POST",
                f"/v1.0/directoryObjects/{principal}/getMemberGroups",
                json_body={"securityEnabledOnly": False},
                body={"value": groups},
            )
        )
    return FixtureSet("big-hub", out)


FOUNDRY_GROUP = "rg-foundry-scale"
FOUNDRY_RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{FOUNDRY_GROUP}"
FOUNDRY = f"{FOUNDRY_RG}/providers/Microsoft.CognitiveServices/accounts/fdy-scale"
"""The Foundry resource big_foundry() serves."""
FOUNDRY_USER = "53ca6127-db72-4b80-b1b0-d745d6d5456d"
COGNITIVE_SERVICES_USER = "a97b65f3-24c7-4388-baec-2e87135dc908"
SEARCH_INDEX_CONTRIBUTOR = "8ebe5a00-799e-43f5-93ac-243d3dce84a7"
COSMOS_OPERATOR = "230815da-be43-4aae-9cb4-875f7bd000aa"


def big_foundry(
    projects: int = 100, people: int = 2000, unrelated: int = 20000, accounts: int = 2
) -> FixtureSet:
    """A Foundry resource with `projects` projects, each with its own managed identity, three
    Entra ID connections (Azure OpenAI, Search, Cosmos DB) and a capability host naming them;
    `people` users with Foundry User on one project each (the same number per project) and
    `unrelated` assignments of theirs elsewhere in the subscription (virtual machines in other
    resource groups: listed, and not kept); the Cosmos DB account's SQL role assignments give
    every project identity the data contributor role."""
    from diagnose.catalog import builtin_role_definitions

    out: list[Exchange] = []
    cognitive = {"api-version": apiversions.COGNITIVE_SERVICES}

    def get(path: str, version: str, body: Any, **query: str) -> None:
        out.append(exchange("GET", path, {"api-version": version, **query}, body=body))

    account_mi = _id("fdy:mi:account")
    get(
        FOUNDRY,
        apiversions.COGNITIVE_SERVICES,
        _resource(
            FOUNDRY,
            "Microsoft.CognitiveServices/accounts",
            {"allowProjectManagement": True, "customSubDomainName": "fdy-scale"},
            kind="AIServices",
            identity=_identity(account_mi),
        ),
    )
    aoai = [
        f"{FOUNDRY_RG}/providers/Microsoft.CognitiveServices/accounts/aoai-{i}"
        for i in range(accounts)
    ]
    search = f"{FOUNDRY_RG}/providers/Microsoft.Search/searchServices/srch-scale"
    cosmos = f"{FOUNDRY_RG}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-scale"
    identities: list[str] = [account_mi]
    for target in aoai:
        identities.append(_id(f"fdy:mi:{target}"))
        get(
            target,
            apiversions.COGNITIVE_SERVICES,
            _resource(
                target,
                "Microsoft.CognitiveServices/accounts",
                {"customSubDomainName": target.rsplit("/", 1)[-1]},
                kind="OpenAI",
                identity=_identity(identities[-1]),
            ),
        )
    get(search, apiversions.SEARCH, _resource(search, "Microsoft.Search/searchServices", {}))
    get(
        cosmos,
        apiversions.COSMOS_DB,
        _resource(cosmos, "Microsoft.DocumentDB/databaseAccounts", {"disableLocalAuth": True}),
    )
    out.append(
        exchange(
            "GET",
            f"{FOUNDRY}/connections",
            {**cognitive, "includeAll": "false"},
            body={"value": []},
        )
    )
    for child in ("deployments", "privateEndpointConnections", "capabilityHosts"):
        get(f"{FOUNDRY}/{child}", apiversions.COGNITIVE_SERVICES, {"value": []})

    users = [_id(f"fdy:user:{i}") for i in range(people)]
    assignments: list[dict[str, Any]] = []
    sql_assignments: list[dict[str, Any]] = []
    project_items: list[dict[str, Any]] = []
    for index in range(projects):
        project_id = f"{FOUNDRY}/projects/proj-{index:03d}"
        project_mi = _id(f"fdy:mi:{project_id}")
        identities.append(project_mi)
        project_items.append(
            _resource(
                project_id,
                "Microsoft.CognitiveServices/accounts/projects",
                {"displayName": f"project {index}"},
                identity=_identity(project_mi),
            )
        )
        targets = (
            ("aoai", "AzureOpenAI", aoai[index % len(aoai)]),
            ("search", "CognitiveSearch", search),
            ("cosmos", "CosmosDB", cosmos),
        )
        connections = [
            {
                "id": f"{project_id}/connections/{name}",
                "name": name,
                "type": "Microsoft.CognitiveServices/accounts/projects/connections",
                "properties": {
                    "category": category,
                    "authType": "AAD",
                    "target": f"https://{target.rsplit('/', 1)[-1]}.example",
                    "metadata": {"ResourceId": target},
                },
            }
            for name, category, target in targets
        ]
        out.append(
            exchange(
                "GET",
                f"{project_id}/connections",
                {**cognitive, "includeAll": "false"},
                body={"value": connections},
            )
        )
        host = {
            "id": f"{project_id}/capabilityHosts/agents",
            "name": "agents",
            "type": "Microsoft.CognitiveServices/accounts/projects/capabilityHosts",
            "properties": {
                "capabilityHostKind": "Agents",
                "threadStorageConnections": ["cosmos"],
                "vectorStoreConnections": ["search"],
                "aiServicesConnections": ["aoai"],
            },
        }
        get(f"{project_id}/capabilityHosts", apiversions.COGNITIVE_SERVICES, {"value": [host]})
        assignments.append(
            _assignment(
                aoai[index % len(aoai)], project_mi, COGNITIVE_SERVICES_USER, "ServicePrincipal"
            )
        )
        assignments.append(
            _assignment(search, project_mi, SEARCH_INDEX_CONTRIBUTOR, "ServicePrincipal")
        )
        assignments.append(_assignment(cosmos, project_mi, COSMOS_OPERATOR, "ServicePrincipal"))
        name = _id(f"fdy:sql:{project_mi}")
        sql_assignments.append(
            {
                "id": f"{cosmos}/sqlRoleAssignments/{name}",
                "name": name,
                "type": "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments",
                "properties": {
                    "roleDefinitionId": f"{cosmos}/sqlRoleDefinitions/"
                    "00000000-0000-0000-0000-000000000002",
                    "scope": f"{cosmos}/dbs/enterprise_memory",
                    "principalId": project_mi,
                },
            }
        )
    for number, user in enumerate(users):
        project_id = project_items[number % max(projects, 1)]["id"]
        assignments.append(_assignment(project_id, user, FOUNDRY_USER, "User"))
    for number in range(unrelated):
        scope = (
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-other-{number % 50:02d}/providers/"
            f"Microsoft.Compute/virtualMachines/vm-{number:05d}"
        )
        assignments.append(_assignment(scope, users[number % len(users)], READER, "User"))
    get(f"{FOUNDRY}/projects", apiversions.COGNITIVE_SERVICES, {"value": project_items})
    get(f"{cosmos}/sqlRoleAssignments", apiversions.COSMOS_DB, {"value": sql_assignments})
    get(
        f"{cosmos}/sqlRoleDefinitions",
        apiversions.COSMOS_DB,
        {
            "value": [
                {
                    "id": f"{cosmos}/sqlRoleDefinitions/00000000-0000-0000-0000-00000000000{n}",
                    "name": f"00000000-0000-0000-0000-00000000000{n}",
                    "type": "Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions",
                    "properties": {"roleName": role, "type": "BuiltInRole"},
                }
                for n, role in (
                    (1, "Cosmos DB Built-in Data Reader"),
                    (2, "Cosmos DB Built-in Data Contributor"),
                )
            ]
        },
    )
    out += _subscription_reads(FOUNDRY_RG, assignments)
    for definition in builtin_role_definitions():
        get(definition["id"], apiversions.ROLE_DEFINITIONS, definition)
    out += _directory(users, identities)
    return FixtureSet("big-foundry", out)


def group_listings(group: str, assignments: list[dict[str, Any]]) -> list[Exchange]:
    """The authorization listings at a resource group, as ARM answers them from the
    subscription's role assignments (no deny assignment or eligibility)."""
    versions = {
        "roleAssignments": apiversions.ROLE_ASSIGNMENTS,
        "denyAssignments": apiversions.DENY_ASSIGNMENTS,
        "roleEligibilityScheduleInstances": apiversions.ROLE_ELIGIBILITY,
    }
    out: list[Exchange] = []
    for collection, filters in listings.KINDS:
        for listing_filter, directions in filters.items():
            query = {"api-version": versions[collection]}
            if listing_filter:
                query["$filter"] = listing_filter
            items = listings.listed_at(assignments, group, directions)
            out.append(
                exchange(
                    "GET",
                    f"{group}/providers/Microsoft.Authorization/{collection}",
                    query,
                    body={"value": items if collection == "roleAssignments" else []},
                )
            )
    return out


def _subscription_reads(group: str, assignments: list[dict[str, Any]]) -> list[Exchange]:
    """The authorization listings at the resource group that holds everything, and the
    subscription's Resource Graph row."""
    out = group_listings(group, assignments)
    out.append(
        exchange(
            "POST",
            "/providers/Microsoft.ResourceGraph/resources",
            {"api-version": apiversions.RESOURCE_GRAPH},
            json_body={
                "query": queries.subscription_rows(),
                "options": {"resultFormat": "objectArray"},
                "subscriptions": [SUBSCRIPTION],
            },
            body={
                "data": [
                    {
                        "id": f"/subscriptions/{SUBSCRIPTION}",
                        "name": "scale",
                        "type": "microsoft.resources/subscriptions",
                        "subscriptionId": SUBSCRIPTION,
                        "tenantId": TENANT,
                        "properties": {
                            "managementGroupAncestorsChain": [
                                {"name": TENANT, "displayName": "Tenant Root Group"}
                            ]
                        },
                    }
                ]
            },
        )
    )
    return out


def _directory(users: list[str], identities: list[str]) -> list[Exchange]:
    """Graph: the objects (getByIds) and each one's groups (none)."""
    objects = [
        {
            "@odata.type": "#microsoft.graph.user",
            "id": u,
            "displayName": f"user {u[:8]}",
            "userPrincipalName": f"{u[:8]}@contoso.com",
        }
        for u in users
    ]
    objects += [
        {
            "@odata.type": "#microsoft.graph.servicePrincipal",
            "id": p,
            "displayName": f"identity {p[:8]}",
            "appId": _id(f"app:{p}"),
            "servicePrincipalType": "ManagedIdentity",
        }
        for p in identities
    ]
    out = [
        Exchange(
            "POST",
            "/v1.0/directoryObjects/getByIds",
            {},
            None,
            False,
            200,
            {"value": objects},
            {},
            by_ids=True,
        )
    ]
    for principal in [*users, *identities]:
        out.append(
            exchange(
                "POST",
                f"/v1.0/directoryObjects/{principal}/getMemberGroups",
                json_body={"securityEnabledOnly": False},
                body={"value": []},
            )
        )
    return out
