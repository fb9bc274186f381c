"""The authorization side of a snapshot, indexed for fast evaluation.

Assignments are indexed by principal and then by scope key, so that one access query looks up
(its principal and groups) x (the target scope and its ancestors) instead of scanning every
assignment.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from typing import Any, NamedTuple, cast

from diagnose.arm.scopes import ScopeTree, scope_key
from diagnose.catalog import builtin_role_definitions
from diagnose.model.principals import ALL_PRINCIPALS, Directory
from diagnose.model.roles import PermissionBlock, RoleDefinition, role_guid


class Assignment(NamedTuple):
    """An active role assignment, or a PIM eligibility (same shape)."""

    id: str
    principal_id: str
    role_id: str
    role_definition_id: str
    scope: str
    scope_key: str
    condition: str | None
    principal_type: str | None
    created_on: str | None
    raw: dict[str, Any]

    @classmethod
    def from_arm(cls, item: dict[str, Any]) -> Assignment:
        properties = item["properties"]
        scope = properties["scope"]
        return cls(
            item["id"],
            properties["principalId"].lower(),
            role_guid(properties["roleDefinitionId"]),
            properties["roleDefinitionId"],
            scope,
            scope_key(scope),
            properties.get("condition") or None,
            properties.get("principalType"),
            properties.get("createdOn"),
            item,
        )


@dataclass(frozen=True, slots=True)
class DenyAssignment:
    id: str
    name: str
    description: str
    scope: str
    scope_key: str
    blocks: tuple[PermissionBlock, ...]
    principal_ids: frozenset[str]
    everyone: bool
    exclude_ids: frozenset[str]
    exact_scope_only: bool
    system_protected: bool
    condition: str | None
    raw: dict[str, Any] = field(compare=False, repr=False)

    @classmethod
    def from_arm(cls, item: dict[str, Any]) -> DenyAssignment:
        properties = item["properties"]
        principals = {p["id"].lower() for p in properties.get("principals") or ()}
        return cls(
            id=item["id"],
            name=properties.get("denyAssignmentName") or item.get("name") or item["id"],
            description=properties.get("description") or "",
            scope=properties["scope"],
            scope_key=scope_key(properties["scope"]),
            blocks=tuple(PermissionBlock.from_arm(p) for p in properties.get("permissions") or ()),
            principal_ids=frozenset(principals - {ALL_PRINCIPALS}),
            everyone=ALL_PRINCIPALS in principals,
            exclude_ids=frozenset(
                p["id"].lower() for p in properties.get("excludePrincipals") or ()
            ),
            exact_scope_only=bool(properties.get("doNotApplyToChildScopes")),
            system_protected=bool(properties.get("isSystemProtected")),
            condition=properties.get("condition") or None,
            raw=item,
        )


TOPICS = {
    # Cosmos DB's own (SQL) role assignments and definitions are not Azure RBAC: a failed read
    # of them says nothing about who holds an Azure role on the account (Model.cosmos reads them).
    "sqlroleassignments": "cosmos",
    "sqlroledefinitions": "cosmos",
    "roleassignments": "assignments",
    "denyassignments": "denies",
    "roledefinitions": "definitions",
    "roleeligibility": "eligibility",
    "getmembergroups": "membership",
    "membergroups": "membership",
    "memberof": "membership",
    "transitivememberof": "membership",
}


class ReadError(NamedTuple):
    scope: str
    scope_key: str
    operation: str
    status: int | None
    code: str | None
    message: str
    topic: str

    @classmethod
    def from_snapshot(cls, entry: dict[str, Any]) -> ReadError:
        operation = entry["operation"]
        lowered = operation.lower().replace("/", "")
        topic = next((t for marker, t in TOPICS.items() if marker in lowered), "resource")
        # The message is Azure's and may echo a request: the findings that quote it (as the
        # reason an answer is unknown) quote it without a credential, whatever the snapshot.
        # (The scrubber's patterns are compiled on import: only when there is an error.)
        from diagnose.secrets import scrub_text

        return cls(
            entry["scope"],
            scope_key(entry["scope"]) if entry["scope"].startswith("/") else entry["scope"].lower(),
            operation,
            entry.get("status"),
            entry.get("code"),
            scrub_text(entry["message"]),
            topic,
        )

    def describe(self) -> str:
        status = f"{self.status} " if self.status else ""
        code = f"{self.code}: " if self.code else ""
        return f"{self.operation} at {self.scope} failed ({status}{code}{self.message})"


def _by_principal_and_scope(items: Iterable[Assignment]) -> dict[str, dict[str, list[Assignment]]]:
    index: dict[str, dict[str, list[Assignment]]] = {}
    for item in items:
        _add(index, item)
    return index


def _add(index: dict[str, dict[str, list[Assignment]]], item: Assignment) -> None:
    scopes = index.get(item.principal_id)
    if scopes is None:
        index[item.principal_id] = {item.scope_key: [item]}
        return
    bucket = scopes.get(item.scope_key)
    if bucket is None:
        scopes[item.scope_key] = [item]
    else:
        bucket.append(item)


_properties = itemgetter("properties")
_id = itemgetter("id")
_scope = itemgetter("scope")
_principal_id = itemgetter("principalId")
_role_definition_id = itemgetter("roleDefinitionId")


def _index_arm(
    items: list[dict[str, Any]],
) -> tuple[list[Assignment], dict[str, dict[str, list[Assignment]]]]:
    """Assignments from their ARM objects (as Assignment.from_arm makes them), and indexed by
    principal then scope: the hot loop of loading a large snapshot.

    Each field is read for all items at once by map() over C functions (itemgetter, dict.get,
    str.lower, the memoised scope_key), and the assignments made the same way (tuple.__new__
    with the fields in order is what Assignment(...) does, without the Python frame of its
    generated __new__): only the grouping is a Python loop. A snapshot names a few dozen role
    definitions, so each one's GUID is worked out once."""
    count = len(items)
    properties = list(map(_properties, items))
    scopes = list(map(_scope, properties))
    keys = list(map(scope_key, scopes))
    # A principal holds many assignments: its id is lowered once, and shared.
    ids = list(map(_principal_id, properties))
    lowered = {principal: principal.lower() for principal in set(ids)}
    principals = list(map(lowered.__getitem__, ids))
    definitions = list(map(_role_definition_id, properties))
    guids = {definition: role_guid(definition) for definition in set(definitions)}
    made: list[Assignment] = list(
        map(
            tuple.__new__,
            repeat(Assignment, count),
            zip(
                map(_id, items),
                principals,
                map(guids.__getitem__, definitions),
                definitions,
                scopes,
                keys,
                [c or None for c in map(dict.get, properties, repeat("condition", count))],
                map(dict.get, properties, repeat("principalType", count)),
                map(dict.get, properties, repeat("createdOn", count)),
                items,
                strict=True,
            ),
        )
    )
    index: dict[str, dict[str, list[Assignment]]] = {}
    for assignment, principal, key in zip(made, principals, keys, strict=True):
        by_scope = index.get(principal)
        if by_scope is None:
            index[principal] = {key: [assignment]}
            continue
        bucket = by_scope.get(key)
        if bucket is None:
            by_scope[key] = [assignment]
        else:
            bucket.append(assignment)
    return made, index


