"""ARM scopes: keys, ancestry and the management group chain, compared segment-wise and
case-insensitively.

A scope key is the scope lower-cased with one leading slash and no trailing slash, so that
`/resourceGroups/rg-ai` and `/resourcegroups/RG-AI/` are the same key while
`/resourceGroups/rg-ai-prod` stays a different one: ancestry always compares whole segments.
Keys are what the model indexes and the evaluator compares a hundred thousand times, so these
functions work on the key's segments directly (memoised); `diagnose.arm.ids` is the grammar
they follow, and tests/test_scopes.py holds them to it on every id of the fixtures. A text that
is not a scope (`scope_problem` says why) still has a key: partial knowledge is not refused.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from diagnose.arm.ids import Level, ResourceId, build, leading_scope, read

ROOT = "/"
MANAGEMENT_GROUP_PREFIX = "/providers/microsoft.management/managementgroups/"


@lru_cache(maxsize=1 << 16)
def scope_key(scope: str) -> str:
    """The canonical, case-insensitive key of a scope (no validation). Memoised: a tenant has
    a few thousand distinct scopes and a hundred thousand assignments at them."""
    segments = [s for s in scope.strip().split("/") if s]
    if not segments:
        return ROOT
    return "/" + "/".join(segments).lower()


def segments_of(key: str) -> list[str]:
    return [s for s in key.split("/") if s]


@lru_cache(maxsize=1 << 14)
def structural_parent(key: str) -> str | None:
    """The parent scope as the id shows it (management groups above a subscription are not
    visible in an id: ScopeTree adds them). A path the grammar reads (diagnose.arm.ids) gets
    its parent there, so a provider-level path with an odd type/name count (a collection such
    as .../providers/Microsoft.CognitiveServices/locations/eastus/usages, a namespace alone)
    lies in its subscription like any resource; a text that is no id loses a type/name pair."""
    segments = segments_of(key)
    if not segments:
        return None
    found = read(segments)
    if isinstance(found, ResourceId):
        parent = found.parent
        return build(parent).lower() if parent is not None else None
    segments = segments[:-2]
    if len(segments) >= 2 and segments[-2] == "providers":
        segments = segments[:-2]
    return "/" + "/".join(segments) if segments else ROOT


def management_group_key(name: str) -> str:
    return MANAGEMENT_GROUP_PREFIX + name.lower()


def is_management_group(key: str) -> bool:
    return key.startswith(MANAGEMENT_GROUP_PREFIX) and key.count("/") == 4


@lru_cache(maxsize=1 << 14)
def subscription_of(key: str) -> str | None:
    """The subscription id (lower-case) a scope lies in, if any."""
    subscription = leading_scope(key).subscription
    return subscription.lower() if subscription is not None else None


def resource_group_key(key: str) -> str | None:
    """The key of the resource group a scope lies in, if any."""
    leading = leading_scope(key)
    return build(leading).lower() if leading.resource_group is not None else None


_LEVEL_WORDS = {
    Level.ROOT: "root",
    Level.MANAGEMENT_GROUP: "management group",
    Level.SUBSCRIPTION: "subscription",
    Level.RESOURCE_GROUP: "resource group",
    Level.EXTENSION: "child resource",
}


@lru_cache(maxsize=1 << 14)
def level_of(key: str) -> str:
    """A word a person uses for the kind of scope: root, management group, subscription,
    resource group, resource, child resource (a child type or an extension resource), or
    scope for a text that is no ARM id."""
    found = read(segments_of(key))
    if isinstance(found, str):
        return "scope"
    word = _LEVEL_WORDS.get(found.level)
    if word is not None:
        return word
    # A resource, or a provider path (a namespace alone, a collection) read as one.
    if len(found.parts) > 1:
        return "child resource"
    part = found.parts[0]
    return "resource" if len(part.types) + len(part.names) <= 2 else "child resource"


def scope_problem(scope: str) -> str | None:
    """Why a string is not a well-formed ARM scope, or None when it is. Every form Azure takes
    is one: the root '/', a management group, a subscription, a resource group, a resource or
    child or extension resource at any depth, and a provider-level path that ends with a
    namespace or a collection (/subscriptions/<id>/providers/Microsoft.CognitiveServices/
    locations/eastus/usages). Only a path the grammar cannot read is refused."""
    if not scope.strip().startswith("/"):
        return "a scope starts with '/' (for example /subscriptions/<id>/resourceGroups/<name>)"
    found = read(segments_of(scope_key(scope)))
    return found if isinstance(found, str) else None


@dataclass
class ScopeTree:
    """Ancestry of scopes, including the management groups an id does not show.

    `management_group_chains` maps a subscription id (lower-case) to the names of its
    management groups, nearest first, as Resource Graph's managementGroupAncestorsChain lists
    them. `management_group_parents` maps a management group key to its parent's key.
    """

    management_group_chains: Mapping[str, tuple[str, ...]]
    management_group_parents: Mapping[str, str]

    def __post_init__(self) -> None:
        self._cache: dict[str, tuple[str, ...]] = {}

    @classmethod
    def from_chains(cls, chains: Mapping[str, Iterable[str]]) -> ScopeTree:
        """An empty chain means the chain was not collected (every subscription sits at least
        under the tenant root group), so it is left out: its management groups are unknown."""
        normalised: dict[str, tuple[str, ...]] = {}
        for sub, chain in chains.items():
            names = tuple(dict.fromkeys(n.strip().lower() for n in chain if n and n.strip()))
            if names:
                normalised[sub.lower()] = names
        parents: dict[str, str] = {}
        for chain in normalised.values():
            for child, parent in itertools.pairwise(chain):
                parents.setdefault(management_group_key(child), management_group_key(parent))
        return cls(normalised, parents)

    def ancestors(self, key: str) -> tuple[str, ...]:
        """The key itself, then each ancestor up to the root '/', nearest first.

        A subscription's management groups come from its own chain; a management group's from
        the parents the chains give. A malformed chain (a cycle) is cut, never followed forever.
        """
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        chain: list[str] = []
        seen: set[str] = set()
        current: str | None = key
        while current is not None and current not in seen:
            chain.append(current)
            seen.add(current)
            segments = segments_of(current)
            if len(segments) == 2 and segments[0] == "subscriptions":
                for name in self.management_group_chains.get(segments[1], ()):
                    group = management_group_key(name)
                    if group not in seen:
                        chain.append(group)
                        seen.add(group)
                if ROOT not in seen:
                    chain.append(ROOT)
                break
            current = self._parent(current)
        result = tuple(chain)
        self._cache[key] = result
        return result

    def _parent(self, key: str) -> str | None:
        if key == ROOT:
            return None
        if is_management_group(key):
            return self.management_group_parents.get(key, ROOT)
        segments = segments_of(key)
        if len(segments) == 2 and segments[0] == "subscriptions":
            chain = self.management_group_chains.get(segments[1])
            return management_group_key(chain[0]) if chain else ROOT
        return structural_parent(key)

    def covers(self, ancestor: str, key: str) -> bool:
        return ancestor in self.ancestors(key)

    def knows_management_groups(self, key: str) -> bool:
        """Whether the management groups above this scope are known (False for an unknown
        subscription: assignments at its management groups could not be considered)."""
        subscription = subscription_of(key)
        return subscription is None or subscription in self.management_group_chains
