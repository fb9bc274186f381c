from diagnose.checks._common import ACR_PULL, DOCS_HUB_RBAC, unknown_resource
from diagnose.engine.api import (
    Cause,
    Draft,
    Operation,
    PrincipalRef,
    Requirement,
    Severity,
    Status,
    check,
)
from diagnose.engine.context import CheckContext, describe
from diagnose.model.resources import Resource

PULL = Operation.action("Microsoft.ContainerRegistry/registries/pull/read")


@check(
    id="ACR001",
    title="A user-assigned hub identity can pull from the registry",
    severity=Severity.HIGH,
    scenario="Container registry with user-assigned identity",
    docs=(DOCS_HUB_RBAC,),
)
def user_identity_pulls(ctx: CheckContext):
    """
    What it checks: for a hub with a container registry that reaches it with a user-assigned
    managed identity, that identity holds Microsoft.ContainerRegistry/registries/pull/read on
    the registry. The identity the hub uses is the one `properties.primaryUserAssignedIdentity`
    names; without one, the system-assigned identity when it is enabled, else the hub's only
    user-assigned identity.

    Who needs it: only the identity the hub actually uses for the registry. A primary
    user-assigned identity without pull rights is a failure. The system-assigned identity is
    asked nothing (it gets AcrPull when the hub is created), nor is any other user-assigned
    identity attached to the hub; with several and no primary one named, the answer is
    unknown. No person is asked anything here.

    Why it matters: a system-assigned hub identity gets AcrPull automatically when the hub is
    created; a user-assigned one does not, and environment builds and deployments then fail to
    pull images.

    How to fix: assign AcrPull on the container registry to the hub's primary user-assigned
    identity.
    """
    for hub in ctx.hubs:
        registry_id = hub.prop("containerRegistry")
        if not registry_id or "userassigned" not in hub.identity.kinds:
            continue
        used = _registry_identity(ctx, hub)
        if used is None:
            continue
        if isinstance(used, Draft):
            yield used
            continue
        registry = ctx.resource(registry_id)
        if registry is None:
            yield unknown_resource(ctx, registry_id, f"the container registry of {describe(hub)}")
            continue
        yield Requirement(
            principal=used,
            resource=registry,
            operations=(PULL,),
            because=f"is the identity hub '{hub.name}' pulls images from its registry with",
            roles=(ACR_PULL,),
        )


def _registry_identity(ctx: CheckContext, hub: Resource) -> PrincipalRef | Draft | None:
    """The user-assigned identity the hub reaches its registry with; None when it uses its
    system-assigned identity (which gets AcrPull automatically); a Draft saying unknown when
    the snapshot cannot tell which identity it uses, or not who that identity is."""
    attached = ctx.user_assigned_identities(hub)
    primary = str(hub.prop("primaryUserAssignedIdentity") or "").lower()
    if primary:
        used = [(rid, ref) for rid, ref in attached if rid.lower() == primary]
        chosen = used[0] if used else (primary, None)
    elif hub.identity.system_assigned:
        return None
    elif len(attached) == 1:
        chosen = attached[0]
    else:
        return _unknown(
            hub,
            f"{describe(hub)} has {len(attached)} user-assigned identities and names no "
            "primary one (properties.primaryUserAssignedIdentity), so which of them pulls from "
            "the registry cannot be told.",
        )
    resource_id, ref = chosen
    if ref is None:
        return _unknown(
            hub,
            f"{describe(hub)} reaches its registry with the user-assigned identity "
            f"{resource_id}, whose principal is not in the snapshot, so its pull rights "
            "cannot be checked.",
        )
    return ref


def _unknown(hub: Resource, message: str) -> Draft:
    return Draft(status=Status.UNKNOWN, resource=hub.id, cause=Cause.UNREADABLE, message=message)
