"""A generated tenant for the loopback server: N hubs across M subscriptions, answered as ARM,
Azure Resource Graph and Microsoft Graph would answer `diagnose scan` and a hub's collection.

    tenant = SyntheticTenant(hubs=500, subscriptions=20)
    with ArmServer(FixtureSet([]), Faults(latency=0.05), tenant=tenant) as server: ...

Hub i lives in subscription i % M, resource group rg-hub{i}, with one project, a storage
account and a key vault; its system identity holds Storage Blob Data Contributor on the
storage and Key Vault Administrator on the vault; a user (dev{i}) holds Azure AI Developer on
the project, except on every MISSING_EVERY-th hub, where the user holds Reader on the
project only (so the scan has failures to find). An administrator holds Reader on a
management group above every subscription: an assignment Resource Graph's per-subscription
rows do not hold, answered by the ARM listing `$filter=atScope()`.

`hidden` subscriptions have no rows at all (as Resource Graph answers for a subscription the
caller cannot read); `refused` ones answer 403 to any query but the subscription listing.
Resource Graph pages hold at most `options.$top` rows (1,000), chained by `$skipToken`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from diagnose.testing.listings import listed_at

TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
MANAGEMENT_GROUP = "mg-ai"
MISSING_EVERY = 7
NAMESPACE = uuid.UUID("6f1c1b0e-2a0b-4f51-9d7a-7c0a7e1b5a10")
AI_DEVELOPER = "64702f94-c441-49e6-a78b-ef80e0188fee"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
BLOB_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
VAULT_ADMINISTRATOR = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
AML_APP = "0736f41a-0425-4b46-bdb5-1563eff02385"
WORKSPACES = "Microsoft.MachineLearningServices/workspaces"
ACCOUNTS = "Microsoft.CognitiveServices/accounts"
FOUNDRY_LISTS = ("connections", "capabilityhosts", "deployments", "privateendpointconnections")
PAGE = 1000

_MEMBER_GROUPS = re.compile(r"^/v1\.0/directoryObjects/([0-9a-f-]{36})/getMemberGroups$", re.I)
_OBJECT = re.compile(r"^/v1\.0/directoryObjects/([0-9a-f-]{36})$", re.I)
_LIST = re.compile(
    r"^/subscriptions/([0-9a-f-]{36})(/resourceGroups/[^/]+)?"
    r"/providers/Microsoft\.Authorization/(\w+)$",
    re.I,
)


def _id(text: str) -> str:
    return str(uuid.uuid5(NAMESPACE, text))


def subscription_id(index: int) -> str:
    return _id(f"subscription-{index}")


@dataclass
class SyntheticTenant:
    hubs: int = 500
    subscriptions: int = 20
    hidden: frozenset[str] = field(default_factory=frozenset)
    refused: frozenset[str] = field(default_factory=frozenset)
    ids: tuple[str, ...] = ()
    """The subscription ids to use (the README's, say) instead of generated ones."""
    foundry: int = 0
    """Foundry resources (fdy{n}, each with a project whose user holds Azure AI Developer on
    it), read through azure-mgmt-cognitiveservices as the single-target path reads them."""

    # -- the tenant ----------------------------------------------------------------------
    @cached_property
    def subscription_ids(self) -> list[str]:
        if self.ids:
            return [i.lower() for i in self.ids]
        return [subscription_id(i) for i in range(self.subscriptions)]

    def hub_id(self, index: int) -> str:
        subscription = self.subscription_ids[index % len(self.subscription_ids)]
        group = f"/subscriptions/{subscription}/resourceGroups/rg-hub{index}"
        return f"{group}/providers/{WORKSPACES}/hub{index}"

    def foundry_id(self, index: int) -> str:
        subscription = self.subscription_ids[index % len(self.subscription_ids)]
        group = f"/subscriptions/{subscription}/resourceGroups/rg-fdy{index}"
        return f"{group}/providers/{ACCOUNTS}/fdy{index}"

    @cached_property
    def _rows(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """table -> subscription -> rows."""
        tables: dict[str, dict[str, list[dict[str, Any]]]] = {
            "resources": {},
            "assignments": {},
            "subscriptions": {},
        }
        for number, subscription in enumerate(self.subscription_ids):
            tables["subscriptions"][subscription] = [self._subscription_row(number)]
        for index in range(self.hubs):
            subscription = self.subscription_ids[index % len(self.subscription_ids)]
            resources, assignments = self._hub(index)
            tables["resources"].setdefault(subscription, []).extend(resources)
            tables["assignments"].setdefault(subscription, []).extend(assignments)
        for index in range(self.foundry):
            subscription = self.subscription_ids[index % len(self.subscription_ids)]
            resources, assignments = self._foundry(index, subscription)
            tables["resources"].setdefault(subscription, []).extend(resources)
            tables["assignments"].setdefault(subscription, []).extend(assignments)
        return tables

    def _foundry(
        self, index: int, subscription: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        account_id = self.foundry_id(index)
        account = _resource(account_id, ACCOUNTS, "AIServices", f"fdy{index}-identity")
        account["sku"] = {"name": "S0"}
        account["properties"] = {
            "allowProjectManagement": True,
            "customSubDomainName": f"fdy{index}",
            "disableLocalAuth": True,
            "publicNetworkAccess": "Enabled",
            "provisioningState": "Succeeded",
        }
        project_id = f"{account_id}/projects/fproj{index}"
        project = _resource(project_id, f"{ACCOUNTS}/projects", None, f"fproj{index}-identity")
        project["name"] = f"fdy{index}/fproj{index}"
        project["properties"] = {"provisioningState": "Succeeded", "isDefault": True}
        user = _id(f"fdev{index}")
        assignments = [_assignment(project_id, AI_DEVELOPER, user, "User")]
        return [account, project], assignments

    @cached_property
    def principals(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        admin = _id("admin")
        found[admin] = _user(admin, "Contoso Admin", "admin")
        app = _id("aml-app")
        found[app] = {
            "@odata.type": "#microsoft.graph.servicePrincipal",
            "id": app,
            "appId": AML_APP,
            "displayName": "Azure Machine Learning",
            "servicePrincipalType": "Application",
        }
        # Each hub (and Foundry resource) has a developer and two managed identities: its own
        # and its project's.
        people = [("fdev", "Foundry developer", "fdy", "fproj", self.foundry)]
        people.append(("dev", "Developer", "hub", "proj", self.hubs))
        for login, title, resource, project, count in people:
            for index in range(count):
                user = _id(f"{login}{index}")
                found[user] = _user(user, f"{title} {index}", f"{login}{index}")
                for name in (f"{resource}{index}", f"{project}{index}"):
                    sp = _id(f"{name}-identity")
                    found[sp] = {
                        "@odata.type": "#microsoft.graph.servicePrincipal",
                        "id": sp,
                        "displayName": name,
                        "appId": _id(f"{name}-app"),
                        "servicePrincipalType": "ManagedIdentity",
                    }
        return found

    def _subscription_row(self, number: int) -> dict[str, Any]:
        subscription = self.subscription_ids[number]
        return {
            "id": f"/subscriptions/{subscription}",
            "name": f"AI {number}",
            "type": "microsoft.resources/subscriptions",
            "tenantId": TENANT_ID,
            "subscriptionId": subscription,
            "properties": {
                "state": "Enabled",
                "managementGroupAncestorsChain": [
                    {"name": MANAGEMENT_GROUP, "displayName": "AI"},
                    {"name": TENANT_ID, "displayName": "Tenant Root Group"},
                ],
            },
        }

    def _hub(self, index: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        hub_id = self.hub_id(index)
        group = hub_id.split(f"/providers/{WORKSPACES}/")[0]
        storage = f"{group}/providers/Microsoft.Storage/storageAccounts/sthub{index:05d}"
        vault = f"{group}/providers/Microsoft.KeyVault/vaults/kv-hub{index}"
        project_id = f"{group}/providers/{WORKSPACES}/proj{index}"
        hub = _resource(hub_id, WORKSPACES, "Hub", f"hub{index}-identity")
        hub["properties"] = {
            "friendlyName": f"hub{index}",
            "provisioningState": "Succeeded",
            "publicNetworkAccess": "Enabled",
            "storageAccount": storage,
            "keyVault": vault,
            "systemDatastoresAuthMode": "identity",
            "associatedWorkspaces": [project_id],
        }
        project = _resource(project_id, WORKSPACES, "Project", f"proj{index}-identity")
        project["properties"] = {
            "friendlyName": f"proj{index}",
            "provisioningState": "Succeeded",
            "hubResourceId": hub_id,
        }
        store = _resource(storage, "Microsoft.Storage/storageAccounts", "StorageV2", None)
        store["properties"] = {
            "allowSharedKeyAccess": False,
            "publicNetworkAccess": "Enabled",
            "networkAcls": {"defaultAction": "Allow", "bypass": "AzureServices"},
        }
        keys = _resource(vault, "Microsoft.KeyVault/vaults", None, None)
        keys["properties"] = {
            "tenantId": TENANT_ID,
            "enableRbacAuthorization": True,
            "publicNetworkAccess": "Enabled",
        }
        hub_identity = _id(f"hub{index}-identity")
        user = _id(f"dev{index}")
        developer = READER if index % MISSING_EVERY == 0 else AI_DEVELOPER
        assignments = [
            _assignment(storage, BLOB_CONTRIBUTOR, hub_identity, "ServicePrincipal"),
            _assignment(vault, VAULT_ADMINISTRATOR, hub_identity, "ServicePrincipal"),
            _assignment(project_id, developer, user, "User"),
            _assignment(hub_id, READER, user, "User"),
        ]
        return [hub, project, store, keys], assignments

    @cached_property
    def _definitions(self) -> list[dict[str, Any]]:
        from diagnose.catalog import builtin_role_definitions

        return [dict(d) for d in builtin_role_definitions()]

    def _inherited(self) -> list[dict[str, Any]]:
        scope = f"/providers/Microsoft.Management/managementGroups/{MANAGEMENT_GROUP}"
        return [_assignment(scope, READER, _id("admin"), "User")]

    def warm(self) -> SyntheticTenant:
        """Build every row, principal and definition now (a server answers its first query
        from data it has, as Azure does, rather than building the tenant then)."""
        _ = self._rows, self.principals, self._definitions
        return self

    # -- answering -----------------------------------------------------------------------
    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any] | None:
        """(status, JSON body) for a request this tenant knows, None for any other."""
        lowered = path.lower().rstrip("/")
        if method == "POST" and lowered == "/providers/microsoft.resourcegraph/resources":
            return self._resource_graph(body if isinstance(body, dict) else {})
        if path.startswith("/v1.0/"):
            return self._graph(method, path, body)
        if method != "GET":
            return None
        listing = _LIST.match(path)
        if listing is not None:
            subscription, collection = listing.group(1).lower(), listing.group(3).lower()
            if subscription not in self.subscription_ids or subscription in self.hidden:
                return None
            group = listing.group(2)
            if collection == "roleassignments" and group:
                # what the single-hub path lists: at, above and below its resource groups
                own = self._rows["assignments"].get(subscription, []) + self._inherited()
                at = f"/subscriptions/{subscription}{group}"
                where = ("at", "above") if query.get("$filter") else ("at", "above", "below")
                return 200, {"value": listed_at(own, at, where)}
            if collection == "roleassignments" and query.get("$filter") == "atScope()":
                return 200, {"value": self._inherited()}
            if collection == "roleassignments" and not query.get("$filter"):
                # what a scan's hub lists: at, above and below the subscription
                own = self._rows["assignments"].get(subscription, [])
                return 200, {"value": own + self._inherited()}
            if collection in ("denyassignments", "roleeligibilityscheduleinstances"):
                return 200, {"value": []}
            return None
        if lowered.endswith("/connections") and f"/providers/{WORKSPACES.lower()}/" in lowered:
            return 200, {"value": []}
        return self._read(lowered)

    def _read(self, lowered: str) -> tuple[int, Any] | None:
        """The ARM GETs of the single-hub path (`diagnose collect --hub ID`), so that its
        snapshot of a hub can be compared with the scan's."""
        parts = lowered.split("/")
        if lowered.startswith("/providers/microsoft.authorization/roledefinitions/"):
            found = [d for d in self._definitions if str(d["name"]).lower() == parts[-1]]
            return (200, found[0]) if found else None
        if len(parts) < 3 or parts[1] != "subscriptions" or parts[2] in self.hidden:
            return None
        rows = self._rows["resources"].get(parts[2], [])
        if f"/providers/{ACCOUNTS.lower()}/" in lowered:
            if parts[-1] in FOUNDRY_LISTS:
                return 200, {"value": []}
            if parts[-1] == "projects":
                prefix = lowered + "/"
                return 200, {"value": [r for r in rows if r["id"].lower().startswith(prefix)]}
        if lowered.endswith("/providers/" + WORKSPACES.lower()) and len(parts) == 6:
            return 200, {"value": [r for r in rows if r["type"] == WORKSPACES]}
        for row in rows:
            if str(row["id"]).lower() == lowered:
                return 200, row
        return None

    def _resource_graph(self, body: dict[str, Any]) -> tuple[int, Any]:
        query = str(body.get("query") or "")
        asked = [str(s).lower() for s in body.get("subscriptions") or []]
        # Every query of the scan ends `order by id asc`: rows come in the same order however
        # the subscriptions are named (ids begin with their subscription's).
        subscriptions = sorted(
            s for s in (asked or self.subscription_ids) if s in self.subscription_ids
        )
        subscriptions = [s for s in subscriptions if s not in self.hidden]
        if query.startswith("resourcecontainers"):
            table = "subscriptions"
        elif query.startswith("authorizationresources") and "roleassignments" in query:
            table = "assignments"
        elif query.startswith("authorizationresources") and "roledefinitions" in query:
            table = "definitions"
        elif query.startswith("resources") and "microsoft.machinelearningservices" in query:
            table = "resources"
        else:
            return 200, _page([], 0, PAGE)
        if table != "subscriptions" and any(s in self.refused for s in subscriptions):
            return 403, {
                "error": {
                    "code": "AuthorizationFailed",
                    "message": "The client does not have authorization to query these "
                    "subscriptions.",
                }
            }
        if table == "definitions":
            rows = self._definitions
        else:
            rows = [r for s in subscriptions for r in self._rows[table].get(s, [])]
        options = body.get("options") or {}
        top = int(options.get("$top") or PAGE)
        token = str(options.get("$skipToken") or "")
        offset = int(token.split(":", 1)[1]) if token.startswith("offset:") else 0
        return 200, _page(rows, offset, min(top, PAGE))

    def _graph(self, method: str, path: str, body: Any) -> tuple[int, Any] | None:
        if method == "POST" and path.lower() == "/v1.0/directoryobjects/getbyids":
            ids = [str(i).lower() for i in (body or {}).get("ids") or []]
            return 200, {"value": [self.principals[i] for i in ids if i in self.principals]}
        if method == "POST" and _MEMBER_GROUPS.match(path):
            return 200, {"value": []}
        if method == "GET" and path.startswith("/v1.0/servicePrincipals(appId="):
            return 200, self.principals[_id("aml-app")]
        found = _OBJECT.match(path) if method == "GET" else None
        if found is not None:
            item = self.principals.get(found.group(1).lower())
            if item is None:
                return 404, {"error": {"code": "Request_ResourceNotFound", "message": "no such"}}
            return 200, item
        return None


def _page(rows: list[dict[str, Any]], offset: int, size: int) -> dict[str, Any]:
    chunk = rows[offset : offset + size]
    page: dict[str, Any] = {
        "totalRecords": len(rows),
        "count": len(chunk),
        "resultTruncated": "false",
        "facets": [],
        "data": chunk,
    }
    if offset + size < len(rows):
        page["$skipToken"] = f"offset:{offset + size}"
    return page


def _resource(
    resource_id: str, kind_type: str, kind: str | None, identity: str | None
) -> dict[str, Any]:
    name = resource_id.rsplit("/", 1)[-1]
    item: dict[str, Any] = {
        "id": resource_id,
        "name": name,
        "type": kind_type,
        "location": "eastus2",
        "tags": {},
    }
    if kind is not None:
        item["kind"] = kind
    if identity is not None:
        item["identity"] = {
            "type": "SystemAssigned",
            "principalId": _id(identity),
            "tenantId": TENANT_ID,
        }
    return item


def _assignment(scope: str, role: str, principal: str, principal_type: str) -> dict[str, Any]:
    name = _id(f"{scope}|{role}|{principal}")
    prefix = "" if scope == "/" else scope
    return {
        "id": f"{prefix}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{role}",
            "principalId": principal,
            "principalType": principal_type,
            "scope": scope,
            "condition": None,
            "conditionVersion": None,
        },
    }


def _user(object_id: str, name: str, alias: str) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.user",
        "id": object_id,
        "displayName": name,
        "userPrincipalName": f"{alias}@contoso.com",
        "mail": f"{alias}@contoso.com",
    }


__all__ = ["SyntheticTenant", "subscription_id"]