class Authorization:
    """Role definitions, assignments, deny assignments, eligibility, principals and read errors."""

    def __init__(
        self,
        *,
        tree: ScopeTree,
        roles: dict[str, RoleDefinition],
        assignments: list[Assignment],
        eligibilities: list[Assignment],
        denies: list[DenyAssignment],
        directory: Directory,
        errors: list[ReadError],
        indexes: tuple[
            dict[str, dict[str, list[Assignment]]], dict[str, dict[str, list[Assignment]]]
        ]
        | None = None,
    ) -> None:
        self.tree = tree
        self.roles = roles
        self._assignments = assignments
        self._extra: list[Assignment] = []
        self.eligibilities = eligibilities
        self.denies = denies
        self.directory = directory
        self.errors = errors
        by_assignment, by_eligibility = indexes or (
            _by_principal_and_scope(assignments),
            _by_principal_and_scope(eligibilities),
        )
        self.assignments_by_principal: Mapping[str, dict[str, list[Assignment]]] = by_assignment
        self.eligibilities_by_principal = by_eligibility
        self._assignments_by_scope: Mapping[str, list[Assignment]] | None = None
        self._overlay_of: Authorization | None = None
        self.denies_by_scope: dict[str, list[DenyAssignment]] = {}
        for deny in denies:
            self.denies_by_scope.setdefault(deny.scope_key, []).append(deny)
        self.errors_by_topic: dict[str, dict[str, list[ReadError]]] = {}
        for error in errors:
            self.errors_by_topic.setdefault(error.topic, {}).setdefault(error.scope_key, []).append(
                error
            )

    @classmethod
    def from_snapshot(cls, data: dict[str, Any], tree: ScopeTree) -> Authorization:
        roles = {}
        for definition in builtin_role_definitions():
            role = RoleDefinition.from_arm(definition, "catalog")
            roles[role.id] = role
        for definition in data["roleDefinitions"]:
            role = RoleDefinition.from_arm(definition, "snapshot")
            roles[role.id] = role
        errors = [ReadError.from_snapshot(e) for e in data["errors"]]
        membership_errors = {
            e.scope_key.rsplit("/", 1)[-1]: e.message for e in errors if e.topic == "membership"
        }
        assignments, by_assignment = _index_arm(data["roleAssignments"])
        eligibilities, by_eligibility = _index_arm(data["roleEligibilities"])
        return cls(
            tree=tree,
            roles=roles,
            assignments=assignments,
            eligibilities=eligibilities,
            denies=[DenyAssignment.from_arm(d) for d in data["denyAssignments"]],
            directory=Directory.from_snapshot(
                data["principals"], membership_errors, others=(*by_assignment, *by_eligibility)
            ),
            errors=errors,
            indexes=(by_assignment, by_eligibility),
        )

    @property
    def assignments(self) -> list[Assignment]:
        return [*self._assignments, *self._extra] if self._extra else self._assignments

    @property
    def assignments_by_scope(self) -> Mapping[str, list[Assignment]]:
        """Built on first use; a copy made by with_assignments overlays its few new
        assignments on the original's index instead of rebuilding it."""
        if self._assignments_by_scope is None:
            if self._overlay_of is not None:
                base = self._overlay_of.assignments_by_scope
                added: dict[str, list[Assignment]] = {}
                for item in self._extra:
                    bucket = added.get(item.scope_key)
                    if bucket is None:  # copied once per scope, not once per new assignment
                        bucket = added[item.scope_key] = list(base.get(item.scope_key, ()))
                    bucket.append(item)
                # ChainMap writes to its first map only: the shared index is never changed.
                self._assignments_by_scope = ChainMap(
                    added, cast("MutableMapping[str, list[Assignment]]", base)
                )
            else:
                index: dict[str, list[Assignment]] = {}
                for item in self._assignments:
                    index.setdefault(item.scope_key, []).append(item)
                self._assignments_by_scope = index
        return self._assignments_by_scope

    def role(self, role_id: str) -> RoleDefinition | None:
        return self.roles.get(role_guid(role_id))

    def errors_above(self, key: str, topic: str) -> list[ReadError]:
        """Read errors of one topic at this scope or any ancestor of it."""
        by_scope = self.errors_by_topic.get(topic)
        if not by_scope:
            return []
        found: list[ReadError] = []
        for ancestor in self.tree.ancestors(key):
            found.extend(by_scope.get(ancestor, ()))
        return found

    def held_at(
        self, principal_id: str, scope_keys: Iterable[str]
    ) -> Iterator[tuple[Assignment, tuple[str, ...]]]:
        """The active assignments a principal holds exactly at these scopes (keys), directly
        or through its groups, each with the groups crossed (Membership.via)."""
        keys = tuple(scope_keys)
        for member, via in self.directory.closure(principal_id).via.items():
            by_scope = self.assignments_by_principal.get(member)
            # Most groups hold nothing at these few scopes: told in C before the walk.
            if not by_scope or by_scope.keys().isdisjoint(keys):
                continue
            for key in keys:
                for assignment in by_scope.get(key, ()):
                    yield assignment, via

    def principals_added_since(self, base: Authorization) -> frozenset[str] | None:
        """The principals whose assignments this copy adds to `base` (with_assignments); None
        when it is not such a copy of `base` (assignments removed, or another base)."""
        if self is base:
            return frozenset()
        if self._overlay_of is not base:
            return None
        return frozenset(a.principal_id for a in self._extra)

    def with_assignments(
        self, extra: list[Assignment], extra_roles: Iterable[RoleDefinition] = ()
    ) -> Authorization:
        """A copy with more active assignments: how a planned fix is proven before it is shown.

        The copy overlays the new assignments on the shared indexes (nothing large is copied),
        so proving thousands of fixes stays cheap.
        """
        clone = object.__new__(Authorization)
        clone.__dict__.update(self.__dict__)
        clone.roles = (
            {**self.roles, **{r.id: r for r in extra_roles}} if extra_roles else self.roles
        )
        clone._extra = [*self._extra, *extra]
        clone._overlay_of = self._overlay_of or self
        overlay: dict[str, dict[str, list[Assignment]]] = {}
        for principal_id, added in _by_principal_and_scope(extra).items():
            merged = dict(self.assignments_by_principal.get(principal_id, {}))
            for key, bucket in added.items():
                merged[key] = [*merged.get(key, ()), *bucket]
            overlay[principal_id] = merged
        clone.assignments_by_principal = ChainMap(
            overlay,
            cast("MutableMapping[str, dict[str, list[Assignment]]]", self.assignments_by_principal),
        )
        clone._assignments_by_scope = None
        return clone
