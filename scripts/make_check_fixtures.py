#!/usr/bin/env python3
"""Regenerate the per-check fixtures, fixtures/checks/<CHECK>/<variant>.json.

Longer than ~400 lines on purpose: it is the data of the 29 original checks' scenarios. New
checks do not add to it: scripts/new_check.py gives each its own small baseline and folder.

    python scripts/make_check_fixtures.py           # rewrite them
    python scripts/make_check_fixtures.py --check   # exit 1 if a file is missing or stale

Every fixture is a full snapshot v1 document in ARM shape, built with the tests/arm.py builders
from one "healthy hub" (`base`): a hub, one project and, per feature, the resources and the
role assignments Azure's docs ask for, so that no check has anything to report. A scenario then
adds or removes the one thing that makes its check fail or pass.

Variants, by file name:
- fail*.json: the check reports its problem (fail, or warn for checks that report warnings;
  CON004 reports info);
- warn*.json: a warning that is not a missing role (e.g. propagation);
- pass*.json: the check has nothing to report;
- trap-*.json: access that exists through an indirect path (nested groups, inherited scopes,
  renamed or wildcard roles, a second role): the check must not report it;
- unknown-*.json: the snapshot cannot tell (a target not collected, an unreadable scope, memberships
  not read, an ABAC condition): the check must say `unknown`, never fail and never pass.

A fixture's `target.creator` names the principal to pass as --creator (HUB004, INS001, CMK003);
`fixture` says which check and variant it is for and what it shows.
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diagnose.snapshot import dump_snapshot, parse_snapshot  # noqa: E402
from tests import arm  # noqa: E402

OUT = ROOT / "fixtures" / "checks"

SUB = arm.SUB
TENANT = arm.TENANT
MG = "mg-ai-platform"
MG_SCOPE = arm.management_group_scope(MG)
SUBSCRIPTION = f"/subscriptions/{SUB}"
RG = f"{SUBSCRIPTION}/resourceGroups/rg-ai-fixtures"
RG_SECURITY = f"{SUBSCRIPTION}/resourceGroups/rg-security"
P = f"{RG}/providers"
HUB = f"{P}/Microsoft.MachineLearningServices/workspaces/hub-fixture"
PROJECT = f"{P}/Microsoft.MachineLearningServices/workspaces/proj-alpha"
ST_HUB = f"{P}/Microsoft.Storage/storageAccounts/sthubfixture"
KV = f"{P}/Microsoft.KeyVault/vaults/kv-hub-fixture"
APPI = f"{P}/Microsoft.Insights/components/appi-hub-fixture"
ACR = f"{P}/Microsoft.ContainerRegistry/registries/crhubfixture"
AOAI = f"{P}/Microsoft.CognitiveServices/accounts/aoai-chat"
SEARCH = f"{P}/Microsoft.Search/searchServices/srch-fixture"
ST_DATA = f"{P}/Microsoft.Storage/storageAccounts/stdatafixture"
UAMI = f"{P}/Microsoft.ManagedIdentity/userAssignedIdentities/id-hub-fixture"
KV_CMK = f"{RG_SECURITY}/providers/Microsoft.KeyVault/vaults/kv-cmk-fixture"
FOUNDRY = f"{P}/Microsoft.CognitiveServices/accounts/ais-foundry"
FOUNDRY_PROJECT = f"{FOUNDRY}/projects/fproj-agents"
COLLECTED_AT = "2026-06-01T12:00:00Z"

KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
KEY_VAULT_CONTRIBUTOR = "f25e0fa2-a7c8-4377-a976-54943a77a395"
AZURE_AI_ADMINISTRATOR = "b78c5d69-af96-48a3-bf8d-a8b4d589de94"
AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER = "b556d68e-0be0-4f35-a333-ad7ee1ce17ea"
LOG_ANALYTICS_READER = "73c42c96-874c-492b-b04d-ab87d138a893"
LOG_ANALYTICS_DATA_READER = "3b03c2da-16b3-4a49-8834-0f8130efdd3b"
ML_APP_ID = "0736f41a-0425-4b46-bdb5-1563eff02385"


def pid(name: str) -> str:
    """A stable object id for a principal of the fixtures."""
    return arm.guid(f"check-fixtures:{name}")


ANA, CARA, FINN, GUS, FORMER = (pid(n) for n in ("ana", "cara", "finn", "gus", "former"))
GRP_A, GRP_B, GRP_DEVS = (pid(n) for n in ("grp-a", "grp-b", "grp-devs"))
HUB_MI, PROJECT_MI, AOAI_MI, EMBED_MI, SEARCH_MI, UAMI_MI, FOUNDRY_MI, FPROJ_MI, ML_APP = (
    pid(f"sp:{n}")
    for n in ("hub", "project", "aoai", "embed", "search", "uami", "foundry", "fproj", "mlapp")
)

USERS = {
    ANA: ("Ana Alvarez", "ana.alvarez@contoso.com"),
    CARA: ("Cara Creator", "cara.creator@contoso.com"),
    FINN: ("Finn Foundry", "finn.foundry@contoso.com"),
    GUS: ("Gus Lead", "gus.lead@contoso.com"),
}
GROUPS = {GRP_A: "grp-a", GRP_B: "grp-b", GRP_DEVS: "grp-ai-developers"}
SERVICE_PRINCIPALS = {
    HUB_MI: "hub-fixture",
    PROJECT_MI: "proj-alpha",
    AOAI_MI: "aoai-chat",
    SEARCH_MI: "srch-fixture",
    UAMI_MI: "id-hub-fixture",
    FOUNDRY_MI: "ais-foundry",
    FPROJ_MI: "fproj-agents",
    ML_APP: "Azure Machine Learning",
}


def account_id(name: str) -> str:
    return f"{P}/Microsoft.CognitiveServices/accounts/{name}"


# -- the fixture under construction ---------------------------------------------------------------
@dataclass
class Fixture:
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    """ARM resources by lower-case id, in insertion order."""
    assignments: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Active role assignments by a readable label (who/where/what), so scenarios can drop one."""
    principals: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The tenant's own definitions (custom or renamed) by role GUID; every other role assigned
    is listed from the built-in definitions."""
    denies: list[dict[str, Any]] = field(default_factory=list)
    eligibilities: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    target: dict[str, Any] = field(default_factory=lambda: {"hub": HUB, "project": None})

    # resources
    def add(self, item: dict[str, Any]) -> dict[str, Any]:
        self.resources[item["id"].lower()] = item
        return item

    def get(self, resource_id: str) -> dict[str, Any]:
        return self.resources[resource_id.lower()]

    def props(self, resource_id: str) -> dict[str, Any]:
        return self.get(resource_id)["properties"]

    def remove(self, resource_id: str) -> None:
        del self.resources[resource_id.lower()]

    # principals
    def user(self, object_id: str, member_of: Sequence[str] | None = ()) -> None:
        name, upn = USERS[object_id]
        self.principals[object_id] = arm.principal(
            object_id, "User", name, member_of, userPrincipalName=upn
        )

    def group(self, object_id: str, member_of: Sequence[str] | None = ()) -> None:
        self.principals[object_id] = arm.principal(object_id, "Group", GROUPS[object_id], member_of)

    def service_principal(self, object_id: str, **extra: Any) -> None:
        self.principals[object_id] = arm.principal(
            object_id, "ServicePrincipal", SERVICE_PRINCIPALS[object_id], [], **extra
        )

    # role assignments
    def grant(self, label: str, scope: str, principal_id: str, role: str, **extra: Any) -> None:
        kind = self.principals[principal_id]["type"]
        assignment = arm.role_assignment(scope, principal_id, role, principal_type=kind, **extra)
        if label in self.assignments:
            if self.assignments[label] == assignment:
                return  # a scenario granting again what base() already grants
            raise ValueError(f"assignment {label!r} exists already")
        self.assignments[label] = assignment

    def drop(self, *labels: str) -> None:
        for label in labels:
            del self.assignments[label]

    def define(self, definition: dict[str, Any]) -> str:
        self.roles[definition["name"]] = definition
        return definition["name"]

    def build(self, check: str, variant: str, description: str) -> dict[str, Any]:
        used = {
            a["properties"]["roleDefinitionId"].rsplit("/", 1)[-1]
            for a in [*self.assignments.values(), *self.eligibilities]
        }
        definitions = [
            self.roles[r] if r in self.roles else arm.builtin_role(r, SUB) for r in sorted(used)
        ]
        definitions += [d for r, d in sorted(self.roles.items()) if r not in used]
        data = arm.build(
            resources=list(self.resources.values()),
            roleDefinitions=definitions,
            roleAssignments=list(self.assignments.values()),
            denyAssignments=self.denies,
            roleEligibilities=self.eligibilities,
            principals=list(self.principals.values()),
            errors=self.errors,
        )
        data["collectedAt"] = COLLECTED_AT
        data["tool"] = {"name": "ai-hub-diagnose", "version": "check-fixtures"}
        data["target"] = {k: v for k, v in self.target.items()}
        data["fixture"] = {"check": check, "variant": variant, "description": description}
        return data


# -- resource builders ---------------------------------------------------------------------------
def workspace(
    resource_id: str, kind: str, properties: dict[str, Any], principal_id: str
) -> dict[str, Any]:
    return arm.resource(
        resource_id,
        "Microsoft.MachineLearningServices/workspaces",
        kind=kind,
        properties=properties,
        identity=arm.system_identity(principal_id, TENANT),
    )


def connection(
    parent: str,
    name: str,
    category: str,
    auth: str,
    target: str,
    resource_id: str | None = None,
    shared: bool = False,
    **metadata: str,
) -> dict[str, Any]:
    meta: dict[str, str] = {"ApiType": "Azure", **metadata}
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


def deployment(account: str, name: str, model_format: str, model: str) -> dict[str, Any]:
    """A model deployment of a Foundry / Azure OpenAI resource."""
    item = arm.resource(
        f"{account}/deployments/{name}",
        "Microsoft.CognitiveServices/accounts/deployments",
        properties={
            "model": {"format": model_format, "name": model, "version": "1"},
            "provisioningState": "Succeeded",
        },
    )
    item["sku"] = {"name": "GlobalStandard", "capacity": 10}
    return item


def foundry_connection(
    parent: str, name: str, category: str, auth: str, target: str, resource_id: str
) -> dict[str, Any]:
    """A connection of a Foundry project (or of a Foundry resource, parent the account)."""
    kind = (
        "Microsoft.CognitiveServices/accounts/projects/connections"
        if "/projects/" in parent
        else "Microsoft.CognitiveServices/accounts/connections"
    )
    return {
        "id": f"{parent}/connections/{name}",
        "name": name,
        "type": kind,
        "properties": {
            "category": category,
            "authType": auth,
            "target": target,
            "isSharedToAll": False,
            "metadata": {"ApiType": "Azure", "ResourceId": resource_id},
        },
    }


def openai_account(resource_id: str, principal_id: str, kind: str = "OpenAI") -> dict[str, Any]:
    name = resource_id.rsplit("/", 1)[-1]
    item = arm.resource(
        resource_id,
        "Microsoft.CognitiveServices/accounts",
        kind=kind,
        properties={
            "customSubDomainName": name,
            "endpoint": f"https://{name}.openai.azure.com/",
            "publicNetworkAccess": "Enabled",
            "disableLocalAuth": False,
            "networkAcls": {
                "defaultAction": "Allow",
                "bypass": "AzureServices",
                "ipRules": [],
                "virtualNetworkRules": [],
            },
            "provisioningState": "Succeeded",
        },
        identity=arm.system_identity(principal_id, TENANT),
    )
    item["sku"] = {"name": "S0"}
    return item


def search_service(principal_id: str) -> dict[str, Any]:
    item = arm.resource(
        SEARCH,
        "Microsoft.Search/searchServices",
        properties={
            "replicaCount": 1,
            "partitionCount": 1,
            "hostingMode": "default",
            "publicNetworkAccess": "enabled",
            "authOptions": {"aadOrApiKey": {"aadAuthFailureMode": "http401WithBearerChallenge"}},
            "disableLocalAuth": False,
            "networkRuleSet": {"ipRules": [], "bypass": "None"},
            "provisioningState": "succeeded",
        },
        identity=arm.system_identity(principal_id, TENANT),
    )
    item["sku"] = {"name": "standard"}
    return item


def storage_account(resource_id: str, **extra: Any) -> dict[str, Any]:
    name = resource_id.rsplit("/", 1)[-1]
    item = arm.resource(
        resource_id,
        "Microsoft.Storage/storageAccounts",
        kind="StorageV2",
        properties={
            "allowSharedKeyAccess": True,
            "isHnsEnabled": False,
            "publicNetworkAccess": "Enabled",
            "networkAcls": {
                "defaultAction": "Allow",
                "bypass": "AzureServices",
                "ipRules": [],
                "virtualNetworkRules": [],
            },
            "primaryEndpoints": {
                "blob": f"https://{name}.blob.core.windows.net/",
                "dfs": f"https://{name}.dfs.core.windows.net/",
                "file": f"https://{name}.file.core.windows.net/",
            },
            **extra,
        },
    )
    item["sku"] = {"name": "Standard_LRS", "tier": "Standard"}
    return item


def key_vault(
    resource_id: str, *, rbac: bool = True, policies: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return arm.resource(
        resource_id,
        "Microsoft.KeyVault/vaults",
        properties={
            "tenantId": TENANT,
            "sku": {"family": "A", "name": "standard"},
            "enableRbacAuthorization": rbac,
            "enableSoftDelete": True,
            "enablePurgeProtection": True,
            "accessPolicies": list(policies or []),
        },
    )


def access_policy(object_id: str, keys: list[str]) -> dict[str, Any]:
    return {
        "tenantId": TENANT,
        "objectId": object_id,
        "permissions": {"keys": keys, "secrets": [], "certificates": []},
    }


# -- the healthy hub ------------------------------------------------------------------------------
def base(
    *,
    aoai: bool = False,
    search: bool = False,
    blob: bool = False,
    embed: bool = False,
    identity_storage: bool = False,
    uami: bool = False,
    cmk: bool = False,
    creator: bool = False,
    foundry: bool = False,
    onelake: bool = False,
    embed_account: str = "aoai-embed",
    embed_connection: str = "conn-aoai-embeddings",
) -> Fixture:
    """A hub and project where every check passes: each feature brings its resources, the
    connections of project 'proj-alpha' that use them, and every role the docs ask for.

    Ana is the project's member, granted as the portal grants it: Azure AI Developer on the
    project, Reader on the hub, Azure AI Inference Deployment Operator on the resource group.
    """
    f = Fixture()
    f.add(arm.subscription(SUB, [MG, TENANT]))
    hub_properties: dict[str, Any] = {
        "friendlyName": "Fixture hub",
        "storageAccount": ST_HUB,
        "keyVault": KV,
        "applicationInsights": APPI,
        "containerRegistry": ACR,
        "systemDatastoresAuthMode": "identity" if identity_storage else "accessKey",
        "associatedWorkspaces": [PROJECT],
        "workspaceHubConfig": {"defaultWorkspaceResourceGroup": RG},
        "publicNetworkAccess": "Enabled",
        "provisioningState": "Succeeded",
    }
    hub = f.add(workspace(HUB, "Hub", hub_properties, HUB_MI))
    f.add(
        workspace(
            PROJECT,
            "Project",
            {"friendlyName": "Alpha", "hubResourceId": HUB, "provisioningState": "Succeeded"},
            PROJECT_MI,
        )
    )
    f.add(storage_account(ST_HUB))
    f.add(key_vault(KV))
    f.add(
        arm.resource(
            ACR,
            "Microsoft.ContainerRegistry/registries",
            properties={"adminUserEnabled": False, "loginServer": "crhubfixture.azurecr.io"},
        )
    )
    f.add(
        arm.resource(
            APPI,
            "Microsoft.Insights/components",
            kind="web",
            properties={"Application_Type": "web"},
        )
    )

    f.user(ANA)
    f.service_principal(HUB_MI)
    f.service_principal(PROJECT_MI)
    f.service_principal(ML_APP, appId=ML_APP_ID)
    f.grant("ana/project/ai-developer", PROJECT, ANA, arm.AZURE_AI_DEVELOPER)
    f.grant("ana/hub/reader", HUB, ANA, arm.READER)
    f.grant("ana/rg/deploy-operator", RG, ANA, arm.AI_INFERENCE_DEPLOYMENT_OPERATOR)
    f.grant("mlapp/rg/reader", RG, ML_APP, arm.READER)
    # What Azure assigns a hub's system identity on its resource group (IDN003).
    f.grant("hub-mi/rg/ai-administrator", RG, HUB_MI, AZURE_AI_ADMINISTRATOR)

    if aoai or embed:
        f.add(openai_account(AOAI, AOAI_MI))
        f.service_principal(AOAI_MI)
        f.add(
            connection(
                PROJECT,
                "conn-aoai",
                "AzureOpenAI",
                "AAD",
                "https://aoai-chat.openai.azure.com/",
                AOAI,
            )
        )
        f.grant("ana/aoai/openai-user", AOAI, ANA, arm.OPENAI_USER)
    if embed:
        embed_id = account_id(embed_account)
        f.add(openai_account(embed_id, EMBED_MI))
        f.principals[EMBED_MI] = arm.principal(EMBED_MI, "ServicePrincipal", embed_account, [])
        f.add(
            connection(
                PROJECT,
                embed_connection,
                "AzureOpenAI",
                "AAD",
                f"https://{embed_account}.openai.azure.com/",
                embed_id,
            )
        )
        f.grant("ana/embed/openai-user", embed_id, ANA, arm.OPENAI_USER)
        f.grant("aoai-mi/embed/openai-user", embed_id, AOAI_MI, arm.OPENAI_USER)
    if search:
        f.add(search_service(SEARCH_MI))
        f.service_principal(SEARCH_MI)
        f.add(
            connection(
                PROJECT,
                "conn-search",
                "CognitiveSearch",
                "AAD",
                "https://srch-fixture.search.windows.net",
                SEARCH,
            )
        )
        f.grant("ana/search/data", SEARCH, ANA, arm.SEARCH_INDEX_DATA_CONTRIBUTOR)
        f.grant("ana/search/reader", SEARCH, ANA, arm.READER)
    if blob:
        f.add(storage_account(ST_DATA))
        f.add(
            connection(
                PROJECT,
                "conn-blob",
                "AzureBlob",
                "AAD",
                "https://stdatafixture.blob.core.windows.net/docs",
                ST_DATA,
                AccountName="stdatafixture",
                ContainerName="docs",
            )
        )
        f.grant("ana/blob/data", ST_DATA, ANA, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)
        f.grant("hub-mi/blob/reader", ST_DATA, HUB_MI, arm.STORAGE_BLOB_DATA_READER)
    if (aoai or embed) and search:
        f.grant("aoai-mi/search/data", SEARCH, AOAI_MI, arm.SEARCH_INDEX_DATA_CONTRIBUTOR)
        f.grant("aoai-mi/search/service", SEARCH, AOAI_MI, arm.SEARCH_SERVICE_CONTRIBUTOR)
        f.grant("search-mi/aoai/openai-user", AOAI, SEARCH_MI, arm.OPENAI_USER)
        if embed:
            f.grant(
                "search-mi/embed/openai-user", account_id(embed_account), SEARCH_MI, arm.OPENAI_USER
            )
    if (aoai or embed) and blob:
        f.grant("aoai-mi/blob/data", ST_DATA, AOAI_MI, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)
    if search and blob:
        f.grant("search-mi/blob/reader", ST_DATA, SEARCH_MI, arm.STORAGE_BLOB_DATA_READER)
    if onelake:
        f.add(
            connection(
                PROJECT,
                "conn-onelake",
                "AzureOneLake",
                "AAD",
                "https://onelake.dfs.fabric.microsoft.com/ws-sales/lh-sales.Lakehouse/Files",
            )
        )
    if identity_storage:
        f.grant("hub-mi/hubst/blob", ST_HUB, HUB_MI, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)
        f.grant("hub-mi/hubst/file", ST_HUB, HUB_MI, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR)
        f.grant("ana/hubst/blob", ST_HUB, ANA, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)
        f.grant("ana/hubst/file", ST_HUB, ANA, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR)
    if uami:
        f.add(
            arm.resource(
                UAMI,
                "Microsoft.ManagedIdentity/userAssignedIdentities",
                properties={
                    "tenantId": TENANT,
                    "principalId": UAMI_MI,
                    "clientId": pid("client:uami"),
                },
            )
        )
        f.service_principal(UAMI_MI)
        hub["identity"] = {
            "type": "SystemAssigned,UserAssigned",
            "principalId": HUB_MI,
            "tenantId": TENANT,
            "userAssignedIdentities": {
                UAMI: {"principalId": UAMI_MI, "clientId": pid("client:uami")}
            },
        }
        hub_properties["primaryUserAssignedIdentity"] = UAMI
        f.grant("uami/acr/pull", ACR, UAMI_MI, arm.ACR_PULL)
    if cmk:
        f.add(key_vault(KV_CMK))
        encryption: dict[str, Any] = {
            "status": "Enabled",
            "keyVaultProperties": {
                "keyVaultArmId": KV_CMK,
                "keyIdentifier": "https://kv-cmk-fixture.vault.azure.net/keys/hub-key/"
                "4f6d0c8e2b1a4c3d9e8f7a6b5c4d3e2f",
            },
        }
        if uami:
            encryption["identity"] = {"userAssignedIdentity": UAMI}
            f.grant("uami/kv-cmk/crypto", KV_CMK, UAMI_MI, KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER)
            f.grant("uami/rg/contributor", RG, UAMI_MI, arm.CONTRIBUTOR)
        else:
            f.grant(
                "hub-mi/kv-cmk/crypto", KV_CMK, HUB_MI, KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER
            )
        hub_properties["encryption"] = encryption
    if creator:
        f.user(CARA)
        f.target["creator"] = CARA
        f.grant("cara/rg/contributor", RG, CARA, arm.CONTRIBUTOR)
        if cmk:
            f.grant("cara/kv-cmk/contributor", KV_CMK, CARA, arm.CONTRIBUTOR)
    if foundry:
        account = openai_account(FOUNDRY, FOUNDRY_MI, kind="AIServices")
        account["properties"]["allowProjectManagement"] = True
        f.add(account)
        f.add(
            arm.resource(
                FOUNDRY_PROJECT,
                "Microsoft.CognitiveServices/accounts/projects",
                properties={"displayName": "Agents", "provisioningState": "Succeeded"},
                identity=arm.system_identity(FPROJ_MI, TENANT),
            )
        )
        f.user(FINN)
        f.service_principal(FOUNDRY_MI)
        f.service_principal(FPROJ_MI)
        f.grant("finn/foundry/foundry-user", FOUNDRY, FINN, arm.FOUNDRY_USER)
        f.grant("fproj-mi/fproj/foundry-user", FOUNDRY_PROJECT, FPROJ_MI, arm.FOUNDRY_USER)
        # Model inference is authorized at the account: the project's identity calls the
        # account's deployments with Foundry User there (FDY002).
        f.grant("fproj-mi/foundry/foundry-user", FOUNDRY, FPROJ_MI, arm.FOUNDRY_USER)
        f.add(deployment(FOUNDRY, "gpt-4o", "OpenAI", "gpt-4o"))
    return f


# -- the scenarios --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    check: str
    variant: str
    description: str
    make: Callable[[], Fixture]


SCENARIOS: list[Scenario] = []


def scenario(
    check: str, variant: str, description: str
) -> Callable[[Callable[[], Fixture]], Callable[[], Fixture]]:
    def register(make: Callable[[], Fixture]) -> Callable[[], Fixture]:
        SCENARIOS.append(Scenario(check, variant, " ".join(description.split()), make))
        return make

    return register


# AGT001 -------------------------------------------------------------------------------------------
COSMOS_AGENTS = f"{P}/Microsoft.DocumentDB/databaseAccounts/cosmos-agents"
ST_AGENTS = f"{P}/Microsoft.Storage/storageAccounts/stagentsfixture"
SRCH_AGENTS = f"{P}/Microsoft.Search/searchServices/srch-agents"
CAPHOST = f"{FOUNDRY_PROJECT}/capabilityHosts/caphost-agents"
FPROJ_WORKSPACE_ID = "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
COSMOS_DB_OPERATOR = "230815da-be43-4aae-9cb4-875f7bd000aa"
STORAGE_ACCOUNT_CONTRIBUTOR = "17d1049b-9a84-46fb-8f53-869881c3d3ab"
STORAGE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
COSMOS_DATA_CONTRIBUTOR = "00000000-0000-0000-0000-000000000002"
AGENTS_CONTAINER_CONDITION = (
    "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags/read'})"
    " AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/filter/"
    "action'}) AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/"
    "blobs/tags/write'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:"
    f"name] StringStartsWithIgnoreCase '{FPROJ_WORKSPACE_ID}'))"
)


def container(account: str, name: str) -> str:
    return f"{account}/blobServices/default/containers/{name}"


def agent_setup(f: Fixture, *, docs: bool = False, account_host: bool = False) -> None:
    """The standard agent setup of project 'fproj-agents' (on base(foundry=True)): its own Cosmos
    DB, storage and Search, project connections to them, a capability host naming them (the
    project's, or the account's defaults), and the roles its identity needs, as Microsoft's
    templates grant them (account scope) or as the docs do (containers, plus Storage Account
    Contributor). The project identity's Cosmos DB data role on enterprise_memory is there too,
    so the setup is healthy for AGT002."""
    f.props(FOUNDRY_PROJECT)["internalId"] = FPROJ_WORKSPACE_ID
    f.add(
        arm.resource(
            COSMOS_AGENTS,
            "Microsoft.DocumentDB/databaseAccounts",
            kind="GlobalDocumentDB",
            properties={
                "documentEndpoint": "https://cosmos-agents.documents.azure.com:443/",
                "disableLocalAuth": True,
                "publicNetworkAccess": "Enabled",
                "provisioningState": "Succeeded",
            },
        )
    )
    f.add(
        arm.resource(
            f"{COSMOS_AGENTS}/sqlRoleAssignments/{arm.guid('cosmos:fproj-mi')}",
            "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments",
            properties={
                "roleDefinitionId": f"{COSMOS_AGENTS}/sqlRoleDefinitions/{COSMOS_DATA_CONTRIBUTOR}",
                "principalId": FPROJ_MI,
                "scope": f"{COSMOS_AGENTS}/dbs/enterprise_memory",
            },
        )
    )
    f.add(storage_account(ST_AGENTS))
    search = arm.resource(
        SRCH_AGENTS,
        "Microsoft.Search/searchServices",
        properties={
            "replicaCount": 1,
            "partitionCount": 1,
            "hostingMode": "default",
            "publicNetworkAccess": "enabled",
            "authOptions": {"aadOrApiKey": {"aadAuthFailureMode": "http401WithBearerChallenge"}},
            "disableLocalAuth": False,
            "networkRuleSet": {"ipRules": [], "bypass": "None"},
            "provisioningState": "succeeded",
        },
    )
    search["sku"] = {"name": "standard"}
    f.add(search)
    for name, category, target, resource_id in (
        (
            "conn-cosmos-agents",
            "CosmosDb",
            "https://cosmos-agents.documents.azure.com:443/",
            COSMOS_AGENTS,
        ),
        (
            "conn-st-agents",
            "AzureStorageAccount",
            "https://stagentsfixture.blob.core.windows.net/",
            ST_AGENTS,
        ),
        (
            "conn-srch-agents",
            "CognitiveSearch",
            "https://srch-agents.search.windows.net",
            SRCH_AGENTS,
        ),
    ):
        f.add(foundry_connection(FOUNDRY_PROJECT, name, category, "AAD", target, resource_id))
    host_id = f"{FOUNDRY}/capabilityHosts/caphost-default" if account_host else CAPHOST
    f.add(
        arm.resource(
            host_id,
            "Microsoft.CognitiveServices/accounts/capabilityHosts"
            if account_host
            else "Microsoft.CognitiveServices/accounts/projects/capabilityHosts",
            properties={
                "capabilityHostKind": "Agents",
                "threadStorageConnections": ["conn-cosmos-agents"],
                "storageConnections": ["conn-st-agents"],
                "vectorStoreConnections": ["conn-srch-agents"],
                "provisioningState": "Succeeded",
            },
        )
    )
    f.grant("fproj-mi/cosmos/operator", COSMOS_AGENTS, FPROJ_MI, COSMOS_DB_OPERATOR)
    f.grant("fproj-mi/srch/data", SRCH_AGENTS, FPROJ_MI, arm.SEARCH_INDEX_DATA_CONTRIBUTOR)
    f.grant("fproj-mi/srch/service", SRCH_AGENTS, FPROJ_MI, arm.SEARCH_SERVICE_CONTRIBUTOR)
    if docs:
        f.grant("fproj-mi/st/account", ST_AGENTS, FPROJ_MI, STORAGE_ACCOUNT_CONTRIBUTOR)
        f.grant(
            "fproj-mi/st/azureml-blobstore",
            container(ST_AGENTS, f"{FPROJ_WORKSPACE_ID}-azureml-blobstore"),
            FPROJ_MI,
            arm.STORAGE_BLOB_DATA_CONTRIBUTOR,
        )
        f.grant(
            "fproj-mi/st/agents-blobstore",
            container(ST_AGENTS, f"{FPROJ_WORKSPACE_ID}-agents-blobstore"),
            FPROJ_MI,
            STORAGE_BLOB_DATA_OWNER,
        )
    else:
        f.grant("fproj-mi/st/blob", ST_AGENTS, FPROJ_MI, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)
        f.grant(
            "fproj-mi/st/blob-owner",
            ST_AGENTS,
            FPROJ_MI,
            STORAGE_BLOB_DATA_OWNER,
            condition=AGENTS_CONTAINER_CONDITION,
        )


@scenario(
    "AGT001",
    "pass",
    "A standard agent setup as Microsoft's templates grant it: the project's identity holds "
    "Cosmos DB Operator, Search Index Data Contributor and Search Service Contributor, Storage "
    "Blob Data Contributor and a conditioned Storage Blob Data Owner on the storage account.",
)
def _agt001_pass() -> Fixture:
    f = base(foundry=True)
    agent_setup(f)
    return f


@scenario(
    "AGT001",
    "trap-docs-pattern",
    "The docs' pattern: the blob roles at container scope (found from the assignments, whatever "
    "the containers' names) and Storage Account Contributor on the account.",
)
def _agt001_trap_docs() -> Fixture:
    f = base(foundry=True)
    agent_setup(f, docs=True)
    return f


@scenario(
    "AGT001",
    "trap-account-capability-host",
    "The project has no capability host of its own: the Foundry resource's host names the "
    "connections as defaults, resolved among the project's connections.",
)
def _agt001_trap_account_host() -> Fixture:
    f = base(foundry=True)
    agent_setup(f, account_host=True)
    return f


@scenario(
    "AGT001",
    "fail",
    "The project's identity lacks Search Service Contributor on the vector store's Search "
    "service (the index data role alone cannot create its indexes).",
)
def _agt001_fail() -> Fixture:
    f = base(foundry=True)
    agent_setup(f)
    f.drop("fproj-mi/srch/service")
    return f


@scenario(
    "AGT001",
    "fail-cosmos-operator",
    "The project's identity holds no role on the thread storage's Cosmos DB account.",
)
def _agt001_fail_cosmos() -> Fixture:
    f = base(foundry=True)
    agent_setup(f)
    f.drop("fproj-mi/cosmos/operator")
    return f


@scenario(
    "AGT001",
    "fail-docs-pattern-account",
    "The docs' container-scope blob roles without Storage Account Contributor on the account, "
    "which that pattern needs.",
)
def _agt001_fail_docs_account() -> Fixture:
    f = base(foundry=True)
    agent_setup(f, docs=True)
    f.drop("fproj-mi/st/account")
    return f


@scenario(
    "AGT001",
    "unknown-capability-hosts-unreadable",
    "The project's capability hosts could not be listed: whether it uses a standard setup, and "
    "what its identity needs, is unknown.",
)
def _agt001_unknown_hosts() -> Fixture:
    f = base(foundry=True)
    agent_setup(f)
    f.remove(CAPHOST)
    f.errors.append(
        {
            "scope": FOUNDRY_PROJECT,
            "operation": "Microsoft.CognitiveServices/accounts/projects/capabilityHosts/read",
            "status": 403,
            "code": "AuthorizationFailed",
            "message": "The client does not have authorization to perform action "
            "'Microsoft.CognitiveServices/accounts/projects/capabilityHosts/read'.",
        }
    )
    return f


# AGT003 -------------------------------------------------------------------------------------------
APP = f"{FOUNDRY_PROJECT}/applications/app-support"
AGENT_MI, AGENT_BLUEPRINT, HELPDESK = (
    pid(f"sp:{n}") for n in ("agent-support", "agent-blueprint", "helpdesk")
)


def published_agent(f: Fixture, scheme: str = "Default") -> None:
    """A published agent (agent application) of 'fproj-agents' on a standard setup, with its own
    agent identity holding what the project's identity holds on the setup's resources, and the
    help desk's service principal holding Foundry Agent Consumer on the application."""
    agent_setup(f)
    f.add(
        arm.resource(
            APP,
            "Microsoft.CognitiveServices/accounts/projects/applications",
            properties={
                "displayName": "Support",
                "authorizationPolicy": {"type": scheme},
                "agents": [{"agentName": "support-agent", "agentId": "support-agent:3"}],
                "defaultInstanceIdentity": {
                    "principalId": AGENT_MI,
                    "clientId": pid("client:agent-support"),
                    "kind": "AgentInstance",
                    "type": "ServicePrincipal",
                },
                "agentIdentityBlueprint": {
                    "principalId": AGENT_BLUEPRINT,
                    "clientId": pid("client:agent-blueprint"),
                    "kind": "AgentBlueprint",
                },
                "baseUrl": "https://ais-foundry.services.ai.azure.com/api/projects/"
                "fproj-agents/applications/app-support/protocols",
                "provisioningState": "Succeeded",
            },
        )
    )
    for object_id, name in (
        (AGENT_MI, "app-support agent"),
        (AGENT_BLUEPRINT, "app-support blueprint"),
        (HELPDESK, "svc-helpdesk"),
    ):
        f.principals[object_id] = arm.principal(object_id, "ServicePrincipal", name, [])
    f.grant("agent/cosmos/operator", COSMOS_AGENTS, AGENT_MI, COSMOS_DB_OPERATOR)
    f.grant("agent/srch/data", SRCH_AGENTS, AGENT_MI, arm.SEARCH_INDEX_DATA_CONTRIBUTOR)
    f.grant("agent/st/blob", ST_AGENTS, AGENT_MI, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)
    f.grant("agent/foundry/openai-user", FOUNDRY, AGENT_MI, arm.OPENAI_USER)
    f.grant("helpdesk/app/consumer", APP, HELPDESK, arm.FOUNDRY_USER)


