"""What a check sees: typed views of the snapshot, never Azure SDK types."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar, cast
from urllib.parse import urlparse

from diagnose.arm import types
from diagnose.arm.ids import last_segment
from diagnose.arm.scopes import level_of, scope_key
from diagnose.byidentity import ByIdentity
from diagnose.engine.api import Operation, PrincipalRef
from diagnose.engine.personas import (
    Classification,
    Declarations,
    Persona,
    PersonaEvidence,
    Personas,
    principal_order,
)
from diagnose.model.authorization import Assignment, ReadError
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.rbac.evaluator import Evaluator

T = TypeVar("T")
AZURE_ML_APP_ID = "0736f41a-0425-4b46-bdb5-1563eff02385"
KEY_AUTH_TYPES = frozenset({"apikey", "accountkey", "sas", "accesskey", "customkeys"})
OPENAI_CATEGORIES = frozenset({"azureopenai", "aiservices", "cognitiveservice"})
SEARCH_CATEGORIES = frozenset({"cognitivesearch"})
BLOB_CATEGORIES = frozenset({"azureblob", "adlsgen2", "azuredatalakegen2"})
ONELAKE_CATEGORIES = frozenset({"azureonelake", "onelake"})


def lower_keys(value: Any) -> dict[str, Any]:
    """A JSON object with lower-case keys (ARM casing varies across api-versions); {} for
    anything else."""
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Connection:
    """A connection of a hub, hub project, Foundry account or Foundry project.

    What it derives from its resource is kept (cached_property): a Resource is never changed
    (a changed copy of a snapshot gets new ones), and the checks read each connection's
    category, authentication and target many times (CheckContext.connections hands out the
    same Connection objects)."""

    resource: Resource
    workspace: Resource

    @property
    def id(self) -> str:
        return self.resource.id

    @property
    def name(self) -> str:
        return self.resource.name

    @cached_property
    def category(self) -> str:
        return str(self.resource.prop("category") or "").lower()

    @cached_property
    def auth_type(self) -> str:
        """Lower-case, for comparisons."""
        return str(self.resource.prop("authType") or "").lower()

    @property
    def auth_type_name(self) -> str:
        """As Azure spells it, for messages."""
        return str(self.resource.prop("authType") or "none")

    @cached_property
    def target(self) -> str:
        return str(self.resource.prop("target") or "")

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self._metadata)  # the caller's own, as each call's was

    @cached_property
    def _metadata(self) -> dict[str, Any]:
        return lower_keys(self.resource.prop("metadata"))

    @property
    def credentials(self) -> dict[str, Any]:
        """What the scrub keeps of the connection's credentials (the identity ids a managed
        identity connection names), lower-case keys."""
        return lower_keys(self.resource.prop("credentials"))

    @property
    def shared(self) -> bool:
        return bool(self.resource.prop("isSharedToAll"))

    @cached_property
    def shared_with(self) -> tuple[str, ...]:
        """The entries of `sharedUserList` (lower-case): the projects (by id or name) or the
        principals (by object id) a hub connection is shared with besides isSharedToAll."""
        listed = self.resource.prop("sharedUserList")
        if not isinstance(listed, list):
            return ()
        return tuple(str(v).strip().lower() for v in listed if isinstance(v, str) and v.strip())

    @property
    def uses_entra_id(self) -> bool:
        return self.auth_type == "aad"

    @property
    def uses_managed_identity(self) -> bool:
        """authType `ManagedIdentity`: every call through it runs as that identity, not as the
        person."""
        return self.auth_type == "managedidentity"

    @property
    def uses_key(self) -> bool:
        return self.auth_type in KEY_AUTH_TYPES

    @cached_property
    def target_resource_id(self) -> str | None:
        value = self._metadata.get("resourceid")
        return str(value) if isinstance(value, str) and value.startswith("/") else None

    @cached_property
    def host(self) -> str:
        parsed = urlparse(self.target if "://" in self.target else f"https://{self.target}")
        return (parsed.hostname or "").lower()

    @property
    def label(self) -> str:
        return f"connection '{self.name}' of {describe(self.workspace)}"


def describe(resource: Resource) -> str:
    """A short phrase naming a resource for a person."""
    if resource.is_hub:
        return f"hub '{resource.name}'"
    if resource.is_hub_project:
        return f"project '{resource.name}'"
    if resource.type == types.COGNITIVE_ACCOUNT and resource.prop("allowProjectManagement"):
        return f"Foundry resource '{resource.name}'"
    return f"{_WORDS.get(resource.type, resource.type)} '{resource.name}'"


_WORDS = {
    types.COGNITIVE_ACCOUNT: "Azure OpenAI / AI services resource",
    types.SEARCH_SERVICE: "Search service",
    types.STORAGE_ACCOUNT: "storage account",
    types.KEY_VAULT: "key vault",
    types.CONTAINER_REGISTRY: "container registry",
    types.APP_INSIGHTS: "Application Insights component",
    types.COGNITIVE_PROJECT: "Foundry project",
    types.COSMOS_ACCOUNT: "Cosmos DB account",
    types.LOG_ANALYTICS_WORKSPACE: "Log Analytics workspace",
    types.PRIVATE_ENDPOINT: "private endpoint",
    types.PROJECT_APPLICATION: "published agent",
    types.PROJECT_CAPABILITY_HOST: "capability host",
    types.ACCOUNT_CAPABILITY_HOST: "capability host",
}
"""describe's word for each type it names (built once, not per call: describe is asked tens of
thousands of times in a large hub)."""


def describe_scope(scope: str, resource: Resource | None = None) -> str:
    """A short phrase for a scope: the resource's description when the scope is the resource,
    else the kind of scope and its name."""
    if resource is not None and scope_key(scope) == resource.key:
        return describe(resource)
    key = scope_key(scope)
    name = last_segment(scope)
    return f"{level_of(key)} '{name}'" if key != "/" else "the root scope"


@dataclass
class Reads:
    """What the checks read about principals while a context records it (`CheckContext.reads`):
    the workspaces whose people they enumerated (each person's persona there comes from the
    assignments at the workspace and above) and the (scope, operation) pairs they tested with
    `holds`. The whole-plan check uses it to tell which new assignments can change what a
    check states (diagnose.remediation.affected)."""

    workspaces: set[str] = field(default_factory=set)
    holds: set[tuple[str, Operation]] = field(default_factory=set)


@dataclass(frozen=True)
class Before:
    """The context of the round before (on an earlier copy of the snapshot), the workspaces
    whose people were asked about (Reads.workspaces), and the principals (lower-case ids) whose
    persona at those may differ since: everyone else's is as it was there (see
    diagnose.remediation.affected), so a list of people of those workspaces is the round
    before's for them."""

    context: CheckContext
    workspaces: frozenset[str]
    changed: frozenset[str]


