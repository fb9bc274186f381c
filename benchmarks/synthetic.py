"""A large synthetic hub for benchmarks, as a snapshot v1 document (ARM-shaped and seeded, so
every run measures the same data).

Defaults: 1 hub, 200 projects, 2,000 connections, 2,000 more resources, 5,000 principals in
nested groups (up to 4 deep), 100,000 role assignments, a few hundred PIM eligibilities and
deny assignments.

It is shaped like a large real hub rather than random noise:
- 20 of the connections are the hub's shared ones; the rest belong to projects (about 10 each)
  and reach a pool of shared services (30 Azure OpenAI, 15 Search, 40 storage accounts);
- each project has members (groups and users) with the roles the portal and the docs give:
  Azure AI Developer on the project, Reader on the hub, the deployment role on the resource
  group, and data roles on the services their connections reach; the services' identities hold
  the "add your data" roles. A fraction `broken` of those grants is left out, so the run has real
  findings to explain, plan and prove;
- the remaining assignments are the rest of a big tenant: random roles for random principals at
  the management group, the subscription, resource groups and 2,000 other resources.
`broken=1.0` gives the worst case: every grant missing.
"""

from __future__ import annotations

import json
import random
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diagnose.catalog import builtin_role_definitions  # noqa: E402

SUB = "11111111-2222-3333-4444-555555555555"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ROLE = {
    "reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "ai developer": "64702f94-c441-49e6-a78b-ef80e0188fee",
    "deployment operator": "3afb7f49-54cb-416e-8c09-6dc049efa503",
    "openai user": "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
    "search index data contributor": "8ebe5a00-799e-43f5-93ac-243d3dce84a7",
    "search index data reader": "1407120a-92aa-4202-b7e9-c0e197c71c8f",
    "search service contributor": "7ca78c08-252a-4471-8644-bb5ff32d4ba0",
    "blob data contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "blob data reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "file data privileged contributor": "69566ab7-960f-475b-8e7c-b3118f30c6bd",
}


class _Builder:
    def __init__(self, seed: int, broken: float) -> None:
        self.rng = random.Random(seed)
        self.broken = broken
        self.assignments: list[dict[str, Any]] = []
        self.kinds: dict[str, str] = {}

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def assign(self, scope: str, principal: str, role: str, *, required: bool = True) -> None:
        """A role assignment; a required one is left out with probability `broken`."""
        if required and self.rng.random() < self.broken:
            return
        name = self.guid()
        self.assignments.append(
            {
                "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
                "name": name,
                "type": "Microsoft.Authorization/roleAssignments",
                "properties": {
                    "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/"
                    f"roleDefinitions/{role}",
                    "principalId": principal,
                    "principalType": self.kinds.get(principal, "User"),
                    "scope": scope,
                    "condition": None,
                    "conditionVersion": None,
                    "createdOn": "2025-01-01T00:00:00.0000000Z",
                    "updatedOn": None,
                    "createdBy": None,
                    "updatedBy": None,
                    "delegatedManagedIdentityResourceId": None,
                    "description": None,
                },
            }
        )


