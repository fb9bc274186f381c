"""Builders of ARM objects shaped exactly as Azure returns them, for tests and fixtures.

Every builder returns plain JSON-able dicts: a test's snapshot is a snapshot v1 document,
loaded through the same parser as a user's file.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from typing import Any

from diagnose.catalog import builtin_role_definitions
from diagnose.snapshot import Snapshot, empty_snapshot, parse_snapshot

SUB = "00000000-1111-2222-3333-444444444444"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-ai"

# Built-in role ids (GUIDs), by their current names.
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
AZURE_AI_DEVELOPER = "64702f94-c441-49e6-a78b-ef80e0188fee"
AI_INFERENCE_DEPLOYMENT_OPERATOR = "3afb7f49-54cb-416e-8c09-6dc049efa503"
FOUNDRY_USER = "53ca6127-db72-4b80-b1b0-d745d6d5456d"
FOUNDRY_ACCOUNT_OWNER = "e47c6f54-e4a2-4754-9501-8e0985b135e1"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
OPENAI_CONTRIBUTOR = "a001fd3d-188f-4b5d-821b-7da978bf7442"
COGNITIVE_SERVICES_USER = "a97b65f3-24c7-4388-baec-2e87135dc908"
SEARCH_INDEX_DATA_READER = "1407120a-92aa-4202-b7e9-c0e197c71c8f"
SEARCH_INDEX_DATA_CONTRIBUTOR = "8ebe5a00-799e-43f5-93ac-243d3dce84a7"
SEARCH_SERVICE_CONTRIBUTOR = "7ca78c08-252a-4471-8644-bb5ff32d4ba0"
STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR = "69566ab7-960f-475b-8e7c-b3118f30c6bd"
STORAGE_FILE_DATA_SMB_SHARE_CONTRIBUTOR = "0c867c2a-1d8c-454a-a3db-ab2ea1bdc8bb"
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"


def guid(seed: str) -> str:
    """A stable GUID for a readable seed, so fixtures stay deterministic."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed))


def role_definition_id(role: str, subscription: str = SUB) -> str:
    return f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role}"


def builtin_role(role: str, subscription: str = SUB) -> dict[str, Any]:
    """A built-in role definition as the tenant lists it at a subscription."""
    for definition in builtin_role_definitions():
        if definition["name"].lower() == role.lower():
            item = copy.deepcopy(definition)
            item["id"] = role_definition_id(definition["name"], subscription)
            return item
    raise KeyError(role)


def custom_role(
    name: str,
    *,
    actions: Sequence[str] = (),
    not_actions: Sequence[str] = (),
    data_actions: Sequence[str] = (),
    not_data_actions: Sequence[str] = (),
    condition: str | None = None,
    role_id: str | None = None,
    scopes: list[str] | None = None,
) -> dict[str, Any]:
    role_id = role_id or guid(f"role:{name}")
    permission: dict[str, Any] = {
        "actions": list(actions),
        "notActions": list(not_actions),
        "dataActions": list(data_actions),
        "notDataActions": list(not_data_actions),
    }
    if condition:
        permission["condition"] = condition
        permission["conditionVersion"] = "2.0"
    return {
        "id": role_definition_id(role_id),
        "name": role_id,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": "CustomRole",
            "description": f"{name} (test role)",
            "assignableScopes": scopes or [f"/subscriptions/{SUB}"],
            "permissions": [permission],
            "createdOn": "2025-01-10T09:00:00.0000000Z",
            "updatedOn": "2025-01-10T09:00:00.0000000Z",
            "createdBy": None,
            "updatedBy": None,
        },
    }


def role_assignment(
    scope: str,
    principal_id: str,
    role: str,
    *,
    principal_type: str = "User",
    condition: str | None = None,
    created_on: str = "2025-03-01T10:00:00.0000000Z",
    name: str | None = None,
) -> dict[str, Any]:
    name = name or guid(f"ra:{scope}:{principal_id}:{role}")
    return {
        "id": f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": role_definition_id(role),
            "principalId": principal_id,
            "principalType": principal_type,
            "scope": scope,
            "condition": condition,
            "conditionVersion": "2.0" if condition else None,
            "createdOn": created_on,
            "updatedOn": created_on,
            "createdBy": None,
            "updatedBy": None,
            "delegatedManagedIdentityResourceId": None,
            "description": None,
        },
    }