@scenario(
    "AGT003",
    "pass",
    "The help desk's service principal holds Foundry User on the published agent (Azure RBAC "
    "scheme: applications/invoke/action); the agent's own identity holds the setup's roles.",
)
def _agt003_pass() -> Fixture:
    f = base(foundry=True)
    published_agent(f)
    return f


@scenario(
    "AGT003",
    "trap-agent-scope",
    "The help desk holds Reader on the application and Foundry Agent Consumer at the agent's "
    "own scope (.../projects/fproj-agents/agents/support-agent), the agent endpoint's role "
    "there, which counts.",
)
def _agt003_trap_agent_scope() -> Fixture:
    f = base(foundry=True)
    published_agent(f)
    f.drop("helpdesk/app/consumer")
    f.grant("helpdesk/app/reader", APP, HELPDESK, arm.READER)
    f.grant(
        "helpdesk/agent/consumer",
        f"{FOUNDRY_PROJECT}/agents/support-agent",
        HELPDESK,
        FOUNDRY_AGENT_CONSUMER,
    )
    return f


@scenario(
    "AGT003",
    "pass-microsoft365-scheme",
    "The endpoint uses the Microsoft365 authorization scheme: no Azure RBAC requirement on "
    "callers, so the help desk's Reader on the application asks nothing of it.",
)
def _agt003_pass_m365() -> Fixture:
    f = base(foundry=True)
    published_agent(f, scheme="Microsoft365")
    f.drop("helpdesk/app/consumer")
    f.grant("helpdesk/app/reader", APP, HELPDESK, arm.READER)
    return f


