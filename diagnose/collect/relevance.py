"""Which role assignments, deny assignments and eligibilities a snapshot keeps.

A listing at a subscription returns every assignment in it; only those that can matter to
the collected resources are kept: at a relevant resource, at one of its ancestors (resource
group, subscription, management groups, root) or below it (a blob container, a Search index).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection

from diagnose.arm.scopes import scope_key, segments_of


class Relevance:
    def __init__(self) -> None:
        self.resources: set[str] = set()
        self._ancestors: set[str] = set()

    def add(self, resource_id: str) -> bool:
        """Mark a resource relevant; False when it already was."""
        key = scope_key(resource_id)
        if key in self.resources:
            return False
        self.resources.add(key)
        segments = segments_of(key)
        for end in range(1, len(segments)):
            self._ancestors.add("/" + "/".join(segments[:end]))
        return True

    def keeps(self, scope: str) -> bool:
        return self.keeps_key(scope_key(scope))

    def keeps_key(self, key: str) -> bool:
        """keeps() for a scope key (diagnose.arm.scopes.scope_key)."""
        if not key.startswith("/subscriptions/"):
            return True  # a management group or the root: above every subscription listed
        if key in self.resources or key in self._ancestors:
            return True
        parts = key.split("/", 5)
        if len(parts) == 6 and parts[3] == "resourcegroups":
            # Inside a resource group that holds nothing relevant (not even as an ancestor)
            # and under no relevant subscription: below no relevant resource either. Most of
            # a subscription's listing is such scopes; this answers them in one look-up.
            group = "/".join(parts[:5])
            if (
                group not in self._ancestors
                and group not in self.resources
                and "/".join(parts[:3]) not in self.resources
                and "/".join(parts[:4]) not in self.resources
            ):
                return False
        segments = segments_of(key)
        return any(
            "/" + "/".join(segments[:end]) in self.resources for end in range(2, len(segments))
        )

    def groups_kept(self, groups: Collection[str]) -> set[str]:
        """The resource group keys (`/subscriptions/s/resourcegroups/g`) of `groups` that
        keeps_key keeps: those that are relevant or hold something relevant, found from the
        few relevant resources rather than group by group (a subscription's listing names
        as many groups as it has hubs)."""
        if any(key.count("/") <= 3 for key in self.resources):
            # a subscription (or its resourcegroups collection) is relevant: ask per group
            return {group for group in groups if self.keeps_key(group)}
        return {key for key in itertools.chain(self.resources, self._ancestors) if key in groups}

    def keeper(self) -> Callable[[str], bool]:
        """keeps_key for many keys at once while the relevant resources stay the same (the
        caller holds the collection's lock): whether a resource group holds anything
        relevant is worked out once per group, not once per key (a subscription's listing
        is tens of thousands of keys in a few dozen groups)."""
        groups: dict[str, bool] = {}

        def keeps(key: str) -> bool:
            if not key.startswith("/subscriptions/"):
                return True
            if key in self.resources or key in self._ancestors:
                return True
            parts = key.split("/", 5)
            if len(parts) == 6 and parts[3] == "resourcegroups":
                group = key[: len(key) - len(parts[5]) - 1]
                unrelated = groups.get(group)
                if unrelated is None:
                    unrelated = groups[group] = not self.keeps_key(group)
                if unrelated:
                    return False
            return self.keeps_key(key)

        return keeps

    def matches(self, scope: str, resource_id: str) -> bool:
        """Whether an assignment at `scope` matters to this one resource."""
        key, resource = scope_key(scope), scope_key(resource_id)
        if not key.startswith("/subscriptions/"):
            return True
        return key == resource or resource.startswith(key + "/") or key.startswith(resource + "/")
