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

This module is the entry point (check, decide, who_can) and owns the caches and the shortcuts
for targets asked about often; the rules live beside it: places.py (the scope chain of a
target), denies.py (deny assignments against the principal's groups), matching.py (which roles
grant an operation), decision.py (the outcome, deny first), evidence.py and near_misses.py (the
evidence of a full answer), holders.py (who holds an operation at a scope).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from diagnose.arm.scopes import scope_key
from diagnose.model.authorization import Assignment, Authorization
from diagnose.model.principals import Membership
from diagnose.model.roles import RoleDefinition
from diagnose.rbac.decision import Decision, Deny, NearMiss, Outcome, settle
from diagnose.rbac.denies import blocking
from diagnose.rbac.evidence import Hit, eligible, grant_of, grant_order, warnings
from diagnose.rbac.holders import Holder, granting_at, holders
from diagnose.rbac.matching import RoleMatch, RoleMatches, RoleMatchTable, restricted
from diagnose.rbac.near_misses import Granting, near_misses
from diagnose.rbac.places import (
    AppliedAssignment,
    Places,
    unplaced_management_groups,
    walk_applicable,
)

__all__ = ["BULK_TARGET", "HOT_TARGET", "Evaluator", "Holder", "Quick", "RoleMatches", "restricted"]

HOT_TARGET = 64
"""Questions about one target after which check() indexes the assignments at and above it by
principal (a walk per question is cheap; an index pays off only for a target asked about
often)."""
BULK_TARGET = 16
"""Questions to decide() about one target after which it answers from a table of who holds the
operation there: one table serves every later question about that target and operation, so it
pays off sooner (the checks ask thousands of them about a few dozen resources)."""


Holding = dict[str, tuple[tuple[str | None, str], ...]]
"""Principal id -> (createdOn, scope key) of each of its unconditional grants of one operation
at one scope (Evaluator._unconditional_holders)."""


class Quick(NamedTuple):
    """An outcome without evidence (Evaluator.decide)."""

    outcome: Outcome
    grant_ages: tuple[tuple[str | None, bool, str], ...]
    """(createdOn, reached through a group, scope key) of each unconditional grant: how long
    ago it was made, and what sets how long Azure may take to apply it."""

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED


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
    grants: list[Hit]
    conditional: list[Hit]
    denies: list[Deny]
    unknown_roles: list[Assignment]
    unknowns: list[str]


def _never(principal: str, scope: str) -> bool:
    return False


