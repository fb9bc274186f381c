"""Private networking facts several hub checks read: whether a resource refuses public traffic,
and the private endpoint connections of a resource, wherever the snapshot holds them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diagnose.arm.types import is_private_endpoint_connection
from diagnose.engine.context import CheckContext, lower_keys
from diagnose.model.resources import Resource

BLOCKING_STATES = frozenset({"pending", "rejected", "disconnected"})
"""Connection states in which no traffic flows through the private endpoint."""


def public_access_disabled(resource: Resource) -> bool:
    return str(resource.prop("publicNetworkAccess") or "").lower() == "disabled"


def refuses_public_traffic(resource: Resource, endpoints: list[EndpointConnection] | None) -> bool:
    """Public network access disabled, or a firewall that denies by default while private
    endpoints connect to the resource (the hub docs' "private storage")."""
    if public_access_disabled(resource):
        return True
    deny = str(resource.prop("networkAcls", "defaultAction") or "").lower() == "deny"
    return deny and bool(endpoints)


@dataclass(frozen=True)
class EndpointConnection:
    """One private endpoint connection of a resource."""

    id: str
    """Its ARM id (`<resource>/privateEndpointConnections/<name>`)."""
    name: str
    status: str
    """privateLinkServiceConnectionState.status as Azure spells it ("Pending", ...)."""
    private_endpoint: str | None
    """The id of the Microsoft.Network/privateEndpoints resource on the other side."""
    in_resources: bool
    """Whether the snapshot holds it as a resource of its own (not only embedded)."""

    @property
    def blocking(self) -> bool:
        return self.status.lower() in BLOCKING_STATES

    @property
    def approved(self) -> bool:
        return self.status.lower() == "approved"


def endpoint_connections(ctx: CheckContext, resource: Resource) -> list[EndpointConnection] | None:
    """The private endpoint connections of a resource: the child resources
    `<resource>/privateEndpointConnections/<name>` in the snapshot and the entries embedded in
    its `properties.privateEndpointConnections` (as some GETs return them), each once. None when
    the snapshot holds neither the property nor a child: whether it has any cannot be told."""
    found: dict[str, EndpointConnection] = {}
    children = [
        r
        for r in ctx.model.resources.values()
        if is_private_endpoint_connection(r.type) and r.key.startswith(resource.key + "/")
    ]
    for child in children:
        found[child.key] = _connection(child.raw, child.id, True)
    embedded = resource.prop("privateEndpointConnections")
    for entry in embedded if isinstance(embedded, list) else []:
        if not isinstance(entry, dict):
            continue
        name = str(entry.get("name") or "")
        connection_id = str(entry.get("id") or f"{resource.id}/privateEndpointConnections/{name}")
        key = connection_id.lower().rstrip("/")
        if key not in found:
            found[key] = _connection(entry, connection_id, False)
    if not found and not isinstance(embedded, list):
        return None
    return list(found.values())


def _connection(raw: dict[str, Any], connection_id: str, in_resources: bool) -> EndpointConnection:
    properties = lower_keys(raw.get("properties"))
    state = lower_keys(properties.get("privatelinkserviceconnectionstate"))
    endpoint = lower_keys(properties.get("privateendpoint")).get("id")
    return EndpointConnection(
        id=connection_id,
        name=str(raw.get("name") or connection_id.rstrip("/").rsplit("/", 1)[-1]),
        status=str(state.get("status") or "Unknown"),
        private_endpoint=str(endpoint) if isinstance(endpoint, str) and endpoint else None,
        in_resources=in_resources,
    )
