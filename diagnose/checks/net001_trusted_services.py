import re
from typing import Any

from diagnose.arm.scopes import scope_key
from diagnose.checks._common import DOCS_TRUSTED, service_pairs, workspace_chain
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
from diagnose.engine.context import CheckContext, Connection, describe
from diagnose.model.resources import COGNITIVE_ACCOUNT, SEARCH_SERVICE, STORAGE_ACCOUNT, Resource

STORAGE_NETWORK_FAILURE = ErrorText(
    "AuthorizationFailure (Storage network)",
    "AuthorizationFailure: This request is not authorized to perform this operation.",
    "Storage (403)",
    "usually the storage firewall, not a role: the caller's network or service is not "
    "allowed through",
    "allow the caller's network, or trusted Azure services (bypass AzureServices) for a caller "
    "using its managed identity, or use a private endpoint or shared private link",
    # "AuthorizationFailure" alone: with "using this permission" it is a missing data role
    # (AuthorizationPermissionMismatch), which its own text explains. Its sentence without the
    # code (an SDK's or a Search indexer's rewording) ends at "operation.".
    r"AuthorizationFailure(?![\s\S]*using this permission)|"
    r"This request is not authorized to perform this operation\.",
    no_role=True,
)
AI_SERVICES_NETWORK_REFUSAL = ErrorText(
    "AI services firewall or private endpoint",
    "Public access is disabled. Please configure private endpoint. / Traffic is not from an "
    "approved private endpoint. / Access denied due to Virtual Network/Firewall rules.",
    "Azure OpenAI / AI services / Foundry / Search (403)",
    "the resource refuses the caller's network: public network access is disabled, or its "
    "firewall does not list the caller's network, or the call did not come through an "
    "approved private endpoint; no role changes that",
    "call from a network the resource allows (its private endpoint, an allowed virtual "
    "network or IP range), or for a service calling with its managed identity allow trusted "
    "Azure services (bypass AzureServices); for a pending private endpoint connection, have "
    "it approved",
    r"Public (?:network )?access is disabled|not from an approved private endpoint|"
    r"Access denied due to Virtual Network/Firewall rules",
    no_role=True,
)
DNS_RESOLUTION_FAILURE = ErrorText(
    "Name resolution failure (DNS)",
    "NameResolutionError: Failed to resolve '<name>.openai.azure.com' ([Errno -2] Name or "
    "service not known) / getaddrinfo failed",
    "the caller's network (any service)",
    "the caller's DNS cannot resolve the service's host name: with a private endpoint, the "
    "privatelink DNS zone (privatelink.openai.azure.com, privatelink.search.windows.net, "
    "privatelink.blob.core.windows.net, ...) is not linked to the caller's virtual network, "
    "or a custom DNS server does not forward to Azure DNS; no role changes that",
    "link the private DNS zone to the caller's virtual network (or add the record to your "
    "DNS, or forward to 168.63.129.16), then check with nslookup that the name resolves to "
    "the private endpoint's address",
    r"Name or service not known|getaddrinfo failed|NameResolutionError|"
    r"Temporary failure in name resolution|nodename nor servname provided|"
    r"No such host is known",
    no_role=True,
)
DOCS_SHARED_PRIVATE_LINK = (
    "https://learn.microsoft.com/azure/search/search-indexer-howto-access-private"
)
DOCS_RESOURCE_INSTANCES = (
    "https://learn.microsoft.com/azure/storage/common/storage-network-security-resource-instances"
)
PAIRS = (("ai", "search"), ("ai", "blob"), ("search", "ai"), ("search", "blob"), ("ai", "ai"))
STORAGE_GROUPS = frozenset({"blob", "blob_secondary", "dfs", "dfs_secondary"})