class CheckContext:
    def __init__(
        self,
        model: Model,
        *,
        creator: str | None = None,
        evaluator: Evaluator | None = None,
        declarations: Declarations | None = None,
    ) -> None:
        self.model = model
        self.directory = model.authorization.directory
        self._creator = creator
        self._evaluator = evaluator or Evaluator(model.authorization)
        self.personas = Personas(model, self._evaluator, declarations)
        self._memo: dict[Any, Any] = {}
        self._identities: dict[str, tuple[Resource, PrincipalRef | None]] = {}
        self._resources_only: set[Any] = set()
        """The keys of `_memo` whose values depend on the resources alone (share_resources)."""
        self.consulted: dict[str, Resource] = {}
        """The resources whose role holders the running check asked about (members(),
        assignments_at()): the engine clears it before each check and afterwards asks whether
        the snapshot could say who they are."""
        self.asked_about_creator = False
        """Whether the running check asked about the --creator (a person it is about)."""
        self.only_principals: frozenset[str] | None = None
        """When set, the people, members and connection users listed are only these
        principals (their lower-case ids): a re-run of a check for the principals a change can
        affect (diagnose.remediation.affected). Identities of resources, the creator and
        everything found from the configuration are not filtered."""
        self.reads: Reads | None = None
        """When set, what the running check reads about principals is recorded there."""
        self.before: Before | None = None
        """What the round before found on an earlier copy of the snapshot, to start from."""

    def memo(self, key: Any, compute: Callable[[], T], *, resources_only: bool = False) -> T:
        """Compute something once per run and share it between checks (e.g. which resources
        each workspace connects): checks that need the same derived view do not each redo it.
        `resources_only`: it depends on nothing but the snapshot's resources other than Cosmos
        DB SQL role assignments, its target and read errors (no role assignment, no persona),
        so a context on a copy of the snapshot with the same resources_basis may take it as it
        is (share_resources)."""
        if key not in self._memo:
            self._memo[key] = compute()
            if resources_only:
                self._resources_only.add(key)
        return cast(T, self._memo[key])

    def share_resources(self, other: CheckContext) -> None:
        """Take what `other` worked out from the resources alone (memo(..., resources_only=True),
        the connections' targets by host) when both are on the same resources (Cosmos DB SQL
        role assignments aside: Model.resources_basis) and snapshot: a whole-plan round whose
        steps change role assignments only. Nothing when they are not."""
        if (
            self.model.resources_basis is not other.model.resources_basis
            or self.model.snapshot is not other.model.snapshot
        ):
            return
        for key in other._resources_only:
            self._memo.setdefault(key, other._memo[key])
        self._resources_only |= other._resources_only
        if "_by_host" in other.__dict__:
            self.__dict__.setdefault("_by_host", other.__dict__["_by_host"])

    def holds(self, principal_id: str, scope: str, operation: Operation) -> bool:
        """Whether a principal effectively holds an operation at a scope (every role it and
        its groups hold there and above, deny assignments included)."""
        if self.reads is not None:
            self.reads.holds.add((scope, operation))
        return self._evaluator.decide(
            principal_id, scope, operation.name, data_action=operation.data
        ).allowed

    def holding(self, principal_ids: Iterable[str], scope: str, operation: Operation) -> set[str]:
        """Those of these principals that hold an operation at a scope, as holds() says of
        each, asked in bulk where nothing can spoil a grant there (Evaluator.plain_holders):
        thousands of people cost a set operation, not a question each."""
        if self.reads is not None:  # read as holds() reads: the whole-plan check relies on it
            self.reads.holds.add((scope, operation))
        everyone = self._evaluator.plain_holders(scope, operation.name, operation.data)
        if everyone is None:
            return {p for p in principal_ids if self.holds(p, scope, operation)}
        # Exact for an id as the evaluator keys it; any other is asked as it is.
        return {
            p
            for p in principal_ids
            if (p in everyone if p == p.strip().lower() else self.holds(p, scope, operation))
        }

    def role_grants(self, role_id: str, operation: Operation) -> bool:
        """Whether a role (by id) grants an operation without a condition, per the
        definitions at hand (the tenant's when collected, else the tool's catalog)."""
        role = self.model.authorization.role(role_id)
        if role is None:
            return False
        match = self._evaluator.role_match(role, operation.name, operation.data)
        return match.granted and not match.condition

    # -- resources -----------------------------------------------------------------------
    @cached_property
    def hubs(self) -> list[Resource]:
        """The snapshot's target hub; every hub it holds when it names none. A target that is
        missing gives no hub (never another hub in its place)."""
        named = self.model.snapshot.target.get("hub")
        if not named:
            return self.model.hubs
        hub = self.model.resource(str(named))
        return [hub] if hub is not None and hub.is_hub else []

    @property
    def target_project(self) -> str | None:
        project = self.model.snapshot.target.get("project")
        return str(project).lower() if project else None

    def projects(self, hub: Resource) -> list[Resource]:
        projects = self.model.projects_of(hub)
        if self.target_project:
            projects = [p for p in projects if p.name.lower() == self.target_project]
        return projects

    def workspaces(self) -> list[tuple[Resource, Resource]]:
        """(hub, workspace) for every hub and every project in scope, hubs first."""
        pairs = [(hub, hub) for hub in self.hubs]
        pairs += [(hub, project) for hub in self.hubs for project in self.projects(hub)]
        return pairs

    # -- Foundry resources and projects ----------------------------------------------------
    @cached_property
    def _target(self) -> Resource | None:
        named = self.model.snapshot.target.get("hub")
        return self.model.resource(str(named)) if named else None

    @cached_property
    def foundry_accounts(self) -> list[Resource]:
        """The Foundry resources in scope: the one the snapshot targets, or the account of the
        Foundry project it targets; with a hub as its target, or none, every Foundry resource
        in the snapshot that holds projects (a snapshot may hold a hub and a Foundry resource
        side by side). A target that is missing gives none."""
        target = self._target
        if target is not None and target.type == types.COGNITIVE_ACCOUNT:
            return [target]
        if target is not None and target.type == types.COGNITIVE_PROJECT:
            account = self.resource(target.parent_id)
            return [account] if account is not None else []
        if self.model.snapshot.target.get("hub") and target is None:
            return []
        return [
            account
            for account in self.model.of_type(types.COGNITIVE_ACCOUNT)
            if self.model.foundry_projects_of(account)
        ]

    def foundry_projects(self, account: Resource | None = None) -> list[Resource]:
        """The Foundry projects in scope, of one account or of every account in scope: all of
        an account's, or the one the snapshot targets (by id, or by name with --project)."""
        target = self._target
        only = target.key if target is not None and target.type == types.COGNITIVE_PROJECT else None
        found: list[Resource] = []
        for owner in [account] if account is not None else self.foundry_accounts:
            for project in self.model.foundry_projects_of(owner):
                if only is not None and project.key != only:
                    continue
                if self.target_project and project.name.lower() != self.target_project:
                    continue
                found.append(project)
        return found

    def foundry_workspaces(self) -> list[tuple[Resource, Resource]]:
        """(account, workspace) for every Foundry resource and project in scope, accounts
        first: the Foundry counterpart of workspaces()."""
        pairs = [(account, account) for account in self.foundry_accounts]
        pairs += [
            (a, project) for a in self.foundry_accounts for project in self.foundry_projects(a)
        ]
        return pairs

    def resource(self, resource_id: str | None) -> Resource | None:
        return self.model.resource(resource_id)

    def connections(self, workspace: Resource) -> list[Connection]:
        # The same Connection objects each time (they keep what they derive: see Connection).
        found: tuple[Connection, ...] = self.memo(
            ("connections", workspace.key),
            lambda: tuple(Connection(c, workspace) for c in self.model.connections_of(workspace)),
            resources_only=True,
        )
        if found and found[0].workspace is not workspace:  # another object of the same key
            return [Connection(c.resource, workspace) for c in found]
        return list(found)

    def all_connections(self) -> list[Connection]:
        return self.memo(
            "all connections",
            lambda: [
                c
                for _, workspace in [*self.workspaces(), *self.foundry_workspaces()]
                for c in self.connections(workspace)
            ],
            resources_only=True,
        )

    def usable_connections(self, workspace: Resource) -> list[Connection]:
        """Connections usable inside a workspace: its own, plus for a project the shared
        connections of its hub (or of its Foundry resource)."""
        found = self.connections(workspace)
        owner = (
            self.resource(workspace.prop("hubResourceId"))
            if workspace.is_hub_project
            else self.resource(workspace.parent_id)
            if workspace.type == types.COGNITIVE_PROJECT
            else None
        )
        if owner is not None:
            found += [c for c in self.connections(owner) if c.shared]
        return found

    def target_of(self, connection: Connection) -> Resource | None:
        """The ARM resource a connection points to, by metadata.ResourceId or by endpoint."""
        by_id = self.resource(connection.target_resource_id)
        if by_id is not None:
            return by_id
        return self._by_host.get(connection.host) or self._storage_by_name(connection)

    @cached_property
    def _by_host(self) -> dict[str, Resource]:
        hosts: dict[str, Resource] = {}
        for resource in self.model.resources.values():
            for host in _hosts_of(resource):
                hosts.setdefault(host, resource)
        return hosts

    def _storage_by_name(self, connection: Connection) -> Resource | None:
        name = str(connection._metadata.get("accountname") or "").lower()
        if not name:
            return None
        return next(
            (r for r in self.model.of_type(types.STORAGE_ACCOUNT) if r.name.lower() == name), None
        )

    # -- principals ----------------------------------------------------------------------
    def principal(self, principal_id: str, fallback_type: str = "ServicePrincipal") -> PrincipalRef:
        entry = self.directory.get(principal_id)
        if entry is None:
            return PrincipalRef(principal_id.lower(), fallback_type)
        return PrincipalRef(entry.id, entry.type, entry.display_name)

    def identity(self, resource: Resource) -> PrincipalRef | None:
        """The system-assigned managed identity of a resource, when enabled. Once per resource
        of the run: several checks ask it of every Foundry project (a hundred), and each
        whole-plan round again. Kept with the resource it was made from: another resource
        object of the same id (a patched copy's) gets its own."""
        found = self._identities.get(resource.key)
        if found is None or found[0] is not resource:
            found = self._identities[resource.key] = (resource, self._identity(resource))
        return found[1]

    def _identity(self, resource: Resource) -> PrincipalRef | None:
        principal_id = resource.identity.system_principal_id
        if principal_id is None:
            return None
        ref = self.principal(principal_id)
        return PrincipalRef(
            ref.id,
            "ServicePrincipal",
            ref.display_name or resource.name,
            description=f"the managed identity of {describe(resource)}",
        )

    def user_assigned_identities(self, resource: Resource) -> list[tuple[str, PrincipalRef | None]]:
        found: list[tuple[str, PrincipalRef | None]] = []
        for resource_id, principal_id in sorted(resource.identity.user_assigned.items()):
            uami = self.resource(resource_id)
            principal_id = principal_id or (uami.prop("principalId") if uami else None)
            if principal_id:
                name = last_segment(resource_id)
                found.append(
                    (
                        resource_id,
                        PrincipalRef(
                            str(principal_id).lower(),
                            "ServicePrincipal",
                            name,
                            description=f"the user-assigned identity '{name}'",
                        ),
                    )
                )
            else:
                found.append((resource_id, None))
        return found

    def members(self, workspace: Resource) -> list[PrincipalRef]:
        """Users, groups and service principals holding a role directly on the workspace,
        minus the workspace's own managed identities and principals that no longer exist."""
        self.consulted.setdefault(workspace.key, workspace)
        self._read(workspace)
        found = self.memo(("members", workspace.key), lambda: self._members(workspace))
        return self._only(("members", workspace.key), found, lambda p: p.id, self.only_principals)

    def people(self, workspace: Resource) -> list[Classification]:
        """The people of a workspace (users, groups and applications, not service identities)
        holding a role on it or above it, each with its persona there (reader, builder,
        administrator) and the role that made it; with `--principal`, only the principals in
        focus, as builders. Checks decide with the persona whether a missing role is a
        failure, a warning or nothing (diagnose.engine.personas)."""
        self.consulted.setdefault(workspace.key, workspace)
        self._read(workspace)
        return self._people(workspace, self.only_principals)

    def about_people(self, workspace: Resource) -> None:
        """Say that the check is about the people of a workspace, as people() says it (what
        it consulted; the workspaces a whole-plan round reads), without listing them: for a
        check that asks about them through Personas.first or strongest."""
        self.consulted.setdefault(workspace.key, workspace)
        self._read(workspace)

    def _people(self, workspace: Resource, only: frozenset[str] | None) -> list[Classification]:
        if only is None:
            return self.personas.people(workspace)
        return self.memo(  # the few asked about, not everyone classified and filtered
            ("only", id(only), ("people", workspace.key)),
            lambda: self.personas.people_among(workspace, only),
        )

    def _read(self, workspace: Resource) -> None:
        if self.reads is not None:
            self.reads.workspaces.add(workspace.key)

    def _only(
        self, key: Any, found: list[T], principal: Callable[[T], str], only: frozenset[str] | None
    ) -> list[T]:
        """`found` less the principals `only` (only_principals) leaves out (once per list and
        filter)."""
        if only is None:
            return found
        return self.memo(
            ("only", id(only), key),
            lambda: [item for item in found if principal(item).lower() in only],
        )

    def connection_users(
        self, connection: Connection, *, everyone: bool = False
    ) -> list[Classification]:
        """Who uses a connection, with the persona that makes them use it: for a project's (or
        Foundry project's) own connection, the people of that project; for a hub's (or Foundry
        account's) connection, the people of the hub itself and of every project it is shared
        with (isSharedToAll, or listed in sharedUserList), and the principals sharedUserList
        names. Each principal once, with its strongest persona. Readers are included: what
        they lack is never a failure, and the checks say so by asking nothing of them.
        `everyone`: whatever `only_principals` is (for what a check says of all the users at
        once rather than of each)."""
        places = self.memo(
            ("places of", connection.id.lower()),
            lambda: self._places(connection),
            resources_only=True,
        )
        for place in places:  # each check that asks is about their people (see consulted)
            self.consulted.setdefault(place.key, place)
            self._read(place)
        only = None if everyone else self.only_principals
        return self.memo(
            ("connection users", connection.id.lower(), None if only is None else id(only)),
            lambda: self._users(connection, places, only),
        )

    def connection_users_as(
        self, connection: Connection, personas: frozenset[Persona], *, everyone: bool = False
    ) -> list[Classification]:
        """Those of connection_users(connection, everyone=everyone) who have one of these
        personas, in order, once per list. For a project's own connection that no
        sharedUserList names people in, asked about everyone, from the project's split
        (Personas.only_of) without its list of people: thousands, most of them its hub's, in
        each of hundreds of projects."""
        places = self.memo(
            ("places of", connection.id.lower()),
            lambda: self._places(connection),
            resources_only=True,
        )
        only = None if everyone else self.only_principals
        if len(places) > 1 or connection.shared_with or only is not None:
            users = self.connection_users(connection, everyone=everyone)
            memo: ByIdentity[list[Classification]] = self.memo(("users as", personas), ByIdentity)
            return memo.get((users,), lambda: self.personas.only(users, personas))
        place = places[0]
        self.consulted.setdefault(place.key, place)
        self._read(place)
        return self.memo(
            ("users as", personas, place.key), lambda: self.personas.only_of(place, personas)
        )

    def _places(self, connection: Connection) -> list[Resource]:
        """The workspaces whose people use a connection."""
        owner = connection.workspace
        places = [owner]
        listed = set(connection.shared_with)
        for child in self._children(owner):
            if connection.shared or child.key in listed or child.name.lower() in listed:
                places.append(child)
        return places

    def _users(
        self, connection: Connection, places: list[Resource], only: frozenset[str] | None
    ) -> list[Classification]:
        listed = set(connection.shared_with)
        # A hub's connections shared with every project have the same users: merged once.
        key = tuple(p.key for p in places)
        merged = self.memo(
            ("users of", key, None if only is None else id(only)),
            lambda: self._merged(places, key, only),
        )
        if self.personas.focused or not listed:
            return merged
        best = {c.principal.id: c for c in merged}
        for entry in listed:
            known = best.get(entry)
            if known is not None and known.persona is Persona.BUILDER:
                continue  # a reader or administrator listed by name is meant to use it
            if "/" in entry or self.personas.service_identity(entry):
                continue
            if only is not None and entry not in only:
                continue
            principal = self.directory.get(entry)
            if principal is None or principal.deleted:
                continue
            ref = self.principal(entry, "User")
            best[entry] = Classification(
                ref,
                Persona.BUILDER,
                (PersonaEvidence("", "", connection.id, declared="sharedUserList"),),
                f"the sharedUserList of {connection.label}",
            )
        return sorted(best.values(), key=self.personas.order)

    def _merged(
        self, places: list[Resource], key: tuple[str, ...], only: frozenset[str] | None
    ) -> list[Classification]:
        """_strongest(places, only), the cheapest way: with personas carried from the round
        before (Personas.derived), whose lists of people cost little, everyone's merged once
        (each person's strongest persona is its own, whoever else is listed) and filtered."""
        if not self.personas.carried:
            return (
                self._strongest_since(places, key)
                if only is None
                else self._strongest(places, only)
            )
        if only is not None and len(places) == 1:  # its people among them, not all listed
            return self._people(places[0], only)
        everyone = self.memo(("users of", key, None), lambda: self._strongest(places, None))
        return everyone if only is None else self.personas.among(everyone, only)

    def _strongest(
        self, places: list[Resource], only: frozenset[str] | None
    ) -> list[Classification]:
        """Each person of these workspaces once, with its strongest persona among them."""
        if len(places) == 1:
            return self._people(places[0], only)  # already one per person, in order
        if only is None:
            return self.personas.strongest(places)
        # the few asked about in a whole-plan round (see _people)
        return self.personas.strongest_of(self._people(place, only) for place in places)

    def _strongest_since(
        self, places: list[Resource], key: tuple[str, ...]
    ) -> list[Classification]:
        """_strongest(places, None), from what the round before found when it can (`before`):
        its list less the principals whose persona may have changed, with theirs as they are
        now, in order."""
        if self.before is None or not self.before.workspaces.issuperset(key):
            return self._strongest(places, None)
        old: list[Classification] | None = self.before.context._memo.get(("users of", key, None))
        if old is None:
            return self._strongest(places, None)
        changed = self.before.changed
        found = [c for c in old if c.principal.id.lower() not in changed]
        for person in self._strongest(places, changed):
            bisect.insort(found, person, key=self.personas.order)
        return found

    def _children(self, owner: Resource) -> list[Resource]:
        """The projects that may use a hub's (or Foundry account's) connections."""
        if owner.is_hub:
            return [p for hub in self.hubs if hub.key == owner.key for p in self.projects(hub)]
        if owner.type == types.COGNITIVE_ACCOUNT:
            return self.foundry_projects(owner)
        return []

    def assignments_at(self, resource: Resource) -> list[Assignment]:
        """The active role assignments made directly on a resource (who holds a role there)."""
        self.consulted.setdefault(resource.key, resource)
        return list(self.model.authorization.assignments_by_scope.get(resource.key, ()))

    def _members(self, workspace: Resource) -> list[PrincipalRef]:
        own = {
            workspace.identity.system_principal_id,
            *((p or "").lower() for p in workspace.identity.user_assigned.values()),
        }
        found: dict[str, PrincipalRef] = {}
        for assignment in self.model.authorization.assignments_by_scope.get(workspace.key, ()):
            if assignment.principal_id in own or assignment.principal_id in found:
                continue
            entry = self.directory.get(assignment.principal_id)
            if entry is not None and entry.deleted:
                continue
            found[assignment.principal_id] = self.principal(
                assignment.principal_id, assignment.principal_type or "User"
            )
        return sorted(found.values(), key=lambda p: principal_order(p, self.directory))

    def first_party_app(self) -> PrincipalRef | None:
        """The Azure Machine Learning first-party app's service principal in this tenant."""
        for entry in self.directory.principals.values():
            if str(entry.raw.get("appId") or "").lower() == AZURE_ML_APP_ID:
                return PrincipalRef(entry.id, entry.type, entry.display_name)
        return None

    @property
    def creator(self) -> PrincipalRef | None:
        """The principal named with --creator (who creates or re-creates hubs), if any."""
        if not self._creator:
            return None
        self.asked_about_creator = True
        return self.principal(self._creator, "User")

    # -- what could not be read -----------------------------------------------------------
    def read_errors(self, resource_id: str) -> list[ReadError]:
        """Errors reading this resource itself (not its authorization data)."""
        key = scope_key(resource_id)
        return [
            e for e in self.model.authorization.errors_by_topic.get("resource", {}).get(key, ())
        ]

    @cached_property
    def collected_at(self) -> datetime | None:
        text = self.model.snapshot.data.get("collectedAt")
        if not text:
            return None
        try:
            return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
        except ValueError:
            return None


