"""ARM resource ids: parsed into a frozen `ResourceId` and built back, with the case Azure gave.

    id    = "/" | [ "/subscriptions/" sub [ "/resourceGroups/" group ] ] part*
    part  = "/providers/" namespace ( "/" type "/" name )* [ "/" type ]

The keywords (subscriptions, resourceGroups, providers) are read in any case and written back
as Azure writes them; every other segment keeps its case. `providers` where a type would stand
starts another part, so a resource of one provider attached to another's (an extension
resource: a role assignment on a storage account, diagnostic settings) is two parts; where a
name stands it is a name. Every part but the last names whole type/name pairs; the last may
end with a type alone (a collection, e.g. .../providers/Microsoft.Authorization/roleAssignments)
or be a namespace alone. A management group is the tenant-level part
Microsoft.Management/managementGroups/<name>; a provider-level path such as
/subscriptions/<id>/providers/Microsoft.CognitiveServices/locations/eastus/usages is a part at a
subscription.

Ids come from Azure and are data: they are parsed, never evaluated, and a text that is not an
id parses to None. `parse(build(x)) == x` for every `ResourceId`; `ResourceId` equality keeps
case, compare `diagnose.arm.scopes.scope_key` of two ids for ARM's case-insensitive sameness.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache

SUBSCRIPTIONS = "subscriptions"
RESOURCE_GROUPS = "resourceGroups"
PROVIDERS = "providers"
MANAGEMENT_NAMESPACE = "Microsoft.Management"
MANAGEMENT_GROUPS = "managementGroups"

GUID = re.compile(r"\A[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\Z")
"""A subscription id, a tenant id, an object id: a GUID in any case (nothing after it, not
even a line break)."""
_SAFE_SEGMENT = re.compile(r"\A[^/?#%\\\s]+\Z")
"""A segment that reads the same in a request path: no separator, query, fragment,
percent-escape, backslash or white space."""


class Level(StrEnum):
    """What an id names."""

    ROOT = "root"
    MANAGEMENT_GROUP = "managementGroup"
    SUBSCRIPTION = "subscription"
    RESOURCE_GROUP = "resourceGroup"
    RESOURCE = "resource"
    """One provider part naming a resource, top-level or child, at any scope."""
    EXTENSION = "extension"
    """A resource of one provider attached to another's (more than one part)."""
    PROVIDER = "provider"
    """A path that names no resource: a namespace alone, or a collection."""


@dataclass(frozen=True)
class ProviderPart:
    """`/providers/<namespace>` and the type/name segments after it, up to the next part.
    `names` is as long as `types` (a resource) or one shorter (a collection)."""

    namespace: str
    types: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= len(self.types) - len(self.names) <= 1:
            raise ValueError("a provider part has one name per type, or one type more")
        for segment in (self.namespace, *self.types, *self.names):
            _check_segment(segment)
        for segment in self.types:
            if segment.lower() == PROVIDERS:
                raise ValueError(f"{segment!r} where a type stands starts another part")

    @property
    def complete(self) -> bool:
        """Whether it names a resource: at least one type, and a name for every type."""
        return bool(self.types) and len(self.types) == len(self.names)

    @property
    def segments(self) -> tuple[str, ...]:
        pairs: list[str] = []
        for index, type_name in enumerate(self.types):
            pairs.append(type_name)
            if index < len(self.names):
                pairs.append(self.names[index])
        return (PROVIDERS, self.namespace, *pairs)