@check(
    id="NET001",
    title="Firewalls let the services that call them through",
    severity=Severity.HIGH,
    scenario="No trusted-services bypass behind a firewall",
    docs=(DOCS_TRUSTED, DOCS_SHARED_PRIVATE_LINK, DOCS_RESOURCE_INSTANCES),
    explains=(STORAGE_NETWORK_FAILURE, AI_SERVICES_NETWORK_REFUSAL, DNS_RESOLUTION_FAILURE),
)
def trusted_services(ctx: CheckContext):
    """
    What it checks: every Azure OpenAI resource, Search service or storage account that another
    service calls for "add your data" (Azure OpenAI to Search and storage, Search to Azure
    OpenAI and storage, chat to embedding resource) and that refuses public traffic still lets
    each caller through: by the caller's own approved shared private link to it (Search's
    sharedPrivateLinkResources), by a resource-instance rule naming the caller
    (networkAcls.resourceAccessRules, wildcards included), or by the trusted-services bypass
    (bypass AzureServices). The bypass and the instance rules admit only calls made with the
    caller's managed identity, so a caller that reaches the resource through a key connection
    gets through only by a shared private link. Only resources reached as Azure OpenAI count
    as Azure OpenAI: a `CognitiveService` connection to a Speech or Content Safety account is
    not one.

    Who needs it: no person and no role: it is about the called resource's network settings.
    A caller using its managed identity (an Entra ID connection) that none of these lets
    through is a failure, fixed by allowing trusted services on the called resource. A caller
    using a key that no shared private link carries is a warning: the firewall refuses it, and
    allowing trusted services would not help; switching the connection to Entra ID (then the
    bypass applies) or a shared private link would.

    Why it matters: behind a firewall, service-to-service calls are refused at the network before
    any role is looked at; the error says 403 and looks like a missing role.

    How to fix: allow trusted Azure services (bypass AzureServices) on the called resource, or
    add a resource-instance rule or an approved shared private link for the caller; for a
    caller that uses a key, switch its connection to Entra ID or give it a shared private link.
    """
    keyless: set[tuple[str, str]] = set()
    callees: dict[str, tuple[Resource, dict[str, Resource], dict[str, Connection]]] = {}
    for left, right in PAIRS:
        for _, caller, callee in service_pairs(ctx, left, right):
            keyless.add((caller.key, callee.key))
        for workspace, caller, callee in service_pairs(ctx, left, right, entra_only=False):
            _, callers, via = callees.setdefault(callee.key, (callee, {}, {}))
            callers.setdefault(caller.key, caller)
            connection = _connection_to(ctx, workspace, right, callee)
            if connection is not None:
                via.setdefault(caller.key, connection)
    for callee, callers, via in callees.values():
        setting = _bypass_setting(callee)
        if setting is None or not _restricted(callee):
            continue
        bypass = str(_get(callee, setting) or "None")
        trusted = "azureservices" in bypass.lower().replace(" ", "")
        with_identity: list[Resource] = []
        with_key: list[Resource] = []
        admitted: list[str] = []
        pending: list[str] = []
        for caller in callers.values():
            link = _shared_link(ctx, caller, callee)
            if link is not None and link[1] == "approved":
                admitted.append(f"{describe(caller)} through its approved shared private link")
                continue
            if link is not None:
                pending.append(f"the shared private link of {describe(caller)} is {link[0]}")
            if (caller.key, callee.key) not in keyless:
                with_key.append(caller)
            elif trusted:
                continue
            elif _instance_rule(callee, caller):
                admitted.append(f"{describe(caller)} by a resource-instance rule")
            else:
                with_identity.append(caller)
        also = _also(admitted, pending)
        if with_identity:
            yield _blocked(callee, with_identity, setting, bypass, also)
        if with_key:
            yield _key_callers(callee, with_key, via, bypass, also)


def _blocked(
    callee: Resource, callers: list[Resource], setting: str, bypass: str, also: str
) -> Draft:
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
    return Draft(
        status=Status.FAIL,
        resource=callee.id,
        cause=Cause.CONFIGURATION,
        message=f"{describe(callee)} refuses public traffic and does not let trusted Azure "
        f"services through (bypass: {bypass}), so {' and '.join(describe(c) for c in callers)} "
        "cannot call it with a managed identity, whatever roles they hold: no shared private "
        f"link or resource-instance rule lets them through.{also}",
        remediations=(
            Remediation(
                kind=RemediationKind.CONFIGURATION,
                summary=f"Allow trusted Azure services through the firewall of {describe(callee)}.",
                resource=callee.id,
                setting=setting,
                value=value,
            ),
        ),
        details={"bypass": bypass, "callers": sorted(c.id for c in callers)},
    )


