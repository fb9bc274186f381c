"""Evaluate a Requirement with the RBAC evaluator: met, or why not, in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from diagnose.arm.scopes import level_of
from diagnose.bulk import fast_init
from diagnose.engine.api import Cause, Operation, Requirement, Status
from diagnose.engine.context import describe_scope
from diagnose.rbac.decision import Decision, Outcome
from diagnose.rbac.evaluator import Evaluator, Quick
from diagnose.render.decision_text import explain

PROPAGATION = timedelta(minutes=10)
"""Azure applies most role changes within about ten minutes."""
GROUP_PROPAGATION_FOR_IDENTITIES = timedelta(hours=24)
"""A managed identity's token caches its groups for up to a day."""
DATA_PROPAGATION_AT_MANAGEMENT_GROUP = timedelta(hours=12)
"""A data role assigned at a management group can take up to 12 hours to apply."""


@fast_init
@dataclass(frozen=True)
class RequirementOutcome:
    requirement: Requirement | None
    """None for MET, shared by every met requirement."""
    decisions: tuple[Decision, ...]
    status: Status | None
    """None when the requirement is met."""
    cause: Cause | None
    message: str
    missing: tuple[Operation, ...] = ()

    @property
    def met(self) -> bool:
        return self.status is None


MET = RequirementOutcome(None, (), None, None, "")
"""The outcome of every requirement that is met (most of them): no evidence is kept."""


def evaluate(
    requirement: Requirement,
    evaluator: Evaluator,
    collected_at: datetime | None = None,
    *,
    explain: bool = True,
) -> RequirementOutcome:
    """Whether a requirement is met and, when not, why, with the evaluator's evidence. With
    explain=False the evidence of a missing or unknown grant leaves out near misses (the roles
    that almost grant it) and its message is "": cheaper, for shortfalls that may be merged
    into another's finding (the engine evaluates again, explained, those that become one)."""
    scope = requirement.target_scope
    principal = requirement.principal.id
    quick = [
        evaluator.decide(principal, scope, op.name, data_action=op.data)
        for op in requirement.operations
    ]
    allowed = all([q.outcome is Outcome.ALLOWED for q in quick])
    if allowed and requirement.builtin_roles_only:
        custom_only = _custom_roles_only(requirement, evaluator)
        if custom_only:
            decisions = [
                evaluator.check(principal, scope, op.name, data_action=op.data)
                for op in requirement.operations
            ]
            return RequirementOutcome(
                requirement,
                tuple(decisions),
                requirement.status_if_missing,
                Cause.MISSING_ROLE,
                f"{_who(requirement)} {requirement.because}, so it needs "
                f"{_operations([d for d in decisions if d.operation in custom_only])} on "
                f"{describe_scope(scope, requirement.resource)}. Only custom roles grant it "
                "here, and Azure does not let a custom role do this: a built-in role must.",
                tuple(op for op in requirement.operations if op.name in custom_only),
            )
    if allowed:
        young = _young_grants(requirement, quick, collected_at)
        if not young:
            return MET
        decisions = [
            evaluator.check(principal, scope, op.name, data_action=op.data, explain=False)
            for op in requirement.operations
        ]
        return RequirementOutcome(
            requirement,
            tuple(decisions),
            Status.WARN,
            Cause.PROPAGATION,
            f"{_who(requirement)} {requirement.because}; the role that grants it was assigned "
            f"only {young} before the snapshot was taken. Azure can take up to 10 minutes to "
            "apply a new role (up to 24 hours for a managed identity that gets it through a "
            "group): if calls still fail, wait and retry before changing anything.",
        )
    # Evidence, near misses included, only for what is not allowed.
    decisions = [
        evaluator.check(
            principal, scope, op.name, data_action=op.data, explain=explain and not q.allowed
        )
        for op, q in zip(requirement.operations, quick, strict=True)
    ]
    missing = tuple(
        op for op, d in zip(requirement.operations, decisions, strict=True) if not d.allowed
    )
    failing = [d for d in decisions if not d.allowed]
    outcome, cause = _classify(failing)
    status = requirement.status_if_missing if outcome is Outcome.DENIED else Status.UNKNOWN
    # Unexplained, the shortfall is one a finding may merge (its finding, if it stands for
    # itself, comes from an explained evaluation): its sentence would be thrown away, and a
    # group of thousands missing the same role would write thousands of them.
    message = _message(requirement, failing, cause) if explain else ""
    return RequirementOutcome(requirement, tuple(decisions), status, cause, message, missing)


