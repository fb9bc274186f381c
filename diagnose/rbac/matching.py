"""How a role relates to an operation, and the tables that remember it.

Part of the RBAC evaluator (diagnose/rbac/evaluator.py), which asks this module which roles
grant an operation; it sits above patterns.py and conditions.py and knows nothing of scope
ancestry or group membership.

Subtraction happens inside one permission block of one role: NotActions removes operations from
that block's Actions and is never a deny; another block, or another role, can grant what one
block excludes. Actions never grant data actions, and DataActions never grant actions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from diagnose.model.authorization import Assignment
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


def restricted(match: RoleMatch, assignment: Assignment, operation: str) -> bool:
    """Whether a grant holds only under a condition (the role definition's, or the
    assignment's) that names this operation."""
    return bool(
        match.condition
        or (assignment.condition and conditions.targets(assignment.condition, operation))
    )


RoleMatches = dict[tuple[str, bool], dict[str, RoleMatch]]
"""(operation, data plane) -> role id -> how that role relates to the operation."""


class RoleMatchTable:
    """Which roles grant an operation: each role is matched against each operation once.

    The table is keyed by role id, so an evaluator over a copy of the data with assignments
    added shares it (no added assignment changes what a role grants); the roles it looks ids
    up in are those of its own evaluator's data."""

    __slots__ = ("_roles", "by_operation")

    def __init__(
        self, roles: Mapping[str, RoleDefinition], by_operation: RoleMatches | None = None
    ) -> None:
        self._roles = roles
        self.by_operation: RoleMatches = {} if by_operation is None else by_operation

    def for_operation(self, operation: str, data: bool) -> dict[str, RoleMatch]:
        """Role id -> how that role relates to this operation (filled as roles are met). Keyed
        by the operation as the caller spells it: a cache key, not a comparison."""
        key = (operation, data)
        found = self.by_operation.get(key)
        if found is None:
            found = self.by_operation[key] = {}
        return found

    def of(self, role: RoleDefinition, operation: str, data: bool) -> RoleMatch:
        """How a role relates to the operation."""
        matches = self.for_operation(operation, data)
        found = matches.get(role.id)
        if found is None:
            found = matches[role.id] = match_role(role, operation, data)
        return found

    def of_id(
        self, matches: dict[str, RoleMatch], role_id: str, operation: str, data: bool
    ) -> RoleMatch | None:
        """How a role, by id, relates to the operation (matches: its table, from
        for_operation); None when the role's definition is in neither the snapshot nor the
        catalog."""
        found = matches.get(role_id)
        if found is None:
            role = self._roles.get(role_id)
            if role is None:
                return None
            found = matches[role_id] = match_role(role, operation, data)
        return found

    def unconditional_holders(
        self, by_role: Mapping[str, list[Assignment]], operation: str, data: bool
    ) -> dict[str, tuple[tuple[str | None, str], ...]]:
        """Principal id -> (createdOn, scope key) of each assignment (of by_role: role id ->
        assignments) whose role grants the operation with no condition that names it."""
        dates: dict[str, list[tuple[str | None, str]]] = {}
        for assignment in self._unrestricted(by_role, operation, data):
            dates.setdefault(assignment.principal_id, []).append(
                (assignment.created_on, assignment.scope_key)
            )
        return {principal: tuple(created) for principal, created in dates.items()}

    def unconditional_grants(
        self, by_role: Mapping[str, list[Assignment]], operation: str, data: bool
    ) -> tuple[Assignment, ...]:
        """The assignments (of by_role: role id -> assignments) whose role grants the
        operation with no condition that names it: the grants `unconditional_holders` dates,
        whole."""
        return tuple(self._unrestricted(by_role, operation, data))

    def _unrestricted(
        self, by_role: Mapping[str, list[Assignment]], operation: str, data: bool
    ) -> list[Assignment]:
        """The assignments of by_role whose role grants the operation and which `restricted`
        says hold without a condition, in order: a role's own condition rules out all of its
        assignments at once, and an assignment without a condition is not looked at further
        (the usual case, among the thousands of assignments at a subscription)."""
        found: list[Assignment] = []
        matches = self.for_operation(operation, data)
        targets = conditions.targets
        for role_id, entries in by_role.items():
            match = self.of_id(matches, role_id, operation, data)
            if match is None or not match.granted or match.condition:
                continue
            found += [a for a in entries if not a.condition or not targets(a.condition, operation)]
        return found