def _key_callers(
    callee: Resource,
    callers: list[Resource],
    via: dict[str, Connection],
    bypass: str,
    also: str,
) -> Draft:
    connections = sorted({via[c.key].label for c in callers if c.key in via})
    through = f" ({', '.join(connections)})" if connections else ""
    return Draft(
        status=Status.WARN,
        resource=callee.id,
        cause=Cause.CONFIGURATION,
        message=f"{describe(callee)} refuses public traffic, and "
        f"{' and '.join(describe(c) for c in callers)} reach it with a key{through}: the "
        "trusted-services exception and resource-instance rules admit only calls made with "
        f"the caller's managed identity, so the firewall refuses these whatever the bypass "
        f"says (bypass: {bypass}). Switch the connection to Entra ID (the callers then use "
        "their managed identities, and trusted services must be allowed), or give each "
        f"caller an approved shared private link to {describe(callee)}.{also}",
        details={
            "bypass": bypass,
            "callers": sorted(c.id for c in callers),
            "connections": sorted(via[c.key].id for c in callers if c.key in via),
        },
    )


def _also(admitted: list[str], pending: list[str]) -> str:
    parts = []
    if admitted:
        parts.append(f" Let through: {'; '.join(admitted)}.")
    if pending:
        parts.append(
            f" Not approved: {'; '.join(pending)}; approve it among the private endpoint "
            "connections of the called resource."
        )
    return "".join(parts)


def _connection_to(
    ctx: CheckContext, workspace: Resource, kind: str, callee: Resource
) -> Connection | None:
    return next(
        (
            c
            for c, target in workspace_chain(ctx, workspace).group(kind)
            if target.key == callee.key
        ),
        None,
    )


def _shared_link(ctx: CheckContext, caller: Resource, callee: Resource) -> tuple[str, str] | None:
    """The status of the caller's shared private link to the callee ("Approved", as Azure
    spells it, and lower-case), the approved one first; None when it has none."""
    found: list[tuple[str, str]] = []
    for link in _links(ctx, caller):
        nested = link.get("properties")
        properties: dict[str, Any] = nested if isinstance(nested, dict) else link
        target = str(properties.get("privateLinkResourceId") or "")
        if not target or scope_key(target) != callee.key:
            continue
        group = str(properties.get("groupId") or "").lower()
        if callee.type == STORAGE_ACCOUNT and group not in STORAGE_GROUPS:
            continue
        status = str(properties.get("status") or "unknown")
        found.append((status, status.lower()))
    found.sort(key=lambda s: s[1] != "approved")
    return found[0] if found else None


def _links(ctx: CheckContext, caller: Resource) -> list[dict[str, Any]]:
    links = [x for x in caller.prop("sharedPrivateLinkResources") or [] if isinstance(x, dict)]
    child = f"{caller.type}/sharedprivatelinkresources"
    links += [
        r.raw
        for r in ctx.model.of_type(child)
        if r.key.startswith(caller.key + "/sharedprivatelinkresources/")
    ]
    return links


def _instance_rule(callee: Resource, caller: Resource) -> bool:
    """Whether a resource-instance rule of the callee's firewall names the caller (a rule's
    resourceId may end in wildcards)."""
    rules = callee.prop("networkAcls", "resourceAccessRules") or []
    for rule in rules if isinstance(rules, list) else []:
        pattern = str((rule or {}).get("resourceId") or "") if isinstance(rule, dict) else ""
        if pattern and _matches(pattern, caller.id):
            return True
    return False


def _matches(pattern: str, resource_id: str) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.rstrip("/").split("*"))
    return re.fullmatch(regex, resource_id.rstrip("/"), re.IGNORECASE) is not None


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