@dataclass(frozen=True)
class ResourceId:
    """An ARM id split into its parts, with the case it was given (nothing is lower-cased).

    The root scope `/` is `ResourceId()`."""

    subscription: str | None = None
    resource_group: str | None = None
    parts: tuple[ProviderPart, ...] = ()

    def __post_init__(self) -> None:
        if self.resource_group is not None and self.subscription is None:
            raise ValueError("a resource group lies in a subscription")
        for segment in (self.subscription, self.resource_group):
            if segment is not None:
                _check_segment(segment)
        if any(not part.complete for part in self.parts[:-1]):
            raise ValueError("only the last provider part can be a namespace or a collection")

    def __str__(self) -> str:
        return build(self)

    # -- what it names -------------------------------------------------------------------
    @property
    def level(self) -> Level:
        if not self.parts:
            if self.resource_group is not None:
                return Level.RESOURCE_GROUP
            return Level.SUBSCRIPTION if self.subscription is not None else Level.ROOT
        if len(self.parts) > 1:
            return Level.EXTENSION if self.parts[-1].complete else Level.PROVIDER
        if not self.parts[0].complete:
            return Level.PROVIDER
        return Level.MANAGEMENT_GROUP if self._is_management_group_part() else Level.RESOURCE

    def _is_management_group_part(self) -> bool:
        first = self.parts[0]
        return (
            self.subscription is None
            and first.namespace.lower() == "microsoft.management"
            and len(first.types) == 1
            and first.types[0].lower() == "managementgroups"
            and len(first.names) == 1
        )

    @property
    def management_group(self) -> str | None:
        """The management group the id lies in (its name), when it starts with one."""
        return self.parts[0].names[0] if self.parts and self._is_management_group_part() else None

    @property
    def provider(self) -> str | None:
        """The namespace of its last part, e.g. Microsoft.Storage."""
        return self.parts[-1].namespace if self.parts else None

    @property
    def types(self) -> tuple[str, ...]:
        """The types of its last part, e.g. ("storageAccounts", "blobServices")."""
        return self.parts[-1].types if self.parts else ()

    @property
    def names(self) -> tuple[str, ...]:
        """The names of its last part, parent first."""
        return self.parts[-1].names if self.parts else ()

    @property
    def type(self) -> str:
        """The resource type as given, e.g. Microsoft.Storage/storageAccounts/blobServices;
        '' without a provider part."""
        return "/".join((self.parts[-1].namespace, *self.parts[-1].types)) if self.parts else ""

    @property
    def type_key(self) -> str:
        """The type lower-cased, as `diagnose.arm.types` names types."""
        return self.type.lower()

    @property
    def name(self) -> str:
        """Its own name (the last one), '' when it has none."""
        return self.names[-1] if self.names else ""

    @property
    def read_operation(self) -> str:
        """The ARM operation that reads it, e.g. Microsoft.Search/searchServices/read."""
        return f"{self.type}/read"

    # -- ids around it -------------------------------------------------------------------
    @property
    def parent(self) -> ResourceId | None:
        """The id it lies in as the id shows it: a child's resource, a resource's resource
        group, a resource group's subscription, the root for a subscription or management
        group (the management groups above a subscription are not in its id: see
        `diagnose.arm.scopes.ScopeTree`). None for the root."""
        if self.parts:
            last = self.parts[-1]
            if last.complete and len(last.types) > 1:
                shorter = ProviderPart(last.namespace, last.types[:-1], last.names[:-1])
            elif len(last.types) > len(last.names) and last.names:
                shorter = ProviderPart(last.namespace, last.types[:-1], last.names)
            else:
                return replace(self, parts=self.parts[:-1])
            return replace(self, parts=(*self.parts[:-1], shorter))
        if self.resource_group is not None:
            return ResourceId(self.subscription)
        return ResourceId() if self.subscription is not None else None

    def child(self, type_name: str, name: str) -> ResourceId:
        """A child resource of this resource, e.g. accounts/a -> accounts/a/projects/p."""
        if not self.parts or not self.parts[-1].complete:
            raise ValueError(f"{build(self)} is not a resource: it has no children")
        last = self.parts[-1]
        longer = ProviderPart(last.namespace, (*last.types, type_name), (*last.names, name))
        return replace(self, parts=(*self.parts[:-1], longer))

    def under(self, namespace: str, *types_and_names: str) -> ResourceId:
        """A path of another provider part at this id: a resource of `namespace` (an
        extension resource when this is a resource), or a collection when the segments
        end with a type."""
        part = ProviderPart(namespace, types_and_names[0::2], types_and_names[1::2])
        return replace(self, parts=(*self.parts, part))


def management_group_id(name: str) -> ResourceId:
    return ResourceId().under(MANAGEMENT_NAMESPACE, MANAGEMENT_GROUPS, name)


def build(resource_id: ResourceId) -> str:
    """The id as text, the keywords spelled as Azure spells them."""
    segments: list[str] = []
    if resource_id.subscription is not None:
        segments += [SUBSCRIPTIONS, resource_id.subscription]
    if resource_id.resource_group is not None:
        segments += [RESOURCE_GROUPS, resource_id.resource_group]
    for part in resource_id.parts:
        segments += part.segments
    return "/" + "/".join(segments)


def parse(text: str) -> ResourceId | None:
    """The id `text` spells, or None when it spells none. One trailing '/' is allowed; an
    empty segment ('//') or a text not starting with '/' is no id (surrounding white space is
    the caller's to strip: it may be part of a name)."""
    if not text.startswith("/"):
        return None
    if text == "/":
        return ResourceId()
    segments = text[1:].removesuffix("/").split("/")
    if "" in segments:
        return None
    found = read(segments)
    return found if isinstance(found, ResourceId) else None