@scenario(
    "AGT003",
    "trap-agent-consumer-on-application",
    "The help desk's service principal holds Foundry Agent Consumer on the published agent "
    "(Azure RBAC scheme): the Foundry RBAC page's role for these endpoints, which counts, though "
    "the agent applications page names applications/invoke/action instead.",
)
def _agt003_trap_consumer_on_application() -> Fixture:
    f = base(foundry=True)
    published_agent(f)
    f.drop("helpdesk/app/consumer")
    f.grant("helpdesk/app/agent-consumer", APP, HELPDESK, FOUNDRY_AGENT_CONSUMER)
    return f


@scenario(
    "AGT003",
    "fail",
    "The help desk's service principal holds only Reader on the published agent, whose endpoint "
    "uses Azure RBAC: neither the invoke action nor the agent endpoint's interact action.",
)
def _agt003_fail() -> Fixture:
    f = base(foundry=True)
    published_agent(f)
    f.drop("helpdesk/app/consumer")
    f.grant("helpdesk/app/reader", APP, HELPDESK, arm.READER)
    return f


@scenario(
    "AGT003",
    "fail-agent-identity",
    "The project's identity holds the Search roles of the vector store, the published agent's "
    "own identity does not: roles do not carry over (a warning naming both identities).",
)
def _agt003_fail_agent_identity() -> Fixture:
    f = base(foundry=True)
    published_agent(f)
    f.drop("agent/srch/data")
    return f


# ACR001 -------------------------------------------------------------------------------------------
@scenario("ACR001", "fail", "The hub has a user-assigned identity without AcrPull on its registry.")
def _acr001_fail() -> Fixture:
    f = base(uami=True)
    f.drop("uami/acr/pull")
    return f


@scenario("ACR001", "pass", "The hub's user-assigned identity holds AcrPull on the registry.")
def _acr001_pass() -> Fixture:
    return base(uami=True)


UAMI_SECOND = f"{P}/Microsoft.ManagedIdentity/userAssignedIdentities/id-hub-jobs"
UAMI_SECOND_MI = pid("sp:uami-jobs")


def _second_user_identity(f: Fixture) -> None:
    """Attach a second user-assigned identity to the hub, not its primary one."""
    f.add(
        arm.resource(
            UAMI_SECOND,
            "Microsoft.ManagedIdentity/userAssignedIdentities",
            properties={
                "tenantId": TENANT,
                "principalId": UAMI_SECOND_MI,
                "clientId": pid("client:uami-jobs"),
            },
        )
    )
    f.principals[UAMI_SECOND_MI] = arm.principal(
        UAMI_SECOND_MI, "ServicePrincipal", "id-hub-jobs", []
    )
    f.get(HUB)["identity"]["userAssignedIdentities"][UAMI_SECOND] = {
        "principalId": UAMI_SECOND_MI,
        "clientId": pid("client:uami-jobs"),
    }


@scenario(
    "ACR001",
    "pass-second-user-identity",
    "A second user-assigned identity, not the hub's primary one, has no AcrPull: the hub pulls "
    "with its primary identity only, which holds AcrPull.",
)
def _acr001_pass_second() -> Fixture:
    f = base(uami=True)
    _second_user_identity(f)
    return f


# AGT002 -------------------------------------------------------------------------------------------
COSMOS = f"{P}/Microsoft.DocumentDB/databaseAccounts/cosmos-agents"
COSMOS_MEMORY = f"{COSMOS}/dbs/enterprise_memory"
COSMOS_WRITER = arm.guid("check-fixtures:cosmos-agents-writer")


def _agent_setup(f: Fixture, *, on_account: bool = False, granted: bool = True) -> None:
    """The standard agent setup of the Foundry project (agent_setup, AGT001's section), with the
    Cosmos DB account's two built-in SQL role definitions listed as ARM lists them; without
    `granted`, no Cosmos DB SQL role of the project's identity on enterprise_memory. With
    `on_account`, the capability host is the Foundry resource's default and the connection it
    keeps threads through is the Foundry resource's, found by its documents.azure.com
    endpoint (no ResourceId)."""
    agent_setup(f, account_host=on_account)
    for definition in arm.cosmos_builtin_definitions(COSMOS):
        f.add(definition)
    if not granted:
        f.remove(f"{COSMOS}/sqlRoleAssignments/{arm.guid('cosmos:fproj-mi')}")
    if on_account:
        f.remove(f"{FOUNDRY_PROJECT}/connections/conn-cosmos-agents")
        link = foundry_connection(
            FOUNDRY,
            "conn-cosmos-agents",
            "CosmosDb",
            "AAD",
            "https://cosmos-agents.documents.azure.com:443/",
            "",
        )
        del link["properties"]["metadata"]["ResourceId"]
        f.add(link)


@scenario(
    "AGT002",
    "fail",
    "The Foundry project's capability host keeps agent threads in Cosmos DB, and the project's "
    "identity holds no Cosmos DB SQL role assignment there.",
)
def _agt002_fail() -> Fixture:
    f = base(foundry=True)
    _agent_setup(f, granted=False)
    return f


@scenario(
    "AGT002",
    "fail-sibling-database",
    "Cosmos DB Built-in Data Contributor at /dbs/enterprise_memory2, a database whose name only "
    "starts like enterprise_memory: a path prefix counts by whole segments.",
)
def _agt002_fail_sibling() -> Fixture:
    f = base(foundry=True)
    _agent_setup(f, granted=False)
    f.add(
        arm.cosmos_sql_role_assignment(
            COSMOS, FPROJ_MI, arm.COSMOS_DATA_CONTRIBUTOR, f"{COSMOS}/dbs/enterprise_memory2"
        )
    )
    return f


@scenario(
    "AGT002",
    "pass",
    "The project's identity holds Cosmos DB Built-in Data Contributor on the enterprise_memory "
    "database, as a Cosmos DB SQL role assignment.",
)
def _agt002_pass() -> Fixture:
    f = base(foundry=True)
    _agent_setup(f)
    return f


@scenario(
    "AGT002",
    "pass-account-defaults",
    "The project has no capability host of its own: the Foundry resource's names an account "
    "connection found by its documents.azure.com endpoint; the SQL role assignment's scope is "
    "written relative to the account (/dbs/enterprise_memory), as the CLI accepts it.",
)
def _agt002_pass_account() -> Fixture:
    f = base(foundry=True)
    _agent_setup(f, on_account=True, granted=False)
    f.add(
        arm.cosmos_sql_role_assignment(
            COSMOS, FPROJ_MI, arm.COSMOS_DATA_CONTRIBUTOR, "/dbs/enterprise_memory"
        )
    )
    return f


@scenario(
    "AGT002",
    "trap-custom-wildcard",
    "The project's identity holds a custom Cosmos DB SQL role at the account scope whose "
    "dataActions are readMetadata and the wildcard sqlDatabases/containers/*: it covers every "
    "item action in enterprise_memory.",
)
def _agt002_trap_wildcard() -> Fixture:
    f = base(foundry=True)
    _agent_setup(f, granted=False)
    f.add(
        arm.cosmos_sql_role_definition(
            COSMOS,
            COSMOS_WRITER,
            "Agents thread writer",
            [
                "Microsoft.DocumentDB/databaseAccounts/readMetadata",
                "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/*",
            ],
        )
    )
    f.add(arm.cosmos_sql_role_assignment(COSMOS, FPROJ_MI, COSMOS_WRITER, COSMOS))
    return f


@scenario(
    "AGT002",
    "unknown-assignments-not-read",
    "The Cosmos DB account's SQL role assignments could not be read (403): whether the project's "
    "identity holds a data role there cannot be told.",
)
def _agt002_unknown() -> Fixture:
    f = base(foundry=True)
    _agent_setup(f, granted=False)
    f.errors.append(
        arm.read_error(
            f"{COSMOS}/sqlRoleAssignments",
            "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments/read",
        )
    )
    return f


# CFG001 -------------------------------------------------------------------------------------------
@scenario(
    "CFG001", "fail", "An Entra ID connection uses a Search service still in API-key-only mode."
)
def _cfg001_fail() -> Fixture:
    f = base(search=True)
    f.props(SEARCH)["authOptions"] = {"apiKeyOnly": {}}
    return f


@scenario(
    "CFG001",
    "pass-key-connection",
    "Search is in API-key-only mode and the project "
    "reaches it with a key: Azure OpenAI then uses the key too, not its identity.",
)
def _cfg001_pass_key() -> Fixture:
    f = base(aoai=True, search=True)
    f.props(SEARCH)["authOptions"] = {"apiKeyOnly": {}}
    f.get(f"{PROJECT}/connections/conn-search")["properties"]["authType"] = "ApiKey"
    f.drop("aoai-mi/search/data", "aoai-mi/search/service", "ana/search/data", "ana/search/reader")
    return f


@scenario("CFG001", "pass", "The Search service accepts both API keys and Entra ID tokens.")
def _cfg001_pass() -> Fixture:
    return base(search=True)


@scenario(
    "CFG001",
    "pass-local-auth-disabled",
    "The Search service has local authentication "
    "disabled (ARM then returns no authOptions): Entra ID only.",
)
def _cfg001_pass_local() -> Fixture:
    f = base(search=True)
    f.props(SEARCH)["authOptions"] = None
    f.props(SEARCH)["disableLocalAuth"] = True
    return f


@scenario(
    "CFG001",
    "unknown-auth-options-missing",
    "The snapshot shows neither authOptions nor disableLocalAuth of the Search service.",
)
def _cfg001_unknown() -> Fixture:
    f = base(search=True)
    del f.props(SEARCH)["authOptions"]
    del f.props(SEARCH)["disableLocalAuth"]
    return f


# CFG002 -------------------------------------------------------------------------------------------
@scenario(
    "CFG002",
    "fail",
    "A connection authenticates with an API key to an Azure OpenAI resource with disableLocalAuth.",
)
def _cfg002_fail() -> Fixture:
    f = base(aoai=True)
    f.get(f"{PROJECT}/connections/conn-aoai")["properties"]["authType"] = "ApiKey"
    f.props(AOAI)["disableLocalAuth"] = True
    return f


@scenario(
    "CFG002",
    "fail-storage-shared-key",
    "A blob connection uses the account key of a storage account with allowSharedKeyAccess false.",
)
def _cfg002_fail_storage() -> Fixture:
    f = base(blob=True)
    f.get(f"{PROJECT}/connections/conn-blob")["properties"]["authType"] = "AccountKey"
    f.props(ST_DATA)["allowSharedKeyAccess"] = False
    return f


@scenario(
    "CFG002",
    "fail-foundry-project-connection",
    "A Foundry project's connection authenticates with an API key to an Azure OpenAI resource "
    "with disableLocalAuth: it must use Entra ID.",
)
def _cfg002_fail_foundry() -> Fixture:
    f = base(aoai=True, foundry=True)
    f.props(AOAI)["disableLocalAuth"] = True
    f.add(
        foundry_connection(
            FOUNDRY_PROJECT,
            "conn-fproj-aoai",
            "AzureOpenAI",
            "ApiKey",
            "https://aoai-chat.openai.azure.com/",
            AOAI,
        )
    )
    return f


@scenario("CFG002", "pass", "A key connection to an Azure OpenAI resource that accepts keys.")
def _cfg002_pass() -> Fixture:
    f = base(aoai=True)
    f.get(f"{PROJECT}/connections/conn-aoai")["properties"]["authType"] = "ApiKey"
    return f


# CFG003 -------------------------------------------------------------------------------------------
@scenario(
    "CFG003",
    "fail",
    "An Entra ID connection uses an Azure OpenAI resource without a "
    "custom subdomain (regional endpoint).",
)
def _cfg003_fail() -> Fixture:
    f = base(aoai=True)
    properties = f.props(AOAI)
    del properties["customSubDomainName"]
    properties["endpoint"] = "https://eastus.api.cognitive.microsoft.com/"
    f.get(f"{PROJECT}/connections/conn-aoai")["properties"]["target"] = (
        "https://eastus.api.cognitive.microsoft.com/"
    )
    return f


@scenario("CFG003", "pass", "The Azure OpenAI resource has a custom subdomain.")
def _cfg003_pass() -> Fixture:
    return base(aoai=True)


# CFG004 -------------------------------------------------------------------------------------------
@scenario(
    "CFG004",
    "fail",
    "The hub reaches its storage with the account key (systemDatastoresAuthMode accessKey) while "
    "the storage refuses shared keys.",
)
def _cfg004_fail() -> Fixture:
    f = base()
    f.props(ST_HUB)["allowSharedKeyAccess"] = False
    return f


@scenario(
    "CFG004",
    "fail-mode-unset",
    "The hub names no systemDatastoresAuthMode (which means keys) and its storage refuses shared "
    "keys.",
)
def _cfg004_fail_unset() -> Fixture:
    f = base()
    f.props(ST_HUB)["allowSharedKeyAccess"] = False
    del f.props(HUB)["systemDatastoresAuthMode"]
    return f


