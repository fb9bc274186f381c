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
ByPrincipal = dict[str, list[Assignment | int]]
"""Principal id -> its assignments at some scopes, flat: assignment, how far above the target,
assignment, ..., nearest first (Places.by_principal)."""


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
        self._own: dict[str, ByPrincipal] = {}
        self._above: dict[tuple[str, ...], ByPrincipal] = {}
        self._by_role: dict[str, dict[str, list[Assignment]]] = {}

    def share_places(self, other: Places) -> None:
        """Use other's table of places (both keep filling it) when a place means the same
        for both: the same scope tree, deny assignments and read errors (a copy with role
        assignments added, Authorization.with_assignments: each proof of a fix and each
        whole-plan round asks about the places the run asked about). A place depends on
        nothing else; what depends on assignments is kept apart."""
        mine, theirs = self.authz, other.authz
        if (
            mine.tree is theirs.tree
            and mine.denies_by_scope is theirs.denies_by_scope
            and mine.errors_by_topic is theirs.errors_by_topic
        ):
            self._places = other._places

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
        """What walk_applicable finds, from indexes of the assignments at and above the
        target by principal (two look-ups per group): it pays off for a target asked about
        often."""
        found: list[AppliedAssignment] = []
        own, above = self.by_principal(target, ancestors)
        for member, via in membership.via.items():
            # Nearest first, as walk_applicable: the target's own assignments, then those
            # above it.
            for held in (own.get(member), above.get(member)):
                if held:
                    for at in range(0, len(held), 2):
                        found.append((cast(Assignment, held[at]), cast(int, held[at + 1]), via))
        return found

    def by_principal(
        self, target: str, ancestors: tuple[str, ...]
    ) -> tuple[ByPrincipal, ByPrincipal]:
        """The assignments at a target, and those above it, by principal (how far above
        counted from the target). The part above is kept per chain of ancestors, shared by
        every target under the same parent: a resource group holding one assignment per
        project member is indexed once for its hundreds of hot targets, not once each (a
        table per target made the hot targets' cost grow with their number times the
        group's size)."""
        own = self._own.get(target)
        if own is None:
            own = self._own[target] = _by_principal(self.authz, ancestors[:1], 0)
        chain = ancestors[1:]
        above = self._above.get(chain)
        if above is None:
            above = self._above[chain] = _by_principal(self.authz, chain, 1)
        return own, above

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


def _by_principal(authz: Authorization, scopes: tuple[str, ...], first: int) -> ByPrincipal:
    """The assignments at these scopes (nearest first, the first `first` levels above the
    target), by principal: each principal's as one flat list, assignment then how far above,
    nearest first. Not a pair each: the tables of a few dozen targets held 100,000 pairs,
    which the garbage collector scanned over and over (bench_access: 1.3x questions a
    second)."""
    found: ByPrincipal = {}
    by_scope = authz.assignments_by_scope
    for level, scope in enumerate(scopes, first):
        for assignment in by_scope.get(scope, ()):
            held = found.get(assignment.principal_id)
            if held is None:
                found[assignment.principal_id] = [assignment, level]
            else:
                held += (assignment, level)
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
