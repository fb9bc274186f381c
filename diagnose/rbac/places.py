"""The scope chain of a target: its ancestors and what reaches it from them.

Part of the RBAC evaluator (diagnose/rbac/evaluator.py). Assignments count at the target scope
and every ancestor (arm/scopes.ScopeTree.ancestors: segment-wise, case-insensitive,
management groups included); deny assignments marked doNotApplyToChildScopes count only at
their own scope. What could not be read at or above the target, and management groups the
snapshot could not place above it, become doubts here.
"""

from __future__ import annotations

from typing import NamedTuple, cast

from diagnose.arm.scopes import is_management_group
from diagnose.model.authorization import Assignment, Authorization, DenyAssignment
from diagnose.model.principals import Membership
from diagnose.rbac.denies import deny_applies
from diagnose.rbac.matching import RoleMatchTable

AppliedAssignment = tuple[Assignment, int, tuple[str, ...]]
"""(an assignment, how far above the target, groups crossed from the principal to its holder)."""


class Place(NamedTuple):
    """A target scope, with what depends on it alone."""

    ancestors: tuple[str, ...]
    denies: tuple[tuple[int, DenyAssignment], ...]
    """Deny assignments that reach the target, with how far above."""
    assignment_errors: tuple[str, ...]
    deny_errors: tuple[str, ...]
    knows_management_groups: bool


class Places:
    """What queries learn from target scopes alone, each computed once per target: the data
    never changes under an evaluator."""

    def __init__(self, authorization: Authorization) -> None:
        self.authz = authorization
        self._places: dict[str, Place] = {}
        self._by_principal: dict[str, dict[str, list[Assignment | int]]] = {}
        self._by_role: dict[str, dict[str, list[Assignment]]] = {}

    def at(self, target: str) -> Place:
        """The place of a target scope key."""
        found = self._places.get(target)
        if found is None:
            authz = self.authz
            ancestors = authz.tree.ancestors(target)
            denies = tuple(
                (level, deny)
                for level, ancestor in enumerate(ancestors)
                for deny in authz.denies_by_scope.get(ancestor, ())
                if not (deny.exact_scope_only and level)
            )
            found = self._places[target] = Place(
                ancestors,
                denies,
                tuple(e.describe() for e in authz.errors_above(target, "assignments")),
                tuple(e.describe() for e in authz.errors_above(target, "denies")),
                authz.tree.knows_management_groups(target),
            )
        return found

    def applicable_here(
        self, target: str, ancestors: tuple[str, ...], membership: Membership
    ) -> list[AppliedAssignment]:
        """What walk_applicable finds, from an index of the assignments at and above the
        target by principal (a look-up per group): it pays off for a target asked about
        often."""
        found: list[AppliedAssignment] = []
        here = self.by_principal(target, ancestors)
        for member, via in membership.via.items():
            held = here.get(member)
            if held:
                for at in range(0, len(held), 2):
                    found.append((cast(Assignment, held[at]), cast(int, held[at + 1]), via))
        return found

    def by_principal(
        self, target: str, ancestors: tuple[str, ...]
    ) -> dict[str, list[Assignment | int]]:
        """The assignments at and above a target, by principal: each principal's as one flat
        list, assignment then how far above, nearest first. Not a pair each: the tables of a
        few dozen targets held 100,000 pairs, which the garbage collector scanned over and
        over (bench_access: 1.3x questions a second)."""
        found = self._by_principal.get(target)
        if found is None:
            found = {}
            by_scope = self.authz.assignments_by_scope
            for level, ancestor in enumerate(ancestors):
                for assignment in by_scope.get(ancestor, ()):
                    held = found.get(assignment.principal_id)
                    if held is None:
                        found[assignment.principal_id] = [assignment, level]
                    else:
                        held += (assignment, level)
            self._by_principal[target] = found
        return found

    def by_role_at(self, key: str) -> dict[str, list[Assignment]]:
        """The assignments made at one scope (key), by role: a table is then built per
        operation by matching each role once, not each assignment."""
        found = self._by_role.get(key)
        if found is None:
            found = {}
            for assignment in self.authz.assignments_by_scope.get(key, ()):
                found.setdefault(assignment.role_id, []).append(assignment)
            self._by_role[key] = found
        return found


def walk_applicable(
    authz: Authorization, ancestors: tuple[str, ...], membership: Membership
) -> list[AppliedAssignment]:
    """Every active assignment of the principal or its groups at the target or above, found
    by walking each group's assignments at each ancestor (a few look-ups, whatever the
    target)."""
    found: list[AppliedAssignment] = []
    by_principal = authz.assignments_by_principal
    for member, via in membership.via.items():
        scopes = by_principal.get(member)
        # A group holds at a handful of the thousands of scopes, rarely on this chain: the
        # C-level test skips it before the chain is walked look-up by look-up.
        if not scopes or scopes.keys().isdisjoint(ancestors):
            continue
        for level, ancestor in enumerate(ancestors):
            bucket = scopes.get(ancestor)
            if bucket:
                found.extend((assignment, level, via) for assignment in bucket)
    return found


def unplaced_management_groups(
    authz: Authorization, roles: RoleMatchTable, membership: Membership, operation: str, data: bool
) -> tuple[list[str], list[str]]:
    """Assignments and deny assignments at management groups that may sit above the target,
    when the snapshot does not list the target subscription's management groups: (doubts
    about grants, doubts about denies)."""
    why = (
        "the snapshot does not list this subscription's management groups, so it is "
        "unknown whether that management group is above the target"
    )
    grants: list[str] = []
    for member in membership.via:
        for key, bucket in authz.assignments_by_principal.get(member, {}).items():
            if not is_management_group(key):
                continue
            for assignment in bucket:
                role = authz.roles.get(assignment.role_id)
                if role is None or roles.of(role, operation, data).granted:
                    grants.append(
                        f"assignment {assignment.id} at {assignment.scope} may grant it: {why}"
                    )
    denies: list[str] = []
    for key, deny_bucket in authz.denies_by_scope.items():
        if not is_management_group(key):
            continue
        for deny in deny_bucket:
            if deny.exact_scope_only:
                continue
            applies, doubt = deny_applies(deny, membership, operation, data)
            if applies is not None or doubt:
                denies.append(f"deny assignment {deny.name} at {deny.scope} may block it: {why}")
    return grants, denies
