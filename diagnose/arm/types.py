"""The provider namespaces and resource types the tool meets.

A type key is the type lower-cased ("microsoft.search/searchservices"): ARM compares types
case-insensitively and returns them in whatever case an API version chose, so the model, the
collector and the fix languages compare keys. `CANONICAL` spells each the way Azure documents
it, for text a person or a template reads.
"""

from __future__ import annotations

from enum import StrEnum


class Provider(StrEnum):
    """Resource provider namespaces, as Azure spells them."""

    MACHINE_LEARNING = "Microsoft.MachineLearningServices"
    COGNITIVE_SERVICES = "Microsoft.CognitiveServices"
    SEARCH = "Microsoft.Search"
    STORAGE = "Microsoft.Storage"
    KEY_VAULT = "Microsoft.KeyVault"
    CONTAINER_REGISTRY = "Microsoft.ContainerRegistry"
    INSIGHTS = "Microsoft.Insights"
    MANAGED_IDENTITY = "Microsoft.ManagedIdentity"
    AUTHORIZATION = "Microsoft.Authorization"
    MANAGEMENT = "Microsoft.Management"
    RESOURCES = "Microsoft.Resources"
    RESOURCE_GRAPH = "Microsoft.ResourceGraph"
    DOCUMENT_DB = "Microsoft.DocumentDB"
    OPERATIONAL_INSIGHTS = "Microsoft.OperationalInsights"
    NETWORK = "Microsoft.Network"


CANONICAL: dict[str, str] = {
    name.lower(): name
    for name in (
        f"{Provider.MACHINE_LEARNING}/workspaces",
        f"{Provider.MACHINE_LEARNING}/workspaces/connections",
        f"{Provider.COGNITIVE_SERVICES}/accounts",
        f"{Provider.COGNITIVE_SERVICES}/accounts/projects",
        f"{Provider.COGNITIVE_SERVICES}/accounts/connections",
        f"{Provider.COGNITIVE_SERVICES}/accounts/projects/connections",
        f"{Provider.COGNITIVE_SERVICES}/accounts/deployments",
        f"{Provider.COGNITIVE_SERVICES}/accounts/capabilityHosts",
        f"{Provider.COGNITIVE_SERVICES}/accounts/projects/capabilityHosts",
        f"{Provider.COGNITIVE_SERVICES}/accounts/projects/applications",
        f"{Provider.DOCUMENT_DB}/databaseAccounts",
        f"{Provider.DOCUMENT_DB}/databaseAccounts/sqlRoleAssignments",
        f"{Provider.DOCUMENT_DB}/databaseAccounts/sqlRoleDefinitions",
        f"{Provider.SEARCH}/searchServices",
        f"{Provider.STORAGE}/storageAccounts",
        f"{Provider.STORAGE}/storageAccounts/blobServices/containers",
        f"{Provider.KEY_VAULT}/vaults",
        f"{Provider.CONTAINER_REGISTRY}/registries",
        f"{Provider.INSIGHTS}/components",
        f"{Provider.OPERATIONAL_INSIGHTS}/workspaces",
        f"{Provider.NETWORK}/privateEndpoints",
        f"{Provider.MANAGED_IDENTITY}/userAssignedIdentities",
        f"{Provider.RESOURCES}/subscriptions",
        f"{Provider.MANAGEMENT}/managementGroups",
    )
}
"""Type key -> the type as Azure documents it."""

WORKSPACE = "microsoft.machinelearningservices/workspaces"
"""A hub or a hub-based project (told apart by kind)."""
WORKSPACE_CONNECTION = "microsoft.machinelearningservices/workspaces/connections"
COGNITIVE_ACCOUNT = "microsoft.cognitiveservices/accounts"
"""An Azure OpenAI / AI services (Foundry) resource."""
COGNITIVE_PROJECT = "microsoft.cognitiveservices/accounts/projects"
"""A Foundry project."""
ACCOUNT_CONNECTION = "microsoft.cognitiveservices/accounts/connections"
PROJECT_CONNECTION = "microsoft.cognitiveservices/accounts/projects/connections"
COGNITIVE_DEPLOYMENT = "microsoft.cognitiveservices/accounts/deployments"
"""A model deployment of an Azure OpenAI / Foundry resource."""
ACCOUNT_CAPABILITY_HOST = "microsoft.cognitiveservices/accounts/capabilityhosts"
"""A Foundry resource's capability host: the agent service's default resources."""
PROJECT_CAPABILITY_HOST = "microsoft.cognitiveservices/accounts/projects/capabilityhosts"
"""A Foundry project's capability host: the connections its agents keep threads, files and
vector stores in (standard agent setup)."""
CAPABILITY_HOST_TYPES = (ACCOUNT_CAPABILITY_HOST, PROJECT_CAPABILITY_HOST)
PROJECT_APPLICATION = "microsoft.cognitiveservices/accounts/projects/applications"
"""A published agent of a Foundry project (an agent application: its endpoint's authorization
scheme, its agents and its own Entra agent identity)."""
COSMOS_ACCOUNT = "microsoft.documentdb/databaseaccounts"
COSMOS_SQL_ROLE_ASSIGNMENT = "microsoft.documentdb/databaseaccounts/sqlroleassignments"
"""Cosmos DB data-plane (SQL RBAC) role assignment: not Azure RBAC, evaluated apart."""
COSMOS_SQL_ROLE_DEFINITION = "microsoft.documentdb/databaseaccounts/sqlroledefinitions"
SEARCH_SERVICE = "microsoft.search/searchservices"
STORAGE_ACCOUNT = "microsoft.storage/storageaccounts"
BLOB_CONTAINER = "microsoft.storage/storageaccounts/blobservices/containers"
KEY_VAULT = "microsoft.keyvault/vaults"
CONTAINER_REGISTRY = "microsoft.containerregistry/registries"
APP_INSIGHTS = "microsoft.insights/components"
LOG_ANALYTICS_WORKSPACE = "microsoft.operationalinsights/workspaces"
"""The Log Analytics workspace an Application Insights component keeps its data (traces) in."""
PRIVATE_ENDPOINT = "microsoft.network/privateendpoints"
USER_ASSIGNED_IDENTITY = "microsoft.managedidentity/userassignedidentities"
SUBSCRIPTION = "microsoft.resources/subscriptions"
"""How Resource Graph types a subscription row."""
MANAGEMENT_GROUP = "microsoft.management/managementgroups"

CONNECTION_TYPES = (WORKSPACE_CONNECTION, ACCOUNT_CONNECTION, PROJECT_CONNECTION)
"""Every type a connection of a hub, a project or a Foundry resource has."""


def canonical(type_key: str) -> str | None:
    """The type as Azure documents it, for a type the tool knows (any case in)."""
    return CANONICAL.get(type_key.lower())


def is_private_endpoint_connection(type_key: str) -> bool:
    """Every provider types these `<parent type>/privateEndpointConnections`."""
    return type_key.lower().endswith("/privateendpointconnections")
