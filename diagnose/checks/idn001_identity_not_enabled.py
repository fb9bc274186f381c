from diagnose.checks._common import DOCS_USE_YOUR_DATA, service_pairs
from diagnose.engine.api import (
    Cause,
    Draft,
    ErrorText,
    Remediation,
    RemediationKind,
    Severity,
    Status,
    check,
)
from diagnose.engine.context import CheckContext, describe
from diagnose.model.resources import Resource

MANAGED_IDENTITY_NOT_ENABLED = ErrorText(
    "ManagedIdentityIsNotEnabled",
    "ManagedIdentityIsNotEnabled",
    "Azure OpenAI / Search",
    "a service must call another with its managed identity, but the identity is off",
    "enable the system-assigned managed identity, then grant it the roles it needs",
    r"ManagedIdentityIsNotEnabled|managed identity is not enabled",
)

NO_MANAGED_IDENTITY_HERE = ErrorText(
    "No managed identity where the code runs",
    "ManagedIdentityCredential authentication unavailable. No identity has been assigned to "
    "this resource.",
    "azure-identity (the compute, app or container the code runs on)",
    "the code asked for a managed identity token where none is assigned (a compute instance, "
    "an App Service, a container app), or for a user-assigned one by a client id that is not "
    "assigned there; roles play no part until a token exists",
    "assign a managed identity to that compute or app (system-assigned, or a user-assigned one "
    "whose client id the code passes), then give that identity the roles the checks name",
    # Only the answer of a managed identity endpoint that exists: "ManagedIdentityCredential
    # authentication unavailable" alone is also DefaultAzureCredential's chained failure on a
    # laptop or CI runner (no IMDS endpoint), where the fix is to sign in, not an identity.
    r"(?:No (?:managed )?identity (?:has been|was)|The requested identity has not been) "
    r"assigned to this resource",
    no_role=True,
)


@check(
    id="IDN001",
    title="Managed identities the access chain needs are enabled",
    severity=Severity.HIGH,
    scenario="Identity not enabled (ManagedIdentityIsNotEnabled)",
    docs=(DOCS_USE_YOUR_DATA,),
    explains=(MANAGED_IDENTITY_NOT_ENABLED, NO_MANAGED_IDENTITY_HERE),
)
def identity_not_enabled(ctx: CheckContext):
    """
    What it checks: every hub and every Foundry project in scope has a managed identity
    (system-assigned or user-assigned), and every Azure OpenAI / AI services
    resource and Search service that calls another service for "add your data" (Azure OpenAI to
    Search and storage, Search to Azure OpenAI and storage, the called resource reached through
    an Entra ID connection) has its system-assigned identity enabled.

    Who needs it: the services, not people: every hub needs a managed identity (it reaches
    its storage, key vault and registry as itself), so does every Foundry project (its agents
    run as it: model calls and a standard agent setup's Cosmos DB, storage and Search), and an
    Azure OpenAI / AI services or Search
    resource needs its system-assigned identity only when it calls another service with it,
    which happens only through Entra ID connections (with key connections the caller uses the
    key). An identity that is needed and off is a failure.

    Why it matters: a service can only be granted roles through its identity. With the identity
    off, no role assignment helps: the call fails with ManagedIdentityIsNotEnabled or a 401/403,
    and the role checks for that identity cannot even be stated.

    How to fix: enable the system-assigned managed identity on the resource (a Foundry
    project: identity type SystemAssigned, or assign it a user-assigned identity), then re-run
    diagnose to see which roles the new identity needs.
    """
    for hub in ctx.hubs:
        if not hub.identity.kinds:
            yield _missing(hub, "it reaches its storage, key vault and registry as itself")
    for project in ctx.foundry_projects():
        if not project.identity.kinds:
            yield _missing(
                project,
                "its agents run as it (model calls, and the Cosmos DB, storage and Search of "
                "a standard agent setup)",
                kind="managed identity (system-assigned or user-assigned)",
            )
    callers: dict[str, tuple[Resource, str]] = {}
    for left, right, verb in (
        ("ai", "search", "queries"),
        ("ai", "blob", "reads"),
        ("search", "ai", "calls"),
        ("search", "blob", "indexes"),
    ):
        for workspace, caller, callee in service_pairs(ctx, left, right):
            callers.setdefault(
                caller.key, (caller, f"it {verb} {describe(callee)} for {describe(workspace)}")
            )
    for caller, why in callers.values():
        if not caller.identity.system_assigned:
            yield _missing(caller, why)


def _missing(resource: Resource, why: str, kind: str = "system-assigned managed identity") -> Draft:
    current = resource.identity.type
    has_user = "userassigned" in resource.identity.kinds
    separator = "," if resource.is_hub or resource.is_hub_project else ", "
    value = f"SystemAssigned{separator}UserAssigned" if has_user else "SystemAssigned"
    return Draft(
        status=Status.FAIL,
        resource=resource.id,
        cause=Cause.IDENTITY,
        message=f"The {kind} of {describe(resource)} is not enabled "
        f"(identity type: {current}), but {why}: no role can be granted to it until it "
        "exists.",
        remediations=(
            Remediation(
                kind=RemediationKind.CONFIGURATION,
                summary=(
                    f"Enable the system-assigned managed identity of {describe(resource)}, then "
                    "re-run diagnose to see the roles it needs."
                ),
                resource=resource.id,
                setting="identity.type",
                value=value,
            ),
        ),
        details={"identityType": current},
    )