def unfounded(
    requirement: Requirement, outcome: RequirementOutcome, doubt: str
) -> RequirementOutcome:
    """A shortfall the snapshot cannot vouch for (the role assignments that could grant it were
    not all read) as `unknown`: never a failure with a fix to apply."""
    missing = outcome.missing or requirement.operations
    head = (
        f"{_who(requirement)} {requirement.because}, so it needs "
        f"{_names([op.name for op in missing])} on "
        f"{describe_scope(requirement.target_scope, requirement.resource)}."
    )
    return RequirementOutcome(
        requirement,
        outcome.decisions,
        Status.UNKNOWN,
        Cause.UNREADABLE,
        f"{head} Whether it has them cannot be told: {doubt}.",
        outcome.missing,
    )


def _custom_roles_only(requirement: Requirement, evaluator: Evaluator) -> set[str]:
    """The operations that only custom roles grant (for requirements only a built-in role may
    meet)."""
    found = set()
    for op in requirement.operations:
        decision = evaluator.check(
            requirement.principal.id,
            requirement.target_scope,
            op.name,
            data_action=op.data,
            explain=False,
        )
        roles = [evaluator.authz.role(g.role_definition_id) for g in decision.grants]
        if not any(role is not None and role.builtin for role in roles):
            found.add(op.name)
    return found


def _classify(failing: list[Decision]) -> tuple[Outcome, Cause]:
    denied = [d for d in failing if d.decision is Outcome.DENIED]
    if denied:
        if any(d.denies for d in denied):
            return Outcome.DENIED, Cause.DENY_ASSIGNMENT
        if all(d.eligible for d in denied):
            return Outcome.DENIED, Cause.ELIGIBLE_ONLY
        return Outcome.DENIED, Cause.MISSING_ROLE
    if any(d.decision is Outcome.UNKNOWN for d in failing):
        return Outcome.UNKNOWN, Cause.UNREADABLE
    return Outcome.CONDITIONAL, Cause.CONDITIONAL


def _who(requirement: Requirement) -> str:
    """Who the message is about, as the start of a sentence."""
    who = requirement.subject or requirement.principal.label
    return who[:1].upper() + who[1:]


def _operations(decisions: list[Decision]) -> str:
    return _names([d.operation for d in decisions])


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _message(requirement: Requirement, failing: list[Decision], cause: Cause) -> str:
    where = describe_scope(requirement.target_scope, requirement.resource)
    head = (
        f"{_who(requirement)} {requirement.because}, so it needs {_operations(failing)} on {where}."
    )
    first = failing[0]
    if cause is Cause.DENY_ASSIGNMENT:
        deny = next(d for d in failing if d.denies).denies[0]
        return (
            f"{head} A deny assignment blocks it: '{deny.name}' at {deny.scope}. Deny "
            "assignments win over every role; "
            + (
                "it is system protected, so only the service or managed application that "
                "created it can change it."
                if deny.system_protected
                else "whoever manages it must exclude this principal."
            )
        )
    if cause is Cause.ELIGIBLE_ONLY:
        eligible = first.eligible[0]
        return (
            f"{head} It is only eligible for {eligible.role_name} at {eligible.scope} "
            "through Privileged Identity Management: nothing is granted until the "
            "assignment is activated."
        )
    if cause is Cause.UNREADABLE:
        reasons = "; ".join(dict.fromkeys(r for d in failing for r in d.unknowns))
        return f"{head} Whether it has them cannot be told: {reasons}."
    if cause is Cause.CONDITIONAL:
        return (
            f"{head} It is granted only under an ABAC condition that names this operation, "
            "which cannot be evaluated offline: check the condition against the request."
        )
    return f"{head} {_why_missing(first)}"


def _why_missing(decision: Decision) -> str:
    text = explain(decision)
    _, _, rest = text.partition(". ")
    return rest or text


def _young_grants(
    requirement: Requirement, quick: list[Quick], collected_at: datetime | None
) -> str | None:
    """How young the only grants are, when every grant of some operation is younger than the
    propagation window; None otherwise."""
    if collected_at is None:
        return None
    for operation, answer in zip(requirement.operations, quick, strict=True):
        ages = []
        for created_on, through_group, at in answer.grant_ages:
            created = _parse(created_on)
            if created is None:
                break
            window = PROPAGATION
            if operation.data and level_of(at) == "management group":
                window = DATA_PROPAGATION_AT_MANAGEMENT_GROUP
            if through_group and requirement.principal.type == "ServicePrincipal":
                window = GROUP_PROPAGATION_FOR_IDENTITIES
            age = collected_at - created
            if age >= window:
                break
            ages.append(age)
        else:
            if ages:
                minutes = int(min(ages).total_seconds() // 60)
                return f"{minutes} minute(s)" if minutes < 120 else f"{minutes // 60} hour(s)"
    return None


@lru_cache(maxsize=4096)
def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            value = datetime.fromisoformat(text[:26].rstrip("Z") + "+00:00")
        except ValueError:
            return None
    return value
