"""The collection itself: which reads follow from which results.

Every read is a step run by the Scheduler as soon as its input is known:

    wave 0  the hub (GET)
    wave 1  its connections, the workspaces of its subscription (its projects), its
            dependencies and identities, and per subscription: role assignments, deny
            assignments, PIM eligibility and the management-group ancestry
    wave 2  project connections, connection targets, the principals and role definitions of
            the assignments that matter so far, ...

and so on until nothing new turns up. Role assignments are listed once per subscription (at a
resource group only when the subscription-wide listing is refused), never per principal or
per resource; what they return is kept only when it matters (see Relevance).

All state lives in this object behind one lock; steps do their HTTP outside it. A failed read
becomes an `errors` entry and the collection goes on; so does a read the deadline cut short
(code "Timeout"), and timed_out() writes the entries of a step the deadline abandoned.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from diagnose.arm import types
from diagnose.arm.ids import followable
from diagnose.arm.scopes import scope_key
from diagnose.collect import apiversions, queries
from diagnose.collect.clients import ApiError, ArmClient
from diagnose.collect.directory import DirectoryReader
from diagnose.collect.relevance import Relevance
from diagnose.collect.scheduler import LEAF, Scheduler
from diagnose.collect.shapes import (
    DENY_ASSIGNMENT,
    RESOURCE,
    ROLE_ASSIGNMENT,
    ROLE_DEFINITION,
    fits,
)
from diagnose.secrets import scrub_json

WORKSPACE = types.WORKSPACE
WORKSPACE_READ = "Microsoft.MachineLearningServices/workspaces/read"
CONNECTIONS_READ = "Microsoft.MachineLearningServices/workspaces/connections/read"
SUBSCRIPTION_READ = "Microsoft.Resources/subscriptions/read"
ROLE_DEFINITION_READ = "Microsoft.Authorization/roleDefinitions/read"
ROLE_DEFINITION_ID = re.compile(
    r"^(/subscriptions/[0-9a-f-]{36}|/providers/Microsoft\.Management/managementGroups/[^/]+)?"
    r"/providers/Microsoft\.Authorization/roleDefinitions/[0-9a-f-]{36}$",
    re.IGNORECASE,
)
WITH_IDENTITY = frozenset(
    {
        WORKSPACE,
        types.COGNITIVE_ACCOUNT,
        types.COGNITIVE_PROJECT,
        types.SEARCH_SERVICE,
    }
)
RESOURCE_GRAPH_READ = "Microsoft.ResourceGraph/resources/read"
DEPENDENCY_PROPERTIES = (
    "storageAccount",
    "keyVault",
    "applicationInsights",
    "containerRegistry",
    "primaryUserAssignedIdentity",
)
TARGET_HOSTS = (
    (
        re.compile(
            r"^([a-z0-9][a-z0-9-]{1,62})\.(openai\.azure\.com|cognitiveservices\.azure\.com|"
            r"services\.ai\.azure\.com)$"
        ),
        types.COGNITIVE_ACCOUNT,
    ),
    (re.compile(r"^([a-z0-9][a-z0-9-]{0,59})\.search\.windows\.net$"), types.SEARCH_SERVICE),
    (re.compile(r"^([a-z0-9]{3,24})\.(blob|dfs)\.core\.windows\.net$"), types.STORAGE_ACCOUNT),
)
ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")


@dataclass(frozen=True)
class Listing:
    """One kind of authorization object listed per subscription (or resource group)."""

    key: str
    """The snapshot list it fills."""
    collection: str
    api_version: str
    operation: str
    shape: str
    """The snapshot schema definition its items must fit."""
    filters: tuple[str | None, ...]
    """One listing per filter: role assignments listed without a filter come at, above and
    below the scope; deny assignments and eligibilities are documented only for atScope()
    (at and above), so they are listed both ways."""


ASSIGNMENTS = Listing(
    "roleAssignments",
    "roleAssignments",
    apiversions.ROLE_ASSIGNMENTS,
    "Microsoft.Authorization/roleAssignments/read",
    ROLE_ASSIGNMENT,
    (None,),
)
DENIES = Listing(
    "denyAssignments",
    "denyAssignments",
    apiversions.DENY_ASSIGNMENTS,
    "Microsoft.Authorization/denyAssignments/read",
    DENY_ASSIGNMENT,
    (None, "atScope()"),
)
ELIGIBILITIES = Listing(
    "roleEligibilities",
    "roleEligibilityScheduleInstances",
    apiversions.ROLE_ELIGIBILITY,
    "Microsoft.Authorization/roleEligibilityScheduleInstances/read",
    ROLE_ASSIGNMENT,
    (None, "atScope()"),
)
LISTINGS = (ASSIGNMENTS, DENIES, ELIGIBILITIES)


@dataclass
class State:
    hub: dict[str, Any] | None = None
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    wanted: set[str] = field(default_factory=set)
    projects: set[str] = field(default_factory=set)
    subscriptions: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    resource_groups: dict[str, dict[str, str]] = field(default_factory=dict)
    """subscription -> {resource group key: resource group scope}."""
    refused: dict[tuple[str, str], ApiError] = field(default_factory=dict)
    """(listing key, subscription) -> why the subscription-wide listing failed."""
    group_listings: set[tuple[str, str]] = field(default_factory=set)
    pending: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {listing.key: {} for listing in LISTINGS}
    )
    kept: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {listing.key: {} for listing in LISTINGS}
    )
    role_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    wanted_roles: set[str] = field(default_factory=set)
    errors: list[dict[str, Any]] = field(default_factory=list)
    resolved_names: set[str] = field(default_factory=set)
    project_names: set[str] = field(default_factory=set)
    """Names of every project of the hub seen, also those --project leaves out."""


class Collector:
    def __init__(
        self,
        arm: ArmClient,
        directory: DirectoryReader,
        scheduler: Scheduler,
        *,
        project: str | None = None,
    ) -> None:
        self.arm = arm
        self.directory = directory
        self.scheduler = scheduler
        self.project = project.lower() if project else None
        self.state = State()
        self.relevance = Relevance()
        self._lock = threading.RLock()
        directory.attach(self._lock, self._submit, self.list_assigned_to_everywhere)

    # -- plumbing ------------------------------------------------------------------------
    def _submit(self, wave: int, step: Callable[..., Any], *args: Any) -> None:
        leaf = step in (
            self.fetch_role_definition,
            self.read_subscription,
            self.list_assigned_to,
            self.directory.read_groups,
            self.directory.look_up_batch,
            self.directory.read_object,
            self.directory.find_first_party_app,
        )
        self.scheduler.submit(wave, step, *args, priority=LEAF if leaf else 0)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the state still (a step the deadline left behind waits at the lock)."""
        with self._lock:
            yield

    def timed_out(self, step: Callable[..., Any], args: tuple[Any, ...], error: ApiError) -> None:
        """Errors entries for what a step abandoned at the deadline would have read (lock
        held): the same scope and operation its own failure would have recorded."""
        if self.directory.timed_out(step, args, error):
            return
        name = getattr(step, "__name__", "")
        places: list[tuple[str, str]] = []
        if name == "fetch_resource":
            parsed = followable(args[0])
            places = [(parsed.id, parsed.read_operation)] if parsed else []
        elif name == "list_projects":
            places = [(f"/subscriptions/{args[0]}", WORKSPACE_READ)]
        elif name == "list_connections":
            places = [(args[0], CONNECTIONS_READ)]
        elif name == "resolve_targets":
            places = [(connection, RESOURCE_GRAPH_READ) for connection in args[0]]
        elif name == "list_at_subscription":
            places = [(f"/subscriptions/{args[1]}", args[0].operation)]
        elif name == "list_at_group":
            places = [(args[1], args[0].operation)]
        elif name == "fetch_role_definition":
            places = [(args[0], ROLE_DEFINITION_READ)]
        elif name == "read_subscription":
            places = [(f"/subscriptions/{args[0]}", SUBSCRIPTION_READ)]
        # list_assigned_to is best effort: the membership it stands in for is already unknown
        self.state.errors += [error.as_entry(scope, operation) for scope, operation in places]

    def _error(self, error: ApiError, scope: str, operation: str) -> None:
        with self._lock:
            self.state.errors.append(error.as_entry(scope, operation))

    def _odd_items(self, count: int, scope: str, operation: str, what: str) -> None:
        """Items Azure returned in a shape the snapshot cannot hold: dropped, and said so."""
        if count:
            self._error(
                ApiError(
                    200,
                    "UnexpectedShape",
                    f"{count} {what} in the response had an unexpected shape and were left out",
                ),
                scope,
                operation,
            )

    # -- the hub -------------------------------------------------------------------------
    def start(self, wave: int, hub: dict[str, Any]) -> None:
        """Begin from the hub as ARM returned it (read by the caller, in wave `wave`)."""
        with self._lock:
            self.state.hub = scrub_json(hub, drop=True)
            self._store(wave, self.state.hub)
        hub_id = hub["id"]
        parsed = followable(hub_id)
        assert parsed is not None
        self._submit(wave + 1, self.list_connections, hub_id)
        self._submit(wave + 1, self.list_projects, parsed.subscription)
        self.directory.start(wave + 1)

    def _store(self, wave: int, resource: dict[str, Any]) -> None:
        """Keep a fetched resource and follow what it points to (lock held)."""
        key = scope_key(resource["id"])
        self.state.resources[key] = resource
        self._relevant(wave, resource["id"])
        self._follow_identities(wave, resource)
        hub = self.state.hub
        if hub is not None and key == scope_key(hub["id"]):
            self._follow_dependencies(wave, resource)

    def _follow_dependencies(self, wave: int, hub: dict[str, Any]) -> None:
        properties = _dict(hub.get("properties"))
        for name in DEPENDENCY_PROPERTIES:
            self._want(wave, properties.get(name))
        encryption = _dict(properties.get("encryption"))
        self._want(wave, _dict(encryption.get("keyVaultProperties")).get("keyVaultArmId"))
        self._want(wave, _dict(encryption.get("identity")).get("userAssignedIdentity"))

    def _follow_identities(self, wave: int, resource: dict[str, Any]) -> None:
        resource_type = str(resource.get("type") or "").lower()
        identity = _dict(resource.get("identity"))
        for resource_id, entry in _dict(identity.get("userAssignedIdentities")).items():
            self._want(wave, resource_id)
            self.directory.want(wave, _dict(entry).get("principalId"), "ServicePrincipal")
        if resource_type in WITH_IDENTITY and "systemassigned" in str(
            identity.get("type") or ""
        ).lower().replace(" ", ""):
            self.directory.want(wave, identity.get("principalId"), "ServicePrincipal")
        if resource_type == types.USER_ASSIGNED_IDENTITY:
            self.directory.want(
                wave, _dict(resource.get("properties")).get("principalId"), "ServicePrincipal"
            )

    # -- resources -----------------------------------------------------------------------
    def _want(self, wave: int, resource_id: Any) -> None:
        """Schedule a GET of a resource the checks need (lock held)."""
        parsed = followable(resource_id)
        if parsed is None:
            return
        key = scope_key(parsed.id)
        if key in self.state.wanted or key in self.state.resources:
            return
        self.state.wanted.add(key)
        self._relevant(wave, parsed.id)
        # An extension resource (a role assignment on a storage account, say) is no resource
        # the checks read: it only makes its subscription relevant.
        if not parsed.is_extension and (
            apiversions.for_type(parsed.type) or parsed.type in WITH_IDENTITY
        ):
            self._submit(wave + 1, self.fetch_resource, parsed.id)

    def fetch_resource(self, wave: int, resource_id: str) -> None:
        parsed = followable(resource_id)
        assert parsed is not None
        version = apiversions.for_type(parsed.type) or (
            apiversions.COGNITIVE_SERVICES
            if parsed.type.startswith("microsoft.cognitiveservices")
            else None
        )
        if version is None or parsed.is_extension:  # a hub lists no extension as a project
            return
        try:
            resource = self.arm.get(parsed.id, {"api-version": version})
        except ApiError as exc:
            self._error(exc, parsed.id, parsed.read_operation)
            return
        if not fits(RESOURCE, resource):
            self._odd_items(1, parsed.id, parsed.read_operation, "resource")
            return
        with self._lock:
            resource = scrub_json(resource, drop=True)
            if parsed.type == WORKSPACE:
                if self._is_our_project(resource):
                    self._add_project(wave, resource)
                return
            self._store(wave, resource)

    # -- projects ------------------------------------------------------------------------
    def list_projects(self, wave: int, subscription: str) -> None:
        hub = self.state.hub or {}
        path = (
            f"/subscriptions/{subscription}/providers/Microsoft.MachineLearningServices/workspaces"
        )
        try:
            workspaces = self.arm.get_pages(path, {"api-version": apiversions.WORKSPACES})
        except ApiError as exc:
            self._error(exc, f"/subscriptions/{subscription}", WORKSPACE_READ)
            workspaces = None
        with self._lock:
            found: set[str] = set()
            for workspace in workspaces or []:
                if fits(RESOURCE, workspace) and self._is_our_project(workspace):
                    found.add(scope_key(workspace["id"]))
                    self._add_project(wave, scrub_json(workspace, drop=True))
            # A project the hub lists but the subscription listing did not return (it failed,
            # or the project lives elsewhere) is read by id.
            associated = _dict(hub.get("properties")).get("associatedWorkspaces")
            for project_id in associated if isinstance(associated, list) else []:
                parsed = followable(project_id)
                if parsed is None or scope_key(parsed.id) in found:
                    continue
                if self.project and parsed.name.lower() != self.project:
                    continue
                key = scope_key(parsed.id)
                if key not in self.state.wanted:
                    self.state.wanted.add(key)
                    self._submit(wave + 1, self.fetch_resource, parsed.id)

    def _is_our_project(self, workspace: dict[str, Any]) -> bool:
        """A project of this hub (and the one --project names, if any); lock held."""
        hub_id = (self.state.hub or {}).get("id", "")
        properties = _dict(workspace.get("properties"))
        if not (
            str(workspace.get("kind") or "").lower() == "project"
            and isinstance(properties.get("hubResourceId"), str)
            and scope_key(properties["hubResourceId"]) == scope_key(hub_id)
        ):
            return False
        name = str(workspace.get("name", ""))
        self.state.project_names.add(name)
        return self.project is None or name.lower() == self.project

    def _add_project(self, wave: int, project: dict[str, Any]) -> None:
        key = scope_key(project["id"])
        if key in self.state.projects:
            return
        self.state.projects.add(key)
        self.state.wanted.add(key)
        self._store(wave, project)
        self._submit(wave + 1, self.list_connections, project["id"])

    # -- connections ---------------------------------------------------------------------
    def list_connections(self, wave: int, workspace_id: str) -> None:
        try:
            connections = self.arm.get_pages(
                workspace_id + "/connections", {"api-version": apiversions.WORKSPACES}
            )
        except ApiError as exc:
            self._error(exc, workspace_id, CONNECTIONS_READ)
            return
        unresolved: dict[str, tuple[str, str]] = {}
        self._odd_items(
            sum(1 for c in connections if not fits(RESOURCE, c)),
            workspace_id,
            CONNECTIONS_READ,
            "connection(s)",
        )
        with self._lock:
            for connection in connections:
                if not fits(RESOURCE, connection):
                    continue
                connection = scrub_json(connection, drop=True)
                self.state.resources[scope_key(connection["id"])] = connection
                target = _target_id(connection)
                if target:
                    self._want(wave, target)
                    continue
                guess = _target_name(connection)
                if guess and guess[1] not in self.state.resolved_names:
                    self.state.resolved_names.add(guess[1])
                    unresolved[connection["id"]] = guess
        if unresolved:
            self._submit(wave + 1, self.resolve_targets, unresolved)

    def resolve_targets(self, wave: int, unresolved: dict[str, tuple[str, str]]) -> None:
        """Find by name the targets of connections that give only an endpoint or account."""
        query = queries.resources_by_name(
            [t for t, _ in unresolved.values()], [n for _, n in unresolved.values()]
        )
        try:
            rows = self.arm.resource_graph(query)
        except ApiError as exc:
            for connection_id in unresolved:
                self._error(exc, connection_id, RESOURCE_GRAPH_READ)
            return
        with self._lock:
            for connection_id, (resource_type, name) in unresolved.items():
                matches = [
                    row
                    for row in rows
                    if isinstance(row, dict)
                    and str(row.get("type", "")).lower() == resource_type
                    and _named(row, name)
                ]
                if not matches:
                    self.state.errors.append(
                        {
                            "scope": connection_id,
                            "operation": RESOURCE_GRAPH_READ,
                            "status": None,
                            "code": "TargetNotFound",
                            "message": f"no {resource_type} named {name!r} is readable with these "
                            "credentials (it may be in a subscription you cannot read)",
                        }
                    )
                for row in matches:
                    self._want(wave, row.get("id"))

    # -- subscriptions and authorization -------------------------------------------------
    def _relevant(self, wave: int, resource_id: str) -> None:
        """A resource matters: list its subscription's authorization data (once) and keep
        what was already listed that applies to it (lock held)."""
        if not self.relevance.add(resource_id):
            return
        parsed = followable(resource_id)
        if parsed is None:
            return
        subscription = parsed.subscription
        if subscription not in self.state.subscriptions:
            self.state.subscriptions[subscription] = None
            self.state.resource_groups[subscription] = {}
            for listing in LISTINGS:
                for listing_filter in listing.filters:
                    self._submit(
                        wave + 1, self.list_at_subscription, listing, subscription, listing_filter
                    )
            self._submit(wave + 1, self.read_subscription, subscription)
            for principal in self.directory.without_membership():
                self._submit(wave + 1, self.list_assigned_to, subscription, principal)
        groups = self.state.resource_groups[subscription]
        group_key = scope_key(parsed.resource_group_scope)
        if group_key not in groups:
            groups[group_key] = parsed.resource_group_scope
            for listing in LISTINGS:
                if (listing.key, subscription) in self.state.refused:
                    self._list_group_once(wave, listing, parsed.resource_group_scope)
        for listing in LISTINGS:
            pending = self.state.pending[listing.key]
            for item_id in [
                i
                for i, item in pending.items()
                if (scope := _scope_of(item)) is not None
                and self.relevance.matches(scope, resource_id)
            ]:
                self._keep(wave, listing, pending.pop(item_id))

    def _list(self, listing: Listing, scope: str, listing_filter: str | None) -> list[Any]:
        params = {"api-version": listing.api_version}
        if listing_filter:
            params["$filter"] = listing_filter
        return self.arm.get_pages(
            f"{scope}/providers/Microsoft.Authorization/{listing.collection}", params
        )

    def list_at_subscription(
        self, wave: int, listing: Listing, subscription: str, listing_filter: str | None
    ) -> None:
        scope = f"/subscriptions/{subscription}"
        try:
            items = self._list(listing, scope, listing_filter)
        except ApiError as exc:
            if exc.status != 403:  # busy, broken or out of time: asking per group won't help
                self._error(exc, scope, listing.operation)
                return
            # Refused (often: rights on a resource group only): list at each resource group
            # that matters instead; their listings include what applies from above.
            with self._lock:
                self.state.refused[(listing.key, subscription)] = exc
                for group_scope in list(self.state.resource_groups[subscription].values()):
                    self._list_group_once(wave, listing, group_scope)
            return
        self._add_listed(wave, listing, items, scope)

    def _list_group_once(self, wave: int, listing: Listing, group_scope: str) -> None:
        marker = (listing.key, scope_key(group_scope))
        if marker not in self.state.group_listings:
            self.state.group_listings.add(marker)
            for listing_filter in listing.filters:
                self._submit(wave + 1, self.list_at_group, listing, group_scope, listing_filter)

    def list_at_group(
        self, wave: int, listing: Listing, group_scope: str, listing_filter: str | None
    ) -> None:
        try:
            items = self._list(listing, group_scope, listing_filter)
        except ApiError as exc:
            self._error(exc, group_scope, listing.operation)
            return
        self._add_listed(wave, listing, items, group_scope)

    def _add_listed(self, wave: int, listing: Listing, items: list[Any], at: str) -> None:
        odd = 0
        with self._lock:
            kept, pending = self.state.kept[listing.key], self.state.pending[listing.key]
            for item in items:
                scope = _scope_of(item)
                if scope is None or not fits(listing.shape, item):
                    odd += scope is None or self.relevance.keeps(scope)
                    continue
                item_key = item["id"].lower()
                if item_key in kept or item_key in pending:
                    continue
                if self.relevance.keeps(scope):
                    self._keep(wave, listing, item)
                else:
                    pending[item_key] = item
        self._odd_items(odd, at, listing.operation, "item(s)")

    def _keep(self, wave: int, listing: Listing, item: dict[str, Any]) -> None:
        self.state.kept[listing.key][item["id"].lower()] = item
        if listing is DENIES:
            return
        properties = _dict(item.get("properties"))
        self._want_role(wave, properties.get("roleDefinitionId"))
        self.directory.want(wave, properties.get("principalId"), properties.get("principalType"))

    def _want_role(self, wave: int, role_definition_id: Any) -> None:
        """Read a referenced role definition once: a built-in role the catalog knows at the
        tenant root (the same object whichever subscription refers to it), any other role by
        the id given (so the requests made do not depend on which listing came first)."""
        if not isinstance(role_definition_id, str) or not ROLE_DEFINITION_ID.match(
            role_definition_id
        ):
            return
        guid = role_definition_id.rsplit("/", 1)[-1].lower()
        if guid in builtin_role_ids():
            path = f"/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        else:
            path = role_definition_id
        if path.lower() in self.state.wanted_roles:
            return
        self.state.wanted_roles.add(path.lower())
        self._submit(wave + 1, self.fetch_role_definition, path)

    def fetch_role_definition(self, wave: int, role_definition_id: str) -> None:
        try:
            definition = self.arm.get(
                role_definition_id, {"api-version": apiversions.ROLE_DEFINITIONS}
            )
        except ApiError as exc:
            self._error(exc, role_definition_id, ROLE_DEFINITION_READ)
            return
        if not fits(ROLE_DEFINITION, definition):
            self._odd_items(1, role_definition_id, ROLE_DEFINITION_READ, "role definition")
            return
        with self._lock:
            self.state.role_definitions[definition["id"].lower()] = definition

    def read_subscription(self, wave: int, subscription: str) -> None:
        """The subscription's Resource Graph row: its management groups, nearest first."""
        scope = f"/subscriptions/{subscription}"
        try:
            rows = self.arm.resource_graph(queries.subscription_rows(), [subscription])
        except ApiError as exc:
            self._error(exc, scope, SUBSCRIPTION_READ)
            return
        row = next(
            (
                r
                for r in rows
                if fits(RESOURCE, r) and str(r.get("subscriptionId", "")).lower() == subscription
            ),
            None,
        )
        with self._lock:
            if row is None:
                self.state.errors.append(
                    {
                        "scope": scope,
                        "operation": SUBSCRIPTION_READ,
                        "status": None,
                        "code": "NoResourceGraphRow",
                        "message": "Resource Graph returned no row for this subscription (no read "
                        "access to it?), so the management groups above it are unknown",
                    }
                )
            else:
                self.state.subscriptions[subscription] = row

    # -- group grants without directory rights -------------------------------------------
    def list_assigned_to_everywhere(self, wave: int, principal: str) -> None:
        """The directory could not give this principal's groups: list the assignments that
        reach it through any group, in every subscription that matters (lock held)."""
        for subscription in self.state.subscriptions:
            self._submit(wave + 1, self.list_assigned_to, subscription, principal)

    def list_assigned_to(self, wave: int, subscription: str, principal: str) -> None:
        try:
            items = self.arm.get_pages(
                f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleAssignments",
                {
                    "api-version": apiversions.ROLE_ASSIGNMENTS,
                    "$filter": f"assignedTo('{principal}')",
                },
            )
        except ApiError:
            return  # best effort: the membership is already recorded as unreadable
        groups = {
            str(_dict(i.get("properties")).get("principalId", "")).lower()
            for i in items
            if fits(ROLE_ASSIGNMENT, i)
        } - {principal, ""}
        self.directory.add_assigned_groups(principal, groups)
        self._add_listed(wave, ASSIGNMENTS, items, f"/subscriptions/{subscription}")


