"""The evidence behind a decision: grants, PIM eligibilities and warnings.

Part of the RBAC evaluator (diagnose/rbac/evaluator.py): once it has found which assignments
grant the operation (as Hits), this module turns them into the Grant records of a Decision
(decision.py), lists the PIM eligible assignments that would grant it once activated (they
never grant by themselves), and says what the snapshot could not place or read. Near misses
have their own module (near_misses.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.arm.scopes import level_of
from diagnose.model.authorization import Assignment, Authorization
from diagnose.model.principals import Membership, Principal
from diagnose.model.roles import RoleDefinition
from diagnose.rbac import conditions
from diagnose.rbac.decision import Eligible, Grant
from diagnose.rbac.matching import RoleMatch, RoleMatchTable, restricted


@dataclass(frozen=True, slots=True)
class Hit:
    """An assignment whose role grants the operation, before it becomes evidence."""

    assignment: Assignment
    role: RoleDefinition
    match: RoleMatch
    level: int
    via: tuple[str, ...]

    def conditional(self, operation: str) -> bool:
        return restricted(self.match, self.assignment, operation)


def grant_of(hit: Hit, operation: str) -> Grant:
    """The Grant record of a hit, with the condition that restricts it, if any."""
    assignment, role, match = hit.assignment, hit.role, hit.match
    condition = source = not_targeting = None
    if assignment.condition and conditions.targets(assignment.condition, operation):
        condition, source = assignment.condition, "assignment"
    elif match.condition:
        condition, source = match.condition, "roleDefinition"
    elif assignment.condition:
        not_targeting = assignment.condition
    return Grant(
        role_assignment_id=assignment.id,
        role_definition_id=assignment.role_definition_id,
        role_name=role.name,
        scope=assignment.scope,
        scope_level=level_of(assignment.scope_key),
        levels_above=hit.level,
        principal_id=assignment.principal_id,
        via=hit.via,
        matched_pattern=match.matched_pattern or "",
        role_source=role.source,
        created_on=assignment.created_on,
        condition=condition,
        condition_source=source,
        condition_not_targeting=not_targeting,
    )


def grant_order(grant: Grant) -> tuple[int, int, str, str]:
    """Direct grants first, then the nearest scope, then by role name and id."""
    return (len(grant.via), grant.levels_above, grant.role_name, grant.role_assignment_id)


def eligible(
    authz: Authorization,
    roles: RoleMatchTable,
    membership: Membership,
    ancestors: tuple[str, ...],
    operation: str,
    data: bool,
) -> list[Eligible]:
    """PIM eligible assignments of the principal or its groups at the target or above whose
    role would grant the operation once activated, nearest first."""
    found: list[Eligible] = []
    for member, via in membership.via.items():
        scopes = authz.eligibilities_by_principal.get(member)
        # told in C, as walk_applicable does: most groups are eligible nowhere on the chain
        if not scopes or scopes.keys().isdisjoint(ancestors):
            continue
        for level, ancestor in enumerate(ancestors):
            for item in scopes.get(ancestor, ()):
                role = authz.roles.get(item.role_id)
                if role is None:
                    continue
                match = roles.of(role, operation, data)
                if match.granted:
                    properties = item.raw.get("properties") or {}
                    found.append(
                        Eligible(
                            item.id,
                            item.role_definition_id,
                            role.name,
                            item.scope,
                            level,
                            member,
                            via,
                            match.matched_pattern or "",
                            properties.get("endDateTime"),
                        )
                    )
    return sorted(found, key=lambda e: (e.levels_above, e.role_name, e.eligibility_id))


def warnings(authz: Authorization, entry: Principal | None, target: str) -> tuple[str, ...]:
    """What the reader should know whatever the outcome: a deleted principal, management
    groups the snapshot does not list, PIM eligibilities it could not read."""
    found = []
    if entry is not None and entry.deleted:
        found.append(
            f"{entry.label} no longer exists in the directory; its role "
            "assignments grant nothing and should be removed"
        )
    if not authz.tree.knows_management_groups(target):
        found.append(
            "the snapshot does not list the management groups above this "
            "subscription, so assignments made at management groups could not "
            "be placed above or beside the target"
        )
    for error in authz.errors_above(target, "eligibility"):
        found.append(f"PIM eligible assignments may be missing: {error.describe()}")
    return tuple(found)