def read(segments: Sequence[str], *, scopes_only: bool = False) -> ResourceId | str:
    """The id these segments spell, or why they spell none (`diagnose.arm.scopes.scope_problem`
    prints it). With `scopes_only`, every part must name a resource (a scope can be assigned
    at), so a namespace alone or a collection is a problem too."""
    lowered = [s.lower() for s in segments]
    if not segments:
        return ResourceId()
    subscription = group = None
    index = 0
    if lowered[0] == SUBSCRIPTIONS:
        if len(segments) < 2:
            return "'/subscriptions' needs a subscription id after it"
        subscription, index = segments[1], 2
        if lowered[2:3] == [RESOURCE_GROUPS.lower()]:
            if len(segments) < 4:
                return "'resourceGroups' needs a resource group name after it"
            group, index = segments[3], 4
    elif lowered[0] != PROVIDERS:
        return (
            f"unexpected segment {segments[0]!r}: a scope starts with /subscriptions or /providers"
        )
    parts: list[ProviderPart] = []
    while index < len(segments):
        if lowered[index] != PROVIDERS:
            return f"expected 'providers' at segment {segments[index]!r}"
        pairs_start = index + 2
        if pairs_start > len(segments):
            return "'providers' needs a namespace and a type/name pair after it"
        end = pairs_start
        # 'providers' where a type stands starts the next part; where a name stands it is a
        # name (a storage account may be called that).
        while end < len(segments) and (lowered[end] != PROVIDERS or (end - pairs_start) % 2):
            end += 1
        count = end - pairs_start
        if (count == 0 or count % 2) and (scopes_only or end < len(segments)):
            return "resource types and names must come in pairs (type/name)"
        pairs = segments[pairs_start:end]
        parts.append(ProviderPart(segments[index + 1], tuple(pairs[0::2]), tuple(pairs[1::2])))
        index = end
    return ResourceId(subscription, group, tuple(parts))


def leading_scope(text: str) -> ResourceId:
    """The subscription and resource group a path starts with, whatever follows them (empty
    segments skipped): what is known of where a text points even when it is no id."""
    segments = [s for s in text.split("/") if s]
    if len(segments) < 2 or segments[0].lower() != SUBSCRIPTIONS:
        return ResourceId()
    if len(segments) >= 4 and segments[2].lower() == RESOURCE_GROUPS.lower():
        return ResourceId(segments[1], segments[3])
    return ResourceId(segments[1])


def last_segment(text: str) -> str:
    """The last segment of an id as written (a resource's or a role definition's name)."""
    return text.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Followable:
    """A resource id from Azure that is safe to follow with a request: the text as given
    (surrounding white space and one trailing '/' removed) and what it names."""

    id: str
    parsed: ResourceId

    @property
    def subscription(self) -> str:
        """Lower-case subscription id."""
        return (self.parsed.subscription or "").lower()

    @property
    def resource_group(self) -> str:
        return self.parsed.resource_group or ""

    @property
    def type(self) -> str:
        """Lower-case type of its last part, e.g. microsoft.search/searchservices."""
        return self.parsed.type_key

    @property
    def name(self) -> str:
        return self.parsed.name

    @property
    def names(self) -> tuple[str, ...]:
        return self.parsed.names

    @property
    def read_operation(self) -> str:
        return self.parsed.read_operation

    @property
    def is_extension(self) -> bool:
        return len(self.parsed.parts) > 1

    @property
    def resource_group_scope(self) -> str:
        return build(ResourceId(self.subscription, self.resource_group))


def followable(value: object) -> Followable | None:
    """A resource in a resource group whose id can go into a request path as it is: a GUID
    subscription, every segment free of separators, queries, escapes and white space and none
    of them '.' or '..', whole type/name pairs. None for anything else: an id that does not
    parse is simply not followed."""
    if not isinstance(value, str):
        return None
    return _followable(value)


@lru_cache(maxsize=1 << 14)
def _followable(value: str) -> Followable | None:
    """followable() of a text, memoised (the answer is immutable): a collection asks about
    the same ids again and again as it follows them (a scan of 500 hubs, 17 times a hub)."""
    text = value.strip()
    parsed = parse(text)
    if (
        parsed is None
        or parsed.subscription is None
        or not GUID.match(parsed.subscription)
        or parsed.resource_group is None
        or not parsed.parts
        or not all(part.complete for part in parsed.parts)
    ):
        return None
    segments = [parsed.resource_group]
    for part in parsed.parts:
        segments += part.segments[1:]
    if not all(_SAFE_SEGMENT.match(s) and s not in (".", "..") for s in segments):
        return None
    return Followable(text[:-1] if text.endswith("/") else text, parsed)


def _check_segment(segment: str) -> None:
    if not segment or "/" in segment:
        raise ValueError(f"{segment!r} is not one segment of an id")
