"""Cosmos DB data access, decided the way Cosmos DB decides it (SQL RBAC, not Azure RBAC).

Does principal P hold data action A at path S of Cosmos DB account X?

1. A SQL role assignment of the account counts when its principal is P or a group P belongs to
   (transitively; group closures the snapshot could not read make a missing grant unknown, as
   in the Azure RBAC evaluator) and its scope is the account or a prefix of S by whole segments
   (`dbs/memory` is not under `dbs/mem`; database and container ids compared exactly, as
   Cosmos DB does: diagnose.model.cosmos).
2. Its role definition grants A when one of its permissions has A in dataActions (`*` matches
   any run of characters, so `.../containers/*` covers every container and item action) and
   not in that permission's notDataActions.
3. Azure RBAC roles (Owner, Contributor, Cosmos DB Operator) grant no data access: they are not
   looked at. There is no deny assignment and no condition in Cosmos SQL RBAC.
4. What the snapshot could not read (the account's SQL role assignments, a definition an
   assignment names, a group closure) makes a missing grant "unknown", never "missing".

The answer is a Decision (diagnose.rbac.decision), as the Azure RBAC evaluator gives: allowed
with the assignments that grant it, denied with the near misses (the principal's assignments at
other paths whose role grants it, definitions that lack it or remove it), or unknown with what
could not be read. Reports render it as they render any decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from diagnose.model.cosmos import (
    CosmosIndex,
    CosmosPath,
    CosmosRoleAssignment,
    CosmosRoleDefinition,
)
from diagnose.model.principals import Directory
from diagnose.rbac.decision import Decision, Grant, NearMiss, Outcome
from diagnose.rbac.near_misses import MAX_NEAR_MISSES
from diagnose.rbac.patterns import common_prefix_segments, first_match

_ORDER = ("notActions", "otherScope", "partial", "unknownRole")


@dataclass(frozen=True, slots=True)
class CosmosMatch:
    """How one SQL role definition relates to one data action."""

    granted: bool
    matched_pattern: str | None = None
    excluded_by: str | None = None


def match_definition(definition: CosmosRoleDefinition, action: str) -> CosmosMatch:
    """Whether a SQL role definition grants a data action: dataActions minus notDataActions,
    inside one permission (another permission may still grant what one removes)."""
    excluded: CosmosMatch | None = None
    for permission in definition.permissions:
        allowed_by = first_match(permission.data_actions, action)
        if allowed_by is None:
            continue
        excluded_by = first_match(permission.not_data_actions, action)
        if excluded_by is None:
            return CosmosMatch(True, allowed_by)
        excluded = excluded or CosmosMatch(False, allowed_by, excluded_by)
    return excluded or CosmosMatch(False)


class CosmosEvaluator:
    """Answers about the Cosmos DB accounts of one model (Model.cosmos), remembered: the data
    never changes under an evaluator."""

    def __init__(self, cosmos: CosmosIndex, directory: Directory) -> None:
        self.cosmos = cosmos
        self.directory = directory
        self._decisions: dict[tuple[str, str, str, str], Decision] = {}

    def check(self, principal_id: str, account_id: str, path: str, action: str) -> Decision:
        """Whether the principal holds the data action at a path of the account (`path`: a
        full ARM path under the account, or relative: "/", "/dbs/<db>", ...), and why."""
        key = (principal_id.strip().lower(), account_id.lower(), path, action)
        found = self._decisions.get(key)
        if found is None:
            found = self._decisions[key] = self._decide(key[0], account_id, path, action)
        return found

    def check_all(
        self, principal_id: str, account_id: str, path: str, actions: Iterable[str]
    ) -> tuple[Decision, ...]:
        return tuple(self.check(principal_id, account_id, path, a) for a in actions)

    def _decide(self, principal: str, account_id: str, path_text: str, action: str) -> Decision:
        entry = self.directory.get(principal)
        kind = entry.type if entry else None
        name = entry.display_name if entry else None
        account = self.cosmos.account(account_id)
        if account is None:
            return Decision(
                Outcome.UNKNOWN,
                principal,
                account_id if path_text.startswith("/subscriptions/") else path_text,
                action,
                True,
                unknowns=(f"the Cosmos DB account {account_id} is not in the snapshot",),
                principal_type=kind,
                principal_name=name,
            )
        target = account.path(path_text)
        if target is None:
            raise ValueError(f"{path_text!r} is no path of Cosmos DB account {account.id}")
        scope = target.under(account.id)
        membership = self.directory.closure(principal)
        grants: list[Grant] = []
        misses: list[tuple[int, str, NearMiss]] = []
        unknown_roles: list[CosmosRoleAssignment] = []
        for member, via in membership.via.items():
            for assignment in account.by_principal.get(member, ()):
                definition = account.definition(assignment.role_definition_id)
                if definition is None:
                    if assignment.path is not None and assignment.path.contains(target):
                        unknown_roles.append(assignment)
                    continue
                match = match_definition(definition, action)
                applies = assignment.path is not None and assignment.path.contains(target)
                if applies and match.granted:
                    grants.append(_grant(assignment, definition, match, target, via))
                    continue
                miss = _near_miss(assignment, definition, match, applies, target, action, via)
                if miss is not None:
                    misses.append((_ORDER.index(miss.kind), definition.name, miss))
        doubts = [*account.assignment_doubts, *membership.unknown]
        for assignment in unknown_roles:
            doubts.append(
                f"SQL role definition {assignment.role_guid} of assignment {assignment.id} is not "
                "in the snapshot, so what it grants is unknown"
                + (f" ({account.definition_doubts[0]})" if account.definition_doubts else "")
            )
            misses.append(
                (
                    _ORDER.index("unknownRole"),
                    assignment.role_guid,
                    NearMiss(
                        "unknownRole",
                        assignment.id,
                        assignment.role_definition_id,
                        assignment.role_guid,
                        assignment.scope,
                        assignment.principal_id,
                        membership.via.get(assignment.principal_id, ()),
                        "the SQL role definition is not in the snapshot, so what it grants is "
                        "unknown",
                    ),
                )
            )
        unknowns: tuple[str, ...] = ()
        if grants:
            outcome = Outcome.ALLOWED
        else:
            outcome = Outcome.UNKNOWN if doubts else Outcome.DENIED
            unknowns = tuple(dict.fromkeys(doubts))
        misses.sort(key=lambda item: (item[0], item[1], item[2].scope))
        return Decision(
            decision=outcome,
            principal=principal,
            scope=scope,
            operation=action,
            data_action=True,
            grants=tuple(sorted(grants, key=lambda g: (len(g.via), g.levels_above, g.role_name))),
            near_misses=tuple(m for _, _, m in misses[:MAX_NEAR_MISSES]) if not grants else (),
            unknowns=unknowns,
            principal_type=kind,
            principal_name=name,
        )


def _grant(
    assignment: CosmosRoleAssignment,
    definition: CosmosRoleDefinition,
    match: CosmosMatch,
    target: CosmosPath,
    via: tuple[str, ...],
) -> Grant:
    assert assignment.path is not None
    return Grant(
        role_assignment_id=assignment.id,
        role_definition_id=assignment.role_definition_id,
        role_name=definition.name,
        scope=assignment.scope,
        scope_level=f"Cosmos DB {assignment.path.level}",
        levels_above=target.depth - assignment.path.depth,
        principal_id=assignment.principal_id,
        via=via,
        matched_pattern=match.matched_pattern or "",
        role_source=definition.source,
    )


def _near_miss(
    assignment: CosmosRoleAssignment,
    definition: CosmosRoleDefinition,
    match: CosmosMatch,
    applies: bool,
    target: CosmosPath,
    action: str,
    via: tuple[str, ...],
) -> NearMiss | None:
    def miss(kind: str, detail: str, pattern: str | None = None) -> NearMiss:
        return NearMiss(
            kind,
            assignment.id,
            assignment.role_definition_id,
            definition.name,
            assignment.scope,
            assignment.principal_id,
            via,
            detail,
            pattern,
            match.excluded_by,
        )

    if not applies:
        if not match.granted:
            return None
        where = assignment.path.relative if assignment.path else assignment.scope
        return miss(
            "otherScope",
            f"{definition.name} grants it, but is assigned at {where}, which does not contain "
            f"{target.relative}",
            match.matched_pattern,
        )
    if match.excluded_by:
        return miss(
            "notActions",
            f"{definition.name} has {match.matched_pattern!r} in its dataActions, but "
            f"{match.excluded_by!r} in its notDataActions removes it",
            match.matched_pattern,
        )
    best = max(
        definition.data_actions, key=lambda p: common_prefix_segments(p, action), default=None
    )
    if best is not None and common_prefix_segments(best, action) >= 2:
        return miss(
            "partial",
            f"{definition.name} grants {best!r} in its dataActions, which does not cover "
            "this action",
            best,
        )
    return None


def outcome_of(decisions: Iterable[Decision]) -> Outcome:
    """The outcome of needing every one of these: denied when one is definitely missing,
    unknown when none is but one cannot be told, allowed when all are granted."""
    found = [d.decision for d in decisions]
    if Outcome.DENIED in found:
        return Outcome.DENIED
    if Outcome.UNKNOWN in found:
        return Outcome.UNKNOWN
    return Outcome.ALLOWED