@scenario(
    "CFG004",
    "pass",
    "The storage refuses shared keys and the hub reaches it with Entra ID (identity mode), its "
    "identity and its people holding the roles that mode needs.",
)
def _cfg004_pass() -> Fixture:
    f = base(identity_storage=True)
    f.props(ST_HUB)["allowSharedKeyAccess"] = False
    return f


# CMK001 -------------------------------------------------------------------------------------------
@scenario("CMK001", "fail", "A CMK hub's system identity has no role on the RBAC key vault.")
def _cmk001_fail() -> Fixture:
    f = base(cmk=True)
    f.drop("hub-mi/kv-cmk/crypto")
    return f


@scenario(
    "CMK001",
    "fail-access-policy",
    "An access-policy key vault has no policy for the hub's identity.",
)
def _cmk001_fail_policy() -> Fixture:
    f = base(cmk=True)
    f.drop("hub-mi/kv-cmk/crypto")
    f.add(key_vault(KV_CMK, rbac=False, policies=[access_policy(CARA, ["get", "list"])]))
    return f


@scenario(
    "CMK001",
    "fail-user-assigned",
    "The encryption names the hub's user-assigned identity, which has no role on the key vault.",
)
def _cmk001_fail_uami() -> Fixture:
    f = base(cmk=True, uami=True)
    f.drop("uami/kv-cmk/crypto")
    return f


@scenario("CMK001", "pass", "The hub's identity holds Key Vault Crypto Service Encryption User.")
def _cmk001_pass() -> Fixture:
    return base(cmk=True)


@scenario(
    "CMK001",
    "pass-access-policy",
    "An access policy gives the hub's identity get, wrapKey and unwrapKey.",
)
def _cmk001_pass_policy() -> Fixture:
    f = base(cmk=True)
    f.drop("hub-mi/kv-cmk/crypto")
    f.add(
        key_vault(
            KV_CMK, rbac=False, policies=[access_policy(HUB_MI, ["get", "wrapKey", "unwrapKey"])]
        )
    )
    return f


@scenario(
    "CMK001",
    "pass-access-policy-group",
    "The hub's identity gets keys through its own access policy and wraps and unwraps them "
    "through its group's: Key Vault adds the entries up.",
)
def _cmk001_pass_policy_group() -> Fixture:
    return _cmk001_key_policies_split(member_of=[GRP_A], wrapper=GRP_A)


def _cmk001_key_policies_split(member_of: list[str] | None, wrapper: str) -> Fixture:
    """The hub's identity's own access policy gives get, `wrapper`'s (a group, or a user)
    wrapKey and unwrapKey; the identity's memberships as given (None: they could not be
    read)."""
    f = base(cmk=True)
    f.drop("hub-mi/kv-cmk/crypto")
    if wrapper in GROUPS:
        f.group(wrapper)
    f.principals[HUB_MI]["memberOf"] = member_of
    f.add(
        key_vault(
            KV_CMK,
            rbac=False,
            policies=[
                access_policy(HUB_MI, ["get"]),
                access_policy(wrapper, ["wrapKey", "unwrapKey"]),
            ],
        )
    )
    return f


@scenario(
    "CMK001",
    "fail-access-policy-compound",
    "The only access policy naming the hub's identity is a compound identity's (it names an "
    "application too): it gives that application acting for the identity, not the identity.",
)
def _cmk001_fail_policy_compound() -> Fixture:
    f = base(cmk=True)
    f.drop("hub-mi/kv-cmk/crypto")
    compound = {
        **access_policy(HUB_MI, ["get", "wrapKey", "unwrapKey"]),
        "applicationId": ML_APP_ID,
    }
    f.add(key_vault(KV_CMK, rbac=False, policies=[compound]))
    return f


@scenario(
    "CMK001",
    "unknown-access-policy-memberships",
    "The hub's identity gets keys through its own access policy, a group's policy wraps and "
    "unwraps them, and the identity's group memberships could not be read.",
)
def _cmk001_unknown_policy_memberships() -> Fixture:
    return _cmk001_key_policies_split(member_of=None, wrapper=GRP_A)


@scenario(
    "CMK001",
    "fail-access-policy-user-entry",
    "The hub's identity's memberships could not be read, but the only other entry that gives "
    "wrapKey and unwrapKey is a user's, which no identity counts as: a failure, not unknown.",
)
def _cmk001_fail_policy_user_entry() -> Fixture:
    return _cmk001_key_policies_split(member_of=None, wrapper=ANA)


# CMK002 -------------------------------------------------------------------------------------------
@scenario(
    "CMK002",
    "fail",
    "A CMK hub's user-assigned identity has no write role on the hub's resource group.",
)
def _cmk002_fail() -> Fixture:
    f = base(cmk=True, uami=True)
    f.drop("uami/rg/contributor")
    _cmk_data_in_subscription(f)
    return f


def _cmk_data_in_subscription(f: Fixture) -> None:
    """The hub keeps its CMK-encrypted data in the subscription (not service-side): the service
    created the managed resource group the hub names."""
    f.props(HUB)["enableServiceSideCMKEncryption"] = False
    f.props(HUB)["serviceProvisionedResourceGroup"] = "azureml-rg-hub-fixture_0a1b2c3d"


@scenario("CMK002", "pass", "The user-assigned identity holds Contributor on the resource group.")
def _cmk002_pass() -> Fixture:
    f = base(cmk=True, uami=True)
    _cmk_data_in_subscription(f)
    return f


AZURE_AI_ADMINISTRATOR = "b78c5d69-af96-48a3-bf8d-a8b4d589de94"


@scenario(
    "CMK002",
    "pass-ai-administrator",
    "The user-assigned identity holds Azure AI Administrator on the resource group, the "
    "narrowest built-in role with the Storage, Search and Cosmos DB account writes.",
)
def _cmk002_pass_ai_administrator() -> Fixture:
    f = _cmk002_fail()
    f.grant("uami/rg/ai-administrator", RG, UAMI_MI, AZURE_AI_ADMINISTRATOR)
    return f


@scenario(
    "CMK002",
    "pass-service-side",
    "The hub keeps its CMK-encrypted data service-side (enableServiceSideCMKEncryption): its "
    "user-assigned identity creates nothing in the subscription and needs no write on it.",
)
def _cmk002_pass_service_side() -> Fixture:
    f = base(cmk=True, uami=True)
    f.drop("uami/rg/contributor")
    f.props(HUB)["enableServiceSideCMKEncryption"] = True
    return f


@scenario(
    "CMK002",
    "unknown-mode",
    "The user-assigned identity has no write on the resource group, and the hub says neither "
    "whether it encrypts service-side nor which resource group the service created for it.",
)
def _cmk002_unknown_mode() -> Fixture:
    f = base(cmk=True, uami=True)
    f.drop("uami/rg/contributor")
    return f


# CMK003 -------------------------------------------------------------------------------------------
@scenario(
    "CMK003",
    "fail",
    "The creator (--creator) has Contributor on the hub's resource group "
    "but no role on the CMK key vault in another resource group.",
)
def _cmk003_fail() -> Fixture:
    f = base(cmk=True, creator=True)
    f.drop("cara/kv-cmk/contributor")
    return f


@scenario(
    "CMK003",
    "fail-access-policy",
    "The creator holds Contributor on an access-policy key "
    "vault but no key policy with create, get, delete and purge.",
)
def _cmk003_fail_policy() -> Fixture:
    f = base(cmk=True, creator=True)
    f.drop("hub-mi/kv-cmk/crypto")
    f.add(
        key_vault(
            KV_CMK,
            rbac=False,
            policies=[
                access_policy(HUB_MI, ["get", "wrapKey", "unwrapKey"]),
                access_policy(CARA, ["get", "list"]),
            ],
        )
    )
    return f


@scenario("CMK003", "pass", "The creator holds Contributor on the RBAC key vault.")
def _cmk003_pass() -> Fixture:
    return base(cmk=True, creator=True)


@scenario(
    "CMK003",
    "pass-access-policy",
    "The creator holds Contributor and a key policy with create, get, delete and purge.",
)
def _cmk003_pass_policy() -> Fixture:
    f = base(cmk=True, creator=True)
    f.drop("hub-mi/kv-cmk/crypto")
    f.add(
        key_vault(
            KV_CMK,
            rbac=False,
            policies=[
                access_policy(HUB_MI, ["get", "wrapKey", "unwrapKey"]),
                access_policy(CARA, ["create", "get", "delete", "purge", "list"]),
            ],
        )
    )
    return f


@scenario(
    "CMK003",
    "pass-access-policy-group",
    "The creator holds Contributor, gets keys through its own access policy and creates, "
    "deletes and purges them through its group's.",
)
def _cmk003_pass_policy_group() -> Fixture:
    f = base(cmk=True, creator=True)
    f.drop("hub-mi/kv-cmk/crypto")
    f.group(GRP_A)
    f.principals[CARA]["memberOf"] = [GRP_A]
    f.add(
        key_vault(
            KV_CMK,
            rbac=False,
            policies=[
                access_policy(HUB_MI, ["get", "wrapKey", "unwrapKey"]),
                access_policy(CARA, ["get"]),
                access_policy(GRP_A, ["create", "delete", "purge"]),
            ],
        )
    )
    return f


@scenario(
    "CMK003",
    "trap-second-role-notactions",
    "The creator's broad custom role on the vault's "
    "resource group removes Microsoft.KeyVault/vaults/write in its NotActions; Key Vault "
    "Contributor on the vault grants it (NotActions is not a deny).",
)
def _cmk003_trap_second() -> Fixture:
    f = base(cmk=True, creator=True)
    f.drop("cara/kv-cmk/contributor")
    operator = f.define(
        arm.custom_role(
            "Platform Operator Without Key Vault",
            actions=["*"],
            not_actions=[
                "Microsoft.KeyVault/vaults/write",
                "Microsoft.KeyVault/vaults/delete",
                "Microsoft.Authorization/*/Write",
                "Microsoft.Authorization/*/Delete",
            ],
            scopes=[RG_SECURITY],
        )
    )
    f.grant("cara/rg-security/operator", RG_SECURITY, CARA, operator)
    f.grant("cara/kv-cmk/kv-contributor", KV_CMK, CARA, KEY_VAULT_CONTRIBUTOR)
    return f


# CMK004 -------------------------------------------------------------------------------------------
@scenario(
    "CMK004",
    "fail",
    "The key vault of the hub's customer-managed key has no purge protection.",
)
def _cmk004_fail() -> Fixture:
    f = base(cmk=True)
    f.props(KV_CMK)["enablePurgeProtection"] = False
    return f


@scenario(
    "CMK004",
    "fail-soft-delete",
    "The key vault of the hub's customer-managed key has soft delete turned off.",
)
def _cmk004_fail_soft_delete() -> Fixture:
    f = base(cmk=True)
    f.props(KV_CMK)["enableSoftDelete"] = False
    return f


@scenario("CMK004", "pass", "The key vault has soft delete and purge protection.")
def _cmk004_pass() -> Fixture:
    return base(cmk=True)


@scenario(
    "CMK004",
    "pass-soft-delete-default",
    "The key vault shows purge protection and no enableSoftDelete: soft delete is on by default "
    "(since 2020) and cannot be turned off.",
)
def _cmk004_pass_default() -> Fixture:
    f = base(cmk=True)
    del f.props(KV_CMK)["enableSoftDelete"]
    return f


@scenario(
    "CMK004",
    "unknown-vault-missing",
    "The key vault of the hub's customer-managed key could not be read.",
)
def _cmk004_unknown() -> Fixture:
    f = base(cmk=True)
    f.remove(KV_CMK)
    f.errors.append(arm.read_error(KV_CMK, "Microsoft.KeyVault/vaults/read"))
    return f


# CON001 -------------------------------------------------------------------------------------------
@scenario(
    "CON001",
    "fail",
    "The project member holds Contributor on Azure OpenAI, which grants no "
    "data action, and no Cognitive Services OpenAI User.",
)
def _con001_fail() -> Fixture:
    f = base(aoai=True)
    f.drop("ana/aoai/openai-user")
    f.grant("ana/aoai/contributor", AOAI, ANA, arm.CONTRIBUTOR)
    return f


@scenario("CON001", "pass", "The project member holds Cognitive Services OpenAI User.")
def _con001_pass() -> Fixture:
    return base(aoai=True)


@scenario(
    "CON001",
    "trap-inherited-resource-group",
    "Cognitive Services OpenAI User is assigned "
    "on the resource group, above the Azure OpenAI resource.",
)
def _con001_trap_rg() -> Fixture:
    f = base(aoai=True)
    f.drop("ana/aoai/openai-user")
    f.grant("ana/rg/openai-user", RG, ANA, arm.OPENAI_USER)
    return f


@scenario(
    "CON001",
    "trap-tenant-role-name",
    "The tenant lists Cognitive Services OpenAI User's "
    "GUID under another name: roles are matched by id.",
)
def _con001_trap_name() -> Fixture:
    f = base(aoai=True)
    renamed = arm.builtin_role(arm.OPENAI_USER, SUB)
    renamed["properties"]["roleName"] = "Contoso Chat Caller"
    f.define(renamed)
    return f


@scenario(
    "CON001",
    "trap-second-role-notdataactions",
    "One role's NotDataActions removes chat "
    "completions; a second role grants it (NotDataActions is not a deny).",
)
def _con001_trap_second() -> Fixture:
    f = base(aoai=True)
    f.drop("ana/aoai/openai-user")
    no_chat = f.define(
        arm.custom_role(
            "OpenAI Reader Without Chat",
            actions=["Microsoft.CognitiveServices/accounts/read"],
            data_actions=["Microsoft.CognitiveServices/accounts/OpenAI/*"],
            not_data_actions=[
                "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
            ],
        )
    )
    chat_only = f.define(
        arm.custom_role(
            "OpenAI Chat Caller",
            data_actions=[
                "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
            ],
        )
    )
    f.grant("ana/aoai/no-chat", AOAI, ANA, no_chat)
    f.grant("ana/rg/chat-only", RG, ANA, chat_only)
    return f


@scenario(
    "CON001",
    "unknown-target-missing",
    "The connection's Azure OpenAI resource is not in "
    "the snapshot (another subscription that could not be read).",
)
def _con001_unknown_target() -> Fixture:
    f = base(aoai=True)
    other = (
        "/subscriptions/99999999-8888-7777-6666-555555555555/resourceGroups/rg-shared/"
        "providers/Microsoft.CognitiveServices/accounts/aoai-shared"
    )
    conn = f.get(f"{PROJECT}/connections/conn-aoai")["properties"]
    conn["metadata"]["ResourceId"] = other
    conn["target"] = "https://aoai-shared.openai.azure.com/"
    f.drop("ana/aoai/openai-user")
    f.remove(AOAI)
    f.principals.pop(AOAI_MI)
    return f


@scenario(
    "CON001",
    "unknown-read-error",
    "The member holds no role on Azure OpenAI, but role "
    "assignments at the subscription could not be read.",
)
def _con001_unknown_errors() -> Fixture:
    f = base(aoai=True)
    f.drop("ana/aoai/openai-user")
    f.errors.append(arm.read_error(SUBSCRIPTION, "Microsoft.Authorization/roleAssignments/read"))
    return f


@scenario(
    "CON001",
    "warn-propagation",
    "Cognitive Services OpenAI User was assigned four "
    "minutes before the snapshot: Azure may not apply it yet.",
)
def _con001_warn_young() -> Fixture:
    f = base(aoai=True)
    f.drop("ana/aoai/openai-user")
    f.grant(
        "ana/aoai/openai-user",
        AOAI,
        ANA,
        arm.OPENAI_USER,
        created_on="2026-06-01T11:56:00.0000000Z",
    )
    return f


def _managed_identity_connection(f: Fixture, **credentials: str) -> None:
    """Make the project's Azure OpenAI connection call as a managed identity, not as the user:
    the requirement moves from the people to that identity."""
    conn = f.props(f"{PROJECT}/connections/conn-aoai")
    conn["authType"] = "ManagedIdentity"
    if credentials:
        conn["credentials"] = dict(credentials)
    f.drop("ana/aoai/openai-user")


@scenario(
    "CON001",
    "fail-managed-identity",
    "The Azure OpenAI connection uses ManagedIdentity auth and names no identity: the "
    "project's own identity makes the calls and holds no OpenAI data role (a service identity, "
    "a failure); the project member, who no longer calls as herself, is asked nothing.",
)
def _con001_fail_managed_identity() -> Fixture:
    # A named user-assigned identity (credentials.resourceId / clientId) is tested in
    # tests/test_connection_users.py: the collector and bundles drop `credentials`.
    f = base(aoai=True)
    _managed_identity_connection(f)
    return f


