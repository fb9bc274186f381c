"""Scope keys and ancestry, as checks import them: a re-export of `diagnose.arm.scopes`.

Checks, built-in and from other packages, import `scope_key`, `resource_group_key` and their
neighbours from here; this path stays importable so that they keep working. Code of the tool
itself imports `diagnose.arm.scopes`.
"""

from __future__ import annotations

from diagnose.arm.scopes import (
    MANAGEMENT_GROUP_PREFIX,
    ROOT,
    ScopeTree,
    is_management_group,
    level_of,
    management_group_key,
    resource_group_key,
    scope_key,
    scope_problem,
    segments_of,
    structural_parent,
    subscription_of,
)

__all__ = [
    "MANAGEMENT_GROUP_PREFIX",
    "ROOT",
    "ScopeTree",
    "is_management_group",
    "level_of",
    "management_group_key",
    "resource_group_key",
    "scope_key",
    "scope_problem",
    "segments_of",
    "structural_parent",
    "subscription_of",
]
