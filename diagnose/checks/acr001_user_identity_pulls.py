from diagnose.checks._common import ACR_PULL, DOCS_HUB_RBAC, unknown_resource
from diagnose.engine.api import Operation, Requirement, Severity, check
from diagnose.engine.context import CheckContext, describe

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
    What it checks: for a hub with a container registry and a user-assigned managed identity,
    each user-assigned identity holds Microsoft.ContainerRegistry/registries/pull/read on the
    registry.

    Why it matters: a system-assigned hub identity gets AcrPull automatically when the hub is
    created; a user-assigned one does not, and environment builds and deployments then fail to
    pull images.

    How to fix: assign AcrPull on the container registry to the user-assigned identity.
    """
    for hub in ctx.hubs:
        registry_id = hub.prop("containerRegistry")
        if not registry_id or "userassigned" not in hub.identity.kinds:
            continue
        registry = ctx.resource(registry_id)
        if registry is None:
            yield unknown_resource(ctx, registry_id, f"the container registry of {describe(hub)}")
            continue
        for _, identity in ctx.user_assigned_identities(hub):
            if identity is None:
                continue
            yield Requirement(
                principal=identity,
                resource=registry,
                operations=(PULL,),
                because=f"pulls images for hub '{hub.name}' from its registry",
                roles=(ACR_PULL,),
            )