@scenario(
    "CON001",
    "pass-managed-identity-workspace",
    "The Azure OpenAI connection uses ManagedIdentity auth and names no identity: the "
    "project's own identity, which holds Cognitive Services OpenAI User, makes the calls; the "
    "project member holds no OpenAI role and needs none.",
)
def _con001_pass_managed_identity() -> Fixture:
    f = base(aoai=True)
    _managed_identity_connection(f)
    f.grant("project-mi/aoai/openai-user", AOAI, PROJECT_MI, arm.OPENAI_USER)
    return f


# CON002 -------------------------------------------------------------------------------------------
@scenario(
    "CON002",
    "fail",
    "The project member, a builder, holds Reader on the Search service (index definitions) "
    "but no Search data role: she cannot read documents.",
)
def _con002_fail() -> Fixture:
    f = base(search=True)
    f.drop("ana/search/data")
    return f


@scenario(
    "CON002",
    "pass-data-role-without-reader",
    "The project member holds Search Index Data Contributor and nothing else on the Search "
    "service: the data role is all an Entra ID connection needs (listing indexes in the portal "
    "goes through the admin keys: one warning with no fix, never a failure).",
)
def _con002_pass_data_role_only() -> Fixture:
    f = base(search=True)
    f.drop("ana/search/reader")
    return f


@scenario(
    "CON002",
    "warn-index-data-reader-only",
    "The project member holds only Search Index Data Reader on the Search service: she reads "
    "documents (no failure); indexing would need Search Index Data Contributor (a warning).",
)
def _con002_warn_reader_only() -> Fixture:
    f = base(search=True)
    f.drop("ana/search/data", "ana/search/reader")
    f.grant("ana/search/data-reader", SEARCH, ANA, arm.SEARCH_INDEX_DATA_READER)
    return f


@scenario("CON002", "pass", "Search Index Data Contributor and Reader on the Search service.")
def _con002_pass() -> Fixture:
    return base(search=True)


@scenario(
    "CON002",
    "trap-wildcard-custom-role",
    "A custom role grants "
    "Microsoft.Search/searchServices/indexes/documents/* (and */read) instead of the "
    "built-in roles.",
)
def _con002_trap_wildcard() -> Fixture:
    f = base(search=True)
    f.drop("ana/search/data", "ana/search/reader")
    role = f.define(
        arm.custom_role(
            "Contoso Search Document Editor",
            actions=["Microsoft.Search/searchServices/*/read"],
            data_actions=["Microsoft.Search/searchServices/indexes/documents/*"],
        )
    )
    f.grant("ana/search/custom", SEARCH, ANA, role)
    return f


# CON003 -------------------------------------------------------------------------------------------
@scenario(
    "CON003",
    "fail",
    "The project member, a builder, owns the storage account, which grants no blob data "
    "action: she cannot read blobs.",
)
def _con003_fail() -> Fixture:
    f = base(blob=True)
    f.drop("ana/blob/data")
    f.grant("ana/blob/owner", ST_DATA, ANA, arm.OWNER)
    return f


@scenario(
    "CON003",
    "warn-deny-assignment",
    "A managed application's deny assignment blocks blob writes for everyone on the storage "
    "account: the builder can still read, so uploading is a warning.",
)
def _con003_fail_deny() -> Fixture:
    f = base(blob=True)
    f.denies.append(
        arm.deny_assignment(
            ST_DATA,
            name="Archive guard: read-only documents",
            principals=[arm.EVERYONE],
            data_actions=[
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
            ],
            description="Created by the managed application 'archive-guard'.",
        )
    )
    return f


@scenario("CON003", "pass", "Storage Blob Data Contributor on the storage account.")
def _con003_pass() -> Fixture:
    return base(blob=True)


@scenario(
    "CON003",
    "unknown-conditional",
    "Storage Blob Data Contributor is assigned with an "
    "ABAC condition on blob reads and writes (one container only).",
)
def _con003_unknown_condition() -> Fixture:
    f = base(blob=True)
    f.drop("ana/blob/data")
    condition = (
        "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/"
        "read'}) AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/"
        "blobs/write'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/"
        "containers:name] StringEquals 'docs'))"
    )
    f.grant("ana/blob/data", ST_DATA, ANA, arm.STORAGE_BLOB_DATA_CONTRIBUTOR, condition=condition)
    return f


# CON004 -------------------------------------------------------------------------------------------
@scenario(
    "CON004",
    "fail",
    "The project has a OneLake connection (reported as info: Fabric grants it, not Azure RBAC).",
)
def _con004_fail() -> Fixture:
    return base(onelake=True)


@scenario("CON004", "pass", "No OneLake connection.")
def _con004_pass() -> Fixture:
    return base(blob=True)


# FDY001 -------------------------------------------------------------------------------------------
AZURE_AI_ADMINISTRATOR = "b78c5d69-af96-48a3-bf8d-a8b4d589de94"


@scenario(
    "FDY001",
    "fail",
    "A Foundry builder holds only the hub-era Azure AI Developer on the project, which grants "
    "accounts/OpenAI/* but no accounts/AIServices/* (agents) data action: the wrong role.",
)
def _fdy001_fail() -> Fixture:
    f = base(foundry=True)
    f.drop("finn/foundry/foundry-user")
    f.grant("finn/fproj/ai-developer", FOUNDRY_PROJECT, FINN, arm.AZURE_AI_DEVELOPER)
    return f


@scenario(
    "FDY001",
    "fail-administrator",
    "Contributor on the account (an administrator) grants no Foundry data action: a warning, "
    "can manage, cannot build with Entra ID.",
)
def _fdy001_fail_administrator() -> Fixture:
    f = base(foundry=True)
    f.drop("finn/foundry/foundry-user")
    f.grant("finn/foundry/contributor", FOUNDRY, FINN, arm.CONTRIBUTOR)
    return f


@scenario(
    "FDY001", "fail-project-identity", "The Foundry project's managed identity holds no role."
)
def _fdy001_fail_identity() -> Fixture:
    f = base(foundry=True)
    f.drop("fproj-mi/fproj/foundry-user", "fproj-mi/foundry/foundry-user")
    return f


@scenario(
    "FDY001",
    "pass",
    "Foundry User on the account (reaching its project) and on the project for its identity.",
)
def _fdy001_pass() -> Fixture:
    return base(foundry=True)


FOUNDRY_AGENT_CONSUMER = "eed3b665-ab3a-47b6-8f48-c9382fb1dad6"


@scenario(
    "FDY001",
    "pass-readers",
    "Reader and Foundry Agent Consumer on the project are read-only people: nothing is asked "
    "of them.",
)
def _fdy001_pass_readers() -> Fixture:
    f = base(foundry=True)
    f.user(GUS)
    f.grant("gus/fproj/reader", FOUNDRY_PROJECT, GUS, arm.READER)
    f.grant("ana/fproj/agent-consumer", FOUNDRY_PROJECT, ANA, FOUNDRY_AGENT_CONSUMER)
    return f


@scenario(
    "FDY001",
    "pass-app-tester",
    "An app tester holds only Foundry Agent Consumer, on the Foundry resource and at a published "
    "agent's own scope: it calls published agents, builds nothing, and is asked nothing.",
)
def _fdy001_pass_app_tester() -> Fixture:
    f = base(foundry=True)
    f.user(GUS)
    f.grant("gus/foundry/agent-consumer", FOUNDRY, GUS, FOUNDRY_AGENT_CONSUMER)
    f.grant(
        "gus/agent/agent-consumer",
        f"{FOUNDRY_PROJECT}/agents/support-agent",
        GUS,
        FOUNDRY_AGENT_CONSUMER,
    )
    return f


@scenario(
    "FDY001",
    "fail-account-owner-on-project",
    "Foundry Account Owner, assigned on the project itself, manages the account and grants no "
    "data action: an administrator, warned (can manage, cannot build with Entra ID), never "
    "failed as a builder.",
)
def _fdy001_fail_account_owner() -> Fixture:
    f = base(foundry=True)
    f.user(GUS)
    f.grant("gus/fproj/account-owner", FOUNDRY_PROJECT, GUS, arm.FOUNDRY_ACCOUNT_OWNER)
    return f


@scenario(
    "FDY001",
    "trap-renamed-role",
    "The tenant still lists Foundry User's GUID as 'Azure AI User' (its name before the rename).",
)
def _fdy001_trap_renamed() -> Fixture:
    f = base(foundry=True)
    renamed = arm.builtin_role(arm.FOUNDRY_USER, SUB)
    renamed["properties"]["roleName"] = "Azure AI User"
    renamed["properties"].pop("formerRoleNames", None)
    f.define(renamed)
    return f


@scenario(
    "FDY001",
    "trap-service-identities",
    "The Foundry account is also the AI services "
    "target of the hub's project: the Azure Machine Learning app (Reader) and Search's "
    "identity (OpenAI User) hold roles on it for their own calls, not to build agents; the "
    "hub's identity holds Azure AI Administrator on the resource group (as Azure grants it to "
    "hubs created since November 2024), which reaches the account.",
)
def _fdy001_trap_services() -> Fixture:
    f = base(foundry=True, search=True)
    f.add(
        connection(
            PROJECT,
            "conn-ais",
            "AIServices",
            "AAD",
            "https://ais-foundry.openai.azure.com/",
            FOUNDRY,
        )
    )
    f.grant("ana/foundry/foundry-user", FOUNDRY, ANA, arm.FOUNDRY_USER)
    f.grant("mlapp/foundry/reader", FOUNDRY, ML_APP, arm.READER)
    f.grant("search-mi/foundry/openai-user", FOUNDRY, SEARCH_MI, arm.OPENAI_USER)
    f.grant("foundry-mi/search/data", SEARCH, FOUNDRY_MI, arm.SEARCH_INDEX_DATA_CONTRIBUTOR)
    f.grant("foundry-mi/search/service", SEARCH, FOUNDRY_MI, arm.SEARCH_SERVICE_CONTRIBUTOR)
    f.grant("hub-mi/rg/ai-administrator", RG, HUB_MI, AZURE_AI_ADMINISTRATOR)
    return f


# FDY002 -------------------------------------------------------------------------------------------
@scenario(
    "FDY002",
    "pass",
    "Finn and the project's identity hold Foundry User on the Foundry resource, where the "
    "model inference of its deployment (gpt-4o, OpenAI format) is authorized.",
)
def _fdy002_pass() -> Fixture:
    return base(foundry=True)


@scenario(
    "FDY002",
    "fail",
    "Finn holds Foundry User only on the project: agent work is authorized there, but a "
    "project-only role assignment doesn't authorize model inference.",
)
def _fdy002_fail() -> Fixture:
    f = base(foundry=True)
    f.drop("finn/foundry/foundry-user")
    f.grant("finn/fproj/foundry-user", FOUNDRY_PROJECT, FINN, arm.FOUNDRY_USER)
    return f


@scenario(
    "FDY002",
    "fail-project-identity",
    "The project's identity holds Foundry User on the project only, not on the account where "
    "its agents' model calls are authorized.",
)
def _fdy002_fail_identity() -> Fixture:
    f = base(foundry=True)
    f.drop("fproj-mi/foundry/foundry-user")
    return f


@scenario(
    "FDY002",
    "trap-maas-model-group",
    "A model in another format than OpenAI (the model inference API's MaaS action) and Finn's "
    "Foundry User held through a group at the resource group.",
)
def _fdy002_trap_maas_group() -> Fixture:
    f = base(foundry=True)
    f.add(deployment(FOUNDRY, "reasoning", "DeepSeek", "DeepSeek-R1"))
    f.drop("finn/foundry/foundry-user")
    f.group(GRP_DEVS)
    f.principals[FINN]["memberOf"] = [GRP_DEVS]
    f.grant("devs/rg/foundry-user", RG, GRP_DEVS, arm.FOUNDRY_USER)
    return f


# FDY003 -------------------------------------------------------------------------------------------
FOUNDRY_PROJECT_MANAGER = "eadc314b-1a2d-4efa-be10-5d325db5065e"


def _foundry_target(f: Fixture) -> Fixture:
    """Target the Foundry resource (as `diagnose --hub <Foundry id>` does): the hub checks,
    HUB004 among them, have no hub to look at."""
    f.target = {
        "hub": FOUNDRY,
        "project": None,
        **{k: v for k, v in f.target.items() if k == "creator"},
    }
    return f


@scenario(
    "FDY003",
    "pass",
    "The creator holds Foundry Project Manager on the Foundry resource: it creates projects and "
    "publishes agents there.",
)
def _fdy003_pass() -> Fixture:
    f = base(foundry=True, creator=True)
    f.drop("cara/rg/contributor")
    f.grant("cara/foundry/project-manager", FOUNDRY, CARA, FOUNDRY_PROJECT_MANAGER)
    return _foundry_target(f)


@scenario(
    "FDY003",
    "trap-account-owner",
    "The creator holds Foundry Account Owner on the Foundry resource (its condition limits only "
    "which roles it may assign, not project writes).",
)
def _fdy003_trap_account_owner() -> Fixture:
    f = base(foundry=True, creator=True)
    f.drop("cara/rg/contributor")
    f.grant("cara/foundry/account-owner", FOUNDRY, CARA, arm.FOUNDRY_ACCOUNT_OWNER)
    f.grant("cara/foundry/foundry-user", FOUNDRY, CARA, arm.FOUNDRY_USER)  # builds too
    return _foundry_target(f)


@scenario(
    "FDY003",
    "fail",
    "The creator holds Foundry User on the Foundry resource: it builds, but cannot create "
    "projects or publish agents.",
)
def _fdy003_fail() -> Fixture:
    f = base(foundry=True, creator=True)
    f.drop("cara/rg/contributor")
    f.grant("cara/foundry/foundry-user", FOUNDRY, CARA, arm.FOUNDRY_USER)
    return _foundry_target(f)


@scenario(
    "FDY003",
    "fail-project-scope",
    "The creator holds Foundry Project Manager on the project only: publishing needs it at the "
    "account scope, and so does creating projects.",
)
def _fdy003_fail_project_scope() -> Fixture:
    f = base(foundry=True, creator=True)
    f.drop("cara/rg/contributor")
    f.grant("cara/fproj/project-manager", FOUNDRY_PROJECT, CARA, FOUNDRY_PROJECT_MANAGER)
    return _foundry_target(f)


# FPA001 -------------------------------------------------------------------------------------------
@scenario(
    "FPA001",
    "fail",
    "The Azure Machine Learning app has no read access on the connected Azure OpenAI resource.",
)
def _fpa001_fail() -> Fixture:
    f = base(aoai=True)
    f.drop("mlapp/rg/reader")
    return f


@scenario("FPA001", "pass", "The Azure Machine Learning app holds Reader on the resource group.")
def _fpa001_pass() -> Fixture:
    return base(aoai=True)


@scenario(
    "FPA001",
    "unknown-app-missing",
    "The Azure Machine Learning app's service principal is not in the snapshot.",
)
def _fpa001_unknown() -> Fixture:
    f = base(aoai=True)
    f.drop("mlapp/rg/reader")
    f.principals.pop(ML_APP)
    return f


# HUB001 -------------------------------------------------------------------------------------------
AZUREML_DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"


@scenario("HUB001", "fail", "A project member granted outside the portal has no Reader on the hub.")
def _hub001_fail() -> Fixture:
    f = base()
    f.drop("ana/hub/reader")
    return f


@scenario(
    "HUB001",
    "fail-group",
    "A group granted Contributor on the project with the CLI has nothing on the hub.",
)
def _hub001_fail_group() -> Fixture:
    f = base()
    f.group(GRP_DEVS)
    f.grant("devs/project/contributor", PROJECT, GRP_DEVS, arm.CONTRIBUTOR)
    f.grant("devs/rg/deploy-operator", RG, GRP_DEVS, arm.AI_INFERENCE_DEPLOYMENT_OPERATOR)
    return f


@scenario(
    "HUB001",
    "fail-reader",
    "A Reader on the project granted with the CLI has nothing on the hub: a read-only person "
    "who cannot open the project gets a warning, not a failure.",
)
def _hub001_fail_reader() -> Fixture:
    f = base()
    f.user(GUS)
    f.grant("gus/project/reader", PROJECT, GUS, arm.READER)
    return f


