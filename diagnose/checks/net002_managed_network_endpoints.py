from typing import Any

from diagnose.arm.scopes import scope_key
from diagnose.checks._common import hub_identity, unknown_resource
from diagnose.checks._private_links import EndpointConnection, endpoint_connections
from diagnose.checks.net001_trusted_services import (
    AI_SERVICES_NETWORK_REFUSAL,
    STORAGE_NETWORK_FAILURE,
)
from diagnose.engine.api import (
    Cause,
    Draft,
    Operation,
    Remediation,
    RemediationKind,
    Requirement,
    Severity,
    Status,
    check,
)
from diagnose.engine.context import CheckContext, describe, lower_keys
from diagnose.model.resources import Resource

AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER = "b556d68e-0be0-4f35-a333-ad7ee1ce17ea"
DOCS_MANAGED_NETWORK = (
    "https://learn.microsoft.com/azure/foundry-classic/how-to/configure-managed-network"
)
MANAGED_MODES = frozenset({"allowinternetoutbound", "allowonlyapprovedoutbound"})
APPROVAL_ACTION = {
    # The types whose provider has a separate approval action (as the Azure AI Enterprise
    # Network Connection Approver role lists it); the others approve with the write alone.
    "microsoft.storage/storageaccounts": "PrivateEndpointConnectionsApproval/action",
    "microsoft.keyvault/vaults": "privateEndpointConnectionsApproval/action",
    "microsoft.search/searchservices": "privateEndpointConnectionsApproval/action",
    "microsoft.containerregistry/registries": "privateEndpointConnectionsApproval/action",
    "microsoft.documentdb/databaseaccounts": "privateEndpointConnectionsApproval/action",
    "microsoft.machinelearningservices/workspaces": "privateEndpointConnectionsApproval/action",
}
SETTING = "properties.privateLinkServiceConnectionState.status"


@check(
    id="NET002",
    title="The hub's managed network can reach what it uses through approved private endpoints",
    severity=Severity.HIGH,
    scenario="Managed virtual network, private endpoints to targets",
    docs=(DOCS_MANAGED_NETWORK,),
    explains=(AI_SERVICES_NETWORK_REFUSAL, STORAGE_NETWORK_FAILURE),
)
def managed_network_endpoints(ctx: CheckContext):
    """
    What it checks: for a hub with a managed virtual network (properties.managedNetwork,
    isolationMode AllowInternetOutbound or AllowOnlyApprovedOutbound), each target its outbound
    rules of type PrivateEndpoint name (destination.serviceResourceId: the storage, key vault,
    Azure OpenAI / AI services, Search the hub uses): the hub's identity holds the actions that
    approve a private endpoint connection on it (`<provider>/<type>/privateEndpointConnections/
    write`, and the provider's privateEndpointConnectionsApproval action where it has one),
    and no private endpoint connection of the target (child resources
    `<target>/privateEndpointConnections/<name>`, or embedded in the target's properties) is
    Pending, Rejected or Disconnected.

    Who needs it: the workspace identity, which approves the endpoints the managed network
    creates: the hub's system-assigned identity, or its primary user-assigned identity when it
    has none. Azure AI Enterprise Network Connection Approver grants exactly this; any role with
    the same actions on the target counts (Contributor, or Azure AI Administrator on the
    resource group for the types it covers). A missing grant is a failure. A connection that is
    not approved is a failure on the target whatever anyone holds; when the target also has an
    approved connection, which one is the managed network's cannot be told and the answer is
    unknown. No person is asked anything here.

    Why it matters: with a managed network the hub reaches its dependencies only through the
    private endpoints the network creates. A connection left Pending (because the identity could
    not approve it) or Rejected carries no traffic: storage, key vault, model and search calls
    from the hub's compute and prompt flow fail, and the error looks like a network or a
    permission problem.

    How to fix: approve the pending connection on the target (Networking, Private endpoint
    connections); delete a rejected or disconnected one and provision the managed network again
    (`az ml workspace provision-network`); assign Azure AI Enterprise Network Connection
    Approver on the target to the hub's identity so the managed network approves its own
    endpoints.
    """
    for hub in ctx.hubs:
        network = lower_keys(hub.prop("managedNetwork"))
        if str(network.get("isolationmode") or "").lower() not in MANAGED_MODES:
            continue
        identity = hub_identity(ctx, hub)
        for target_id in _endpoint_targets(network.get("outboundrules")):
            target = ctx.resource(target_id)
            if target is None:
                yield unknown_resource(
                    ctx,
                    target_id,
                    f"the target of a private endpoint rule of the managed network of "
                    f"{describe(hub)}",
                )
                continue
            yield from _connections(ctx, hub, target)
            if identity is None:
                continue  # IDN001 reports a hub without an identity
            yield Requirement(
                principal=identity,
                resource=target,
                operations=_approval_operations(target),
                because=f"approves the private endpoints the managed network of {describe(hub)} "
                f"creates to {describe(target)}",
                roles=(AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER,),
            )


