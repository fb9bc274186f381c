"""Effective access, decided the way Azure decides it.

1. Assignments and deny assignments count at the target scope and every ancestor (segment-wise,
   case-insensitive, management groups included); deny assignments marked
   doNotApplyToChildScopes count only at their own scope.
2. The principal counts with all its groups, transitively.
3. A deny assignment that names the principal, one of its groups or All Principals, excludes none
   of them, and covers the operation, blocks it, whatever roles say.
4. Otherwise any one active assignment whose role has the operation in Actions - NotActions
   (or DataActions - NotDataActions) grants it.
5. A condition restricts only the operations its ActionMatches clauses name: such a grant is
   "conditional" offline. PIM eligibilities never grant; they are reported.
6. What could not be read and could change the answer makes it "unknown", never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.model.authorization import Assignment, Authorization
from diagnose.model.principals import Membership
from diagnose.model.roles import RoleDefinition
from diagnose.model.scopes import level_of, scope_key
from diagnose.rbac import conditions
from diagnose.rbac.decision import Decision, Deny, Eligible, Grant, NearMiss, Outcome
from diagnose.rbac.matching import RoleMatch, block_pattern, match_role
from diagnose.rbac.patterns import common_prefix_segments

NEAR_MISS_ORDER = ("notActions", "otherScope", "otherPlane", "conditionOnly", "partial",
                   "unknownRole")
MAX_NEAR_MISSES = 8


@dataclass(frozen=True)
class Holder:
    """A principal that holds an operation at a scope (for "who may run this fix")."""

    principal_id: str
    principal_type: str | None
    display_name: str | None
    role_name: str
    scope: str
    conditional: bool


class Evaluator:
    def __init__(self, authorization: Authorization) -> None:
        self.authz = authorization
        self._matches: dict[tuple[str, str, bool], RoleMatch] = {}

    def role_match(self, role: RoleDefinition, operation: str, data: bool) -> RoleMatch:
        key = (role.id, operation.lower(), data)
        found = self._matches.get(key)
        if found is None:
            found = self._matches[key] = match_role(role, operation, data)
        return found

    def check(self, principal_id: str, scope: str, operation: str, *, data_action: bool,
              explain: bool = True) -> Decision:
        """Whether the principal effectively holds the operation at the scope, and why.

        With explain=False, near misses are skipped (the hot path of the checks).
        """
        authz = self.authz
        principal = principal_id.strip().lower()
        target = scope_key(scope)
        ancestors = authz.tree.ancestors(target)
        membership = authz.directory.closure(principal)

        grants: list[Grant] = []
        conditional: list[Grant] = []
        unknown_roles: list[Assignment] = []
        for member, via in membership.via.items():
            scopes = authz.assignments_by_principal.get(member)
            if not scopes:
                continue
            for level, ancestor in enumerate(ancestors):
                for assignment in scopes.get(ancestor, ()):
                    role = authz.roles.get(assignment.role_id)
                    if role is None:
                        unknown_roles.append(assignment)
                        continue
                    match = self.role_match(role, operation, data_action)
                    if match.granted:
                        grant = _grant(assignment, role, match, operation, level, via)
                        (conditional if grant.condition else grants).append(grant)

        denies, deny_doubts = self._denies(membership, ancestors, operation, data_action)
        definite = [d for d in denies if not d.condition]
        unknowns: list[str] = []
        grant_doubts = [e.describe() for e in authz.errors_above(target, "assignments")]
        grant_doubts += list(membership.unknown)
        grant_doubts += [f"role definition {a.role_id} of assignment {a.id} is not in the snapshot"
                         for a in unknown_roles]
        deny_doubts += [e.describe() for e in authz.errors_above(target, "denies")]

        if definite:
            outcome = Outcome.DENIED
        elif grants:
            unknowns = deny_doubts
            outcome = Outcome.UNKNOWN if unknowns else (
                Outcome.CONDITIONAL if denies else Outcome.ALLOWED)
        elif conditional:
            unknowns = grant_doubts
            outcome = Outcome.UNKNOWN if unknowns else Outcome.CONDITIONAL
        else:
            unknowns = grant_doubts
            outcome = Outcome.UNKNOWN if unknowns else Outcome.DENIED

        eligible = self._eligible(membership, ancestors, operation, data_action)
        near: list[NearMiss] = []
        if explain and outcome is not Outcome.ALLOWED:
            near = self._near_misses(membership, ancestors, target, operation, data_action,
                                     unknown_roles)
        entry = authz.directory.get(principal)
        warnings = self._warnings(entry, target)
        return Decision(
            decision=outcome,
            principal=principal,
            scope=scope,
            operation=operation,
            data_action=data_action,
            grants=tuple(sorted(grants, key=_grant_order)),
            denies=tuple(denies),
            conditions=tuple(sorted(conditional, key=_grant_order)),
            eligible=tuple(eligible),
            near_misses=tuple(near),
            unknowns=tuple(dict.fromkeys(unknowns)),
            warnings=warnings,
            principal_type=entry.type if entry else None,
            principal_name=entry.display_name if entry else None,
        )

    def _denies(self, membership: Membership, ancestors: tuple[str, ...], operation: str,
                data: bool) -> tuple[list[Deny], list[str]]:
        found: list[Deny] = []
        doubts: list[str] = []
        members = membership.via
        for level, ancestor in enumerate(ancestors):
            for deny in self.authz.denies_by_scope.get(ancestor, ()):
                if deny.exact_scope_only and level:
                    continue
                pattern = block_pattern(deny.blocks, operation, data)
                if pattern is None:
                    continue
                named = [m for m in members if m in deny.principal_ids]
                if deny.everyone:
                    applies_to, via = "All Principals", ()
                elif named:
                    holder = min(named, key=lambda m: len(members[m]))
                    applies_to, via = holder, members[holder]
                else:
                    if not membership.complete and deny.principal_ids:
                        doubts.append(f"deny assignment {deny.name} names groups, and the "
                                      "principal's memberships are not fully known")
                    continue
                if deny.exclude_ids & members.keys():
                    continue
                if deny.exclude_ids and not membership.complete:
                    doubts.append(f"deny assignment {deny.name} excludes some principals, and "
                                  "the principal's memberships are not fully known")
                    continue
                condition = deny.condition if conditions.targets(deny.condition, operation) \
                    else None
                found.append(Deny(deny.id, deny.name, deny.description, deny.scope, level,
                                  pattern, applies_to, via, deny.system_protected, condition))
        return found, doubts

    def _eligible(self, membership: Membership, ancestors: tuple[str, ...], operation: str,
                  data: bool) -> list[Eligible]:
        found: list[Eligible] = []
        for member, via in membership.via.items():
            scopes = self.authz.eligibilities_by_principal.get(member)
            if not scopes:
                continue
            for level, ancestor in enumerate(ancestors):
                for item in scopes.get(ancestor, ()):
                    role = self.authz.roles.get(item.role_id)
                    match = self.role_match(role, operation, data) if role else None
                    if match is not None and match.granted:
                        properties = item.raw.get("properties") or {}
                        found.append(Eligible(item.id, item.role_definition_id, role.name,
                                              item.scope, level, member, via,
                                              match.matched_pattern or "",
                                              properties.get("endDateTime")))
        return sorted(found, key=lambda e: (e.levels_above, e.role_name, e.eligibility_id))

    def _near_misses(self, membership: Membership, ancestors: tuple[str, ...], target: str,
                     operation: str, data: bool, unknown_roles: list[Assignment]) -> list[NearMiss]:
        covering = set(ancestors)
        found: list[NearMiss] = []
        for member, via in membership.via.items():
            for key, bucket in self.authz.assignments_by_principal.get(member, {}).items():
                for assignment in bucket:
                    role = self.authz.roles.get(assignment.role_id)
                    if role is None:
                        continue
                    miss = self._miss(assignment, role, via, key in covering, operation, data)
                    if miss is not None:
                        found.append(miss)
        for assignment in unknown_roles:
            found.append(NearMiss("unknownRole", assignment.id, assignment.role_definition_id,
                                  assignment.role_id, assignment.scope, assignment.principal_id,
                                  membership.via.get(assignment.principal_id, ()),
                                  "the role definition is not in the snapshot, so what it grants "
                                  "is unknown"))
        found.sort(key=lambda m: (NEAR_MISS_ORDER.index(m.kind), m.role_name, m.scope))
        return found[:MAX_NEAR_MISSES]

    def _miss(self, assignment: Assignment, role: RoleDefinition, via: tuple[str, ...],
              covers: bool, operation: str, data: bool) -> NearMiss | None:
        match = self.role_match(role, operation, data)
        plane = "DataActions" if data else "Actions"

        def miss(kind: str, detail: str, pattern: str | None = None,
                 excluded: str | None = None) -> NearMiss:
            return NearMiss(kind, assignment.id, assignment.role_definition_id, role.name,
                            assignment.scope, assignment.principal_id, via, detail, pattern,
                            excluded)

        if not covers:
            if match.granted:
                return miss("otherScope", f"{role.name} grants it, but is assigned at "
                            f"{assignment.scope}, which does not contain the target scope",
                            match.matched_pattern)
            return None
        if match.excluded_by:
            not_plane = "NotDataActions" if data else "NotActions"
            return miss("notActions", f"{role.name} has {match.matched_pattern!r} in {plane}, "
                        f"but {match.excluded_by!r} in its {not_plane} removes it (NotActions "
                        "is not a deny: another role may still grant it)",
                        match.matched_pattern, match.excluded_by)
        if match.other_plane_pattern:
            other = "Actions" if data else "DataActions"
            return miss("otherPlane", f"{role.name} matches it only in {other} "
                        f"({match.other_plane_pattern!r}); {other} never grant "
                        f"{'data actions' if data else 'control-plane actions'}",
                        match.other_plane_pattern)
        if match.granted:
            return None
        patterns = role.patterns(data)
        best = max(patterns, key=lambda p: common_prefix_segments(p, operation), default=None)
        if best is not None and common_prefix_segments(best, operation) >= 2:
            return miss("partial", f"{role.name} grants {best!r} in {plane}, which does not "
                        "cover this operation", best)
        return None

    def _warnings(self, entry, target: str) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
        warnings = []
        if entry is not None and entry.deleted:
            warnings.append(f"{entry.label} no longer exists in the directory; its role "
                            "assignments grant nothing and should be removed")
        if not self.authz.tree.knows_management_groups(target):
            warnings.append("the snapshot does not list the management groups above this "
                            "subscription, so assignments made at management groups were not "
                            "considered")
        return tuple(warnings)

    def who_can(self, scope: str, operation: str, *, data_action: bool = False) -> list[Holder]:
        """Principals holding the operation at a scope through an assignment at or above it."""
        target = scope_key(scope)
        holders: dict[str, Holder] = {}
        for ancestor in self.authz.tree.ancestors(target):
            for assignment in self.authz.assignments_by_scope.get(ancestor, ()):
                role = self.authz.roles.get(assignment.role_id)
                if role is None or assignment.principal_id in holders:
                    continue
                if not self.role_match(role, operation, data_action).granted:
                    continue
                decision = self.check(assignment.principal_id, scope, operation,
                                      data_action=data_action, explain=False)
                if decision.decision in (Outcome.ALLOWED, Outcome.CONDITIONAL):
                    entry = self.authz.directory.get(assignment.principal_id)
                    holders[assignment.principal_id] = Holder(
                        assignment.principal_id,
                        entry.type if entry else assignment.principal_type,
                        entry.display_name if entry else None,
                        role.name, assignment.scope,
                        decision.decision is Outcome.CONDITIONAL)
        return sorted(holders.values(), key=lambda h: (h.conditional, h.display_name or "",
                                                      h.principal_id))


def _grant(assignment: Assignment, role: RoleDefinition, match: RoleMatch, operation: str,
           level: int, via: tuple[str, ...]) -> Grant:
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
        levels_above=level,
        principal_id=assignment.principal_id,
        via=via,
        matched_pattern=match.matched_pattern or "",
        role_source=role.source,
        created_on=assignment.created_on,
        condition=condition,
        condition_source=source,
        condition_not_targeting=not_targeting,
    )


def _grant_order(grant: Grant) -> tuple[int, int, str, str]:
    return (len(grant.via), grant.levels_above, grant.role_name, grant.role_assignment_id)