@scenario(
    "HUB001",
    "fail-resource-group-builder",
    "Azure AI Developer at the resource group makes a builder of the project, but grants "
    "workspaces/*/read, not workspaces/read on the hub.",
)
def _hub001_fail_rg_builder() -> Fixture:
    f = base()
    f.user(GUS)
    f.grant("gus/rg/ai-developer", RG, GUS, arm.AZURE_AI_DEVELOPER)
    return f


@scenario(
    "HUB001",
    "pass-service-identity",
    "The hub's managed identity holds AzureML Data Scientist on the project: a service "
    "identity, not a member who opens the project.",
)
def _hub001_pass_service_identity() -> Fixture:
    f = base()
    f.grant("hub-mi/project/data-scientist", PROJECT, HUB_MI, AZUREML_DATA_SCIENTIST)
    return f


@scenario("HUB001", "pass", "The project member holds Reader on the hub.")
def _hub001_pass() -> Fixture:
    return base()


@scenario(
    "HUB001",
    "trap-nested-group",
    "Reader on the hub is held by group B; the member is in group A, which is a member of group B.",
)
def _hub001_trap_nested() -> Fixture:
    f = base()
    f.drop("ana/hub/reader")
    f.group(GRP_B)
    f.group(GRP_A, [GRP_B])
    f.user(ANA, [GRP_A])
    f.grant("grp-b/hub/reader", HUB, GRP_B, arm.READER)
    return f


@scenario(
    "HUB001",
    "unknown-memberof-null",
    "The member holds no role on the hub and its group "
    "memberships could not be read (memberOf null): a group could grant it.",
)
def _hub001_unknown_membership() -> Fixture:
    f = base()
    f.drop("ana/hub/reader")
    f.user(ANA, None)
    return f


# HUB002 -------------------------------------------------------------------------------------------
@scenario(
    "HUB002", "fail", "A project member has no deployment role on the project's resource group."
)
def _hub002_fail() -> Fixture:
    f = base()
    f.drop("ana/rg/deploy-operator")
    return f


@scenario("HUB002", "pass", "Azure AI Inference Deployment Operator on the resource group.")
def _hub002_pass() -> Fixture:
    return base()


@scenario(
    "HUB002",
    "fail-hub-builder",
    "Azure AI Developer on the hub makes a builder of its projects; its deployments/* reaches "
    "the hub, not the resource group deployments are created in.",
)
def _hub002_fail_hub_builder() -> Fixture:
    f = base()
    f.user(GUS)
    f.grant("gus/hub/ai-developer", HUB, GUS, arm.AZURE_AI_DEVELOPER)
    f.grant("gus/hub/reader", HUB, GUS, arm.READER)
    return f


@scenario(
    "HUB002",
    "pass-reader",
    "A Reader on the project (and, as the portal grants it, on the hub) deploys nothing and is "
    "asked nothing.",
)
def _hub002_pass_reader() -> Fixture:
    f = base()
    f.user(GUS)
    f.grant("gus/project/reader", PROJECT, GUS, arm.READER)
    f.grant("gus/hub/reader", HUB, GUS, arm.READER)
    return f


# HUB003 -------------------------------------------------------------------------------------------
def _hub_builder_role(f: Fixture) -> str:
    return f.define(
        arm.custom_role(
            "Hub Compute Operator",
            actions=[
                "Microsoft.MachineLearningServices/workspaces/read",
                "Microsoft.MachineLearningServices/workspaces/computes/*",
                "Microsoft.MachineLearningServices/workspaces/connections/*",
            ],
        )
    )


@scenario(
    "HUB003",
    "fail",
    "A lead builds compute and connections on the hub with a custom role that lacks hubs/join.",
)
def _hub003_fail() -> Fixture:
    f = base()
    f.user(GUS)
    f.grant("gus/hub/compute-operator", HUB, GUS, _hub_builder_role(f))
    return f


@scenario(
    "HUB003", "fail-eligible", "A lead is only PIM-eligible for Azure AI Developer on the hub."
)
def _hub003_fail_eligible() -> Fixture:
    f = base()
    f.user(GUS)
    f.eligibilities.append(arm.eligibility(HUB, GUS, arm.AZURE_AI_DEVELOPER))
    return f


@scenario(
    "HUB003",
    "fail-resource-group",
    "The lead's working role (compute and connections, no hubs/join) is held at the resource "
    "group, which reaches the hub.",
)
def _hub003_fail_rg() -> Fixture:
    f = base()
    f.user(GUS)
    f.grant("gus/rg/compute-operator", RG, GUS, _hub_builder_role(f))
    return f


@scenario(
    "HUB003",
    "pass",
    "The lead also holds Azure AI Developer on the hub (and, as a builder of its projects, "
    "the deployment role on the resource group).",
)
def _hub003_pass() -> Fixture:
    f = base()
    f.user(GUS)
    f.grant("gus/hub/compute-operator", HUB, GUS, _hub_builder_role(f))
    f.grant("gus/hub/ai-developer", HUB, GUS, arm.AZURE_AI_DEVELOPER)
    f.grant("gus/rg/deploy-operator", RG, GUS, arm.AI_INFERENCE_DEPLOYMENT_OPERATOR)
    return f


@scenario(
    "HUB003",
    "pass-reader",
    "Reader on the hub (the role the portal adds for project members) creates nothing and is "
    "asked nothing.",
)
def _hub003_pass_reader() -> Fixture:
    f = base()
    f.user(GUS)
    f.grant("gus/hub/reader", HUB, GUS, arm.READER)
    return f


# HUB004 -------------------------------------------------------------------------------------------
@scenario(
    "HUB004",
    "fail",
    "The creator (--creator) holds Azure AI Developer on the resource "
    "group, which cannot create hubs.",
)
def _hub004_fail() -> Fixture:
    f = base(creator=True)
    f.drop("cara/rg/contributor")
    f.grant("cara/rg/ai-developer", RG, CARA, arm.AZURE_AI_DEVELOPER)
    return f


@scenario("HUB004", "pass", "The creator holds Contributor on the resource group.")
def _hub004_pass() -> Fixture:
    return base(creator=True)


def _ai_administrator_creator(f: Fixture) -> None:
    """The creator holds Azure AI Administrator on the resource group instead of Contributor;
    the hub has no Application Insights (whose Log Analytics write is INS001's)."""
    f.drop("cara/rg/contributor")
    f.grant("cara/rg/ai-administrator", RG, CARA, AZURE_AI_ADMINISTRATOR)
    del f.props(HUB)["applicationInsights"]
    f.remove(APPI)


@scenario(
    "HUB004",
    "pass-ai-administrator",
    "The creator holds Azure AI Administrator on the resource group, whose actions cover a "
    "basic public hub without Application Insights.",
)
def _hub004_pass_ai_administrator() -> Fixture:
    f = base(creator=True)
    _ai_administrator_creator(f)
    return f


@scenario(
    "HUB004",
    "fail-private-endpoint",
    "The hub is reached through a private endpoint; the creator's Azure AI Administrator does "
    "not grant Microsoft.Network/privateEndpoints/write.",
)
def _hub004_fail_private_endpoint() -> Fixture:
    f = base(creator=True)
    _ai_administrator_creator(f)
    f.props(HUB)["privateEndpointConnections"] = [
        {
            "id": f"{HUB}/privateEndpointConnections/pe-hub-fixture",
            "name": "pe-hub-fixture",
            "type": "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections",
            "properties": {
                "privateEndpoint": {"id": f"{P}/Microsoft.Network/privateEndpoints/pe-hub-fixture"},
                "privateLinkServiceConnectionState": {"status": "Approved"},
                "provisioningState": "Succeeded",
            },
        }
    ]
    return f


@scenario(
    "HUB004",
    "fail-user-assigned-identity",
    "The hub uses a user-assigned identity; the creator's Azure AI Administrator does not "
    "grant Microsoft.ManagedIdentity/userAssignedIdentities/assign/action on it.",
)
def _hub004_fail_user_identity() -> Fixture:
    f = base(creator=True, uami=True)
    _ai_administrator_creator(f)
    return f


@scenario(
    "HUB004",
    "trap-inherited-management-group",
    "Contributor is assigned on the management "
    "group above the subscription (managementGroupAncestorsChain).",
)
def _hub004_trap_mg() -> Fixture:
    f = base(creator=True)
    f.drop("cara/rg/contributor")
    f.grant("cara/mg/contributor", MG_SCOPE, CARA, arm.CONTRIBUTOR)
    return f


# IDN001 -------------------------------------------------------------------------------------------
@scenario(
    "IDN001", "fail", "Azure OpenAI queries Search for the project but its system identity is off."
)
def _idn001_fail() -> Fixture:
    f = base(aoai=True, search=True)
    del f.get(AOAI)["identity"]
    f.get(AOAI)["identity"] = {"type": "None"}
    f.drop("aoai-mi/search/data", "aoai-mi/search/service")
    f.principals.pop(AOAI_MI)
    return f


@scenario("IDN001", "fail-hub-identity", "The hub has no managed identity at all.")
def _idn001_fail_hub() -> Fixture:
    f = base()
    f.get(HUB)["identity"] = {"type": "None"}
    f.principals.pop(HUB_MI)
    f.drop("hub-mi/rg/ai-administrator")
    return f


@scenario(
    "IDN001",
    "fail-foundry-project-identity",
    "The Foundry project has no managed identity: its agents have no identity to run as.",
)
def _idn001_fail_foundry_project() -> Fixture:
    f = base(foundry=True)
    f.get(FOUNDRY_PROJECT)["identity"] = {"type": "None"}
    f.principals.pop(FPROJ_MI)
    f.drop("fproj-mi/fproj/foundry-user", "fproj-mi/foundry/foundry-user")
    return f


@scenario(
    "IDN001",
    "pass-foundry-user-assigned",
    "The Foundry project runs as a user-assigned identity (no system-assigned one).",
)
def _idn001_pass_foundry_user_assigned() -> Fixture:
    f = base(foundry=True, uami=True)
    f.get(FOUNDRY_PROJECT)["identity"] = {
        "type": "UserAssigned",
        "userAssignedIdentities": {UAMI: {"principalId": UAMI_MI, "clientId": pid("client:uami")}},
    }
    f.principals.pop(FPROJ_MI)
    f.drop("fproj-mi/fproj/foundry-user", "fproj-mi/foundry/foundry-user")
    f.grant("uami/foundry/foundry-user", FOUNDRY, UAMI_MI, arm.FOUNDRY_USER)
    return f


@scenario("IDN001", "pass", "Every identity in the chain is enabled.")
def _idn001_pass() -> Fixture:
    return base(aoai=True, search=True, blob=True)


@scenario(
    "IDN001",
    "pass-key-connections",
    "Azure OpenAI has no identity, but the project "
    "reaches Search and storage with keys: no service calls another as itself.",
)
def _idn001_pass_keys() -> Fixture:
    f = base(aoai=True, search=True, blob=True)
    f.get(AOAI)["identity"] = {"type": "None"}
    f.principals.pop(AOAI_MI)
    f.drop("aoai-mi/search/data", "aoai-mi/search/service", "aoai-mi/blob/data")
    f.drop("ana/search/data", "ana/search/reader", "ana/blob/data", "hub-mi/blob/reader")
    f.get(f"{PROJECT}/connections/conn-search")["properties"]["authType"] = "ApiKey"
    f.get(f"{PROJECT}/connections/conn-blob")["properties"]["authType"] = "AccountKey"
    return f


# IDN002 -------------------------------------------------------------------------------------------
@scenario(
    "IDN002",
    "fail",
    "A Contributor assignment on the project belongs to a deleted user "
    "(the collector confirmed the deletion with a direct Graph read).",
)
def _idn002_fail() -> Fixture:
    f = base()
    f.principals[FORMER] = arm.principal(
        FORMER,
        "User",
        "Former Contractor",
        [],
        deleted=True,
        deletedEvidence=(
            f"GET /v1.0/directoryObjects/{FORMER} answered 404 Request_ResourceNotFound "
            "while other directory objects were readable"
        ),
    )
    f.grant("former/project/contributor", PROJECT, FORMER, arm.CONTRIBUTOR)
    return f


@scenario(
    "IDN002",
    "unknown-deletion-unconfirmed",
    "An older snapshot says the user is deleted without saying how that was confirmed: "
    "unknown, and no advice to remove the assignment.",
)
def _idn002_unknown_unconfirmed() -> Fixture:
    f = base()
    f.principals[FORMER] = arm.principal(FORMER, "User", "Former Contractor", [], deleted=True)
    f.grant("former/project/contributor", PROJECT, FORMER, arm.CONTRIBUTOR)
    return f


@scenario("IDN002", "pass", "Every assignment belongs to an existing principal.")
def _idn002_pass() -> Fixture:
    return base()


# IDN003 -------------------------------------------------------------------------------------------
@scenario(
    "IDN003",
    "fail",
    "The hub's system identity holds no role on the hub's resource group (the Azure AI "
    "Administrator Azure assigned was removed).",
)
def _idn003_fail() -> Fixture:
    f = base()
    f.drop("hub-mi/rg/ai-administrator")
    return f


@scenario(
    "IDN003",
    "fail-user-assigned",
    "The hub uses only a user-assigned identity, which was never given a role on the resource "
    "group (Azure assigns none to it).",
)
def _idn003_fail_user_assigned() -> Fixture:
    f = base(uami=True)
    f.drop("hub-mi/rg/ai-administrator")
    hub = f.get(HUB)
    hub["identity"] = {
        "type": "UserAssigned",
        "tenantId": TENANT,
        "userAssignedIdentities": hub["identity"]["userAssignedIdentities"],
    }
    return f


@scenario(
    "IDN003",
    "pass",
    "The hub's system identity holds Azure AI Administrator on its resource group.",
)
def _idn003_pass() -> Fixture:
    return base()


@scenario(
    "IDN003",
    "trap-contributor-older-hub",
    "A hub created before 2024-11-19: its identity holds Contributor on the resource group, "
    "which Azure assigned then; the writes it grants count as much as Azure AI Administrator's.",
)
def _idn003_trap_contributor() -> Fixture:
    f = base()
    f.drop("hub-mi/rg/ai-administrator")
    f.get(HUB)["systemData"] = {"createdAt": "2024-03-05T10:00:00Z", "createdByType": "User"}
    f.grant("hub-mi/rg/contributor", RG, HUB_MI, arm.CONTRIBUTOR)
    return f


@scenario(
    "IDN003",
    "trap-subscription",
    "The hub's identity holds Azure AI Administrator on the subscription: inherited by the "
    "resource group.",
)
def _idn003_trap_subscription() -> Fixture:
    f = base()
    f.drop("hub-mi/rg/ai-administrator")
    f.grant("hub-mi/sub/ai-administrator", SUBSCRIPTION, HUB_MI, AZURE_AI_ADMINISTRATOR)
    return f


# INS001 -------------------------------------------------------------------------------------------
def _hub_creator_without_monitoring(f: Fixture) -> str:
    return f.define(
        arm.custom_role(
            "Hub Creator Without Monitoring",
            actions=[
                "Microsoft.MachineLearningServices/workspaces/write",
                "Microsoft.Storage/storageAccounts/write",
                "Microsoft.KeyVault/vaults/write",
                "Microsoft.CognitiveServices/accounts/write",
                "*/read",
            ],
        )
    )


@scenario(
    "INS001",
    "fail",
    "The creator's custom role creates hubs but not Application Insights "
    "or Log Analytics workspaces.",
)
def _ins001_fail() -> Fixture:
    f = base(creator=True)
    f.drop("cara/rg/contributor")
    f.grant("cara/rg/hub-creator", RG, CARA, _hub_creator_without_monitoring(f))
    return f


@scenario("INS001", "pass", "The creator holds Contributor on the resource group.")
def _ins001_pass() -> Fixture:
    return base(creator=True)


@scenario(
    "INS001",
    "trap-inherited-subscription",
    "Contributor is assigned on the subscription; the resource group inherits it.",
)
def _ins001_trap_sub() -> Fixture:
    f = base(creator=True)
    f.drop("cara/rg/contributor")
    f.grant("cara/sub/contributor", SUBSCRIPTION, CARA, arm.CONTRIBUTOR)
    return f


# INS002 -------------------------------------------------------------------------------------------
# In a resource group of its own, as a shared monitoring workspace often is (and away from what
# scripts/new_check.py's example check reads in the hub's resource group).
LAW = (
    f"{SUBSCRIPTION}/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/"
    "workspaces/law-hub-fixture"
)


