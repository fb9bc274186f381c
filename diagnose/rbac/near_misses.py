"""Near misses: roles of the principal that came close to granting an operation, and why not.

Part of the RBAC evaluator (diagnose/rbac/evaluator.py), which asks for them only when the
answer is not "allowed" and the caller wants an explanation. Kinds, most telling first:
NotActions removed it, the role grants it at another scope, the role matches it only in the
other plane, the role shares a path prefix with it, the role definition is unknown.
"""

from __future__ import annotations

from diagnose.model.authorization import Assignment, Authorization
from diagnose.model.principals import Membership
from diagnose.model.roles import RoleDefinition
from diagnose.rbac.decision import NearMiss
from diagnose.rbac.matching import RoleMatch, RoleMatchTable
from diagnose.rbac.patterns import common_prefix_segments

NEAR_MISS_ORDER = (
    "notActions",
    "otherScope",
    "otherPlane",
    "conditionOnly",
    "partial",
    "unknownRole",
)
MAX_NEAR_MISSES = 5


Granting = dict[tuple[str, str, bool], list[tuple[str, Assignment, RoleDefinition]]]
"""(principal id, operation, data plane) -> (scope key, assignment, role) of each of the
principal's assignments, anywhere, whose role grants the operation: the only ones that can be
a near miss at a scope that does not contain the target. Kept by the evaluator, whose data
never changes (near_misses' `granting`)."""


def near_misses(
    authz: Authorization,
    roles: RoleMatchTable,
    membership: Membership,
    ancestors: tuple[str, ...],
    operation: str,
    data: bool,
    unknown_roles: list[Assignment],
    granting: Granting,
) -> list[NearMiss]:
    """Up to MAX_NEAR_MISSES near misses among the assignments of the principal and its
    groups (anywhere), then assignments whose role definition is unknown."""
    covering = dict.fromkeys(ancestors)
    # Rank every candidate cheaply first; build evidence only for the few that are shown.
    ranked: list[tuple[int, str, str, Assignment, RoleDefinition, tuple[str, ...], bool]] = []
    # Candidates of one member come bucket by bucket (one scope each): the ranking ties only
    # assignments with the same scope, so its order is that of walking all the member's
    # assignments, which it replaces: those at the target and above, then the few elsewhere
    # whose role grants the operation (a group's hundreds of grants of other roles are never
    # looked at again).
    for member, via in membership.via.items():
        by_scope = authz.assignments_by_principal.get(member)
        if not by_scope:
            continue
        for key in covering:
            for assignment in by_scope.get(key, ()):
                role = authz.roles.get(assignment.role_id)
                if role is None:
                    continue
                kind = _miss_kind(roles.of(role, operation, data), True)
                if kind is not None:
                    ranked.append(
                        (
                            NEAR_MISS_ORDER.index(kind),
                            role.name,
                            assignment.scope,
                            assignment,
                            role,
                            via,
                            True,
                        )
                    )
        for key, assignment, role in _granting(authz, roles, member, operation, data, granting):
            if key not in covering:
                ranked.append(
                    (OTHER_SCOPE, role.name, assignment.scope, assignment, role, via, False)
                )
    ranked.sort(key=lambda item: item[:3])
    found: list[NearMiss] = []
    for _, _, _, assignment, role, via, covers in ranked:
        miss = _miss(
            roles.of(role, operation, data), assignment, role, via, covers, operation, data
        )
        if miss is not None:
            found.append(miss)
            if len(found) == MAX_NEAR_MISSES:
                return found
    for assignment in unknown_roles[: MAX_NEAR_MISSES - len(found)]:
        found.append(
            NearMiss(
                "unknownRole",
                assignment.id,
                assignment.role_definition_id,
                assignment.role_id,
                assignment.scope,
                assignment.principal_id,
                membership.via.get(assignment.principal_id, ()),
                "the role definition is not in the snapshot, so what it grants is unknown",
            )
        )
    return found


OTHER_SCOPE = NEAR_MISS_ORDER.index("otherScope")


def _granting(
    authz: Authorization,
    roles: RoleMatchTable,
    member: str,
    operation: str,
    data: bool,
    granting: Granting,
) -> list[tuple[str, Assignment, RoleDefinition]]:
    """The member's entry of `granting`, found on first use."""
    cache_key = (member, operation, data)
    found = granting.get(cache_key)
    if found is None:
        found = granting[cache_key] = []
        matches = roles.for_operation(operation, data)
        for key, bucket in authz.assignments_by_principal.get(member, {}).items():
            for assignment in bucket:
                role_id = assignment.role_id
                match = matches.get(role_id) or roles.of_id(matches, role_id, operation, data)
                if match is not None and match.granted:  # None: a role neither defines
                    found.append((key, assignment, authz.roles[role_id]))
    return found


def _miss_kind(match: RoleMatch, covers: bool) -> str | None:
    """Which kind of near miss an assignment may be (see _miss), or None."""
    if not covers:
        return "otherScope" if match.granted else None
    if match.excluded_by:
        return "notActions"
    if match.other_plane_pattern:
        return "otherPlane"
    return None if match.granted else "partial"


def _miss(
    match: RoleMatch,
    assignment: Assignment,
    role: RoleDefinition,
    via: tuple[str, ...],
    covers: bool,
    operation: str,
    data: bool,
) -> NearMiss | None:
    """The near miss an assignment is (match: how its role relates to the operation; covers:
    whether its scope contains the target), or None."""
    plane = "DataActions" if data else "Actions"

    def miss(
        kind: str, detail: str, pattern: str | None = None, excluded: str | None = None
    ) -> NearMiss:
        return NearMiss(
            kind,
            assignment.id,
            assignment.role_definition_id,
            role.name,
            assignment.scope,
            assignment.principal_id,
            via,
            detail,
            pattern,
            excluded,
        )

    if not covers:
        if match.granted:
            return miss(
                "otherScope",
                f"{role.name} grants it, but is assigned at "
                f"{assignment.scope}, which does not contain the target scope",
                match.matched_pattern,
            )
        return None
    if match.excluded_by:
        not_plane = "NotDataActions" if data else "NotActions"
        return miss(
            "notActions",
            f"{role.name} has {match.matched_pattern!r} in {plane}, "
            f"but {match.excluded_by!r} in its {not_plane} removes it (NotActions "
            "is not a deny: another role may still grant it)",
            match.matched_pattern,
            match.excluded_by,
        )
    if match.other_plane_pattern:
        other = "Actions" if data else "DataActions"
        return miss(
            "otherPlane",
            f"{role.name} matches it only in {other} "
            f"({match.other_plane_pattern!r}); {other} never grant "
            f"{'data actions' if data else 'control-plane actions'}",
            match.other_plane_pattern,
        )
    if match.granted:
        return None
    patterns = role.patterns(data)
    best = max(patterns, key=lambda p: common_prefix_segments(p, operation), default=None)
    if best is not None and common_prefix_segments(best, operation) >= 2:
        return miss(
            "partial",
            f"{role.name} grants {best!r} in {plane}, which does not cover this operation",
            best,
        )
    return None
