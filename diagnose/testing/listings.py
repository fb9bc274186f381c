"""Authorization listings at a scope, answered from a subscription's objects as ARM answers them.

The fixture worlds and scale scenarios declare each subscription's role assignments, deny
assignments and eligibilities once (with those of the management groups above it); a listing
at a resource group is what of them lies at, above or below it, per the listing's filter:

    role assignments, unfiltered            at, above and below the scope
    deny assignments, eligibilities         at and below unfiltered, at and above with
                                            $filter=atScope()
"""

from __future__ import annotations

from typing import Any

KINDS: tuple[tuple[str, dict[str | None, tuple[str, ...]]], ...] = (
    ("roleAssignments", {None: ("at", "above", "below")}),
    ("denyAssignments", {None: ("at", "below"), "atScope()": ("at", "above")}),
    ("roleEligibilityScheduleInstances", {None: ("at", "below"), "atScope()": ("at", "above")}),
)
"""Each kind's collection name and its listings: filter -> where what it returns lies."""


def direction(scope: str, group: str) -> str:
    """Where a scope lies from a resource group: at, above, below or elsewhere."""
    scope, group = scope.lower().rstrip("/") or "/", group.lower().rstrip("/")
    if scope == group:
        return "at"
    if scope.startswith(group + "/"):
        return "below"
    if not scope.startswith("/subscriptions/") or group.startswith(scope + "/"):
        return "above"  # the root, a management group, the subscription
    return "elsewhere"


def listed_at(items: list[dict[str, Any]], group: str, directions: tuple[str, ...]) -> list[Any]:
    """The items a listing at `group` returns, in their order."""
    return [i for i in items if direction(i["properties"]["scope"], group) in directions]
