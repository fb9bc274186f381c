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
from typing import NamedTuple

from diagnose.model.authorization import Assignment, Authorization, DenyAssignment
from diagnose.model.principals import Membership, Principal
from diagnose.model.roles import RoleDefinition
from diagnose.model.scopes import is_management_group, level_of, scope_key
from diagnose.rbac import conditions
from diagnose.rbac.decision import Decision, Deny, Eligible, Grant, NearMiss, Outcome
from diagnose.rbac.matching import RoleMatch, block_pattern, match_role
from diagnose.rbac.patterns import common_prefix_segments

NEAR_MISS_ORDER = ("notActions", "otherScope", "otherPlane", "conditionOnly", "partial",
                   "unknownRole")
MAX_NEAR_MISSES = 5
HOT_TARGET = 64
"""Questions about one target after which check() indexes the assignments at and above it by
principal (a walk per question is cheap; an index pays off only for a target asked about
often)."""
BULK_TARGET = 16
"""Questions to decide() about one target after which it answers from a table of who holds the
operation there: one table serves every later question about that target and operation, so it
pays off sooner (the checks ask thousands of them about a few dozen resources)."""


class Quick(NamedTuple):
    """An outcome without evidence (Evaluator.decide)."""

    outcome: Outcome
    grant_ages: tuple[tuple[str | None, bool], ...]
    """(createdOn, reached through a group) of each unconditional grant."""

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED


@dataclass(frozen=True, slots=True)
class _Hit:
    """An assignment whose role grants the operation, before it becomes evidence."""

    assignment: Assignment
    role: RoleDefinition
    match: RoleMatch
    level: int
    via: tuple[str, ...]

    def conditional(self, operation: str) -> bool:
        return restricted(self.match, self.assignment, operation)


def restricted(match: RoleMatch, assignment: Assignment, operation: str) -> bool:
    """Whether a grant holds only under a condition (the role definition's, or the
    assignment's) that names this operation."""
    return bool(match.condition or (assignment.condition
                                    and conditions.targets(assignment.condition, operation)))


class _Place(NamedTuple):
    """A target scope, with what depends on it alone."""

    ancestors: tuple[str, ...]
    denies: tuple[tuple[int, DenyAssignment], ...]
    """Deny assignments that reach the target, with how far above."""
    assignment_errors: tuple[str, ...]
    deny_errors: tuple[str, ...]
    knows_management_groups: bool


@dataclass(slots=True)
class _Gathered:
    """Everything one query found, from which both decide() and check() answer."""

    principal: str
    scope: str
    target: str
    operation: str
    data_action: bool
    ancestors: tuple[str, ...]
    membership: Membership
    outcome: Outcome
    grants: list[_Hit]
    conditional: list[_Hit]
    denies: list[Deny]
    unknown_roles: list[Assignment]
    unknowns: list[str]


@dataclass(frozen=True)
class Holder:
    """A principal that holds an operation at a scope (for "who may run this fix")."""

    principal_id: str
    principal_type: str | None
    display_name: str | None
    role_name: str
    scope: str
    conditional: bool


RoleMatches = dict[tuple[str, bool], dict[str, RoleMatch]]
"""(operation, data plane) -> role id -> how that role relates to the operation."""


