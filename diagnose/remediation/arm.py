"""ARM ids and endpoints as the fix languages write them: ids split with the case Azure gave
(nothing is lower-cased, since a command must name the resource exactly), the resource types the
tool meets with the API version Bicep and azapi declare, and management endpoint URLs."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote as _url_quote

ARM = "https://management.azure.com"
ROLE_ASSIGNMENTS_API = "2022-04-01"
PIM_API = "2020-10-01"
DENY_API = "2022-04-01"

RESOURCE_TYPES: dict[str, tuple[str, str]] = {
    key.lower(): (key, version)
    for key, version in (
        ("Microsoft.MachineLearningServices/workspaces", "2024-10-01"),
        ("Microsoft.MachineLearningServices/workspaces/connections", "2024-10-01"),
        ("Microsoft.CognitiveServices/accounts", "2025-09-01"),
        ("Microsoft.CognitiveServices/accounts/projects", "2025-09-01"),
        ("Microsoft.CognitiveServices/accounts/connections", "2025-09-01"),
        ("Microsoft.CognitiveServices/accounts/projects/connections", "2025-09-01"),
        ("Microsoft.Search/searchServices", "2025-05-01"),
        ("Microsoft.Storage/storageAccounts", "2023-05-01"),
        ("Microsoft.Storage/storageAccounts/blobServices/containers", "2023-05-01"),
        ("Microsoft.KeyVault/vaults", "2023-07-01"),
        ("Microsoft.ContainerRegistry/registries", "2023-07-01"),
        ("Microsoft.Insights/components", "2020-02-02"),
        ("Microsoft.ManagedIdentity/userAssignedIdentities", "2023-01-31"),
    )
}
"""Resource types the tool meets: canonical type name and the API version declared in Bicep."""

COGNITIVE = "microsoft.cognitiveservices/accounts"
SEARCH = "microsoft.search/searchservices"
STORAGE = "microsoft.storage/storageaccounts"
WORKSPACE = "microsoft.machinelearningservices/workspaces"
CONNECTIONS = frozenset({
    "microsoft.machinelearningservices/workspaces/connections",
    "microsoft.cognitiveservices/accounts/connections",
    "microsoft.cognitiveservices/accounts/projects/connections",
})


@dataclass(frozen=True)
class ArmId:
    """An ARM scope split into its parts, with the case Azure gave (nothing is lower-cased)."""

    raw: str
    level: str
    """managementGroup | subscription | resourceGroup | resource | other"""
    management_group: str | None = None
    subscription: str | None = None
    resource_group: str | None = None
    namespace: str | None = None
    types: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    @property
    def type(self) -> str:
        return "/".join((self.namespace or "", *self.types))

    @property
    def type_key(self) -> str:
        return self.type.lower()

    @property
    def name(self) -> str:
        """The resource name as Bicep writes it for a nested type: parent/child."""
        return "/".join(self.names)

    @property
    def leaf(self) -> str:
        return self.names[-1] if self.names else ""

    @property
    def known(self) -> tuple[str, str] | None:
        return RESOURCE_TYPES.get(self.type_key) if self.level == "resource" else None


def parse_arm_id(raw: str) -> ArmId:
    """Split an ARM id; anything not shaped like a plain scope comes back with level 'other'."""
    if not raw.startswith("/") or "//" in raw:
        return ArmId(raw, "other")
    segments = raw.strip("/").split("/")
    lowered = [s.lower() for s in segments]
    if (len(segments) == 4 and lowered[:3] == ["providers", "microsoft.management",
                                                "managementgroups"] and segments[3]):
        return ArmId(raw, "managementGroup", management_group=segments[3])
    if len(segments) < 2 or lowered[0] != "subscriptions" or not segments[1]:
        return ArmId(raw, "other")
    subscription = segments[1]
    if len(segments) == 2:
        return ArmId(raw, "subscription", subscription=subscription)
    if len(segments) < 4 or lowered[2] != "resourcegroups":
        return ArmId(raw, "other", subscription=subscription)
    group = segments[3]
    if len(segments) == 4:
        return ArmId(raw, "resourceGroup", subscription=subscription, resource_group=group)
    rest, rest_lower = segments[4:], lowered[4:]
    pairs = rest[2:]
    if (rest_lower[0] != "providers" or len(rest) < 4 or len(pairs) % 2
            or "providers" in rest_lower[2::2]):
        return ArmId(raw, "other", subscription=subscription, resource_group=group)
    return ArmId(raw, "resource", subscription=subscription, resource_group=group,
                 namespace=rest[1], types=tuple(pairs[0::2]), names=tuple(pairs[1::2]))


def role_definition_resource_id(scope: ArmId, role_guid: str) -> str:
    """The role definition's full id: subscription-scoped when the scope has a subscription."""
    suffix = f"/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"
    return f"/subscriptions/{scope.subscription}{suffix}" if scope.subscription else suffix


def arm_url(path: str, api_version: str) -> str:
    """A management endpoint URL for an ARM path, the path percent-encoded where needed."""
    encoded = _url_quote(path, safe="/:@!$&'()*+,;=-._~")
    return f"{ARM}{encoded}?api-version={api_version}"


def rest_path(path: str, api_version: str) -> str:
    """`arm_url` without the endpoint, as Invoke-AzRestMethod -Path takes it."""
    return arm_url(path, api_version)[len(ARM):]
