"""The four ARM id parsers the tool had before diagnose.arm, kept verbatim as an oracle.

tests/test_arm_ids.py and tests/test_scopes.py check that diagnose.arm reads every id of the
fixtures (and generated ones) as these did, and pin down precisely where it deliberately reads
differently. Nothing in diagnose/ imports this module.

Sources (git history): diagnose/collect/armid.py (collection), diagnose/remediation/arm.py (fix
languages), diagnose/model/scopes.py (scope_problem, level_of, subscription_of,
resource_group_key) and diagnose/collect/hints.py (_subscription).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# -- diagnose/collect/armid.py ------------------------------------------------------------------
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


# -- diagnose/remediation/arm.py ----------------------------------------------------------------


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


def parse_arm_id(raw: str) -> ArmId:
    """Split an ARM id; anything not shaped like a plain scope comes back with level 'other'."""
    if not raw.startswith("/") or "//" in raw:
        return ArmId(raw, "other")
    segments = raw.strip("/").split("/")
    lowered = [s.lower() for s in segments]
    if (
        len(segments) == 4
        and lowered[:3] == ["providers", "microsoft.management", "managementgroups"]
        and segments[3]
    ):
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
    if (
        rest_lower[0] != "providers"
        or len(rest) < 4
        or len(pairs) % 2
        or "providers" in rest_lower[2::2]
    ):
        return ArmId(raw, "other", subscription=subscription, resource_group=group)
    return ArmId(
        raw,
        "resource",
        subscription=subscription,
        resource_group=group,
        namespace=rest[1],
        types=tuple(pairs[0::2]),
        names=tuple(pairs[1::2]),
    )


# -- diagnose/model/scopes.py -------------------------------------------------------------------

MANAGEMENT_GROUP_PREFIX = "/providers/microsoft.management/managementgroups/"


def scope_key(scope: str) -> str:
    segments = [s for s in scope.strip().split("/") if s]
    if not segments:
        return "/"
    return "/" + "/".join(segments).lower()


def segments_of(key: str) -> list[str]:
    return [s for s in key.split("/") if s]


def is_management_group(key: str) -> bool:
    return key.startswith(MANAGEMENT_GROUP_PREFIX) and key.count("/") == 4


def subscription_of(key: str) -> str | None:
    """The subscription id (lower-case) a scope lies in, if any."""
    segments = segments_of(key)
    if len(segments) >= 2 and segments[0] == "subscriptions":
        return segments[1]
    return None


def resource_group_key(key: str) -> str | None:
    segments = segments_of(key)
    if len(segments) >= 4 and segments[0] == "subscriptions" and segments[2] == "resourcegroups":
        return "/" + "/".join(segments[:4])
    return None


def level_of(key: str) -> str:
    """A word a person uses for the kind of scope."""
    segments = segments_of(key)
    if not segments:
        return "root"
    if is_management_group(key):
        return "management group"
    if segments[0] == "subscriptions":
        if len(segments) == 2:
            return "subscription"
        if len(segments) == 4 and segments[2] == "resourcegroups":
            return "resource group"
    if "providers" not in segments:
        return "scope"
    after_namespace = segments[segments.index("providers") + 2 :]
    if "providers" in after_namespace or len(after_namespace) > 2:
        return "child resource"
    return "resource"


def scope_problem(scope: str) -> str | None:
    """Why a string is not a well-formed ARM scope, or None when it is."""
    if not scope.strip().startswith("/"):
        return "a scope starts with '/' (for example /subscriptions/<id>/resourceGroups/<name>)"
    segments = segments_of(scope_key(scope))
    if not segments:
        return None
    if segments[0] == "subscriptions":
        if len(segments) < 2:
            return "'/subscriptions' needs a subscription id after it"
        rest = segments[2:]
        if rest[:1] == ["resourcegroups"]:
            if len(rest) < 2:
                return "'resourceGroups' needs a resource group name after it"
            rest = rest[2:]
        return _provider_path_problem(rest)
    if segments[0] == "providers":
        return _provider_path_problem(segments)
    return f"unexpected segment {segments[0]!r}: a scope starts with /subscriptions or /providers"


def _provider_path_problem(segments: list[str]) -> str | None:
    index = 0
    while index < len(segments):
        if segments[index] != "providers":
            return f"expected 'providers' at segment {segments[index]!r}"
        pairs_start = index + 2
        if pairs_start > len(segments):
            return "'providers' needs a namespace and a type/name pair after it"
        end = pairs_start
        while end < len(segments) and segments[end] != "providers":
            end += 1
        if (end - pairs_start) == 0 or (end - pairs_start) % 2:
            return "resource types and names must come in pairs (type/name)"
        index = end
    return None


# -- diagnose/collect/hints.py ------------------------------------------------------------------


def hints_subscription(scope: str) -> str:
    parts = [p for p in scope.split("/") if p]
    if len(parts) >= 2 and parts[0].lower() == "subscriptions":
        return f"/subscriptions/{parts[1]}"
    return "the subscription that holds it"
