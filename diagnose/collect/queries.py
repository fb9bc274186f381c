"""The Azure Resource Graph queries the collector sends, built from validated values only.

Every value placed in a query is either checked against a strict pattern first (hub names,
resource group names, subscription ids) or escaped as a KQL string literal.
"""

from __future__ import annotations

from collections.abc import Iterable


def kql_string(value: str) -> str:
    """A KQL single-quoted string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def targets_named(name: str, resource_group: str | None = None) -> str:
    """Hubs, Foundry resources (AI services accounts) and Foundry projects with this name (a
    project's Resource Graph name may carry its account's: 'account/project')."""
    literal = kql_string(name)
    hub = "type =~ 'microsoft.machinelearningservices/workspaces' and kind =~ 'hub'"
    account = "type =~ 'microsoft.cognitiveservices/accounts' and kind =~ 'aiservices'"
    project = "type =~ 'microsoft.cognitiveservices/accounts/projects'"
    condition = (
        f"((({hub}) or ({account})) and name =~ {literal}) or ({project} and"
        f" (name =~ {literal} or name endswith {kql_string('/' + name)}))"
    )
    if resource_group:
        condition = f"resourceGroup =~ {kql_string(resource_group)} and ({condition})"
    return (
        f"resources | where {condition}"
        " | project id, name, type, kind, resourceGroup, subscriptionId, location"
        " | order by id asc"
    )


def subscription_rows() -> str:
    """The subscription rows with their management-group ancestry (nearest first)."""
    return (
        "resourcecontainers | where type =~ 'microsoft.resources/subscriptions'"
        " | project id, name, type, tenantId, subscriptionId, properties"
    )


def resources_by_name(types: Iterable[str], names: Iterable[str]) -> str:
    """Resources of these types with one of these names (connection targets given by
    endpoint or account name rather than by ARM id)."""
    type_list = ", ".join(kql_string(t) for t in sorted(set(types)))
    name_list = ", ".join(kql_string(n) for n in sorted(set(names)))
    return (
        f"resources | where type in~ ({type_list}) and (name in~ ({name_list})"
        f" or tostring(properties.customSubDomainName) in~ ({name_list}))"
        " | project id, name, type,"
        " customSubDomainName = tostring(properties.customSubDomainName) | order by id asc"
    )
