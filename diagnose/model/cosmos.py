"""Cosmos DB SQL RBAC as data: an account's SQL role definitions and assignments, and whether
the snapshot could read them (matching is in diagnose.rbac.cosmos).

Cosmos DB data access is not Azure RBAC. It is granted by `sqlRoleAssignments`, child resources
of the account (`<account>/sqlRoleAssignments/<guid>`), each naming a principal, a SQL role
definition (`<account>/sqlRoleDefinitions/<guid>`: dataActions and notDataActions) and a path
scope: the account, a database (`<account>/dbs/<db>`) or a container
(`<account>/dbs/<db>/colls/<container>`). The Azure CLI also takes the scope relative to the
account ("/", "/dbs/<db>", "/dbs/<db>/colls/<container>"), so both spellings are read.

Case: the ARM part of a scope (subscription, resource group, account) is compared
case-insensitively, as ARM compares it, and so are the keywords `dbs` and `colls`; database and
container ids are case-sensitive in Cosmos DB (`memory` and `Memory` are two databases), so they
are compared exactly.

What the snapshot could not read is never taken for "no assignment": an account's assignments
are known only when the snapshot holds at least one of its SQL role definitions or assignments
(Azure lists the two built-in definitions for every account, so a collector that read the
account's SQL RBAC has them) and no read of its SQL role assignments failed (`errors[]`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from diagnose.arm.ids import last_segment
from diagnose.arm.scopes import scope_key
from diagnose.arm.types import (
    COSMOS_ACCOUNT,
    COSMOS_SQL_ROLE_ASSIGNMENT,
    COSMOS_SQL_ROLE_DEFINITION,
)
from diagnose.model.authorization import ReadError
from diagnose.model.resources import Resource

BUILTIN_DATA_READER = "00000000-0000-0000-0000-000000000001"
BUILTIN_DATA_CONTRIBUTOR = "00000000-0000-0000-0000-000000000002"
_DB = "Microsoft.DocumentDB/databaseAccounts"
BUILTIN_DEFINITIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    BUILTIN_DATA_READER: (
        "Cosmos DB Built-in Data Reader",
        (
            f"{_DB}/readMetadata",
            f"{_DB}/sqlDatabases/containers/executeQuery",
            f"{_DB}/sqlDatabases/containers/readChangeFeed",
            f"{_DB}/sqlDatabases/containers/items/read",
        ),
    ),
    BUILTIN_DATA_CONTRIBUTOR: (
        "Cosmos DB Built-in Data Contributor",
        (
            f"{_DB}/readMetadata",
            f"{_DB}/sqlDatabases/containers/*",
            f"{_DB}/sqlDatabases/containers/items/*",
        ),
    ),
}
"""The two built-in SQL role definitions every account has (same GUID in every account), with
their documented dataActions: used when the snapshot does not list them."""

DEFINITIONS = "sqlRoleDefinitions"
ASSIGNMENTS = "sqlRoleAssignments"


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value or () if isinstance(v, str) and v.strip())


@dataclass(frozen=True, slots=True)
class CosmosPath:
    """Where a Cosmos DB SQL role assignment applies inside its account: the account itself
    (no database), a database, or a container of a database."""

    database: str | None = None
    container: str | None = None

    @property
    def depth(self) -> int:
        """0 for the account, 1 for a database, 2 for a container."""
        return 0 if self.database is None else 1 if self.container is None else 2

    @property
    def level(self) -> str:
        return ("account", "database", "container")[self.depth]

    @property
    def relative(self) -> str:
        """As the Azure CLI and PowerShell take it: "/", "/dbs/<db>" or
        "/dbs/<db>/colls/<container>"."""
        if self.database is None:
            return "/"
        if self.container is None:
            return f"/dbs/{self.database}"
        return f"/dbs/{self.database}/colls/{self.container}"

    def contains(self, other: CosmosPath) -> bool:
        """Whether an assignment at this path applies at `other`: this path is `other` or a
        prefix of it by whole segments (ids compared exactly, as Cosmos DB does)."""
        if self.database is None:
            return True
        if self.database != other.database:
            return False
        return self.container is None or self.container == other.container

    def under(self, account_id: str) -> str:
        """The full ARM path of this scope in an account (as Azure returns `scope`)."""
        base = account_id.rstrip("/")
        return base if self.database is None else base + self.relative


ACCOUNT_PATH = CosmosPath()


def parse_path(scope: str, account_id: str) -> CosmosPath | None:
    """A scope (full ARM path under the account, or relative: "/", "/dbs/<db>",
    "/dbs/<db>/colls/<c>", also without the leading slash) as a CosmosPath; None when it is no
    path of this account (another account, an empty name, more segments)."""
    text = scope.strip()
    base = account_id.rstrip("/")
    if text.lower().startswith("/subscriptions/"):
        if text.lower() == base.lower() or text.lower() == base.lower() + "/":
            return ACCOUNT_PATH
        if not text.lower().startswith(base.lower() + "/"):
            return None
        text = text[len(base) :]
    text = text.strip("/")
    if not text:
        return ACCOUNT_PATH
    parts = text.split("/")
    if len(parts) not in (2, 4) or any(not p for p in parts):
        return None
    if parts[0].lower() != "dbs":
        return None
    if len(parts) == 2:
        return CosmosPath(parts[1])
    if parts[2].lower() != "colls":
        return None
    return CosmosPath(parts[1], parts[3])


@dataclass(frozen=True, slots=True)
class CosmosPermission:
    data_actions: tuple[str, ...]
    not_data_actions: tuple[str, ...]

    @classmethod
    def from_arm(cls, permission: dict[str, Any]) -> CosmosPermission:
        return cls(
            _strings(permission.get("dataActions")), _strings(permission.get("notDataActions"))
        )


@dataclass(frozen=True, slots=True)
class CosmosRoleDefinition:
    id: str
    """The full id as the snapshot gives it (for a built-in the snapshot does not list, the id
    it has in this account)."""
    guid: str
    """Lower-case: assignments name definitions by id, never by name."""
    name: str
    role_type: str
    """BuiltInRole or CustomRole."""
    assignable_scopes: tuple[str, ...]
    permissions: tuple[CosmosPermission, ...]
    source: str
    """'snapshot' when listed, 'catalog' for a built-in the snapshot does not list."""

    @classmethod
    def from_arm(cls, item: dict[str, Any]) -> CosmosRoleDefinition:
        properties = item.get("properties") or {}
        guid = last_segment(str(item.get("name") or item["id"])).lower()
        builtin = BUILTIN_DEFINITIONS.get(guid)
        return cls(
            id=item["id"],
            guid=guid,
            name=str(properties.get("roleName") or (builtin[0] if builtin else guid)),
            role_type=str(properties.get("type") or "CustomRole"),
            assignable_scopes=_strings(properties.get("assignableScopes")),
            permissions=tuple(
                CosmosPermission.from_arm(p)
                for p in properties.get("permissions") or ()
                if isinstance(p, dict)
            ),
            source="snapshot",
        )

    @classmethod
    def builtin(cls, guid: str, account_id: str) -> CosmosRoleDefinition:
        name, actions = BUILTIN_DEFINITIONS[guid]
        return cls(
            id=f"{account_id.rstrip('/')}/{DEFINITIONS}/{guid}",
            guid=guid,
            name=name,
            role_type="BuiltInRole",
            assignable_scopes=(account_id.rstrip("/"),),
            permissions=(CosmosPermission(actions, ()),),
            source="catalog",
        )

    @property
    def data_actions(self) -> tuple[str, ...]:
        return tuple(a for p in self.permissions for a in p.data_actions)


@dataclass(frozen=True, slots=True)
class CosmosRoleAssignment:
    id: str
    principal_id: str
    """Lower-case object id."""
    role_definition_id: str
    """As the snapshot gives it (a full id)."""
    role_guid: str
    scope: str
    """As the snapshot gives it."""
    path: CosmosPath | None
    """Where it applies in its account; None when its scope is no path of the account."""
    raw: dict[str, Any] = field(compare=False, repr=False)

    @classmethod
    def from_arm(cls, item: dict[str, Any], account_id: str) -> CosmosRoleAssignment | None:
        properties = item.get("properties") or {}
        principal = properties.get("principalId")
        definition = properties.get("roleDefinitionId")
        if not isinstance(principal, str) or not isinstance(definition, str):
            return None
        scope = str(properties.get("scope") or "")
        return cls(
            id=item["id"],
            principal_id=principal.strip().lower(),
            role_definition_id=definition,
            role_guid=last_segment(definition).lower(),
            scope=scope,
            path=parse_path(scope, account_id),
            raw=item,
        )


@dataclass(frozen=True)
class CosmosAccount:
    """One Cosmos DB account's SQL RBAC, as far as the snapshot read it."""

    resource: Resource
    definitions: Mapping[str, CosmosRoleDefinition]
    """GUID -> definition: the listed ones, and the two built-ins whether listed or not."""
    assignments: tuple[CosmosRoleAssignment, ...]
    assignment_doubts: tuple[str, ...]
    """Why the assignments may be incomplete (empty: they were read)."""
    definition_doubts: tuple[str, ...]
    """Why custom definitions may be missing (empty: they were read)."""
    by_principal: Mapping[str, tuple[CosmosRoleAssignment, ...]] = field(repr=False)

    @property
    def id(self) -> str:
        return self.resource.id

    @property
    def name(self) -> str:
        return self.resource.name

    @property
    def assignments_known(self) -> bool:
        return not self.assignment_doubts

    @property
    def local_auth_disabled(self) -> bool:
        """disableLocalAuth: the account refuses its keys; only Entra ID callers holding a SQL
        role get in."""
        return self.resource.prop("disableLocalAuth") is True

    def path(self, scope: str) -> CosmosPath | None:
        return parse_path(scope, self.resource.id)

    def definition(self, role_definition_id: str) -> CosmosRoleDefinition | None:
        return self.definitions.get(last_segment(role_definition_id).lower())

    def definition_id(self, guid: str) -> str:
        """The full id of a definition of this account by GUID."""
        known = self.definitions.get(guid.lower())
        return known.id if known else f"{self.resource.id.rstrip('/')}/{DEFINITIONS}/{guid}"

    @classmethod
    def build(
        cls,
        resource: Resource,
        children: Iterable[Resource],
        errors: Sequence[ReadError],
    ) -> CosmosAccount:
        definitions: dict[str, CosmosRoleDefinition] = {}
        assignments: list[CosmosRoleAssignment] = []
        listed_any = False
        for child in children:
            if child.type == COSMOS_SQL_ROLE_DEFINITION:
                listed_any = True
                definition = CosmosRoleDefinition.from_arm(child.raw)
                definitions[definition.guid] = definition
            elif child.type == COSMOS_SQL_ROLE_ASSIGNMENT:
                listed_any = True
                assignment = CosmosRoleAssignment.from_arm(child.raw, resource.id)
                if assignment is not None:
                    assignments.append(assignment)
        listed_definitions = any(d.source == "snapshot" for d in definitions.values())
        for guid in BUILTIN_DEFINITIONS:
            definitions.setdefault(guid, CosmosRoleDefinition.builtin(guid, resource.id))
        assignment_doubts = [
            f"reading the SQL role assignments of Cosmos DB account '{resource.name}' failed: "
            f"{e.describe()}"
            for e in errors
            if ASSIGNMENTS.lower() in e.operation.lower()
        ]
        definition_doubts = [
            f"reading the SQL role definitions of Cosmos DB account '{resource.name}' failed: "
            f"{e.describe()}"
            for e in errors
            if DEFINITIONS.lower() in e.operation.lower()
        ]
        if not listed_any and not assignment_doubts:
            assignment_doubts.append(
                f"the snapshot holds no SQL role assignment or definition of Cosmos DB account "
                f"'{resource.name}' (Azure lists two built-in definitions for every account): "
                "they were not collected"
            )
        if not listed_definitions and not definition_doubts:
            definition_doubts.append(
                f"the SQL role definitions of Cosmos DB account '{resource.name}' were not "
                "collected"
            )
        by_principal: dict[str, list[CosmosRoleAssignment]] = {}
        for assignment in assignments:
            by_principal.setdefault(assignment.principal_id, []).append(assignment)
        return cls(
            resource=resource,
            definitions=definitions,
            assignments=tuple(assignments),
            assignment_doubts=tuple(assignment_doubts),
            definition_doubts=tuple(definition_doubts),
            by_principal={k: tuple(v) for k, v in by_principal.items()},
        )


