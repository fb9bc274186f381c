"""The ARM and Microsoft Graph API versions the collector speaks, in one table."""

from __future__ import annotations

from diagnose.arm import types

WORKSPACES = "2024-10-01"
"""Hubs, projects and their connections (kind, hubResourceId and the hub fields)."""
COGNITIVE_SERVICES = "2025-09-01"
"""Foundry resources, projects, deployments, connections and capability hosts (the version
azure-mgmt-cognitiveservices 14.1 speaks)."""
COSMOS_DB = "2025-04-15"
"""Cosmos DB accounts and their SQL role assignments and definitions."""
SEARCH = "2025-05-01"
STORAGE = "2023-05-01"
KEY_VAULT = "2023-07-01"
CONTAINER_REGISTRY = "2023-07-01"
APP_INSIGHTS = "2020-02-02"
MANAGED_IDENTITY = "2023-01-31"
LOG_ANALYTICS = "2023-09-01"
"""Log Analytics workspaces (features.enableLogAccessUsingOnlyResourcePermissions)."""
NETWORK = "2024-05-01"
"""Private endpoints (Microsoft.Network/privateEndpoints)."""
ROLE_ASSIGNMENTS = "2022-04-01"
DENY_ASSIGNMENTS = "2022-04-01"
ROLE_DEFINITIONS = "2022-05-01-preview"
"""The first version that keeps a role definition's `condition`."""
ROLE_ELIGIBILITY = "2020-10-01"
RESOURCE_GRAPH = "2022-10-01"
GRAPH = "v1.0"

BY_PROVIDER_TYPE = {
    types.WORKSPACE: WORKSPACES,
    types.COGNITIVE_ACCOUNT: COGNITIVE_SERVICES,
    types.COGNITIVE_PROJECT: COGNITIVE_SERVICES,
    types.COSMOS_ACCOUNT: COSMOS_DB,
    types.SEARCH_SERVICE: SEARCH,
    types.STORAGE_ACCOUNT: STORAGE,
    types.KEY_VAULT: KEY_VAULT,
    types.CONTAINER_REGISTRY: CONTAINER_REGISTRY,
    types.APP_INSIGHTS: APP_INSIGHTS,
    types.USER_ASSIGNED_IDENTITY: MANAGED_IDENTITY,
    types.LOG_ANALYTICS_WORKSPACE: LOG_ANALYTICS,
    types.PRIVATE_ENDPOINT: NETWORK,
}


def for_type(resource_type: str) -> str | None:
    """The api-version to GET a resource of this type (lower-case provider/type), if known."""
    return BY_PROVIDER_TYPE.get(resource_type.lower())