def eligibility(
    scope: str,
    principal_id: str,
    role: str,
    *,
    principal_type: str = "User",
    end: str = "2026-12-31T00:00:00Z",
) -> dict[str, Any]:
    name = guid(f"eligible:{scope}:{principal_id}:{role}")
    return {
        "id": f"{scope.rstrip('/')}/providers/Microsoft.Authorization/"
        f"roleEligibilityScheduleInstances/{name}",
        "name": name,
        "type": "Microsoft.Authorization/roleEligibilityScheduleInstances",
        "properties": {
            "scope": scope,
            "roleDefinitionId": role_definition_id(role),
            "principalId": principal_id,
            "principalType": principal_type,
            "roleEligibilityScheduleId": guid(f"schedule:{name}"),
            "status": "Provisioned",
            "startDateTime": "2025-01-01T00:00:00Z",
            "endDateTime": end,
            "memberType": "Direct",
            "createdOn": "2025-01-01T00:00:00Z",
            "condition": None,
            "conditionVersion": None,
        },
    }


def deny_assignment(
    scope: str,
    *,
    principals: list[tuple[str, str]],
    actions: Sequence[str] = (),
    data_actions: Sequence[str] = (),
    not_actions: Sequence[str] = (),
    not_data_actions: Sequence[str] = (),
    exclude: Sequence[tuple[str, str]] = (),
    child_scopes: bool = True,
    name: str = "deny-test",
    system_protected: bool = True,
    description: str = "Created by a managed application",
) -> dict[str, Any]:
    deny_id = guid(f"deny:{scope}:{name}")
    return {
        "id": f"{scope.rstrip('/')}/providers/Microsoft.Authorization/denyAssignments/{deny_id}",
        "name": deny_id,
        "type": "Microsoft.Authorization/denyAssignments",
        "properties": {
            "denyAssignmentName": name,
            "description": description,
            "permissions": [
                {
                    "actions": list(actions),
                    "notActions": list(not_actions),
                    "dataActions": list(data_actions),
                    "notDataActions": list(not_data_actions),
                }
            ],
            "scope": scope,
            "doNotApplyToChildScopes": not child_scopes,
            "principals": [{"id": pid, "type": ptype} for pid, ptype in principals],
            "excludePrincipals": [{"id": pid, "type": ptype} for pid, ptype in exclude],
            "isSystemProtected": system_protected,
        },
    }


EVERYONE = ("00000000-0000-0000-0000-000000000000", "SystemDefined")


def principal(
    object_id: str,
    kind: str = "User",
    name: str | None = None,
    member_of: Sequence[str] | None = (),
    **extra: Any,
) -> dict[str, Any]:
    entry = {
        "id": object_id,
        "type": kind,
        "displayName": name,
        "memberOf": None if member_of is None else list(member_of),
    }
    entry.update(extra)
    return entry


def subscription(
    subscription_id: str = SUB, management_groups: Sequence[str] = (TENANT,)
) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{subscription_id}",
        "name": subscription_id,
        "type": "microsoft.resources/subscriptions",
        "tenantId": TENANT,
        "subscriptionId": subscription_id,
        "properties": {
            "state": "Enabled",
            "managementGroupAncestorsChain": [
                {"name": mg, "displayName": mg} for mg in management_groups
            ],
        },
    }


def management_group_scope(name: str) -> str:
    return f"/providers/Microsoft.Management/managementGroups/{name}"


def resource(
    resource_id: str,
    resource_type: str,
    *,
    kind: str | None = None,
    properties: dict[str, Any] | None = None,
    identity: dict[str, Any] | None = None,
    location: str = "eastus",
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": resource_id,
        "name": resource_id.rstrip("/").rsplit("/", 1)[-1],
        "type": resource_type,
        "location": location,
        "properties": properties or {},
    }
    if kind is not None:
        item["kind"] = kind
    if identity is not None:
        item["identity"] = identity
    return item


def system_identity(principal_id: str, tenant: str = TENANT) -> dict[str, Any]:
    return {"type": "SystemAssigned", "principalId": principal_id, "tenantId": tenant}