class CosmosIndex:
    """Every Cosmos DB account of a snapshot with its SQL RBAC (Model.cosmos)."""

    def __init__(self, resources: Mapping[str, Resource], errors: Sequence[ReadError]) -> None:
        self.resources = resources
        self.errors = errors
        children: dict[str, list[Resource]] = {}
        for resource in resources.values():
            if resource.type in (COSMOS_SQL_ROLE_ASSIGNMENT, COSMOS_SQL_ROLE_DEFINITION):
                children.setdefault(scope_key(resource.parent_id), []).append(resource)
        mine: dict[str, list[ReadError]] = {}
        for error in errors:
            lowered = error.operation.lower()
            if ASSIGNMENTS.lower() in lowered or DEFINITIONS.lower() in lowered:
                mine.setdefault(_account_key(error.scope_key), []).append(error)
        self._children = children
        self._errors_of = mine
        self.accounts: dict[str, CosmosAccount] = {
            resource.key: CosmosAccount.build(
                resource, children.get(resource.key, ()), mine.get(resource.key, ())
            )
            for resource in resources.values()
            if resource.type == COSMOS_ACCOUNT
        }

    def account(self, account_id: str | None) -> CosmosAccount | None:
        return self.accounts.get(scope_key(account_id)) if account_id else None

    def with_added(
        self, resources: Mapping[str, Resource], added: Iterable[Resource]
    ) -> CosmosIndex:
        """The index of `resources`: these resources, with ids new to this index's and after
        its resources, added to them (Model.with_resources). Only the accounts they are SQL
        role definitions or assignments of are built again; the other accounts are this
        index's."""
        clone = object.__new__(CosmosIndex)
        clone.resources = resources
        clone.errors = self.errors
        clone._errors_of = self._errors_of
        children = dict(self._children)
        changed: set[str] = set()
        for resource in added:
            if resource.type in (COSMOS_SQL_ROLE_ASSIGNMENT, COSMOS_SQL_ROLE_DEFINITION):
                key = scope_key(resource.parent_id)
                children[key] = [*children.get(key, ()), resource]
                changed.add(key)
        clone._children = children
        clone.accounts = dict(self.accounts)
        for key in changed:
            account = clone.accounts.get(key)
            if account is not None:
                clone.accounts[key] = CosmosAccount.build(
                    account.resource, children[key], self._errors_of.get(key, ())
                )
        return clone


def _account_key(key: str) -> str:
    """The key of the account a scope key lies in (the scope itself when it is no account's
    child)."""
    marker = "/providers/microsoft.documentdb/databaseaccounts/"
    at = key.find(marker)
    if at < 0:
        return key
    rest = key[at + len(marker) :].split("/", 1)[0]
    return key[: at + len(marker)] + rest
