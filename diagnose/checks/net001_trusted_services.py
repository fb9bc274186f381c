from diagnose.checks._common import DOCS_TRUSTED, service_pairs
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
from diagnose.model.resources import COGNITIVE_ACCOUNT, SEARCH_SERVICE, STORAGE_ACCOUNT, Resource

STORAGE_NETWORK_FAILURE = ErrorText(
    "AuthorizationFailure (Storage network)",
    "AuthorizationFailure: This request is not authorized to perform this operation.",
    "Storage (403)",
    "usually the storage firewall, not a role: the caller's network or service is not "
    "allowed through",
    "allow the caller's network, or trusted Azure services (bypass AzureServices), or use a "
    "private endpoint",
    r"AuthorizationFailure",
)


@check(
    id="NET001",
    title="Firewalls let trusted Azure services through",
    severity=Severity.HIGH,
    scenario="No trusted-services bypass behind a firewall",
    docs=(DOCS_TRUSTED,),
    explains=(STORAGE_NETWORK_FAILURE,),
)
def trusted_services(ctx: CheckContext):
    """
    What it checks: every Azure OpenAI / AI services resource, Search service or storage account
    that another service calls with its managed identity for "add your data" (Azure OpenAI to
    Search and storage, Search to Azure OpenAI and storage, chat to embedding resource) either
    accepts public traffic or lets trusted Azure services through its firewall (bypass
    AzureServices).

    Why it matters: behind a firewall, service-to-service calls are refused at the network before
    any role is looked at; the error says 403 and looks like a missing role.

    How to fix: allow trusted Azure services (bypass AzureServices) on the called resource, or
    reach it through private endpoints.
    """
    callees: dict[str, tuple[Resource, dict[str, Resource]]] = {}
    for left, right in (
        ("ai", "search"),
        ("ai", "blob"),
        ("search", "ai"),
        ("search", "blob"),
        ("ai", "ai"),
    ):
        for _, caller, callee in service_pairs(ctx, left, right, entra_only=False):
            callees.setdefault(callee.key, (callee, {}))[1].setdefault(caller.key, caller)
    for callee, callers in callees.values():
        setting = _bypass_setting(callee)
        if setting is None or not _restricted(callee):
            continue
        bypass = str(_get(callee, setting) or "None")
        if "azureservices" in bypass.lower().replace(" ", ""):
            continue
        value = (
            "AzureServices"
            if callee.type != STORAGE_ACCOUNT
            else ", ".join(
                dict.fromkeys(
                    [
                        "AzureServices",
                        *[
                            b.strip()
                            for b in bypass.split(",")
                            if b.strip() and b.strip().lower() != "none"
                        ],
                    ]
                )
            )
        )
        yield Draft(
            status=Status.FAIL,
            resource=callee.id,
            cause=Cause.CONFIGURATION,
            message=f"{describe(callee)} refuses public traffic and does not let trusted Azure "
            f"services through (bypass: {bypass}), so "
            f"{' and '.join(describe(c) for c in callers.values())} cannot call it with "
            "a managed identity, whatever roles they hold.",
            remediations=(
                Remediation(
                    kind=RemediationKind.CONFIGURATION,
                    summary=f"Allow trusted Azure services through the firewall of "
                    f"{describe(callee)}.",
                    resource=callee.id,
                    setting=setting,
                    value=value,
                ),
            ),
            details={"bypass": bypass, "callers": sorted(c.id for c in callers.values())},
        )


def _bypass_setting(resource: Resource) -> str | None:
    return {
        COGNITIVE_ACCOUNT: "properties.networkAcls.bypass",
        STORAGE_ACCOUNT: "properties.networkAcls.bypass",
        SEARCH_SERVICE: "properties.networkRuleSet.bypass",
    }.get(resource.type)


def _get(resource: Resource, setting: str):
    return resource.prop(*setting.split(".")[1:])


def _restricted(resource: Resource) -> bool:
    if str(resource.prop("publicNetworkAccess") or "").lower() == "disabled":
        return True
    if resource.type == SEARCH_SERVICE:
        return bool(resource.prop("networkRuleSet", "ipRules"))
    return str(resource.prop("networkAcls", "defaultAction") or "").lower() == "deny"