class Evaluator:
    def __init__(self, authorization: Authorization,
                 role_matches: RoleMatches | None = None) -> None:
        self.authz = authorization
        self._by_operation: RoleMatches = {} if role_matches is None else role_matches
        self._decisions: dict[tuple[str, str, str, bool, bool], Decision] = {}
        self._gathered: dict[tuple[str, str, str, bool], _Gathered] = {}
        self._holders: dict[tuple[str, str, bool], tuple[Holder, ...]] = {}
        self._places: dict[str, _Place] = {}
        self._target_hits: dict[str, int] = {}
        self._bulk_hits: dict[str, int] = {}
        self._quick: dict[tuple[str, str, str, bool], Quick] = {}
        self._holders_here: dict[tuple[str, str, bool], dict[str, tuple[str | None, ...]]] = {}
        self._hot_by_role: dict[str, dict[str, list[Assignment]]] = {}
        self._hot_targets: dict[str, dict[str, list[tuple[Assignment, int]]]] = {}
        self._granting: dict[tuple[str, str, bool], list[Assignment]] = {}

    def derived(self, authorization: Authorization) -> Evaluator:
        """An evaluator over a copy of the data with assignments added (Authorization.
        with_assignments): it shares what roles grant, which no added assignment changes."""
        return Evaluator(authorization, self._by_operation)

    def role_match(self, role: RoleDefinition, operation: str, data: bool) -> RoleMatch:
        matches = self._matches_for(operation, data)
        found = matches.get(role.id)
        if found is None:
            found = matches[role.id] = match_role(role, operation, data)
        return found

    def _match_of(self, matches: dict[str, RoleMatch], role_id: str, operation: str,
                  data: bool) -> RoleMatch | None:
        """How a role, by id, relates to the operation (matches: its table); None when the
        role's definition is in neither the snapshot nor the catalog."""
        found = matches.get(role_id)
        if found is None:
            role = self.authz.roles.get(role_id)
            if role is None:
                return None
            found = matches[role_id] = match_role(role, operation, data)
        return found

    def check(self, principal_id: str, scope: str, operation: str, *, data_action: bool,
              explain: bool = True) -> Decision:
        """Whether the principal effectively holds the operation at the scope, and why.

        With explain=False, near misses are skipped. Answers are remembered: the data never
        changes under an evaluator (a changed copy gets its own evaluator).
        """
        key = (principal_id, scope, operation, data_action, explain)
        found = self._decisions.get(key)
        if found is None:
            found = self._decisions[key] = self._decision(
                self._gather(principal_id, scope, operation, data_action), explain)
        return found

    def decide(self, principal_id: str, scope: str, operation: str, *,
               data_action: bool) -> Quick:
        """The outcome alone, and the age of each unconditional grant: the hot path of the
        checks, where most requirements are met and need no evidence."""
        key = (principal_id, scope, operation, data_action)
        found = self._quick.get(key)
        if found is None:
            found = self._plainly_allowed(principal_id, scope, operation, data_action)
            if found is None:
                gathered = self._gather(principal_id, scope, operation, data_action)
                found = Quick(gathered.outcome, tuple(
                    (hit.assignment.created_on, bool(hit.via)) for hit in gathered.grants))
            self._quick[key] = found
        return found

    def _plainly_allowed(self, principal_id: str, scope: str, operation: str,
                         data_action: bool) -> Quick | None:
        """ALLOWED, found without building evidence, when nothing can spoil it: the target has
        been asked about often (BULK_TARGET), no deny assignment or unread deny list can reach
        it, its management groups are known, and a group of the principal (or the principal)
        holds an unconditional grant.
        None: take the full path, which decides every other case."""
        target = scope_key(scope)
        place = self._place(target)
        if place.denies or place.deny_errors or not place.knows_management_groups:
            return None
        asked = self._bulk_hits[target] = self._bulk_hits.get(target, 0) + 1
        if asked < BULK_TARGET:
            return None
        granting = self._unconditional_holders(target, place.ancestors, operation, data_action)
        ages = [(created_on, bool(via))
                for member, via in self.authz.directory.closure(principal_id.strip().lower())
                .via.items() for created_on in granting.get(member, ())]
        return Quick(Outcome.ALLOWED, tuple(ages)) if ages else None

    def _unconditional_holders(self, target: str, ancestors: tuple[str, ...], operation: str,
                               data: bool) -> dict[str, tuple[str | None, ...]]:
        """Principal id -> createdOn of each assignment at or above a hot target whose role
        grants the operation with no condition that names it."""
        key = (target, operation, data)
        found = self._holders_here.get(key)
        if found is None:
            found = {}
            matches = self._matches_for(operation, data)
            for role_id, entries in self._at_and_above_by_role(target, ancestors).items():
                match = self._match_of(matches, role_id, operation, data)
                if match is None or not match.granted:
                    continue
                for assignment in entries:
                    if not restricted(match, assignment, operation):
                        found.setdefault(assignment.principal_id, []).append(
                            assignment.created_on)
            found = {principal: tuple(dates) for principal, dates in found.items()}
            self._holders_here[key] = found
        return found

    def _at_and_above_by_role(self, target: str, ancestors: tuple[str, ...]
                              ) -> dict[str, list[Assignment]]:
        """The assignments at and above a hot target, by role: a table is then built per
        operation by matching each role once, not each assignment."""
        found = self._hot_by_role.get(target)
        if found is None:
            found = {}
            for entries in self._at_and_above(target, ancestors).values():
                for assignment, _ in entries:
                    found.setdefault(assignment.role_id, []).append(assignment)
            self._hot_by_role[target] = found
        return found

    def _gather(self, principal_id: str, scope: str, operation: str,
                data_action: bool) -> _Gathered:
        key = (principal_id, scope, operation, data_action)
        found = self._gathered.get(key)
        if found is None:
            found = self._gathered[key] = self._collect(principal_id, scope, operation,
                                                        data_action)
        return found

    def _collect(self, principal_id: str, scope: str, operation: str,
                 data_action: bool) -> _Gathered:
        authz = self.authz
        principal = principal_id.strip().lower()
        target = scope_key(scope)
        place = self._place(target)
        ancestors = place.ancestors
        membership = authz.directory.closure(principal)

        grants: list[_Hit] = []
        conditional: list[_Hit] = []
        unknown_roles: list[Assignment] = []
        matches = self._matches_for(operation, data_action)
        for assignment, level, via in self._applicable(target, ancestors, membership):
            # The hottest loop: a hit in the table first, _match_of only on a miss.
            match = matches.get(assignment.role_id) or self._match_of(
                matches, assignment.role_id, operation, data_action)
            if match is None:
                unknown_roles.append(assignment)
            elif match.granted:
                hit = _Hit(assignment, authz.roles[assignment.role_id], match, level, via)
                (conditional if hit.conditional(operation) else grants).append(hit)

        denies, deny_doubts = self._denies(membership, place.denies, operation, data_action)
        definite = [d for d in denies if not d.condition]
        grant_doubts = [*place.assignment_errors, *membership.unknown]
        grant_doubts += [f"role definition {a.role_id} of assignment {a.id} is in neither the "
                         "snapshot nor the tool's catalog, so what it grants is unknown"
                         for a in unknown_roles]
        deny_doubts += place.deny_errors
        if not place.knows_management_groups:
            more_grants, more_denies = self._unplaced_management_groups(
                membership, operation, data_action)
            grant_doubts += more_grants
            deny_doubts += more_denies

        unknowns: list[str] = []
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
        return _Gathered(principal, scope, target, operation, data_action, ancestors,
                         membership, outcome, grants, conditional, denies, unknown_roles,
                         unknowns)

    def _matches_for(self, operation: str, data: bool) -> dict[str, RoleMatch]:
        """Role id -> how that role relates to this operation (filled as roles are met). Keyed
        by the operation as the caller spells it: a cache key, not a comparison."""
        key = (operation, data)
        found = self._by_operation.get(key)
        if found is None:
            found = self._by_operation[key] = {}
        return found

    def _applicable(self, target: str, ancestors: tuple[str, ...], membership: Membership
                    ) -> list[tuple[Assignment, int, tuple[str, ...]]]:
        """Every active assignment of the principal or its groups at the target or above, with
        how far above and through which groups.

        Two ways to the same answer: walk each group's assignments at each ancestor (a few
        look-ups, whatever the target), or, once a target has been asked about often, index the
        assignments at and above it by principal (a look-up per group). The checks ask
        thousands of questions about a few dozen resources; random questions rarely repeat."""
        hits = self._target_hits[target] = self._target_hits.get(target, 0) + 1
        if hits >= HOT_TARGET:
            by_principal_here = self._at_and_above(target, ancestors)
            return [(assignment, level, via) for member, via in membership.via.items()
                    for assignment, level in by_principal_here.get(member, ())]
        found: list[tuple[Assignment, int, tuple[str, ...]]] = []
        by_principal = self.authz.assignments_by_principal
        for member, via in membership.via.items():
            scopes = by_principal.get(member)
            if not scopes:
                continue
            for level, ancestor in enumerate(ancestors):
                bucket = scopes.get(ancestor)
                if bucket:
                    found.extend((assignment, level, via) for assignment in bucket)
        return found

    def _at_and_above(self, target: str, ancestors: tuple[str, ...]
                      ) -> dict[str, list[tuple[Assignment, int]]]:
        found = self._hot_targets.get(target)
        if found is None:
            found = {}
            by_scope = self.authz.assignments_by_scope
            for level, ancestor in enumerate(ancestors):
                for assignment in by_scope.get(ancestor, ()):
                    found.setdefault(assignment.principal_id, []).append((assignment, level))
            self._hot_targets[target] = found
        return found

    def _decision(self, gathered: _Gathered, explain: bool) -> Decision:
        """The full answer with its evidence, from what _collect gathered."""
        g = gathered
        eligible = self._eligible(g.membership, g.ancestors, g.operation, g.data_action)
        near: list[NearMiss] = []
        if explain and g.outcome is not Outcome.ALLOWED:
            near = self._near_misses(g.membership, g.ancestors, g.target, g.operation,
                                     g.data_action, g.unknown_roles)
        entry = self.authz.directory.get(g.principal)
        grants = [_grant(h, g.operation) for h in g.grants]
        conditional = [_grant(h, g.operation) for h in g.conditional]
        return Decision(
            decision=g.outcome,
            principal=g.principal,
            scope=g.scope,
            operation=g.operation,
            data_action=g.data_action,
            grants=tuple(sorted(grants, key=_grant_order)),
            denies=tuple(g.denies),
            conditions=tuple(sorted(conditional, key=_grant_order)),
            eligible=tuple(eligible),
            near_misses=tuple(near),
            unknowns=tuple(dict.fromkeys(g.unknowns)),
            warnings=self._warnings(entry, g.target),
            principal_type=entry.type if entry else None,
            principal_name=entry.display_name if entry else None,
        )

    def _place(self, target: str) -> _Place:
        """What a query learns from the target scope alone, computed once per scope."""
        found = self._places.get(target)
        if found is None:
            authz = self.authz
            ancestors = authz.tree.ancestors(target)
            denies = tuple((level, deny) for level, ancestor in enumerate(ancestors)
                           for deny in authz.denies_by_scope.get(ancestor, ())
                           if not (deny.exact_scope_only and level))
            found = self._places[target] = _Place(
                ancestors, denies,
                tuple(e.describe() for e in authz.errors_above(target, "assignments")),
                tuple(e.describe() for e in authz.errors_above(target, "denies")),
                authz.tree.knows_management_groups(target))
        return found

    def _denies(self, membership: Membership, candidates: tuple[tuple[int, DenyAssignment], ...],
                operation: str, data: bool) -> tuple[list[Deny], list[str]]:
        found: list[Deny] = []
        doubts: list[str] = []
        for level, deny in candidates:
            applies, doubt = self._deny_applies(deny, membership, operation, data)
            if doubt:
                doubts.append(doubt)
            if applies is None:
                continue
            pattern, applies_to, via = applies
            condition = deny.condition if conditions.targets(deny.condition, operation) \
                else None
            found.append(Deny(deny.id, deny.name, deny.description, deny.scope, level,
                              pattern, applies_to, via, deny.system_protected, condition))
        return found, doubts

    @staticmethod
    def _deny_applies(deny: DenyAssignment, membership: Membership, operation: str, data: bool
                      ) -> tuple[tuple[str, str, tuple[str, ...]] | None, str | None]:
        """(pattern, applies_to, via) when the deny assignment blocks the operation for the
        principal, and why that may be unknown (its memberships are incomplete)."""
        pattern = block_pattern(deny.blocks, operation, data)
        if pattern is None:
            return None, None
        members = membership.via
        if deny.exclude_ids & members.keys():
            return None, None  # excluded: whatever else is unknown, it does not apply
        named = [m for m in members if m in deny.principal_ids]
        if deny.everyone:
            applies_to, via = "All Principals", ()
        elif named:
            holder = min(named, key=lambda m: (len(members[m]), m))
            applies_to, via = holder, members[holder]
        else:
            if not membership.complete and deny.principal_ids:
                return None, (f"deny assignment {deny.name} names groups, and the principal's "
                              "memberships are not fully known")
            return None, None
        if deny.exclude_ids and not membership.complete:
            return None, (f"deny assignment {deny.name} excludes some principals, and the "
                          "principal's memberships are not fully known")
        return (pattern, applies_to, via), None

    def _unplaced_management_groups(self, membership: Membership, operation: str, data: bool
                                    ) -> tuple[list[str], list[str]]:
        """Assignments and deny assignments at management groups that may sit above the target,
        when the snapshot does not list the target subscription's management groups."""
        why = ("the snapshot does not list this subscription's management groups, so it is "
               "unknown whether that management group is above the target")
        grants: list[str] = []
        for member in membership.via:
            for key, bucket in self.authz.assignments_by_principal.get(member, {}).items():
                if not is_management_group(key):
                    continue
                for assignment in bucket:
                    role = self.authz.roles.get(assignment.role_id)
                    if role is None or self.role_match(role, operation, data).granted:
                        grants.append(f"assignment {assignment.id} at {assignment.scope} may "
                                      f"grant it: {why}")
        denies: list[str] = []
        for key, bucket in self.authz.denies_by_scope.items():
            if not is_management_group(key):
                continue
            for deny in bucket:
                if deny.exact_scope_only:
                    continue
                applies, doubt = self._deny_applies(deny, membership, operation, data)
                if applies is not None or doubt:
                    denies.append(f"deny assignment {deny.name} at {deny.scope} may block it: "
                                  f"{why}")
        return grants, denies

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
        # Rank every candidate cheaply first; build evidence only for the few that are shown.
        ranked: list[tuple[int, str, str, Assignment, RoleDefinition, tuple[str, ...], bool]] = []
        for member, via in membership.via.items():
            for key, bucket in self.authz.assignments_by_principal.get(member, {}).items():
                covers = key in covering
                for assignment in bucket:
                    role = self.authz.roles.get(assignment.role_id)
                    if role is None:
                        continue
                    kind = _miss_kind(self.role_match(role, operation, data), covers)
                    if kind is not None:
                        ranked.append((NEAR_MISS_ORDER.index(kind), role.name, assignment.scope,
                                       assignment, role, via, covers))
        ranked.sort(key=lambda item: item[:3])
        found: list[NearMiss] = []
        for _, _, _, assignment, role, via, covers in ranked:
            miss = self._miss(assignment, role, via, covers, operation, data)
            if miss is not None:
                found.append(miss)
                if len(found) == MAX_NEAR_MISSES:
                    return found
        for assignment in unknown_roles[: MAX_NEAR_MISSES - len(found)]:
            found.append(NearMiss("unknownRole", assignment.id, assignment.role_definition_id,
                                  assignment.role_id, assignment.scope, assignment.principal_id,
                                  membership.via.get(assignment.principal_id, ()),
                                  "the role definition is not in the snapshot, so what it grants "
                                  "is unknown"))
        return found

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

    def _warnings(self, entry: Principal | None, target: str) -> tuple[str, ...]:
        warnings = []
        if entry is not None and entry.deleted:
            warnings.append(f"{entry.label} no longer exists in the directory; its role "
                            "assignments grant nothing and should be removed")
        if not self.authz.tree.knows_management_groups(target):
            warnings.append("the snapshot does not list the management groups above this "
                            "subscription, so assignments made at management groups could not "
                            "be placed above or beside the target")
        for error in self.authz.errors_above(target, "eligibility"):
            warnings.append(f"PIM eligible assignments may be missing: {error.describe()}")
        return tuple(warnings)

    def who_can(self, scope: str, operation: str, *, data_action: bool = False) -> list[Holder]:
        """Principals holding the operation at a scope through an assignment at or above it."""
        key = (scope_key(scope), operation.lower(), data_action)
        found = self._holders.get(key)
        if found is None:
            found = self._holders[key] = self._who_can(scope, operation, data_action)
        return list(found)

    def _who_can(self, scope: str, operation: str, data_action: bool) -> tuple[Holder, ...]:
        holders: dict[str, Holder] = {}
        for ancestor in self.authz.tree.ancestors(scope_key(scope)):
            for assignment in self._granting_at(ancestor, operation, data_action):
                if assignment.principal_id in holders:
                    continue
                outcome = self.decide(assignment.principal_id, scope, operation,
                                      data_action=data_action).outcome
                if outcome in (Outcome.ALLOWED, Outcome.CONDITIONAL):
                    role = self.authz.roles[assignment.role_id]
                    entry = self.authz.directory.get(assignment.principal_id)
                    holders[assignment.principal_id] = Holder(
                        assignment.principal_id,
                        entry.type if entry else assignment.principal_type,
                        entry.display_name if entry else None,
                        role.name, assignment.scope, outcome is Outcome.CONDITIONAL)
        return tuple(sorted(holders.values(), key=lambda h: (h.conditional,
                                                            h.display_name or "",
                                                            h.principal_id)))

    def _granting_at(self, key: str, operation: str, data_action: bool) -> list[Assignment]:
        """Assignments at one scope whose role grants the operation: computed once per scope,
        shared by every fix whose scope lies below it."""
        cache_key = (key, operation.lower(), data_action)
        found = self._granting.get(cache_key)
        if found is None:
            found = []
            for assignment in self.authz.assignments_by_scope.get(key, ()):
                role = self.authz.roles.get(assignment.role_id)
                if role is not None and self.role_match(role, operation, data_action).granted:
                    found.append(assignment)
            self._granting[cache_key] = found
        return found


def _miss_kind(match: RoleMatch, covers: bool) -> str | None:
    """Which kind of near miss an assignment may be (see Evaluator._miss), or None."""
    if not covers:
        return "otherScope" if match.granted else None
    if match.excluded_by:
        return "notActions"
    if match.other_plane_pattern:
        return "otherPlane"
    return None if match.granted else "partial"


def _grant(hit: _Hit, operation: str) -> Grant:
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


def _grant_order(grant: Grant) -> tuple[int, int, str, str]:
    return (len(grant.via), grant.levels_above, grant.role_name, grant.role_assignment_id)
