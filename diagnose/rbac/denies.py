"""Deny assignments against a principal and its groups: which ones block an operation.

Part of the RBAC evaluator (diagnose/rbac/evaluator.py), which decides deny first. A deny
assignment blocks the operation for the principal when it covers the operation and names the
principal, one of its groups or All Principals, and excludes none of them. The principal's
groups come from its transitive closure (model/principals.Directory.closure); when that closure
is incomplete, a deny assignment that names or excludes groups may or may not apply, and this
module says so rather than guess.
"""

from __future__ import annotations

from diagnose.model.authorization import DenyAssignment
from diagnose.model.principals import Membership
from diagnose.rbac import conditions
from diagnose.rbac.decision import Deny
from diagnose.rbac.matching import block_pattern

Applies = tuple[str, str, tuple[str, ...]]
"""(the pattern that covers the operation, who the deny assignment names, groups crossed)."""


def deny_applies(
    deny: DenyAssignment, membership: Membership, operation: str, data: bool
) -> tuple[Applies | None, str | None]:
    """(pattern, applies_to, via) when the deny assignment blocks the operation for the
    principal, and why that may be unknown (its memberships are incomplete)."""
    pattern = block_pattern(deny.blocks, operation, data)
    if pattern is None:
        return None, None
    members = membership.via
    if deny.exclude_ids & members.keys():
        return None, None  # excluded: whatever else is unknown, it does not apply
    named = [m for m in members if m in deny.principal_ids]
    applies_to: str
    via: tuple[str, ...]
    if deny.everyone:
        applies_to, via = "All Principals", ()
    elif named:
        holder = min(named, key=lambda m: (len(members[m]), m))
        applies_to, via = holder, members[holder]
    else:
        if not membership.complete and deny.principal_ids:
            return None, (
                f"deny assignment {deny.name} names groups, and the principal's "
                "memberships are not fully known"
            )
        return None, None
    if deny.exclude_ids and not membership.complete:
        return None, (
            f"deny assignment {deny.name} excludes some principals, and the "
            "principal's memberships are not fully known"
        )
    return (pattern, applies_to, via), None


def blocking(
    membership: Membership,
    candidates: tuple[tuple[int, DenyAssignment], ...],
    operation: str,
    data: bool,
) -> tuple[list[Deny], list[str]]:
    """The deny assignments among candidates ((levels above the target, deny assignment))
    that block the operation for the principal, as evidence, and the doubts met on the way.
    A deny assignment whose condition names the operation is returned with that condition."""
    found: list[Deny] = []
    doubts: list[str] = []
    for level, deny in candidates:
        applies, doubt = deny_applies(deny, membership, operation, data)
        if doubt:
            doubts.append(doubt)
        if applies is None:
            continue
        pattern, applies_to, via = applies
        condition = deny.condition if conditions.targets(deny.condition, operation) else None
        found.append(
            Deny(
                deny.id,
                deny.name,
                deny.description,
                deny.scope,
                level,
                pattern,
                applies_to,
                via,
                deny.system_protected,
                condition,
            )
        )
    return found, doubts
