"""The authorization side of a snapshot, indexed for fast evaluation.

Assignments are indexed by principal and then by scope key, so that one access query looks up
(its principal and groups) x (the target scope and its ancestors) instead of scanning every
assignment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from diagnose.catalog import builtin_role_definitions
from diagnose.model.principals import ALL_PRINCIPALS, Directory
from diagnose.model.roles import PermissionBlock, RoleDefinition, role_guid
from diagnose.model.scopes import ScopeTree, scope_key


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
            exclude_ids=frozenset(p["id"].lower()
                                  for p in properties.get("excludePrincipals") or ()),
            exact_scope_only=bool(properties.get("doNotApplyToChildScopes")),
            system_protected=bool(properties.get("isSystemProtected")),
            condition=properties.get("condition") or None,
            raw=item,
        )


TOPICS = {
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
        return cls(entry["scope"], scope_key(entry["scope"]) if entry["scope"].startswith("/")
                   else entry["scope"].lower(), operation, entry.get("status"), entry.get("code"),
                   entry["message"], topic)

    def describe(self) -> str:
        status = f"{self.status} " if self.status else ""
        code = f"{self.code}: " if self.code else ""
        return f"{self.operation} at {self.scope} failed ({status}{code}{self.message})"


def _by_principal_and_scope(items: Iterable[Assignment]) -> dict[str, dict[str, list[Assignment]]]:
    index: dict[str, dict[str, list[Assignment]]] = {}
    for item in items:
        scopes = index.get(item.principal_id)
        if scopes is None:
            scopes = index[item.principal_id] = {}
        bucket = scopes.get(item.scope_key)
        if bucket is None:
            scopes[item.scope_key] = [item]
        else:
            bucket.append(item)
    return index


class Authorization:
    """Role definitions, assignments, deny assignments, eligibility, principals and read errors."""

    def __init__(self, *, tree: ScopeTree, roles: dict[str, RoleDefinition],
                 assignments: list[Assignment], eligibilities: list[Assignment],
                 denies: list[DenyAssignment], directory: Directory,
                 errors: list[ReadError]) -> None:
        self.tree = tree
        self.roles = roles
        self.assignments = assignments
        self.eligibilities = eligibilities
        self.denies = denies
        self.directory = directory
        self.errors = errors
        self.assignments_by_principal = _by_principal_and_scope(assignments)
        self.eligibilities_by_principal = _by_principal_and_scope(eligibilities)
        self._assignments_by_scope: dict[str, list[Assignment]] | None = None
        self.denies_by_scope: dict[str, list[DenyAssignment]] = {}
        for deny in denies:
            self.denies_by_scope.setdefault(deny.scope_key, []).append(deny)
        self.errors_by_topic: dict[str, dict[str, list[ReadError]]] = {}
        for error in errors:
            self.errors_by_topic.setdefault(error.topic, {}).setdefault(
                error.scope_key, []).append(error)

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
        membership_errors = {e.scope_key.rsplit("/", 1)[-1]: e.message
                             for e in errors if e.topic == "membership"}
        return cls(
            tree=tree,
            roles=roles,
            assignments=[Assignment.from_arm(a) for a in data["roleAssignments"]],
            eligibilities=[Assignment.from_arm(a) for a in data["roleEligibilities"]],
            denies=[DenyAssignment.from_arm(d) for d in data["denyAssignments"]],
            directory=Directory.from_snapshot(data["principals"], membership_errors),
            errors=errors,
        )

    @property
    def assignments_by_scope(self) -> dict[str, list[Assignment]]:
        """Built on first use: only `who_can` and the planner need it."""
        if self._assignments_by_scope is None:
            index: dict[str, list[Assignment]] = {}
            for item in self.assignments:
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

    def with_assignments(self, extra: list[Assignment],
                         extra_roles: Iterable[RoleDefinition] = ()) -> Authorization:
        """A copy with more active assignments: how a planned fix is proven before it is shown.

        The indexes are shared, except the few buckets the new assignments land in.
        """
        clone = object.__new__(Authorization)
        clone.__dict__.update(self.__dict__)
        clone.roles = {**self.roles, **{r.id: r for r in extra_roles}}
        clone.assignments = [*self.assignments, *extra]
        clone.assignments_by_principal = dict(self.assignments_by_principal)
        for item in extra:
            scopes = dict(clone.assignments_by_principal.get(item.principal_id, {}))
            scopes[item.scope_key] = [*scopes.get(item.scope_key, ()), item]
            clone.assignments_by_principal[item.principal_id] = scopes
        clone._assignments_by_scope = None
        return clone