def _endpoint_targets(rules: Any) -> list[str]:
    """The resource ids the PrivateEndpoint outbound rules name, each once, in order. Rules are
    an object keyed by rule name in ARM (a list in some SDK shapes)."""
    values = rules.values() if isinstance(rules, dict) else rules if isinstance(rules, list) else []
    found: dict[str, str] = {}
    for rule in values:
        rule = lower_keys(rule)
        if str(rule.get("type") or "").lower() != "privateendpoint":
            continue
        target = lower_keys(rule.get("destination")).get("serviceresourceid")
        if isinstance(target, str) and target.startswith("/"):
            found.setdefault(scope_key(target), target)
    return list(found.values())


def _approval_operations(target: Resource) -> tuple[Operation, ...]:
    provider_type = target.id.split("/providers/", 1)[-1].split("/")
    canonical = f"{provider_type[0]}/{provider_type[1]}" if len(provider_type) > 1 else target.type
    operations = [Operation.action(f"{canonical}/privateEndpointConnections/write")]
    approval = APPROVAL_ACTION.get(target.type)
    if approval:
        operations.append(Operation.action(f"{canonical}/{approval}"))
    return tuple(operations)


def _connections(ctx: CheckContext, hub: Resource, target: Resource):
    connections = endpoint_connections(ctx, target) or []
    blocked = [c for c in connections if c.blocking]
    if not blocked:
        return
    approved = [c for c in connections if c.approved]
    for connection in blocked:
        if approved:
            yield Draft(
                status=Status.UNKNOWN,
                resource=target.id,
                cause=Cause.CONFIGURATION,
                message=f"The private endpoint connection '{connection.name}' of "
                f"{describe(target)} is {connection.status}, beside "
                f"{len(approved)} approved one(s): whether the endpoint the managed network of "
                f"{describe(hub)} uses is the approved one cannot be told from the snapshot.",
                details=_details(connection),
            )
            continue
        yield Draft(
            status=Status.FAIL,
            resource=target.id,
            cause=Cause.CONFIGURATION,
            message=f"The private endpoint connection '{connection.name}' of {describe(target)} "
            f"is {connection.status}, and none is approved: the managed network of "
            f"{describe(hub)} reaches {describe(target)} only through a private endpoint, so "
            f"its calls fail whatever roles anyone holds. {_advice(connection)}",
            remediations=_approve(connection, target),
            details=_details(connection),
        )


def _advice(connection: EndpointConnection) -> str:
    if connection.status.lower() == "pending":
        return "Approve it (Networking, Private endpoint connections)."
    return (
        f"A {connection.status.lower()} connection cannot be approved again: delete it and "
        "provision the managed network again (az ml workspace provision-network), with the "
        "hub's identity allowed to approve."
    )


def _approve(connection: EndpointConnection, target: Resource) -> tuple[Remediation, ...]:
    if connection.status.lower() != "pending":
        return ()
    return (
        Remediation(
            kind=RemediationKind.CONFIGURATION,
            summary=f"Approve the private endpoint connection '{connection.name}' of "
            f"{describe(target)}.",
            resource=connection.id,
            setting=SETTING,
            value="Approved",
        ),
    )


def _details(connection: EndpointConnection) -> dict[str, Any]:
    return {
        "privateEndpointConnection": connection.id,
        "status": connection.status,
        "privateEndpoint": connection.private_endpoint,
    }
