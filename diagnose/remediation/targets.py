"""Where a fix applies, as the fix languages write it: the id split with the case Azure gave
(nothing is lower-cased, since a command must name the resource exactly), the resource types the
tool meets with the API version Bicep and azapi declare, and management endpoint URLs.

Ids are read by `diagnose.arm.ids`; a `Target` is the view the languages need of one: a plain
scope (management group, subscription, resource group, or a resource in a resource group) with
its parts, anything else `other` with only the subscription and resource group it starts with.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote as _url_quote

from diagnose.arm import types
from diagnose.arm.ids import Level, leading_scope, parse
from diagnose.arm.types import Provider

ARM = "https://management.azure.com"
ROLE_ASSIGNMENTS_API = "2022-04-01"
PIM_API = "2020-10-01"
DENY_API = "2022-04-01"

_BICEP_VERSIONS = {
    types.WORKSPACE: "2024-10-01",
    types.WORKSPACE_CONNECTION: "2024-10-01",
    types.COGNITIVE_ACCOUNT: "2025-09-01",
    types.COGNITIVE_PROJECT: "2025-09-01",
    types.ACCOUNT_CONNECTION: "2025-09-01",
    types.PROJECT_CONNECTION: "2025-09-01",
    types.SEARCH_SERVICE: "2025-05-01",
    types.STORAGE_ACCOUNT: "2023-05-01",
    types.BLOB_CONTAINER: "2023-05-01",
    types.KEY_VAULT: "2023-07-01",
    types.CONTAINER_REGISTRY: "2023-07-01",
    types.APP_INSIGHTS: "2020-02-02",
    types.USER_ASSIGNED_IDENTITY: "2023-01-31",
    types.COSMOS_ACCOUNT: "2024-11-15",
}
RESOURCE_TYPES: dict[str, tuple[str, str]] = {
    key: (types.CANONICAL[key], version) for key, version in _BICEP_VERSIONS.items()
}
"""Resource types a fix declares: type key -> (canonical type name, API version in Bicep)."""


@dataclass(frozen=True)
class Target:
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


@lru_cache(maxsize=4096)
def target_of(raw: str) -> Target:
    """The view of an id a fix language needs; anything not shaped like a plain scope comes
    back with level 'other' (an id with an empty segment names nothing at all). Remembered per
    id, exactly as spelled (a Target is frozen): thousands of fixes share a few scopes."""
    parsed = parse(raw)
    if parsed is None:
        if not raw.startswith("/") or "//" in raw:
            return Target(raw, "other")
        leading = leading_scope(raw)
        return Target(
            raw, "other", subscription=leading.subscription, resource_group=leading.resource_group
        )
    level = parsed.level
    if level is Level.MANAGEMENT_GROUP:
        return Target(raw, "managementGroup", management_group=parsed.management_group)
    if level in (Level.SUBSCRIPTION, Level.RESOURCE_GROUP) or (
        level is Level.RESOURCE and parsed.resource_group is not None
    ):
        return Target(
            raw,
            str(level),
            subscription=parsed.subscription,
            resource_group=parsed.resource_group,
            namespace=parsed.provider,
            types=parsed.types,
            names=parsed.names,
        )
    return Target(
        raw, "other", subscription=parsed.subscription, resource_group=parsed.resource_group
    )


def role_definition_resource_id(scope: Target, role_guid: str) -> str:
    """The role definition's full id: subscription-scoped when the scope has a subscription."""
    suffix = f"/providers/{Provider.AUTHORIZATION}/roleDefinitions/{role_guid}"
    return f"/subscriptions/{scope.subscription}{suffix}" if scope.subscription else suffix


def arm_url(path: str, api_version: str) -> str:
    """A management endpoint URL for an ARM path, the path percent-encoded where needed."""
    encoded = _url_quote(path, safe="/:@!$&'()*+,;=-._~")
    return f"{ARM}{encoded}?api-version={api_version}"


def rest_path(path: str, api_version: str) -> str:
    """`arm_url` without the endpoint, as Invoke-AzRestMethod -Path takes it."""
    return arm_url(path, api_version)[len(ARM) :]
