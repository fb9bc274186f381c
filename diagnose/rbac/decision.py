"""An access decision, the evidence behind it, and the rule that turns evidence into an outcome.

The records here are what the RBAC evaluator (diagnose/rbac/evaluator.py) returns and what the
reports, the explainer and the checks read; field names become camelCase JSON keys. settle()
is Azure's order of precedence: a deny assignment first, then grants, then conditions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from diagnose.bulk import fast_init
from diagnose.jsonable import to_jsonable


class Outcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    CONDITIONAL = "conditional"
    """Granted only under an ABAC condition that cannot be evaluated offline."""
    UNKNOWN = "unknown"
    """The answer depends on something the snapshot could not read."""


def settle(
    *,
    blocked: bool,
    denied_under_condition: bool,
    granted: bool,
    conditional: bool,
    grant_doubts: list[str],
    deny_doubts: list[str],
) -> tuple[Outcome, list[str]]:
    """The outcome, and the doubts that could change it (which make it unknown).

    blocked: an unconditional deny assignment blocks the operation (whatever roles say);
    denied_under_condition: a deny assignment blocks it under a condition; granted: an
    assignment grants it unconditionally; conditional: one grants it only under a condition.
    grant_doubts: what could not be read that might grant it; deny_doubts: what might deny it.
    """
    if blocked:
        return Outcome.DENIED, []
    if granted:
        return (
            Outcome.UNKNOWN
            if deny_doubts
            else Outcome.CONDITIONAL
            if denied_under_condition
            else Outcome.ALLOWED
        ), deny_doubts
    if conditional:
        return (Outcome.UNKNOWN if grant_doubts else Outcome.CONDITIONAL), grant_doubts
    return (Outcome.UNKNOWN if grant_doubts else Outcome.DENIED), grant_doubts


@dataclass(frozen=True)
class Grant:
    """An active assignment whose role grants the operation at the target scope."""

    role_assignment_id: str
    role_definition_id: str
    role_name: str
    scope: str
    scope_level: str
    levels_above: int
    """0 when assigned at the target scope itself, 1 for its parent, and so on."""
    principal_id: str
    """Who holds the assignment: the principal itself or one of its groups."""
    via: tuple[str, ...]
    """Groups crossed from the principal to the holder, outermost last."""
    matched_pattern: str
    role_source: str
    """'snapshot' (the tenant's definition) or 'catalog' (the tool's built-in copy)."""
    created_on: str | None = None
    condition: str | None = None
    condition_source: str | None = None
    """'assignment' or 'roleDefinition' when a condition restricts this operation."""
    condition_not_targeting: str | None = field(default=None, metadata={"omit_none": True})
    """A condition that exists but does not name this operation, so does not restrict it."""


@dataclass(frozen=True)
class Deny:
    deny_assignment_id: str
    name: str
    description: str
    scope: str
    levels_above: int
    matched_pattern: str
    applies_to: str
    """The principal id, group id or 'All Principals' the deny assignment names."""
    via: tuple[str, ...]
    system_protected: bool
    condition: str | None = None


@dataclass(frozen=True)
class Eligible:
    """A PIM eligible assignment that would grant the operation once activated."""

    eligibility_id: str
    role_definition_id: str
    role_name: str
    scope: str
    levels_above: int
    principal_id: str
    via: tuple[str, ...]
    matched_pattern: str
    end_date_time: str | None = None


@dataclass(frozen=True)
class NearMiss:
    """A role that came close: why it does not grant the operation here."""

    kind: str
    """notActions | otherPlane | otherScope | conditionOnly | partial | unknownRole."""
    role_assignment_id: str
    role_definition_id: str
    role_name: str
    scope: str
    principal_id: str
    via: tuple[str, ...]
    detail: str
    matched_pattern: str | None = None
    excluded_by: str | None = None


@fast_init
@dataclass(frozen=True)
class Decision:
    decision: Outcome
    principal: str
    scope: str
    operation: str
    data_action: bool
    grants: tuple[Grant, ...] = ()
    denies: tuple[Deny, ...] = ()
    conditions: tuple[Grant, ...] = ()
    """Grants that hold only under a condition naming this operation."""
    eligible: tuple[Eligible, ...] = ()
    near_misses: tuple[NearMiss, ...] = ()
    unknowns: tuple[str, ...] = ()
    """What could not be read that could change the answer."""
    warnings: tuple[str, ...] = ()
    principal_type: str | None = None
    principal_name: str | None = None

    @property
    def allowed(self) -> bool:
        return self.decision is Outcome.ALLOWED

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = to_jsonable(self)
        return found