def _tracing(*, resource_permissions: bool = False) -> Fixture:
    """Project 'proj-alpha' sends its traces to the hub's Application Insights (an AppInsights
    connection), which keeps them in a Log Analytics workspace; Ana can view them and the
    project's identity can read the component."""
    f = base()
    f.add(
        arm.resource(
            LAW,
            "Microsoft.OperationalInsights/workspaces",
            properties={
                "sku": {"name": "PerGB2018"},
                "retentionInDays": 30,
                "features": {"enableLogAccessUsingOnlyResourcePermissions": resource_permissions},
            },
        )
    )
    f.props(APPI)["WorkspaceResourceId"] = LAW
    f.add(connection(PROJECT, "conn-appinsights", "AppInsights", "ApiKey", APPI, APPI))
    f.grant("ana/appi/log-analytics-reader", APPI, ANA, LOG_ANALYTICS_READER)
    f.grant("ana/law/log-analytics-reader", LAW, ANA, LOG_ANALYTICS_READER)
    f.grant("project-mi/appi/reader", APPI, PROJECT_MI, arm.READER)
    return f


@scenario(
    "INS002",
    "fail",
    "The project sends traces to Application Insights; its builder cannot query the linked Log "
    "Analytics workspace (a warning: tracing is optional).",
)
def _ins002_fail() -> Fixture:
    f = _tracing()
    f.drop("ana/law/log-analytics-reader")
    return f


@scenario(
    "INS002",
    "warn-app-insights",
    "The builder holds Log Analytics Reader on the workspace but nothing on Application Insights.",
)
def _ins002_warn_component() -> Fixture:
    f = _tracing()
    f.drop("ana/appi/log-analytics-reader")
    return f


@scenario(
    "INS002",
    "warn-project-identity",
    "The project's identity cannot read Application Insights, which trace evaluations need.",
)
def _ins002_warn_identity() -> Fixture:
    f = _tracing()
    f.drop("project-mi/appi/reader")
    return f


@scenario(
    "INS002",
    "warn-resource-permissions",
    "The workspace lets resource permissions in (enableLogAccessUsingOnlyResourcePermissions) and "
    "the builder holds nothing on it: Log Analytics Data Reader is the role asked.",
)
def _ins002_warn_data_reader() -> Fixture:
    f = _tracing(resource_permissions=True)
    f.drop("ana/law/log-analytics-reader")
    return f


@scenario("INS002", "pass", "The builder and the project's identity hold what tracing needs.")
def _ins002_pass() -> Fixture:
    return _tracing()


@scenario(
    "INS002",
    "trap-data-reader",
    "In the resource-permission access mode, the builder holds Log Analytics Data Reader on the "
    "workspace instead of Log Analytics Reader: either lets the traces be queried.",
)
def _ins002_trap_data_reader() -> Fixture:
    f = _tracing(resource_permissions=True)
    f.drop("ana/law/log-analytics-reader")
    f.grant("ana/law/log-analytics-data-reader", LAW, ANA, LOG_ANALYTICS_DATA_READER)
    return f


@scenario(
    "INS002",
    "pass-reader",
    "A reader of the hub holds nothing on Application Insights: readers view no traces and are "
    "asked nothing.",
)
def _ins002_pass_reader() -> Fixture:
    f = _tracing()
    f.user(GUS)
    f.grant("gus/hub/reader", HUB, GUS, arm.READER)
    return f


@scenario(
    "INS002",
    "unknown-workspace-missing",
    "The Log Analytics workspace behind Application Insights could not be read.",
)
def _ins002_unknown() -> Fixture:
    f = _tracing()
    f.drop("ana/law/log-analytics-reader")
    f.remove(LAW)
    f.errors.append(arm.read_error(LAW, "Microsoft.OperationalInsights/workspaces/read"))
    return f


# NET001 -------------------------------------------------------------------------------------------
@scenario(
    "NET001",
    "fail",
    "Search refuses public traffic without the trusted-services bypass, and Azure OpenAI calls it.",
)
def _net001_fail() -> Fixture:
    f = base(aoai=True, search=True)
    f.props(SEARCH)["publicNetworkAccess"] = "disabled"
    f.props(SEARCH)["networkRuleSet"] = {"ipRules": [], "bypass": "None"}
    return f


@scenario(
    "NET001",
    "fail-storage",
    "The data storage account denies by default without "
    "AzureServices in its bypass, and Azure OpenAI reads it.",
)
def _net001_fail_storage() -> Fixture:
    f = base(aoai=True, blob=True)
    f.props(ST_DATA)["networkAcls"] = {
        "defaultAction": "Deny",
        "bypass": "Logging, Metrics",
        "ipRules": [],
        "virtualNetworkRules": [],
    }
    return f


@scenario(
    "NET001", "pass", "Search refuses public traffic but lets trusted Azure services through."
)
def _net001_pass() -> Fixture:
    f = base(aoai=True, search=True, blob=True)
    f.props(SEARCH)["publicNetworkAccess"] = "disabled"
    f.props(SEARCH)["networkRuleSet"] = {"ipRules": [], "bypass": "AzureServices"}
    f.props(ST_DATA)["networkAcls"] = {
        "defaultAction": "Deny",
        "bypass": "Logging, Metrics, AzureServices",
        "ipRules": [],
        "virtualNetworkRules": [],
    }
    return f


def _net001_openai_behind_firewall() -> Fixture:
    """Search calls Azure OpenAI (vectorization) while Azure OpenAI refuses public traffic and
    does not let trusted services through."""
    f = base(aoai=True, search=True)
    f.props(AOAI)["publicNetworkAccess"] = "Disabled"
    f.props(AOAI)["networkAcls"] = {
        "defaultAction": "Deny",
        "bypass": "None",
        "ipRules": [],
        "virtualNetworkRules": [],
    }
    return f


def _net001_shared_link(f: Fixture, status: str) -> None:
    f.props(SEARCH)["sharedPrivateLinkResources"] = [
        {
            "id": f"{SEARCH}/sharedPrivateLinkResources/spl-aoai",
            "name": "spl-aoai",
            "type": "Microsoft.Search/searchServices/sharedPrivateLinkResources",
            "properties": {
                "privateLinkResourceId": AOAI,
                "groupId": "openai_account",
                "status": status,
                "provisioningState": "Succeeded",
            },
        }
    ]


@scenario(
    "NET001",
    "pass-shared-private-link",
    "Azure OpenAI refuses public traffic without the bypass, but Search reaches it through an "
    "approved shared private link.",
)
def _net001_pass_link() -> Fixture:
    f = _net001_openai_behind_firewall()
    _net001_shared_link(f, "Approved")
    return f


@scenario(
    "NET001",
    "fail-pending-shared-link",
    "Azure OpenAI refuses public traffic without the bypass, and Search's shared private link "
    "to it is still pending approval.",
)
def _net001_fail_pending() -> Fixture:
    f = _net001_openai_behind_firewall()
    _net001_shared_link(f, "Pending")
    return f


@scenario(
    "NET001",
    "pass-resource-instance-rule",
    "The data storage account denies by default without AzureServices in its bypass, but "
    "resource-instance rules name Search and Azure OpenAI.",
)
def _net001_pass_instance_rules() -> Fixture:
    f = base(aoai=True, search=True, blob=True)
    f.props(ST_DATA)["networkAcls"] = {
        "defaultAction": "Deny",
        "bypass": "Logging, Metrics",
        "ipRules": [],
        "virtualNetworkRules": [],
        "resourceAccessRules": [
            {"tenantId": TENANT, "resourceId": SEARCH},
            {"tenantId": TENANT, "resourceId": AOAI},
        ],
    }
    return f


@scenario(
    "NET001",
    "warn-key-connection",
    "Search refuses public traffic and Azure OpenAI reaches it through a key connection: the "
    "trusted-services bypass admits only managed identities, so allowing it would not help.",
)
def _net001_warn_key() -> Fixture:
    f = base(aoai=True, search=True)
    f.props(SEARCH)["publicNetworkAccess"] = "disabled"
    f.props(SEARCH)["networkRuleSet"] = {"ipRules": [], "bypass": "AzureServices"}
    f.get(f"{PROJECT}/connections/conn-search")["properties"]["authType"] = "ApiKey"
    return f


# NET002 -------------------------------------------------------------------------------------------
def _managed_network(f: Fixture, *targets: str, mode: str = "AllowOnlyApprovedOutbound") -> None:
    """The hub's managed network, with a PrivateEndpoint outbound rule per target."""
    rules: dict[str, Any] = {}
    for target in targets:
        name = target.rsplit("/", 1)[-1]
        rules[f"pe-{name}"] = {
            "type": "PrivateEndpoint",
            "category": "UserDefined",
            "status": "Active",
            "destination": {"serviceResourceId": target, "subresourceTarget": "default"},
        }
    f.props(HUB)["managedNetwork"] = {
        "isolationMode": mode,
        "outboundRules": rules,
        "status": {"status": "Active", "sparkReady": False},
    }


def _endpoint_connection(
    f: Fixture, target: str, name: str, status: str, *, embedded: bool = False
) -> None:
    item = {
        "id": f"{target}/privateEndpointConnections/{name}",
        "name": name,
        "type": f"{f.get(target)['type']}/privateEndpointConnections",
        "properties": {
            "privateEndpoint": {
                "id": f"/subscriptions/{arm.guid('managed-network')}/resourceGroups/"
                f"azureml-rg-hub-fixture/providers/Microsoft.Network/privateEndpoints/{name}"
            },
            "privateLinkServiceConnectionState": {
                "status": status,
                "description": "Managed network endpoint of hub-fixture",
                "actionsRequired": "None",
            },
            "provisioningState": "Succeeded",
        },
    }
    if embedded:
        f.props(target).setdefault("privateEndpointConnections", []).append(item)
    else:
        f.add(item)


@scenario(
    "NET002",
    "fail",
    "The hub's managed network has a private endpoint rule to a key vault in another resource "
    "group, where the hub's identity cannot approve private endpoint connections.",
)
def _net002_fail() -> Fixture:
    f = base(cmk=True)
    _managed_network(f, KV_CMK)
    return f


@scenario(
    "NET002",
    "fail-pending",
    "The managed network's private endpoint connection on Azure OpenAI (a child resource) is "
    "still Pending: no traffic flows, whatever the roles.",
)
def _net002_fail_pending() -> Fixture:
    f = base(aoai=True)
    _managed_network(f, AOAI)
    _endpoint_connection(f, AOAI, "pe-hub-fixture-aoai", "Pending")
    return f


@scenario(
    "NET002",
    "fail-rejected-embedded",
    "The managed network's private endpoint connection, embedded in the Azure OpenAI resource's "
    "properties, was Rejected: it cannot be approved again.",
)
def _net002_fail_rejected() -> Fixture:
    f = base(aoai=True)
    _managed_network(f, AOAI)
    _endpoint_connection(f, AOAI, "pe-hub-fixture-aoai", "Rejected", embedded=True)
    return f


@scenario(
    "NET002",
    "unknown-approved-beside-pending",
    "Azure OpenAI has an approved private endpoint connection and a pending one: which is the "
    "managed network's cannot be told.",
)
def _net002_unknown_two() -> Fixture:
    f = base(aoai=True)
    _managed_network(f, AOAI)
    _endpoint_connection(f, AOAI, "pe-hub-fixture-aoai", "Approved")
    _endpoint_connection(f, AOAI, "pe-other-vnet", "Pending")
    return f


@scenario(
    "NET002",
    "unknown-target-missing",
    "A private endpoint rule names a Search service the snapshot could not read.",
)
def _net002_unknown_target() -> Fixture:
    f = base()
    missing = f"{RG_SECURITY}/providers/Microsoft.Search/searchServices/srch-private"
    _managed_network(f, missing)
    f.errors.append(arm.read_error(missing, "Microsoft.Search/searchServices/read"))
    return f


@scenario(
    "NET002",
    "pass",
    "The hub's identity holds Azure AI Enterprise Network Connection Approver on the key vault "
    "its managed network reaches.",
)
def _net002_pass() -> Fixture:
    f = base(cmk=True)
    _managed_network(f, KV_CMK)
    f.grant("hub-mi/kv-cmk/approver", KV_CMK, HUB_MI, AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER)
    return f


@scenario(
    "NET002",
    "pass-approved",
    "The managed network's connection on Azure OpenAI is approved, and the hub's identity can "
    "approve there through its Azure AI Administrator on the resource group.",
)
def _net002_pass_approved() -> Fixture:
    f = base(aoai=True)
    _managed_network(f, AOAI, mode="AllowInternetOutbound")
    _endpoint_connection(f, AOAI, "pe-hub-fixture-aoai", "Approved", embedded=True)
    return f


@scenario(
    "NET002",
    "pass-no-managed-network",
    "Outbound rules but isolationMode Disabled: the hub has no managed network, nothing to "
    "approve.",
)
def _net002_pass_disabled() -> Fixture:
    f = base(cmk=True)
    _managed_network(f, KV_CMK, mode="Disabled")
    return f


@scenario(
    "NET002",
    "trap-approver-resource-group",
    "The hub's identity holds Azure AI Enterprise Network Connection Approver on the key vault's "
    "resource group: inherited by the vault.",
)
def _net002_trap_rg() -> Fixture:
    f = base(cmk=True)
    _managed_network(f, KV_CMK)
    f.grant(
        "hub-mi/rg-security/approver",
        RG_SECURITY,
        HUB_MI,
        AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER,
    )
    return f


# OYD001 -------------------------------------------------------------------------------------------
@scenario(
    "OYD001",
    "fail",
    "Azure OpenAI's identity holds Search Service Contributor but no Search data role.",
)
def _oyd001_fail() -> Fixture:
    f = base(aoai=True, search=True)
    f.drop("aoai-mi/search/data")
    return f


@scenario(
    "OYD001",
    "fail-index-schema",
    "Azure OpenAI's identity holds Search Index Data Reader but cannot read the index schema.",
)
def _oyd001_fail_schema() -> Fixture:
    f = base(aoai=True, search=True)
    f.drop("aoai-mi/search/service", "aoai-mi/search/data")
    f.grant("aoai-mi/search/reader", SEARCH, AOAI_MI, arm.SEARCH_INDEX_DATA_READER)
    return f


@scenario("OYD001", "pass", "Search Index Data Contributor and Search Service Contributor.")
def _oyd001_pass() -> Fixture:
    return base(aoai=True, search=True)


@scenario(
    "OYD001",
    "trap-inherited-subscription",
    "Azure OpenAI's identity holds its Search roles on the subscription.",
)
def _oyd001_trap_sub() -> Fixture:
    f = base(aoai=True, search=True)
    f.drop("aoai-mi/search/data", "aoai-mi/search/service")
    f.grant("aoai-mi/sub/search-data", SUBSCRIPTION, AOAI_MI, arm.SEARCH_INDEX_DATA_CONTRIBUTOR)
    f.grant("aoai-mi/sub/search-service", SUBSCRIPTION, AOAI_MI, arm.SEARCH_SERVICE_CONTRIBUTOR)
    return f


@scenario(
    "OYD001",
    "unknown-search-missing",
    "The project's Search connection points to a Search service that is not in the snapshot.",
)
def _oyd001_unknown() -> Fixture:
    f = base(aoai=True, search=True)
    f.drop("aoai-mi/search/data", "aoai-mi/search/service", "ana/search/data", "ana/search/reader")
    f.drop("search-mi/aoai/openai-user")
    f.remove(SEARCH)
    f.principals.pop(SEARCH_MI)
    return f


@scenario(
    "OYD001",
    "pass-key-connections",
    "The project reaches Azure OpenAI and Search with "
    'API keys: "add your data" then uses the Search key, and Azure OpenAI\'s identity '
    "needs no Search role (the seed: only Entra ID connections make services authorize "
    "each other).",
)
def _oyd001_pass_keys() -> Fixture:
    f = base(aoai=True, search=True)
    f.drop(
        "aoai-mi/search/data",
        "aoai-mi/search/service",
        "search-mi/aoai/openai-user",
        "ana/aoai/openai-user",
        "ana/search/data",
        "ana/search/reader",
    )
    for name in ("conn-aoai", "conn-search"):
        f.get(f"{PROJECT}/connections/{name}")["properties"]["authType"] = "ApiKey"
    return f


# OYD002 -------------------------------------------------------------------------------------------
@scenario(
    "OYD002",
    "fail",
    "Azure OpenAI's identity can query Search (Search Index Data Reader) "
    "but not write documents for ingestion.",
)
def _oyd002_fail() -> Fixture:
    f = base(aoai=True, search=True, blob=True)
    f.drop("aoai-mi/search/data")
    f.grant("aoai-mi/search/reader", SEARCH, AOAI_MI, arm.SEARCH_INDEX_DATA_READER)
    return f


