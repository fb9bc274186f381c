"""Who holds an operation at a scope: the principals who may run a fix.

Part of the RBAC evaluator (diagnose/rbac/evaluator.py, Evaluator.who_can): candidates are the
principals of assignments at or above the scope whose role grants the operation; each is then
decided in full (so a deny assignment, or a condition, is taken into account).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from diagnose.arm.scopes import scope_key
from diagnose.bulk import fast_init
from diagnose.model.authorization import Assignment, Authorization
from diagnose.rbac.decision import Outcome
from diagnose.rbac.matching import RoleMatchTable


@fast_init
@dataclass(frozen=True)
class Holder:
    """A principal that holds an operation at a scope (for "who may run this fix")."""

    principal_id: str
    principal_type: str | None
    display_name: str | None
    role_name: str
    scope: str
    conditional: bool


def granting_at(
    authz: Authorization, roles: RoleMatchTable, key: str, operation: str, data_action: bool
) -> list[Assignment]:
    """Assignments at one scope key whose role grants the operation, in their order."""
    found = []
    # The table of the operation's matches by role id, read directly (a subscription holds
    # thousands of assignments of a few dozen roles); of_id only for a role not met yet.
    matches = roles.for_operation(operation, data_action)
    for assignment in authz.assignments_by_scope.get(key, ()):
        role_id = assignment.role_id
        match = matches.get(role_id) or roles.of_id(matches, role_id, operation, data_action)
        if match is not None and match.granted:  # None: a role neither defines
            found.append(assignment)
    return found


def holders(
    authz: Authorization,
    scope: str,
    operation: str,
    data_action: bool,
    granting: Callable[[str, str, bool], list[Assignment]],
    outcome: Callable[[str, str, str, bool], Outcome],
) -> tuple[Holder, ...]:
    """Principals holding the operation at a scope through an assignment at or above it,
    unconditional ones first. granting(scope key, operation, data_action): the assignments at
    one scope whose role grants it; outcome(principal, scope, operation, data_action): the
    evaluator's answer."""
    found: dict[str, Holder] = {}
    for ancestor in authz.tree.ancestors(scope_key(scope)):
        for assignment in granting(ancestor, operation, data_action):
            if assignment.principal_id in found:
                continue
            decided = outcome(assignment.principal_id, scope, operation, data_action)
            if decided in (Outcome.ALLOWED, Outcome.CONDITIONAL):
                role = authz.roles[assignment.role_id]
                entry = authz.directory.get(assignment.principal_id)
                found[assignment.principal_id] = Holder(
                    assignment.principal_id,
                    entry.type if entry else assignment.principal_type,
                    entry.display_name if entry else None,
                    role.name,
                    assignment.scope,
                    decided is Outcome.CONDITIONAL,
                )
    return tuple(
        sorted(found.values(), key=lambda h: (h.conditional, h.display_name or "", h.principal_id))
    )