def build(
    *,
    projects: int = 200,
    connections: int = 2000,
    resources: int = 2000,
    principals: int = 5000,
    assignments: int = 100_000,
    shared_connections: int = 20,
    targets: tuple[int, int, int] = (30, 15, 40),
    broken: float = 0.03,
    seed: int = 7,
) -> dict[str, Any]:
    b = _Builder(seed, broken)
    rng = b.rng
    groups_rg = [f"/subscriptions/{SUB}/resourceGroups/rg-ai-{i:02d}" for i in range(20)]
    rg = groups_rg[0]
    hub = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces/hub-bench"
    hub_mi = b.guid()
    items: list[dict[str, Any]] = [
        {
            "id": f"/subscriptions/{SUB}",
            "name": SUB,
            "type": "microsoft.resources/subscriptions",
            "properties": {"managementGroupAncestorsChain": [{"name": "mg-ai"}, {"name": TENANT}]},
        },
        {
            "id": hub,
            "name": "hub-bench",
            "type": "Microsoft.MachineLearningServices/workspaces",
            "kind": "Hub",
            "identity": {"type": "SystemAssigned", "principalId": hub_mi},
            "properties": {
                "storageAccount": f"{rg}/providers/Microsoft.Storage/storageAccounts/sthubbench",
                "systemDatastoresAuthMode": "accessKey",
            },
        },
    ]
    services: dict[str, list[str]] = {"ai": [], "search": [], "blob": []}
    identities: dict[str, str] = {}
    for kind, count in zip(("ai", "search", "blob"), targets, strict=True):
        for index in range(count):
            name = f"{kind}{index:03d}"
            if kind == "ai":
                rid = f"{rg}/providers/Microsoft.CognitiveServices/accounts/{name}"
                item = {
                    "kind": "OpenAI",
                    "type": "Microsoft.CognitiveServices/accounts",
                    "properties": {"customSubDomainName": name},
                }
            elif kind == "search":
                rid = f"{rg}/providers/Microsoft.Search/searchServices/{name}"
                item = {
                    "type": "Microsoft.Search/searchServices",
                    "properties": {"authOptions": {"aadOrApiKey": {}}},
                }
            else:
                rid = f"{rg}/providers/Microsoft.Storage/storageAccounts/{name}"
                item = {
                    "kind": "StorageV2",
                    "type": "Microsoft.Storage/storageAccounts",
                    "properties": {"allowSharedKeyAccess": True},
                }
            if kind != "blob":
                identities[rid] = b.guid()
                item["identity"] = {"type": "SystemAssigned", "principalId": identities[rid]}
            items.append({"id": rid, "name": name, **item})
            services[kind].append(rid)
    others = []
    for index in range(resources):
        rid = (
            f"{rng.choice(groups_rg[1:])}/providers/Microsoft.KeyVault/vaults/kv{index:04d}"
            if index % 2
            else f"{rng.choice(groups_rg[1:])}/providers/Microsoft.Compute/virtualMachines/"
            f"vm{index:04d}"
        )
        others.append(rid)
        items.append(
            {
                "id": rid,
                "name": rid.rsplit("/", 1)[-1],
                "type": "/".join(rid.split("/")[6:8]),
                "properties": {},
            }
        )

    # Principals: users, nested groups, and the services' identities.
    service_ids = [hub_mi, *identities.values()]
    users = [b.guid() for _ in range(int(principals * 0.8))]
    groups = [b.guid() for _ in range(principals - len(users) - len(service_ids))]
    b.kinds.update({u: "User" for u in users})
    b.kinds.update({g: "Group" for g in groups})
    b.kinds.update({s: "ServicePrincipal" for s in service_ids})
    levels = [groups[i::4] for i in range(4)]
    parents = {g: [rng.choice(levels[d - 1])] for d in range(1, 4) for g in levels[d]}
    directory = [
        {"id": g, "type": "Group", "displayName": f"grp-{g[:8]}", "memberOf": parents.get(g, [])}
        for g in groups
    ]
    directory += [
        {
            "id": u,
            "type": "User",
            "displayName": f"user-{u[:8]}",
            "memberOf": rng.sample(groups, k=rng.randint(0, 3)),
        }
        for u in users
    ]
    directory += [
        {"id": s, "type": "ServicePrincipal", "displayName": f"mi-{s[:8]}", "memberOf": []}
        for s in service_ids
    ]

    # Projects and their connections.
    project_ids = []
    for index in range(projects):
        pid = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces/proj-{index:03d}"
        project_ids.append(pid)
        items.append(
            {
                "id": pid,
                "name": f"proj-{index:03d}",
                "kind": "Project",
                "type": "Microsoft.MachineLearningServices/workspaces",
                "identity": {"type": "SystemAssigned", "principalId": b.guid()},
                "properties": {"hubResourceId": hub},
            }
        )
    reached: dict[str, set[str]] = {ws: set() for ws in [hub, *project_ids]}
    categories = (("AzureOpenAI", "ai"), ("CognitiveSearch", "search"), ("AzureBlob", "blob"))
    for index in range(connections):
        workspace = hub if index < shared_connections else project_ids[index % projects]
        category, kind = categories[index % 3]
        target = rng.choice(services[kind])
        reached[workspace].add(target)
        items.append(
            {
                "id": f"{workspace}/connections/conn-{index}",
                "name": f"conn-{index}",
                "type": "Microsoft.MachineLearningServices/workspaces/connections",
                "properties": {
                    "category": category,
                    "authType": "AAD",
                    "target": f"https://{target.rsplit('/', 1)[-1]}",
                    "isSharedToAll": workspace == hub,
                    "metadata": {"ResourceId": target},
                },
            }
        )

    # What a healthy hub holds, less the `broken` fraction.
    data_roles = {
        "ai": ["openai user"],
        "search": ["search index data contributor", "reader"],
        "blob": ["blob data contributor"],
    }
    for workspace in [hub, *project_ids]:
        members = rng.sample(groups, 3) + rng.sample(users, 4)
        for member in members:
            b.assign(workspace, member, ROLE["ai developer" if workspace != hub else "reader"])
            if workspace != hub:
                b.assign(hub, member, ROLE["reader"])
                b.assign(rg, member, ROLE["deployment operator"])
            # Project members are hub Readers, so they use the hub's shared connections too.
            for target in sorted(reached[workspace] | reached[hub]):
                kind = next(k for k, pool in services.items() if target in pool)
                for role in data_roles[kind]:
                    b.assign(target, member, ROLE[role])
    for targets_reached in reached.values():
        ai = sorted(t for t in targets_reached if t in services["ai"])
        search = sorted(t for t in targets_reached if t in services["search"])
        blob = sorted(t for t in targets_reached if t in services["blob"])
        for account in ai:
            for service in search:
                for role in ("search index data contributor", "search service contributor"):
                    b.assign(service, identities[account], ROLE[role])
            for storage in blob:
                b.assign(storage, identities[account], ROLE["blob data contributor"])
        for service in search:
            for account in ai:
                b.assign(account, identities[service], ROLE["openai user"])
            for storage in blob:
                b.assign(storage, identities[service], ROLE["blob data reader"])

    # The rest of the tenant.
    role_ids = [r["name"] for r in builtin_role_definitions()]
    scopes = [
        "/providers/Microsoft.Management/managementGroups/mg-ai",
        f"/subscriptions/{SUB}",
        *groups_rg[1:],
        *others,
    ]
    assignees = users + groups
    while len(b.assignments) < assignments:
        b.assign(rng.choice(scopes), rng.choice(assignees), rng.choice(role_ids), required=False)

    eligibilities = []
    for _ in range(300):
        scope, name = rng.choice(project_ids), b.guid()
        eligibilities.append(
            {
                "id": f"{scope}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances/"
                f"{name}",
                "name": name,
                "type": "Microsoft.Authorization/roleEligibilityScheduleInstances",
                "properties": {
                    "scope": scope,
                    "principalId": rng.choice(users),
                    "roleDefinitionId": f"/providers/Microsoft.Authorization/"
                    f"roleDefinitions/{rng.choice(role_ids)}",
                    "principalType": "User",
                },
            }
        )
    denies = []
    for index in range(50):
        scope, name = rng.choice(others), b.guid()
        denies.append(
            {
                "id": f"{scope}/providers/Microsoft.Authorization/denyAssignments/{name}",
                "name": name,
                "type": "Microsoft.Authorization/denyAssignments",
                "properties": {
                    "denyAssignmentName": f"deny-{index}",
                    "scope": scope,
                    "permissions": [
                        {
                            "actions": ["*/write"],
                            "notActions": [],
                            "dataActions": [],
                            "notDataActions": [],
                        }
                    ],
                    "principals": [{"id": rng.choice(groups), "type": "Group"}],
                    "excludePrincipals": [],
                    "doNotApplyToChildScopes": False,
                    "isSystemProtected": True,
                },
            }
        )
    return {
        "schemaVersion": 1,
        "collectedAt": "2026-11-01T00:00:00Z",
        "target": {"hub": hub, "project": None},
        "resources": items,
        "roleDefinitions": [],
        "roleAssignments": b.assignments,
        "denyAssignments": denies,
        "roleEligibilities": eligibilities,
        "principals": directory,
        "errors": [],
    }