@cache
def builtin_role_ids() -> frozenset[str]:
    from diagnose.catalog import builtin_role_definitions

    return frozenset(str(d.get("name", "")).lower() for d in builtin_role_definitions())


def _dict(value: Any) -> dict[str, Any]:
    """A JSON object from Azure, or {} when the value is anything else."""
    return value if isinstance(value, dict) else {}


def _scope_of(item: Any) -> str | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    scope = _dict(item.get("properties")).get("scope")
    return scope if isinstance(scope, str) and scope.startswith("/") else None


def _target_id(connection: dict[str, Any]) -> str | None:
    metadata = _dict(_dict(connection.get("properties")).get("metadata"))
    for key, value in metadata.items():
        if str(key).lower() == "resourceid" and isinstance(value, str) and value.startswith("/"):
            return value
    return None


def _target_name(connection: dict[str, Any]) -> tuple[str, str] | None:
    """(resource type, name) of a connection's target when only its endpoint or account
    name is given."""
    from urllib.parse import urlsplit

    properties = _dict(connection.get("properties"))
    metadata = {str(k).lower(): v for k, v in _dict(properties.get("metadata")).items()}
    account = metadata.get("accountname")
    if isinstance(account, str) and ACCOUNT_NAME.match(account.lower()):
        return types.STORAGE_ACCOUNT, account.lower()
    target = properties.get("target")
    if not isinstance(target, str) or not target:
        return None
    try:
        host = urlsplit(target if "://" in target else f"https://{target}").hostname or ""
    except ValueError:
        return None
    for pattern, resource_type in TARGET_HOSTS:
        match = pattern.match(host.lower())
        if match:
            return resource_type, match.group(1)
    return None


def _named(row: dict[str, Any], name: str) -> bool:
    if str(row.get("name", "")).lower() == name:
        return True
    return str(row.get("customSubDomainName") or "").lower() == name


__all__ = ["Collector"]