def build(**lists: list[dict[str, Any]]) -> dict[str, Any]:
    data = empty_snapshot()
    for key, items in lists.items():
        data[key] = list(items)
    return data


def load(**lists: list[dict[str, Any]]) -> Snapshot:
    return parse_snapshot(build(**lists), "<test>")


def read_error(
    scope: str,
    operation: str,
    *,
    status: int | None = 403,
    code: str | None = "AuthorizationFailed",
    message: str = "The client does not have authorization to perform this action.",
) -> dict[str, Any]:
    """An entry of a snapshot's `errors` list: a read the collector attempted and could not do.

    `scope` is an ARM scope, or a directory object id for Microsoft Graph reads."""
    return {
        "scope": scope,
        "operation": operation,
        "status": status,
        "code": code,
        "message": message,
    }


# -- Cosmos DB SQL RBAC (data plane: not Azure RBAC) ---------------------------------------------
COSMOS_DATA_READER = "00000000-0000-0000-0000-000000000001"
COSMOS_DATA_CONTRIBUTOR = "00000000-0000-0000-0000-000000000002"


def cosmos_account(resource_id: str, **properties: Any) -> dict[str, Any]:
    """A Cosmos DB (NoSQL) account as ARM returns it from GET."""
    name = resource_id.rstrip("/").rsplit("/", 1)[-1]
    return resource(
        resource_id,
        "Microsoft.DocumentDB/databaseAccounts",
        kind="GlobalDocumentDB",
        properties={
            "provisioningState": "Succeeded",
            "documentEndpoint": f"https://{name}.documents.azure.com:443/",
            "databaseAccountOfferType": "Standard",
            "disableLocalAuth": False,
            "publicNetworkAccess": "Enabled",
            **properties,
        },
    )


def cosmos_sql_role_definition(
    account_id: str,
    role: str,
    name: str,
    data_actions: Sequence[str],
    *,
    not_data_actions: Sequence[str] = (),
    builtin: bool = False,
    scopes: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A SQL role definition of a Cosmos DB account (`role`: its GUID)."""
    return {
        "id": f"{account_id}/sqlRoleDefinitions/{role}",
        "name": role,
        "type": "Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions",
        "properties": {
            "roleName": name,
            "type": "BuiltInRole" if builtin else "CustomRole",
            "assignableScopes": list(scopes or [account_id]),
            "permissions": [
                {"dataActions": list(data_actions), "notDataActions": list(not_data_actions)}
            ],
        },
    }


def cosmos_builtin_definitions(account_id: str) -> list[dict[str, Any]]:
    """The two built-in SQL role definitions, as Azure lists them for every account."""
    db = "Microsoft.DocumentDB/databaseAccounts"
    return [
        cosmos_sql_role_definition(
            account_id,
            COSMOS_DATA_READER,
            "Cosmos DB Built-in Data Reader",
            [
                f"{db}/readMetadata",
                f"{db}/sqlDatabases/containers/executeQuery",
                f"{db}/sqlDatabases/containers/readChangeFeed",
                f"{db}/sqlDatabases/containers/items/read",
            ],
            builtin=True,
            scopes=["/"],
        ),
        cosmos_sql_role_definition(
            account_id,
            COSMOS_DATA_CONTRIBUTOR,
            "Cosmos DB Built-in Data Contributor",
            [
                f"{db}/readMetadata",
                f"{db}/sqlDatabases/containers/*",
                f"{db}/sqlDatabases/containers/items/*",
            ],
            builtin=True,
            scopes=["/"],
        ),
    ]


def cosmos_sql_role_assignment(
    account_id: str, principal_id: str, role: str, scope: str = ""
) -> dict[str, Any]:
    """A SQL role assignment of a Cosmos DB account: `role` a definition GUID (or full id),
    `scope` a full ARM path under the account (default: the account)."""
    definition = role if role.startswith("/") else f"{account_id}/sqlRoleDefinitions/{role}"
    scope = scope or account_id
    name = guid(f"sqlra:{scope}:{principal_id}:{definition}")
    return {
        "id": f"{account_id}/sqlRoleAssignments/{name}",
        "name": name,
        "type": "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments",
        "properties": {"roleDefinitionId": definition, "scope": scope, "principalId": principal_id},
    }
