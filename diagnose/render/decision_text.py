"""A decision as readable text: one paragraph that explains it, then the evidence."""

from __future__ import annotations

from collections.abc import Callable

from diagnose.rbac.decision import Decision, Grant, Outcome
from diagnose.safe import safe_text

NameOf = Callable[[str], str | None]


def _no_names(_: str) -> None:
    return None


def render_decision(decision: Decision, name_of: NameOf = _no_names) -> str:
    lines = [explain(decision, name_of), ""]
    lines += _evidence(decision, name_of)
    return "\n".join(lines).rstrip() + "\n"


def _who(principal_id: str, name_of: NameOf, kind: str | None = None) -> str:
    name = name_of(principal_id)
    label = safe_text(f"{kind}, {principal_id}" if kind else principal_id)
    if name:
        return f"{safe_text(name)} ({label})"
    return safe_text(f"{kind} {principal_id}" if kind else principal_id)


def _chain(grant_via: tuple[str, ...], name_of: NameOf) -> str:
    return " -> ".join(safe_text(name_of(g) or g) for g in grant_via)


def _where(grant: Grant) -> str:
    if grant.levels_above == 0:
        return "at the target scope itself"
    plural = "s" if grant.levels_above > 1 else ""
    return (
        f"at the {grant.scope_level} {safe_text(grant.scope)}, {grant.levels_above} "
        f"level{plural} above the target"
    )


def explain(decision: Decision, name_of: NameOf = _no_names) -> str:
    """The decision in one readable paragraph."""
    who = _who(decision.principal, name_of, decision.principal_type)
    kind = ""
    plane = "data action" if decision.data_action else "action"
    what = f"the {plane} {safe_text(decision.operation)} at {safe_text(decision.scope)}"
    outcome = decision.decision
    if outcome is Outcome.ALLOWED:
        grant = decision.grants[0]
        through = f", through group {_chain(grant.via, name_of)}" if grant.via else ""
        more = (
            f" ({len(decision.grants) - 1} more grant(s) below)" if len(decision.grants) > 1 else ""
        )
        return (
            f"ALLOWED: {who}{kind} holds {what}. The role {safe_text(grant.role_name)} "
            f"grants it by the pattern {grant.matched_pattern!r}, assigned {_where(grant)}"
            f"{through}{more}."
        )
    definite = [d for d in decision.denies if not d.condition]
    if outcome is Outcome.DENIED and definite:
        deny = definite[0]
        granting = decision.grants or decision.conditions
        blocked = (
            f" Roles would grant it ({safe_text(granting[0].role_name)}), but the"
            if granting
            else " The"
        )
        return (
            f"DENIED: {who}{kind} cannot use {what}.{blocked} deny assignment "
            f"{safe_text(deny.name)} at {safe_text(deny.scope)} blocks it for "
            f"{safe_text(name_of(deny.applies_to) or deny.applies_to)}; a deny assignment "
            "wins over every role, Owner included."
        )
    if outcome is Outcome.CONDITIONAL:
        if decision.grants:
            grant = decision.grants[0]
            conditional_deny = next((d for d in decision.denies if d.condition), None)
            deny_name = f" {safe_text(conditional_deny.name)}" if conditional_deny else ""
            return (
                f"CONDITIONAL: the role {safe_text(grant.role_name)} grants {who}{kind} "
                f"{what}, but the deny assignment{deny_name} blocks it where its condition "
                "is met; the condition names this operation and cannot be evaluated "
                "offline."
            )
        source = decision.conditions[0] if decision.conditions else None
        if source is None:
            return (
                f"CONDITIONAL: {who}{kind} holds {what} only if the condition of a deny "
                "assignment is not met; conditions cannot be evaluated offline."
            )
        where = (
            "role definition" if source.condition_source == "roleDefinition" else "role assignment"
        )
        return (
            f"CONDITIONAL: {who}{kind} holds {what} only where the condition on the "
            f"{where} of {safe_text(source.role_name)} is met; the condition names this "
            "operation and cannot be evaluated offline."
        )
    if outcome is Outcome.UNKNOWN:
        return (
            f"UNKNOWN: whether {who}{kind} holds {what} depends on what the snapshot could "
            f"not read: {safe_text(decision.unknowns[0])}."
        )
    sentence = (
        f"DENIED: {who}{kind} does not hold {what}. No role assigned to it or to its "
        "groups at this scope or above grants it."
    )
    if decision.eligible:
        sentence += (
            f" It is eligible for {safe_text(decision.eligible[0].role_name)} through "
            "PIM: activating that assignment would grant it."
        )
    elif decision.near_misses:
        sentence += f" Closest: {safe_text(decision.near_misses[0].detail)}."
    return sentence


def _evidence(decision: Decision, name_of: NameOf) -> list[str]:
    lines: list[str] = []

    def section(title: str, items: list[str]) -> None:
        if items:
            lines.append(f"{title}:")
            lines.extend(f"  - {item}" for item in items)

    def grant_line(grant: Grant) -> str:
        holder = f" to group {_chain(grant.via, name_of)}" if grant.via else ""
        role_id = safe_text(grant.role_definition_id.rsplit("/", 1)[-1])
        line = (
            f"{safe_text(grant.role_name)} [{role_id}]"
            f"{holder} {_where(grant)}; pattern {grant.matched_pattern!r}; assignment "
            f"{safe_text(grant.role_assignment_id)}"
        )
        if grant.role_source == "catalog":
            line += " (role definition from the tool's catalog, not the tenant)"
        if grant.condition:
            line += f"; condition on the {grant.condition_source}: {safe_text(grant.condition)}"
        return line

    section("Grants", [grant_line(g) for g in decision.grants])
    section("Conditional grants", [grant_line(g) for g in decision.conditions])
    section(
        "Deny assignments",
        [
            f"{safe_text(d.name)} at {safe_text(d.scope)} for "
            f"{safe_text(name_of(d.applies_to) or d.applies_to)}; pattern {d.matched_pattern!r}"
            + (
                " (system protected: managed by Azure or a managed application)"
                if d.system_protected
                else ""
            )
            + (f"; {safe_text(d.description)}" if d.description else "")
            + (
                f"; applies only where its condition is met: {safe_text(d.condition)}"
                if d.condition
                else ""
            )
            for d in decision.denies
        ],
    )
    section(
        "Eligible through PIM (activate to use)",
        [
            f"{safe_text(e.role_name)} at {safe_text(e.scope)}"
            + (f" via group {_chain(e.via, name_of)}" if e.via else "")
            + (f", eligible until {safe_text(e.end_date_time)}" if e.end_date_time else "")
            for e in decision.eligible
        ],
    )
    section("Near misses", [f"[{m.kind}] {safe_text(m.detail)}" for m in decision.near_misses])
    section("Unknown", [safe_text(u) for u in decision.unknowns])
    section("Warnings", [safe_text(w) for w in decision.warnings])
    return lines