@scenario(
    "OYD002", "fail-storage", "Azure OpenAI's identity cannot read and write the uploaded blobs."
)
def _oyd002_fail_storage() -> Fixture:
    f = base(aoai=True, search=True, blob=True)
    f.drop("aoai-mi/blob/data")
    return f


@scenario(
    "OYD002",
    "pass",
    "Search Index Data Contributor, Search Service Contributor and Storage Blob Data Contributor.",
)
def _oyd002_pass() -> Fixture:
    return base(aoai=True, search=True, blob=True)


# OYD003 -------------------------------------------------------------------------------------------
@scenario("OYD003", "fail", "Search's identity holds no role on Azure OpenAI for vectorization.")
def _oyd003_fail() -> Fixture:
    f = base(aoai=True, search=True)
    f.drop("search-mi/aoai/openai-user")
    return f


@scenario("OYD003", "pass", "Search's identity holds Cognitive Services OpenAI User.")
def _oyd003_pass() -> Fixture:
    return base(aoai=True, search=True)


@scenario(
    "OYD003",
    "trap-wildcard-custom-role",
    "A custom role grants Microsoft.CognitiveServices/accounts/OpenAI/* to Search's identity.",
)
def _oyd003_trap_wildcard() -> Fixture:
    f = base(aoai=True, search=True)
    f.drop("search-mi/aoai/openai-user")
    role = f.define(
        arm.custom_role(
            "Contoso OpenAI Data Access",
            data_actions=["Microsoft.CognitiveServices/accounts/OpenAI/*"],
        )
    )
    f.grant("search-mi/aoai/custom", AOAI, SEARCH_MI, role)
    return f


@scenario(
    "OYD003",
    "fail-ingestion",
    "The Search connection says it serves On Your Data ingestion, and Search's identity holds "
    "only Cognitive Services OpenAI User on Azure OpenAI (ingestion needs OpenAI Contributor).",
)
def _oyd003_fail_ingestion() -> Fixture:
    f = base(aoai=True, search=True, blob=True)
    f.get(f"{PROJECT}/connections/conn-search")["properties"]["metadata"]["Purpose"] = (
        "On Your Data ingestion"
    )
    return f


@scenario(
    "OYD003",
    "pass-ingestion",
    "The Search connection says it serves On Your Data ingestion, and Search's identity holds "
    "Cognitive Services OpenAI Contributor on Azure OpenAI.",
)
def _oyd003_pass_ingestion() -> Fixture:
    f = _oyd003_fail_ingestion()
    f.drop("search-mi/aoai/openai-user")
    f.grant("search-mi/aoai/openai-contributor", AOAI, SEARCH_MI, arm.OPENAI_CONTRIBUTOR)
    return f


# OYD004 -------------------------------------------------------------------------------------------
@scenario("OYD004", "fail", "Search's identity cannot read the documents in storage.")
def _oyd004_fail() -> Fixture:
    f = base(search=True, blob=True)
    f.drop("search-mi/blob/reader")
    return f


@scenario("OYD004", "pass", "Search's identity holds Storage Blob Data Reader.")
def _oyd004_pass() -> Fixture:
    return base(search=True, blob=True)


# OYD005 -------------------------------------------------------------------------------------------
@scenario("OYD005", "fail", "The chat resource's identity holds no role on the embedding resource.")
def _oyd005_fail() -> Fixture:
    f = base(aoai=True, embed=True)
    f.drop("aoai-mi/embed/openai-user")
    return f


@scenario("OYD005", "fail-key-connection", "The embedding connection uses an API key.")
def _oyd005_fail_key() -> Fixture:
    f = base(aoai=True, embed=True)
    f.get(f"{PROJECT}/connections/conn-aoai-embeddings")["properties"]["authType"] = "ApiKey"
    return f


@scenario(
    "OYD005",
    "pass",
    "The chat resource's identity holds Cognitive Services OpenAI User on "
    "the embedding resource, through an Entra ID connection.",
)
def _oyd005_pass() -> Fixture:
    return base(aoai=True, embed=True)


@scenario(
    "OYD005",
    "warn-no-hint",
    "Two Azure OpenAI resources, nothing says which serves "
    "embeddings, and neither identity holds a role on the other.",
)
def _oyd005_warn() -> Fixture:
    f = base(
        aoai=True, embed=True, embed_account="aoai-second", embed_connection="conn-aoai-second"
    )
    f.drop("aoai-mi/embed/openai-user")
    return f


SPEECH = account_id("speech-fixture")
SPEECH_MI = pid("sp:speech")


@scenario(
    "OYD005",
    "pass-speech-connection",
    "Besides chat and embedding resources, the project reaches a Speech account through an "
    "Entra ID CognitiveService connection: Speech is not Azure OpenAI, so no chat or embedding "
    "call to or from it is assumed.",
)
def _oyd005_pass_speech() -> Fixture:
    f = base(aoai=True, embed=True)
    speech = openai_account(SPEECH, SPEECH_MI, kind="SpeechServices")
    speech["properties"]["endpoint"] = "https://speech-fixture.cognitiveservices.azure.com/"
    f.add(speech)
    f.principals[SPEECH_MI] = arm.principal(SPEECH_MI, "ServicePrincipal", "speech-fixture", [])
    f.add(
        connection(
            PROJECT,
            "conn-speech",
            "CognitiveService",
            "AAD",
            "https://speech-fixture.cognitiveservices.azure.com/",
            SPEECH,
            Kind="Speech",
        )
    )
    f.grant("ana/speech/cs-user", SPEECH, ANA, arm.COGNITIVE_SERVICES_USER)
    return f


# PFL001 -------------------------------------------------------------------------------------------
@scenario(
    "PFL001",
    "fail",
    "On identity-based hub storage, the project member holds Storage Blob "
    "Data Contributor but no Storage File Data Privileged Contributor.",
)
def _pfl001_fail() -> Fixture:
    f = base(identity_storage=True)
    f.drop("ana/hubst/file")
    return f


@scenario(
    "PFL001",
    "fail-smb-share-contributor",
    "Storage File Data SMB Share Contributor grants "
    "files read/write but not the BackupSemantics actions prompt flow needs.",
)
def _pfl001_fail_smb() -> Fixture:
    f = base(identity_storage=True)
    f.drop("ana/hubst/file")
    f.grant("ana/hubst/smb", ST_HUB, ANA, arm.STORAGE_FILE_DATA_SMB_SHARE_CONTRIBUTOR)
    return f


@scenario(
    "PFL001",
    "fail-resource-group-builder",
    "Azure AI Developer at the resource group makes a builder of the hub and its project; with "
    "Storage Blob Data Contributor on the storage but no file role, prompt flow fails.",
)
def _pfl001_fail_rg_builder() -> Fixture:
    f = base(identity_storage=True)
    f.user(GUS)
    f.grant("gus/rg/ai-developer", RG, GUS, arm.AZURE_AI_DEVELOPER)
    f.grant("gus/hub/reader", HUB, GUS, arm.READER)
    f.grant("gus/rg/deploy-operator", RG, GUS, arm.AI_INFERENCE_DEPLOYMENT_OPERATOR)
    f.grant("gus/hubst/blob", ST_HUB, GUS, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)
    return f


@scenario(
    "PFL001",
    "fail-administrator",
    "Contributor at the resource group (an administrator) without the file role: a warning, "
    "can manage, cannot use prompt flow with Entra ID.",
)
def _pfl001_fail_administrator() -> Fixture:
    f = base(identity_storage=True)
    f.user(CARA)
    f.grant("cara/rg/contributor", RG, CARA, arm.CONTRIBUTOR)
    f.grant("cara/hubst/blob", ST_HUB, CARA, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)
    return f


@scenario(
    "PFL001",
    "pass-reader",
    "A Reader on the project and the hub runs no prompt flow: no storage role is asked of it.",
)
def _pfl001_pass_reader() -> Fixture:
    f = base(identity_storage=True)
    f.user(GUS)
    f.grant("gus/project/reader", PROJECT, GUS, arm.READER)
    f.grant("gus/hub/reader", HUB, GUS, arm.READER)
    return f


@scenario("PFL001", "pass", "Both storage data roles on the hub's storage account.")
def _pfl001_pass() -> Fixture:
    return base(identity_storage=True)


@scenario(
    "PFL001", "pass-inherited-resource-group", "Both storage data roles on the resource group."
)
def _pfl001_pass_rg() -> Fixture:
    f = base(identity_storage=True)
    f.drop("ana/hubst/blob", "ana/hubst/file")
    f.grant("ana/rg/blob", RG, ANA, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)
    f.grant("ana/rg/file", RG, ANA, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR)
    return f


# STG001 -------------------------------------------------------------------------------------------
@scenario(
    "STG001",
    "fail",
    "On identity-based storage, the hub's identity has the file role but no blob data role.",
)
def _stg001_fail() -> Fixture:
    f = base(identity_storage=True)
    f.drop("hub-mi/hubst/blob")
    return f


@scenario(
    "STG001",
    "pass-hub-identity-blob-only",
    "On identity-based storage, the hub's identity holds Storage Blob Data Contributor and no "
    "file role: the file role for prompt flow is the users' (PFL001), not the hub's.",
)
def _stg001_pass_blob_only() -> Fixture:
    f = base(identity_storage=True)
    f.drop("hub-mi/hubst/file")
    return f


@scenario(
    "STG001",
    "fail-private-project-identity",
    "The identity-based hub storage refuses public traffic, and the project's identity has no "
    "Storage File Data Privileged Contributor on it.",
)
def _stg001_fail_private() -> Fixture:
    f = base(identity_storage=True)
    f.props(ST_HUB)["publicNetworkAccess"] = "Disabled"
    return f


@scenario(
    "STG001",
    "pass-private-project-identity",
    "The identity-based hub storage refuses public traffic, and the project's identity holds "
    "Storage File Data Privileged Contributor on it (and Reader on its private endpoint).",
)
def _stg001_pass_private() -> Fixture:
    f = base(identity_storage=True)
    _private_hub_storage(f)  # with Reader on its private endpoint, which STG003 asks
    return f


@scenario("STG001", "pass", "The hub's identity holds both storage data roles.")
def _stg001_pass() -> Fixture:
    return base(identity_storage=True)


@scenario("STG001", "unknown-storage-missing", "The hub's storage account is not in the snapshot.")
def _stg001_unknown() -> Fixture:
    f = base(identity_storage=True)
    f.drop("hub-mi/hubst/blob", "hub-mi/hubst/file", "ana/hubst/blob", "ana/hubst/file")
    f.remove(ST_HUB)
    f.errors.append(arm.read_error(ST_HUB, "Microsoft.Storage/storageAccounts/read"))
    return f


# STG002 -------------------------------------------------------------------------------------------
@scenario(
    "STG002",
    "fail",
    "A blob connection points to storage the hub did not create, and the "
    "hub's identity cannot read it.",
)
def _stg002_fail() -> Fixture:
    f = base(blob=True)
    f.drop("hub-mi/blob/reader")
    return f


@scenario("STG002", "pass", "The hub's identity holds Storage Blob Data Reader on it.")
def _stg002_pass() -> Fixture:
    return base(blob=True)


# STG003 -------------------------------------------------------------------------------------------
PE_ST_HUB = f"{P}/Microsoft.Network/privateEndpoints/pe-sthubfixture-blob"


def _private_hub_storage(f: Fixture, *, files: bool = True, deny_only: bool = False) -> None:
    """The hub's storage refuses public traffic and is reached through one private endpoint,
    which each project's identity can read; with `files`, the project's identity also holds the
    file role private storage needs."""
    if deny_only:
        f.props(ST_HUB)["networkAcls"]["defaultAction"] = "Deny"
    else:
        f.props(ST_HUB)["publicNetworkAccess"] = "Disabled"
    f.props(ST_HUB)["privateEndpointConnections"] = [
        {
            "id": f"{ST_HUB}/privateEndpointConnections/pe-sthubfixture-blob.1a2b",
            "name": "pe-sthubfixture-blob.1a2b",
            "type": "Microsoft.Storage/storageAccounts/privateEndpointConnections",
            "properties": {
                "privateEndpoint": {"id": PE_ST_HUB},
                "privateLinkServiceConnectionState": {"status": "Approved"},
                "provisioningState": "Succeeded",
            },
        }
    ]
    f.add(
        arm.resource(
            PE_ST_HUB,
            "Microsoft.Network/privateEndpoints",
            properties={"privateLinkServiceConnections": [{"name": "blob"}]},
        )
    )
    f.grant("project-mi/pe-sthub/reader", PE_ST_HUB, PROJECT_MI, arm.READER)
    if files:
        f.grant(
            "project-mi/hubst/file",
            ST_HUB,
            PROJECT_MI,
            arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
        )


@scenario(
    "STG003",
    "fail",
    "The hub's storage refuses public traffic, and the project's identity cannot read the "
    "storage's private endpoint.",
)
def _stg003_fail() -> Fixture:
    f = base()
    _private_hub_storage(f)
    f.drop("project-mi/pe-sthub/reader")
    return f


@scenario(
    "STG003",
    "fail-files-deny-by-default",
    "The hub's storage denies by default behind a private endpoint (public access left "
    "Enabled, so STG001 does not ask), and the project's identity has no Storage File Data "
    "Privileged Contributor on it.",
)
def _stg003_fail_files() -> Fixture:
    f = base(identity_storage=True)
    _private_hub_storage(f, files=False, deny_only=True)
    return f


@scenario(
    "STG003",
    "warn-services",
    "The project connects Azure OpenAI and Search (add your data) to private hub storage, and "
    "their identities hold no blob data role on it.",
)
def _stg003_warn_services() -> Fixture:
    f = base(aoai=True, search=True)
    _private_hub_storage(f)
    f.grant("search-mi/hubst/blob", ST_HUB, SEARCH_MI, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)
    return f


@scenario(
    "STG003",
    "unknown-endpoints-missing",
    "The hub's storage refuses public traffic, and the snapshot holds none of its private "
    "endpoint connections.",
)
def _stg003_unknown() -> Fixture:
    f = base()
    f.props(ST_HUB)["publicNetworkAccess"] = "Disabled"
    f.grant(
        "project-mi/hubst/file", ST_HUB, PROJECT_MI, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR
    )
    return f


@scenario(
    "STG003",
    "pass",
    "Private hub storage: the project's identity reads its private endpoint and holds the file "
    "role.",
)
def _stg003_pass() -> Fixture:
    f = base()
    _private_hub_storage(f)
    return f


@scenario(
    "STG003",
    "pass-services",
    "Private hub storage used for add your data: the Azure OpenAI and Search identities hold "
    "Storage Blob Data Contributor on it.",
)
def _stg003_pass_services() -> Fixture:
    f = base(aoai=True, search=True)
    _private_hub_storage(f)
    f.grant("aoai-mi/hubst/blob", ST_HUB, AOAI_MI, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)
    f.grant("search-mi/hubst/blob", ST_HUB, SEARCH_MI, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)
    return f


@scenario(
    "STG003",
    "trap-reader-resource-group",
    "The project's identity reads the private endpoint through Reader on the resource group.",
)
def _stg003_trap_rg() -> Fixture:
    f = base()
    _private_hub_storage(f)
    f.drop("project-mi/pe-sthub/reader")
    f.grant("project-mi/rg/reader", RG, PROJECT_MI, arm.READER)
    return f


# -- output ---------------------------------------------------------------------------------------
def render_all() -> dict[Path, str]:
    """Every fixture file's path and text."""
    files: dict[Path, str] = {}
    for item in SCENARIOS:
        data = item.make().build(item.check, item.variant, item.description)
        parse_snapshot(copy.deepcopy(data), f"{item.check}/{item.variant}")
        path = OUT / item.check / f"{item.variant}.json"
        if path in files:
            raise ValueError(f"two scenarios write {path}")
        files[path] = dump_snapshot(data)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="only report missing, stale or extra files (exit 1 if any)",
    )
    args = parser.parse_args(argv)
    files = render_all()
    # Only the folders written here: a per-check folder (scripts/new_check.py) is its test's.
    folders = {path.parent for path in files}
    existing = {path for path in OUT.glob("*/*.json") if path.parent in folders}
    stale = sorted(
        [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        + [p for p in existing if p not in files]
    )
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)}")
        return 1 if stale else 0
    for path in existing - files.keys():
        path.unlink()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} fixtures under {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