def _hosts_of(resource: Resource) -> list[str]:
    hosts: list[str] = []
    if resource.type == types.COGNITIVE_ACCOUNT:
        subdomain = str(resource.prop("customSubDomainName") or "").lower()
        if subdomain:
            hosts += [
                f"{subdomain}.openai.azure.com",
                f"{subdomain}.cognitiveservices.azure.com",
                f"{subdomain}.services.ai.azure.com",
            ]
        endpoints = [resource.prop("endpoint"), *(lower_keys(resource.prop("endpoints")).values())]
        hosts += [urlparse(str(e)).hostname or "" for e in endpoints if e]
    elif resource.type == types.SEARCH_SERVICE:
        hosts.append(f"{resource.name.lower()}.search.windows.net")
    elif resource.type == types.STORAGE_ACCOUNT:
        name = resource.name.lower()
        hosts += [f"{name}.blob.core.windows.net", f"{name}.dfs.core.windows.net"]
        primary = lower_keys(resource.prop("primaryEndpoints"))
        hosts += [urlparse(str(e)).hostname or "" for e in primary.values() if e]
    elif resource.type == types.COSMOS_ACCOUNT:
        hosts.append(f"{resource.name.lower()}.documents.azure.com")
        endpoint = resource.prop("documentEndpoint")
        if endpoint:
            hosts.append(urlparse(str(endpoint)).hostname or "")
    return [h.lower() for h in hosts if h]
