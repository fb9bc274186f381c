"""ARM scopes: parsing, normalising and ancestry, compared segment-wise and case-insensitively.

A scope key is the scope lower-cased with one leading slash and no trailing slash, so that
`/resourceGroups/rg-ai` and `/resourcegroups/RG-AI/` are the same key while
`/resourceGroups/rg-ai-prod` stays a different one: ancestry always compares whole segments.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

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


def structural_parent(key: str) -> str | None:
    """The parent scope as the id shows it (management groups above a subscription are not
    visible in an id: ScopeTree adds them)."""
    segments = segments_of(key)
    if not segments:
        return None
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
    segments = segments_of(key)
    if len(segments) >= 2 and segments[0] == "subscriptions":
        return segments[1]
    return None


def resource_group_key(key: str) -> str | None:
    segments = segments_of(key)
    if len(segments) >= 4 and segments[0] == "subscriptions" and segments[2] == "resourcegroups":
        return "/" + "/".join(segments[:4])
    return None


@lru_cache(maxsize=1 << 14)
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