def small_hub(
    *, projects: int = 3, assignments: int = 400, broken: float = 0.3, seed: int = 7
) -> dict[str, Any]:
    """The tests' small hub: 200 principals with nested groups, shared connections and a
    `broken` fraction of roles missing; big enough for every kind of check to find something,
    small enough to run in a test (the benchmarks' hubs are thousands of times larger)."""
    return build(
        projects=projects,
        connections=12,
        resources=12,
        principals=200,
        assignments=assignments,
        shared_connections=2,
        targets=(4, 2, 5),
        broken=broken,
        seed=seed,
    )


def write(path: Path, **sizes: Any) -> Path:
    path.write_text(json.dumps(build(**sizes)), encoding="utf-8")
    return path


SHARED_GROUP = "0d47a5c6-1f7e-4a0b-9c55-5b0a3f1e2d44"
"""The shared data group of the stripped variant (with_shared_group_without_roles)."""


def with_shared_group_without_roles(data: dict[str, Any], members: int) -> dict[str, Any]:
    """The hub `data` (from build) with one more group, holding `members` new users, that is
    a member of every project (Azure AI Developer there, Reader on the hub, the deployment
    role on the resource group) but holds none of the data roles its projects' connections
    need: the many-failures case (issue 15). Every id is derived from its index, so the
    variant of a seeded hub is as reproducible as the hub. Changes `data` and returns it."""
    hub = data["target"]["hub"]
    group_rg = hub.split("/providers/", 1)[0]
    projects = [
        r["id"]
        for r in data["resources"]
        if r["type"] == "Microsoft.MachineLearningServices/workspaces"
        and r.get("kind") == "Project"
    ]
    data["principals"].append(
        {"id": SHARED_GROUP, "type": "Group", "displayName": "grp-shared-data", "memberOf": []}
    )
    for index in range(members):
        data["principals"].append(
            {
                "id": f"5ea7ed00-0000-4000-8000-{index:012d}",
                "type": "User",
                "displayName": f"shared-{index}",
                "memberOf": [SHARED_GROUP],
            }
        )
    grants = [(hub, ROLE["reader"]), (group_rg, ROLE["deployment operator"])]
    grants += [(project, ROLE["ai developer"]) for project in projects]
    for number, (scope, role) in enumerate(grants):
        name = f"5ea7ed01-0000-4000-8000-{number:012d}"
        data["roleAssignments"].append(
            {
                "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
                "name": name,
                "type": "Microsoft.Authorization/roleAssignments",
                "properties": {
                    "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/"
                    f"roleDefinitions/{role}",
                    "principalId": SHARED_GROUP,
                    "principalType": "Group",
                    "scope": scope,
                    "createdOn": "2025-01-01T00:00:00.0000000Z",
                },
            }
        )
    return data