class Evaluator:
    def __init__(
        self, authorization: Authorization, role_matches: RoleMatches | None = None
    ) -> None:
        self.authz = authorization
        self._roles = RoleMatchTable(authorization.roles, role_matches)
        self._places = Places(authorization)
        self._decisions: dict[tuple[str, str, str, bool, bool], Decision] = {}
        self._gathered: dict[tuple[str, str, str, bool], _Gathered] = {}
        self._holders: dict[tuple[str, str, bool], tuple[Holder, ...]] = {}
        self._target_hits: dict[str, int] = {}
        self._bulk_hits: dict[str, int] = {}
        self._quick: dict[tuple[str, str, str, bool], Quick] = {}
        self._holders_at: dict[tuple[str, str, bool], Holding] = {}
        self._granting: dict[tuple[str, str, bool], list[Assignment]] = {}
        self._plain: dict[tuple[str, str, bool], tuple[Assignment, ...]] = {}
        self._plain_holders: dict[tuple[str, str, bool], frozenset[str] | None] = {}
        self._granting_anywhere: Granting = {}
        self._hot: dict[tuple[str, str, bool], tuple[Holding, ...]] = {}
        """(scope as asked, operation, plane) -> the _unconditional_holders tables of the
        target and each scope above it that has one, for a target _plainly_allowed may answer
        about."""
        self._parent: Evaluator | None = None
        self._holds_as_parent: Callable[[str, str], bool] = _never
        """Whether an answer of `_parent` (the evaluator this one is derived from) about a
        principal at a scope, as asked, is this one's too (derived)."""

    def derived(
        self,
        authorization: Authorization,
        *,
        changed: frozenset[str] | None = None,
        keep: Callable[[str, str], bool] | None = None,
    ) -> Evaluator:
        """An evaluator over a copy of the data with assignments added (Authorization.
        with_assignments): it shares what roles grant, which no added assignment changes.

        With `changed` (the principals the copy's added assignments are for), it also keeps
        this evaluator's answers about every principal none of whose groups (nor itself) is
        among them: an answer depends only on the assignments of the principal and its groups,
        the deny assignments and the role definitions, which the copy leaves as they were for
        those principals. `keep(principal, scope)`: whether the answers about that principal at
        that scope (as asked) are kept, for a caller that knows which scopes the copy's changed
        assignments reach (with `changed`, asked only about the principals it reaches)."""
        clone = Evaluator(authorization, self._roles.by_operation)
        clone._places.share_places(self._places)
        if changed is None and keep is None:
            return clone
        # This evaluator's answers are taken as asked (_inherited), not copied: a whole-plan
        # round asks about a few of the thousands the first run answered.
        clone._parent = self
        if changed is None:
            assert keep is not None
            clone._holds_as_parent = keep
            return clone
        directory = authorization.directory
        untouched: dict[str, bool] = {}

        def keeps(principal_id: str) -> bool:
            found = untouched.get(principal_id)
            if found is None:
                found = untouched[principal_id] = changed.isdisjoint(
                    directory.closure(principal_id).via
                )
            return found

        if keep is not None:  # asked only about the principals `changed` reaches
            clone._holds_as_parent = lambda principal, scope: (
                keeps(principal) or keep(principal, scope)
            )
        else:
            clone._holds_as_parent = lambda principal, _scope: keeps(principal)
        return clone

    def _inherited(self, table: str, key: tuple[Any, ...]) -> Any:
        """The answer the evaluator this one is derived from gave to `key` (in its `table`:
        _quick for decide(), _decisions for check()), when it is this one's too."""
        parent = self._parent
        if parent is None:
            return None
        found = getattr(parent, table).get(key)
        if found is None:
            found = parent._inherited(table, key)
        return found if found is not None and self._holds_as_parent(key[0], key[1]) else None

    def role_match(self, role: RoleDefinition, operation: str, data: bool) -> RoleMatch:
        """How a role relates to an operation (remembered, and shared with derived
        evaluators)."""
        return self._roles.of(role, operation, data)

    def check(
        self,
        principal_id: str,
        scope: str,
        operation: str,
        *,
        data_action: bool,
        explain: bool = True,
    ) -> Decision:
        """Whether the principal effectively holds the operation at the scope, and why.

        With explain=False, near misses are skipped. Answers are remembered: the data never
        changes under an evaluator (a changed copy gets its own evaluator).
        """
        key = (principal_id, scope, operation, data_action, explain)
        found = self._decisions.get(key)
        if found is None:
            found = self._inherited("_decisions", key)
            if found is None:
                # What decide() gathered serves here too; what is gathered here is not kept:
                # the decision is, and a kept _Gathered (six containers) for every question
                # asked once only gave the garbage collector more to scan (a third of
                # bench_access's time).
                gathered = self._gathered.get(key[:4]) or self._collect(
                    principal_id, scope, operation, data_action
                )
                found = self._decision(gathered, explain)
            self._decisions[key] = found
        return found

    def decide(self, principal_id: str, scope: str, operation: str, *, data_action: bool) -> Quick:
        """The outcome alone, and the age of each unconditional grant: the hot path of the
        checks, where most requirements are met and need no evidence."""
        key = (principal_id, scope, operation, data_action)
        found = self._quick.get(key)
        if found is None:
            found = self._inherited("_quick", key)
            if found is None:
                found = self._plainly_allowed(principal_id, scope, operation, data_action)
            if found is None:
                gathered = self._gather(principal_id, scope, operation, data_action)
                found = Quick(
                    gathered.outcome,
                    tuple(
                        (hit.assignment.created_on, bool(hit.via), hit.assignment.scope_key)
                        for hit in gathered.grants
                    ),
                )
            self._quick[key] = found
        return found

    def _plainly_allowed(
        self, principal_id: str, scope: str, operation: str, data_action: bool
    ) -> Quick | None:
        """ALLOWED, found without building evidence, when nothing can spoil it: the target has
        been asked about often (BULK_TARGET), no deny assignment or unread deny list can reach
        it, its management groups are known, and a group of the principal (or the principal)
        holds an unconditional grant.
        None: take the full path, which decides every other case."""
        # Once a target qualifies, its tables of holders are found from the question as asked
        # (thousands of people are asked about the same scope and operation).
        tables = self._hot.get((scope, operation, data_action))
        if tables is None:
            target = scope_key(scope)
            place = self._places.at(target)
            if place.denies or place.deny_errors or not place.knows_management_groups:
                return None
            asked = self._bulk_hits[target] = self._bulk_hits.get(target, 0) + 1
            if asked < BULK_TARGET:
                return None
            found = [
                self._unconditional_holders(k, operation, data_action) for k in place.ancestors
            ]
            tables = self._hot[scope, operation, data_action] = tuple(t for t in found if t)
        via = self.authz.directory.closure(principal_id.strip().lower()).via
        ages: list[tuple[str | None, bool, str]] = []
        for table in tables:
            if via.keys().isdisjoint(table.keys()):
                continue  # the usual case: a person holds at one scope of the chain at most
            ages += [
                (created_on, bool(member_via), at)
                for member, member_via in via.items()
                for created_on, at in table.get(member, ())
            ]
        return Quick(Outcome.ALLOWED, tuple(ages)) if ages else None

    def plain_grants(
        self, scope: str, operation: str, data_action: bool
    ) -> tuple[tuple[str, tuple[Assignment, ...]], ...] | None:
        """The grants at a target that nothing can spoil, for answering many principals at
        once: for each scope at and above the target (key), the active assignments made there
        whose role grants the operation with no condition that names it. Whoever holds one of
        them, itself or through a group, is ALLOWED at the target, as decide() would say.
        None when a deny assignment, or a deny list that could not be read, reaches the target,
        or its management groups are unknown: only decide() can tell then (the conditions
        _plainly_allowed shares)."""
        place = self._places.at(scope_key(scope))
        if place.denies or place.deny_errors or not place.knows_management_groups:
            return None
        found = []
        for key in place.ancestors:
            grants = self._plain.get((key, operation, data_action))
            if grants is None:
                grants = self._plain[key, operation, data_action] = (
                    self._roles.unconditional_grants(
                        self._places.by_role_at(key), operation, data_action
                    )
                )
            found.append((key, grants))
        return tuple(found)

    def added_grants(
        self,
        base: Evaluator,
        key: str,
        operation: str,
        data_action: bool,
        grants: tuple[Assignment, ...],
    ) -> tuple[Assignment, ...] | None:
        """`grants` being what plain_grants lists at one scope (key) here, those of them that
        `base`'s does not list, when this evaluator's assignments there are base's and then
        some more (a whole-plan round's copy: Authorization.with_assignments appends to a
        scope's list) and the roles of base's are defined alike here (as Evaluator.derived and
        Needs.derived make sure): the grants among the more. None when `grants` are not this
        evaluator's there, or its assignments there are not base's and more. Told by comparing
        the lists (in C, identity first), not with a set of thousands of ids per scope."""
        if self._plain.get((key, operation, data_action)) is not grants:
            return None
        now = self.authz.assignments_by_scope.get(key, ())
        then = base.authz.assignments_by_scope.get(key, ())
        if now is then:
            return ()
        if now[: len(then)] != then:
            return None
        by_role: dict[str, list[Assignment]] = {}
        for assignment in now[len(then) :]:
            by_role.setdefault(assignment.role_id, []).append(assignment)
        return self._roles.unconditional_grants(by_role, operation, data_action)

    def plain_holders(self, scope: str, operation: str, data_action: bool) -> frozenset[str] | None:
        """Who holds the operation at a target where nothing can spoil a grant (plain_grants):
        the principals of its grants and every member of their groups. A principal, by its id
        as the evaluator keys it (lower case, no spaces around), is ALLOWED there by decide()
        exactly when it is in the set. None when plain_grants is None: ask decide()."""
        key = (scope, operation, data_action)
        if key in self._plain_holders:
            return self._plain_holders[key]
        levels = self.plain_grants(scope, operation, data_action)
        found: frozenset[str] | None = None
        if levels is not None:
            holders: set[str] = set()
            members_of = self.authz.directory.members_of
            for _, grants in levels:
                for grant in grants:
                    holders.add(grant.principal_id)
                    holders |= members_of(grant.principal_id)
            found = frozenset(holders)
        self._plain_holders[key] = found
        return found

    def _unconditional_holders(self, key: str, operation: str, data: bool) -> Holding:
        """Principal id -> (createdOn, scope key) of each assignment made at this scope (key)
        whose role grants the operation with no condition that names it. Kept per scope, not
        per target: a resource group's table serves every target below it (a hub's 200
        projects), where a table per target re-read the whole chain's assignments for each."""
        found = self._holders_at.get((key, operation, data))
        if found is None:
            found = self._holders_at[key, operation, data] = self._roles.unconditional_holders(
                self._places.by_role_at(key), operation, data
            )
        return found

    def _gather(
        self, principal_id: str, scope: str, operation: str, data_action: bool
    ) -> _Gathered:
        key = (principal_id, scope, operation, data_action)
        found = self._gathered.get(key)
        if found is None:
            found = self._gathered[key] = self._collect(principal_id, scope, operation, data_action)
        return found

    def _collect(
        self, principal_id: str, scope: str, operation: str, data_action: bool
    ) -> _Gathered:
        authz = self.authz
        principal = principal_id.strip().lower()
        target = scope_key(scope)
        place = self._places.at(target)
        ancestors = place.ancestors
        membership = authz.directory.closure(principal)

        grants: list[Hit] = []
        conditional: list[Hit] = []
        unknown_roles: list[Assignment] = []
        roles = self._roles
        matches = roles.for_operation(operation, data_action)
        for assignment, level, via in self._applicable(target, ancestors, membership):
            # The hottest loop: a hit in the table first, of_id only on a miss.
            match = matches.get(assignment.role_id) or roles.of_id(
                matches, assignment.role_id, operation, data_action
            )
            if match is None:
                unknown_roles.append(assignment)
            elif match.granted:
                hit = Hit(assignment, authz.roles[assignment.role_id], match, level, via)
                (conditional if hit.conditional(operation) else grants).append(hit)

        denies, deny_doubts = blocking(membership, place.denies, operation, data_action)
        grant_doubts = [*place.assignment_errors, *membership.unknown]
        grant_doubts += [
            f"role definition {a.role_id} of assignment {a.id} is in neither the "
            "snapshot nor the tool's catalog, so what it grants is unknown"
            for a in unknown_roles
        ]
        deny_doubts += place.deny_errors
        if not place.knows_management_groups:
            more_grants, more_denies = unplaced_management_groups(
                authz, roles, membership, operation, data_action
            )
            grant_doubts += more_grants
            deny_doubts += more_denies

        outcome, unknowns = settle(
            blocked=any(not d.condition for d in denies),
            denied_under_condition=bool(denies),
            granted=bool(grants),
            conditional=bool(conditional),
            grant_doubts=grant_doubts,
            deny_doubts=deny_doubts,
        )
        return _Gathered(
            principal,
            scope,
            target,
            operation,
            data_action,
            ancestors,
            membership,
            outcome,
            grants,
            conditional,
            denies,
            unknown_roles,
            unknowns,
        )

    def _applicable(
        self, target: str, ancestors: tuple[str, ...], membership: Membership
    ) -> list[AppliedAssignment]:
        """Every active assignment of the principal or its groups at the target or above, with
        how far above and through which groups.

        Two ways to the same answer: walk each group's assignments at each ancestor (a few
        look-ups, whatever the target), or, once a target has been asked about often, index the
        assignments at and above it by principal (a look-up per group). The checks ask
        thousands of questions about a few dozen resources; random questions rarely repeat."""
        hits = self._target_hits[target] = self._target_hits.get(target, 0) + 1
        if hits >= HOT_TARGET:
            return self._places.applicable_here(target, ancestors, membership)
        return walk_applicable(self.authz, ancestors, membership)

    def _decision(self, gathered: _Gathered, explain: bool) -> Decision:
        """The full answer with its evidence, from what _collect gathered."""
        g = gathered
        authz = self.authz
        found_eligible = eligible(
            authz, self._roles, g.membership, g.ancestors, g.operation, g.data_action
        )
        near: list[NearMiss] = []
        if explain and g.outcome is not Outcome.ALLOWED:
            near = near_misses(
                authz,
                self._roles,
                g.membership,
                g.ancestors,
                g.operation,
                g.data_action,
                g.unknown_roles,
                self._granting_anywhere,
            )
        entry = authz.directory.get(g.principal)
        grants = [grant_of(h, g.operation) for h in g.grants]
        conditional = [grant_of(h, g.operation) for h in g.conditional]
        return Decision(
            decision=g.outcome,
            principal=g.principal,
            scope=g.scope,
            operation=g.operation,
            data_action=g.data_action,
            grants=tuple(sorted(grants, key=grant_order)),
            denies=tuple(g.denies),
            conditions=tuple(sorted(conditional, key=grant_order)),
            eligible=tuple(found_eligible),
            near_misses=tuple(near),
            unknowns=tuple(dict.fromkeys(g.unknowns)),
            warnings=warnings(authz, entry, g.target),
            principal_type=entry.type if entry else None,
            principal_name=entry.display_name if entry else None,
        )

    def who_can(self, scope: str, operation: str, *, data_action: bool = False) -> list[Holder]:
        """Principals holding the operation at a scope through an assignment at or above it."""
        key = (scope_key(scope), operation.lower(), data_action)
        found = self._holders.get(key)
        if found is None:
            found = self._holders[key] = holders(
                self.authz, scope, operation, data_action, self._granting_at, self._outcome
            )
        return list(found)

    def _outcome(self, principal_id: str, scope: str, operation: str, data_action: bool) -> Outcome:
        # who_can asks about the holders above a fix's scope once per such scope: a Foundry
        # resource's owners once for each of its hundred projects. Where the target adds
        # nothing to its parent for the principal, the parent's answer is its answer, worked
        # out once for every sibling.
        target = scope_key(scope)
        parent = self._same_as_parent(principal_id, target)
        while parent is not None:
            target, parent = parent, self._same_as_parent(principal_id, parent)
        return self.decide(principal_id, target, operation, data_action=data_action).outcome

    def _same_as_parent(self, principal_id: str, target: str) -> str | None:
        """The key of the target's parent when any question about the principal at the target
        has the parent's outcome, else None: the target's chain is the parent's and one more
        scope, at which neither the principal nor a group of it holds an assignment, where no
        deny assignment reaches either of them (one at the parent that spares its children
        would differ), and where no read error is recorded (errors_above of the two agree)."""
        place = self._places.at(target)
        if len(place.ancestors) < 2 or place.denies:
            return None
        parent = place.ancestors[1]
        above = self._places.at(parent)
        if (
            above.denies
            or above.ancestors != place.ancestors[1:]
            or above.assignment_errors != place.assignment_errors
            or above.deny_errors != place.deny_errors
            or above.knows_management_groups != place.knows_management_groups
        ):
            return None
        held = self.authz.assignments_by_principal
        for member in self.authz.directory.closure(principal_id.strip().lower()).via:
            if target in held.get(member, ()):
                return None
        return parent

    def _granting_at(self, key: str, operation: str, data_action: bool) -> list[Assignment]:
        """Assignments at one scope whose role grants the operation: computed once per scope,
        shared by every fix whose scope lies below it."""
        cache_key = (key, operation.lower(), data_action)
        found = self._granting.get(cache_key)
        if found is None:
            found = self._granting[cache_key] = granting_at(
                self.authz, self._roles, key, operation, data_action
            )
        return found
