"""Just enough ARM id parsing for collection: subscription, resource group, type, read action.

Ids come from Azure and are treated as data: they are parsed, never evaluated, and an id that
does not parse is simply not followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_SEGMENT = r"(?!\.\.?/|\.\.?$)[^/?#%\\\s]+"
_RESOURCE = re.compile(
    rf"^/subscriptions/(?P<sub>{_GUID})/resourceGroups/(?P<rg>{_SEGMENT})"
    rf"/providers/(?P<ns>{_SEGMENT})/(?P<rest>{_SEGMENT}/{_SEGMENT}(?:/{_SEGMENT}/{_SEGMENT})*)/?$",
    re.IGNORECASE,
)
SUBSCRIPTION_ID = re.compile(rf"^{_GUID}$")


@dataclass(frozen=True)
class ResourceId:
    id: str
    subscription: str
    """Lower-case subscription id."""
    resource_group: str
    namespace: str
    types: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def type(self) -> str:
        """Lower-case full type, e.g. microsoft.search/searchservices."""
        return "/".join((self.namespace, *self.types)).lower()

    @property
    def name(self) -> str:
        return self.names[-1]

    @property
    def read_operation(self) -> str:
        """The ARM operation that reads it, e.g. Microsoft.Search/searchServices/read."""
        return "/".join((self.namespace, *self.types, "read"))

    @property
    def resource_group_scope(self) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"


def parse_resource_id(value: object) -> ResourceId | None:
    """A resource id (in a resource group) parsed, or None when it is not one."""
    if not isinstance(value, str):
        return None
    match = _RESOURCE.match(value.strip())
    if match is None:
        return None
    parts = match["rest"].strip("/").split("/")
    return ResourceId(
        id=value.strip().rstrip("/"),
        subscription=match["sub"].lower(),
        resource_group=match["rg"],
        namespace=match["ns"],
        types=tuple(parts[0::2]),
        names=tuple(parts[1::2]),
    )


def subscription_of_scope(scope: str) -> str | None:
    parts = [p for p in scope.split("/") if p]
    if len(parts) >= 2 and parts[0].lower() == "subscriptions" and SUBSCRIPTION_ID.match(parts[1]):
        return parts[1].lower()
    return None