def write_stripped(path: Path, *, members: int = 20_000, **sizes: Any) -> Path:
    """The hub of build(**sizes) with a shared data group of `members` people stripped of its
    data roles (with_shared_group_without_roles), written to path."""
    data = with_shared_group_without_roles(build(**sizes), members)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


FOUNDRY_ROLE = {
    "foundry user": "53ca6127-db72-4b80-b1b0-d745d6d5456d",
    "foundry project manager": "eadc314b-1a2d-4efa-be10-5d325db5065e",
    "foundry account owner": "e47c6f54-e4a2-4754-9501-8e0985b135e1",
    "foundry agent consumer": "eed3b665-ab3a-47b6-8f48-c9382fb1dad6",
    "cosmos db operator": "230815da-be43-4aae-9cb4-875f7bd000aa",
    **ROLE,
}
COSMOS_CONTRIBUTOR = "00000000-0000-0000-0000-000000000002"
COSMOS_READER = "00000000-0000-0000-0000-000000000001"


def build_foundry(
    *,
    projects: int = 100,
    principals: int = 2000,
    assignments: int = 20_000,
    resources: int = 1000,
    targets: int = 25,
    broken: float = 0.03,
    seed: int = 11,
) -> dict[str, Any]:
    """A large Foundry resource: `projects` projects, each with its managed identity, Entra ID
    connections to a Cosmos DB account, a Search service and a storage account (drawn from
    pools of `targets` each), and a capability host naming them (the agent service's standard
    setup); the project identity holds the standard setup's roles (Cosmos DB Operator, Search
    Index Data Contributor and Search Service Contributor, Storage Blob Data Contributor, the
    Cosmos DB Built-in Data Contributor on enterprise_memory), less a `broken` fraction.
    `principals` people in nested groups: builders with Foundry User on their projects and on
    the account (less `broken`), readers, app testers with Foundry Agent Consumer, a few
    project managers and account owners. Then `assignments` role assignments unrelated to the
    Foundry resource, at other resource groups and `resources` other resources. The target is
    the Foundry resource."""
    b = _Builder(seed, broken)
    rng = b.rng
    groups_rg = [f"/subscriptions/{SUB}/resourceGroups/rg-agents-{i:02d}" for i in range(20)]
    rg = groups_rg[0]
    account = f"{rg}/providers/Microsoft.CognitiveServices/accounts/aif-bench"
    account_mi = b.guid()
    items: list[dict[str, Any]] = [
        {
            "id": f"/subscriptions/{SUB}",
            "name": SUB,
            "type": "microsoft.resources/subscriptions",
            "properties": {"managementGroupAncestorsChain": [{"name": "mg-ai"}, {"name": TENANT}]},
        },
        {
            "id": account,
            "name": "aif-bench",
            "type": "Microsoft.CognitiveServices/accounts",
            "kind": "AIServices",
            "sku": {"name": "S0"},
            "identity": {"type": "SystemAssigned", "principalId": account_mi},
            "properties": {
                "allowProjectManagement": True,
                "customSubDomainName": "aif-bench",
                "endpoint": "https://aif-bench.cognitiveservices.azure.com/",
                "disableLocalAuth": True,
                "publicNetworkAccess": "Enabled",
            },
        },
    ]
    for name, model in (
        ("gpt-4o", "gpt-4o"),
        ("gpt-4.1-mini", "gpt-4.1-mini"),
        ("emb", "text-embedding-3-large"),
    ):
        items.append(
            {
                "id": f"{account}/deployments/{name}",
                "name": name,
                "type": "Microsoft.CognitiveServices/accounts/deployments",
                "sku": {"name": "GlobalStandard", "capacity": 100},
                "properties": {"model": {"format": "OpenAI", "name": model, "version": "1"}},
            }
        )
    pools: dict[str, list[str]] = {"cosmos": [], "search": [], "storage": []}
    identities: dict[str, str] = {}
    for index in range(targets):
        cosmos = f"{rg}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos{index:03d}"
        search = f"{rg}/providers/Microsoft.Search/searchServices/srch{index:03d}"
        storage = f"{rg}/providers/Microsoft.Storage/storageAccounts/st{index:03d}"
        identities[search] = b.guid()
        items += [
            {
                "id": cosmos,
                "name": f"cosmos{index:03d}",
                "type": "Microsoft.DocumentDB/databaseAccounts",
                "kind": "GlobalDocumentDB",
                "properties": {
                    "disableLocalAuth": True,
                    "documentEndpoint": f"https://cosmos{index:03d}.documents.azure.com:443/",
                },
            },
            {
                "id": search,
                "name": f"srch{index:03d}",
                "type": "Microsoft.Search/searchServices",
                "identity": {"type": "SystemAssigned", "principalId": identities[search]},
                "properties": {"authOptions": {"aadOrApiKey": {}}},
            },
            {
                "id": storage,
                "name": f"st{index:03d}",
                "type": "Microsoft.Storage/storageAccounts",
                "kind": "StorageV2",
                "properties": {"allowSharedKeyAccess": False},
            },
        ]
        for role, role_name in ((COSMOS_READER, "Reader"), (COSMOS_CONTRIBUTOR, "Contributor")):
            items.append(
                {
                    "id": f"{cosmos}/sqlRoleDefinitions/{role}",
                    "name": role,
                    "type": "Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions",
                    "properties": {
                        "roleName": f"Cosmos DB Built-in Data {role_name}",
                        "type": "BuiltInRole",
                        "assignableScopes": [cosmos],
                        "permissions": [
                            {
                                "dataActions": [
                                    "Microsoft.DocumentDB/databaseAccounts/readMetadata",
                                    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/"
                                    + (
                                        "containers/items/read"
                                        if role == COSMOS_READER
                                        else "containers/*"
                                    ),
                                ],
                                "notDataActions": [],
                            }
                        ],
                    },
                }
            )
        pools["cosmos"].append(cosmos)
        pools["search"].append(search)
        pools["storage"].append(storage)
    others = []
    for index in range(resources):
        rid = f"{rng.choice(groups_rg[1:])}/providers/Microsoft.KeyVault/vaults/kv{index:04d}"
        others.append(rid)
        items.append(
            {
                "id": rid,
                "name": rid.rsplit("/", 1)[-1],
                "type": "Microsoft.KeyVault/vaults",
                "properties": {},
            }
        )

    # People: users in nested groups (2 levels), and the identities.
    groups = [b.guid() for _ in range(principals // 10)]
    users = [b.guid() for _ in range(principals - len(groups))]
    b.kinds.update({u: "User" for u in users})
    b.kinds.update({g: "Group" for g in groups})
    b.kinds.update({s: "ServicePrincipal" for s in [account_mi, *identities.values()]})
    top, nested = groups[: len(groups) // 4], groups[len(groups) // 4 :]
    directory = [
        {
            "id": g,
            "type": "Group",
            "displayName": f"grp-{g[:8]}",
            "memberOf": [rng.choice(top)] if g in nested else [],
        }
        for g in groups
    ]
    directory += [
        {
            "id": u,
            "type": "User",
            "displayName": f"user-{u[:8]}",
            "memberOf": rng.sample(nested, k=rng.randint(0, 2)),
        }
        for u in users
    ]
    directory += [
        {"id": s, "type": "ServicePrincipal", "displayName": f"mi-{s[:8]}", "memberOf": []}
        for s in [account_mi, *identities.values()]
    ]

    # Account-wide people: builders, project managers, owners.
    for group in rng.sample(top, min(5, len(top))):
        b.assign(account, group, FOUNDRY_ROLE["foundry user"], required=False)
    for user in rng.sample(users, 5):
        b.assign(account, user, FOUNDRY_ROLE["foundry project manager"], required=False)
    for user in rng.sample(users, 3):
        b.assign(account, user, FOUNDRY_ROLE["foundry account owner"], required=False)

    for index in range(projects):
        project = f"{account}/projects/proj-{index:03d}"
        project_mi = b.guid()
        b.kinds[project_mi] = "ServicePrincipal"
        directory.append(
            {
                "id": project_mi,
                "type": "ServicePrincipal",
                "displayName": f"aif-bench/proj-{index:03d}",
                "memberOf": [],
            }
        )
        items.append(
            {
                "id": project,
                "name": f"proj-{index:03d}",
                "type": "Microsoft.CognitiveServices/accounts/projects",
                "identity": {"type": "SystemAssigned", "principalId": project_mi},
                "properties": {"displayName": f"Project {index}"},
            }
        )
        chosen = {kind: rng.choice(pool) for kind, pool in pools.items()}
        for kind, category in (
            ("cosmos", "CosmosDb"),
            ("search", "CognitiveSearch"),
            ("storage", "AzureStorageAccount"),
        ):
            target = chosen[kind]
            items.append(
                {
                    "id": f"{project}/connections/{kind}",
                    "name": kind,
                    "type": "Microsoft.CognitiveServices/accounts/projects/connections",
                    "properties": {
                        "category": category,
                        "authType": "AAD",
                        "target": f"https://{target.rsplit('/', 1)[-1]}",
                        "isSharedToAll": False,
                        "metadata": {"ApiType": "Azure", "ResourceId": target},
                    },
                }
            )
        items.append(
            {
                "id": f"{project}/capabilityHosts/caphost",
                "name": "caphost",
                "type": "Microsoft.CognitiveServices/accounts/projects/capabilityHosts",
                "properties": {
                    "capabilityHostKind": "Agents",
                    "threadStorageConnections": ["cosmos"],
                    "vectorStoreConnections": ["search"],
                    "storageConnections": ["storage"],
                },
            }
        )
        # The standard agent setup's roles for the project identity.
        b.assign(chosen["cosmos"], project_mi, FOUNDRY_ROLE["cosmos db operator"])
        b.assign(chosen["search"], project_mi, FOUNDRY_ROLE["search index data contributor"])
        b.assign(chosen["search"], project_mi, FOUNDRY_ROLE["search service contributor"])
        b.assign(chosen["storage"], project_mi, FOUNDRY_ROLE["blob data contributor"])
        if rng.random() >= broken:
            cosmos, name = chosen["cosmos"], b.guid()
            items.append(
                {
                    "id": f"{cosmos}/sqlRoleAssignments/{name}",
                    "name": name,
                    "type": "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments",
                    "properties": {
                        "roleDefinitionId": f"{cosmos}/sqlRoleDefinitions/{COSMOS_CONTRIBUTOR}",
                        "scope": f"{cosmos}/dbs/enterprise_memory",
                        "principalId": project_mi,
                    },
                }
            )
        # Its people: builders (groups and users) with Foundry User on the project and, for
        # model inference, on the account (Microsoft's minimum setup); a reader; an app tester.
        for member in rng.sample(nested, 2) + rng.sample(users, 3):
            b.assign(project, member, FOUNDRY_ROLE["foundry user"])
            b.assign(account, member, FOUNDRY_ROLE["foundry user"])
        b.assign(project, rng.choice(users), FOUNDRY_ROLE["reader"], required=False)
        b.assign(project, rng.choice(users), FOUNDRY_ROLE["foundry agent consumer"], required=False)

    # The rest of the tenant, unrelated to the Foundry resource: other resource groups and
    # resources (none at the subscription or above, which would reach it).
    role_ids = [r["name"] for r in builtin_role_definitions()]
    scopes = [*groups_rg[1:], *others]
    assignees = users + groups
    unrelated = len(b.assignments) + assignments
    while len(b.assignments) < unrelated:
        b.assign(rng.choice(scopes), rng.choice(assignees), rng.choice(role_ids), required=False)
    return {
        "schemaVersion": 1,
        "collectedAt": "2026-11-01T00:00:00Z",
        "target": {"hub": account, "project": None},
        "resources": items,
        "roleDefinitions": [],
        "roleAssignments": b.assignments,
        "denyAssignments": [],
        "roleEligibilities": [],
        "principals": directory,
        "errors": [],
    }


def write_foundry(path: Path, **sizes: Any) -> Path:
    path.write_text(json.dumps(build_foundry(**sizes)), encoding="utf-8")
    return path


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/out/synthetic-hub.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    write(out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
