"""How a role relates to an operation.

Subtraction happens inside one permission block of one role: NotActions removes operations from
that block's Actions and is never a deny; another block, or another role, can grant what one
block excludes. Actions never grant data actions, and DataActions never grant actions.
"""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.model.roles import PermissionBlock, RoleDefinition
from diagnose.rbac import conditions
from diagnose.rbac.patterns import first_match


@dataclass(frozen=True, slots=True)
class RoleMatch:
    """How one role relates to one operation."""

    granted: bool
    matched_pattern: str | None = None
    """The Actions/DataActions pattern that matched (also when NotActions then removed it)."""
    excluded_by: str | None = None
    """The NotActions/NotDataActions pattern that removed the operation."""
    condition: str | None = None
    """The role definition's condition, when it restricts this operation."""
    other_plane_pattern: str | None = None
    """A pattern matching the operation in the other plane (e.g. Owner's `*` Actions for a data
    action), which never grants it."""

    @property
    def conditional(self) -> bool:
        return self.granted and self.condition is not None


NO_MATCH = RoleMatch(False)


def match_role(role: RoleDefinition, operation: str, data: bool) -> RoleMatch:
    """Whether this role grants the operation in the given plane, and the evidence."""
    conditional: RoleMatch | None = None
    excluded: RoleMatch | None = None
    for block in role.blocks:
        allowed_by = first_match(block.allows(data), operation)
        if allowed_by is None:
            continue
        excluded_by = first_match(block.excludes(data), operation)
        if excluded_by is not None:
            excluded = excluded or RoleMatch(False, allowed_by, excluded_by)
            continue
        if conditions.targets(block.condition, operation):
            conditional = conditional or RoleMatch(True, allowed_by, condition=block.condition)
            continue
        return RoleMatch(True, allowed_by)
    if conditional is not None:
        return conditional
    if excluded is not None:
        return excluded
    for block in role.blocks:
        other = first_match(block.allows(not data), operation)
        if other is not None and first_match(block.excludes(not data), operation) is None:
            return RoleMatch(False, other_plane_pattern=other)
    return NO_MATCH


def block_pattern(blocks: tuple[PermissionBlock, ...], operation: str, data: bool) -> str | None:
    """The pattern by which any block covers the operation (allowed and not excluded)."""
    for block in blocks:
        pattern = first_match(block.allows(data), operation)
        if pattern is not None and first_match(block.excludes(data), operation) is None:
            return pattern
    return None
