"""Which role assignments, deny assignments and eligibilities a snapshot keeps.

A listing at a subscription returns every assignment in it; only those that can matter to
the collected resources are kept: at a relevant resource, at one of its ancestors (resource
group, subscription, management groups, root) or below it (a blob container, a Search index).
"""

from __future__ import annotations

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
        key = scope_key(scope)
        if not key.startswith("/subscriptions/"):
            return True  # a management group or the root: above every subscription listed
        if key in self.resources or key in self._ancestors:
            return True
        segments = segments_of(key)
        return any(
            "/" + "/".join(segments[:end]) in self.resources for end in range(2, len(segments))
        )

    def matches(self, scope: str, resource_id: str) -> bool:
        """Whether an assignment at `scope` matters to this one resource."""
        key, resource = scope_key(scope), scope_key(resource_id)
        if not key.startswith("/subscriptions/"):
            return True
        return key == resource or resource.startswith(key + "/") or key.startswith(resource + "/")
