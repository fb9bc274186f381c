"""The collection itself: which reads follow from which results.

Every read is a step run by the Scheduler as soon as its input is known:

    wave 0  the hub (GET)
    wave 1  its connections, the workspaces of its subscription (its projects), its
            dependencies and identities; per resource group they lie in (the hub's, and
            those of the projects it names): role assignments, deny assignments and PIM
            eligibility; per subscription: the management-group ancestry
    wave 2  project connections, connection targets, the principals and role definitions of
            the assignments that matter so far, the outbound rules of the hub's managed
            network, ...
    wave 3  the private endpoint connections of the managed network's targets and of the
            hub's storage (where their GET does not embed them), the storage's private
            endpoints, the Log Analytics workspace of an Application Insights component, ...

and so on until nothing new turns up. This module holds the walk from the hub (its projects,
connections, dependencies and identities); the layers below it hold the other families of
steps (authorization.py: the listings per resource group; scopes.py: role definitions and
management groups; steps.py: the state, the lock and the errors; see steps.py for the map).

All state lives in this object behind one lock; steps do their HTTP outside it. A failed read
becomes an `errors` entry and the collection goes on; so does a read the deadline cut short
(code "Timeout"), and timed_out() writes the entries of a step the deadline abandoned.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from diagnose.arm import types
from diagnose.arm.ids import Followable, followable
from diagnose.arm.scopes import scope_key
from diagnose.collect import apiversions, queries
from diagnose.collect.authorization import AuthorizationReads
from diagnose.collect.clients import ApiError, ArmClient
from diagnose.collect.directory import DirectoryReader
from diagnose.collect.listings import ASSIGNMENTS, DENIES, ELIGIBILITIES, LISTINGS, Listing
from diagnose.collect.scheduler import Scheduler
from diagnose.collect.shapes import RESOURCE, fits
from diagnose.collect.steps import Places, State, json_object
from diagnose.secrets import scrub_json

WORKSPACE = types.WORKSPACE
WORKSPACE_READ = "Microsoft.MachineLearningServices/workspaces/read"
CONNECTIONS_READ = "Microsoft.MachineLearningServices/workspaces/connections/read"
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
    (re.compile(r"^([a-z0-9][a-z0-9-]{2,43})\.documents\.azure\.com$"), types.COSMOS_ACCOUNT),
)
ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")
OUTBOUND_RULES_READ = "Microsoft.MachineLearningServices/workspaces/outboundRules/read"
MANAGED_NETWORK = frozenset({"allowinternetoutbound", "allowonlyapprovedoutbound"})
"""The isolation modes in which a hub has a managed virtual network (and outbound rules)."""


class Collector(AuthorizationReads):
    def __init__(
        self,
        arm: ArmClient,
        directory: DirectoryReader,
        scheduler: Scheduler,
        *,
        project: str | None = None,
        per_group: bool = True,
    ) -> None:
        super().__init__(arm, directory, scheduler)
        self.project = project.lower() if project else None
        self.per_group = per_group
        self._link_targets: set[str] = set()
        """Keys of the targets of the managed network's private endpoint rules: their private
        endpoint connections are read."""
        self._endpoint_owners: set[str] = set()
        """Keys of the resources (the hub's storage) whose private endpoints are read too,
        when they refuse public traffic."""
        self._links_listed: set[str] = set()
        directory.attach(self._lock, self._submit, self.list_assigned_to_everywhere)

    # -- plumbing ------------------------------------------------------------------------
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
        places = self._abandoned(getattr(step, "__name__", ""), args)
        self.state.errors += [error.as_entry(scope, operation) for scope, operation in places]

    def _abandoned(self, name: str, args: tuple[Any, ...]) -> Places:
        if name == "fetch_resource":
            parsed = followable(args[0])
            return [(parsed.id, parsed.read_operation)] if parsed else []
        if name == "list_projects":
            return [(f"/subscriptions/{args[0]}", WORKSPACE_READ)]
        if name == "list_connections":
            return [(args[0], CONNECTIONS_READ)]
        if name == "resolve_targets":
            return [(connection, RESOURCE_GRAPH_READ) for connection in args[0]]
        if name == "list_outbound_rules":
            return [(args[0], OUTBOUND_RULES_READ)]
        if name == "list_endpoint_connections":
            parsed = followable(args[0])
            return [(parsed.id, _connections_read(parsed.type))] if parsed else []
        return super()._abandoned(name, args)

    # -- the hub -------------------------------------------------------------------------
    def start(self, wave: int, hub: dict[str, Any]) -> None:
        """Begin from the hub as ARM returned it (read by the caller, in wave `wave`)."""
        with self._lock:
            self.state.hub = self._scrubbed(hub)
            self._store(wave, self.state.hub)
            for project_id in self._named_projects():
                self.list_group_early(wave, project_id)
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
        if key in self._link_targets or key in self._endpoint_owners:
            self._follow_private_links(wave, resource)
        if str(resource.get("type") or "").lower() == types.APP_INSIGHTS:
            # Its traces live in this Log Analytics workspace (INS002 reads its access mode).
            self._want(wave, _get(resource.get("properties"), "WorkspaceResourceId"))
        hub = self.state.hub
        if hub is not None and key == scope_key(hub["id"]):
            self._follow_dependencies(wave, resource)

    def _follow_dependencies(self, wave: int, hub: dict[str, Any]) -> None:
        properties = json_object(hub.get("properties"))
        for name in DEPENDENCY_PROPERTIES:
            self._want(wave, properties.get(name))
        encryption = json_object(properties.get("encryption"))
        self._want(wave, json_object(encryption.get("keyVaultProperties")).get("keyVaultArmId"))
        self._want(wave, json_object(encryption.get("identity")).get("userAssignedIdentity"))
        # The storage's private endpoint connections, and the private endpoints they name.
        self._want_private_links(wave, properties.get("storageAccount"), endpoints=True)
        network = json_object(_get(properties, "managedNetwork"))
        if str(_get(network, "isolationMode") or "").lower() in MANAGED_NETWORK:
            self._follow_rules(wave, _get(network, "outboundRules"))
            # The hub's GET may leave out the rules the managed network made itself (category
            # Required, Dependency): the rules listing has every one.
            self._submit(wave + 1, self.list_outbound_rules, hub["id"])

    # -- the managed network and private links -------------------------------------------
    def _follow_rules(self, wave: int, rules: Any) -> None:
        """Read the targets of PrivateEndpoint outbound rules (an object keyed by rule name,
        as ARM returns them, or a list) with their private endpoint connections (lock held)."""
        values = list(rules.values()) if isinstance(rules, dict) else rules
        for rule in values if isinstance(values, list) else []:
            rule = json_object(rule)
            if str(_get(rule, "type") or "").lower() != "privateendpoint":
                continue
            destination = json_object(_get(rule, "destination"))
            self._want_private_links(wave, _get(destination, "serviceResourceId"), endpoints=False)

    def list_outbound_rules(self, wave: int, hub_id: str) -> None:
        """List the outbound rules of the hub's managed network. A rule the hub's GET left out
        joins its managedNetwork.outboundRules, keyed by name as the GET keys them, where the
        checks read the rules."""
        try:
            rules = self.arm.get_pages(
                hub_id + "/outboundRules", {"api-version": apiversions.WORKSPACES}
            )
        except ApiError as exc:
            self._error(exc, hub_id, OUTBOUND_RULES_READ)
            return
        rules = self._resources_in(rules, hub_id, OUTBOUND_RULES_READ, "rule(s)")
        with self._lock:
            hub = self.state.hub
            if hub is None:
                return
            network = json_object(_get(hub.get("properties"), "managedNetwork"))
            known = _get(network, "outboundRules")
            names = {str(n).lower() for n in known} if isinstance(known, dict) else set()
            added: dict[str, Any] = {}
            for rule in rules:
                name = str(rule["name"]).rsplit("/", 1)[-1]
                if name.lower() in names:
                    continue
                names.add(name.lower())
                added[name] = scrub_json(json_object(rule.get("properties")), drop=True)
            if added and network and (known is None or isinstance(known, dict)):
                network[_key(network, "outboundRules")] = {**(known or {}), **added}
            self._follow_rules(wave, added)

    def _want_private_links(self, wave: int, resource_id: Any, *, endpoints: bool) -> None:
        """Read a resource with its private endpoint connections (and, with `endpoints`, the
        private endpoints they name), lock held."""
        parsed = followable(resource_id)
        if parsed is None or parsed.is_extension:
            return
        key = scope_key(parsed.id)
        marked = self._endpoint_owners if endpoints else self._link_targets
        if key in marked:
            return
        marked.add(key)
        stored = self.state.resources.get(key)
        if stored is None:
            self._want(wave, parsed.id)
        else:
            self._follow_private_links(wave, stored)

    def _follow_private_links(self, wave: int, resource: dict[str, Any]) -> None:
        """The private endpoint connections a resource's GET embeds, or else a listing of
        them (for the hub's storage only when it refuses public traffic: only then do the
        checks ask about them); and the private endpoints they name where those are wanted
        (lock held)."""
        key = scope_key(resource["id"])
        embedded = _get(resource.get("properties"), "privateEndpointConnections")
        if isinstance(embedded, list):
            self._want_endpoints(wave, key, embedded)
        elif key not in self._links_listed and (
            key in self._link_targets or _refuses_public_traffic(resource)
        ):
            self._links_listed.add(key)
            self._submit(wave + 1, self.list_endpoint_connections, resource["id"])

    def _want_endpoints(self, wave: int, key: str, connections: list[Any]) -> None:
        if key not in self._endpoint_owners:
            return
        for connection in connections:
            properties = json_object(json_object(connection).get("properties"))
            self._want(wave, json_object(_get(properties, "privateEndpoint")).get("id"))

    def list_endpoint_connections(self, wave: int, resource_id: str) -> None:
        """List `<resource>/privateEndpointConnections` (for a GET that does not embed them)."""
        parsed = followable(resource_id)
        assert parsed is not None
        operation = _connections_read(parsed.type)
        version = apiversions.for_type(parsed.type)
        if version is None:
            return
        try:
            connections = self.arm.get_pages(
                parsed.id + "/privateEndpointConnections", {"api-version": version}
            )
        except ApiError as exc:
            self._error(exc, parsed.id, operation)
            return
        kept = [
            self._scrubbed(c)
            for c in self._resources_in(
                connections, parsed.id, operation, "private endpoint connection(s)"
            )
        ]
        with self._lock:
            for connection in kept:
                self.state.resources[scope_key(connection["id"])] = connection
            self._want_endpoints(wave, scope_key(parsed.id), kept)

    def _follow_identities(self, wave: int, resource: dict[str, Any]) -> None:
        resource_type = str(resource.get("type") or "").lower()
        identity = json_object(resource.get("identity"))
        for resource_id, entry in json_object(identity.get("userAssignedIdentities")).items():
            self._want(wave, resource_id)
            self.directory.want(wave, json_object(entry).get("principalId"), "ServicePrincipal")
        if resource_type in WITH_IDENTITY and "systemassigned" in str(
            identity.get("type") or ""
        ).lower().replace(" ", ""):
            self.directory.want(wave, identity.get("principalId"), "ServicePrincipal")
        if resource_type == types.USER_ASSIGNED_IDENTITY:
            self.directory.want(
                wave, json_object(resource.get("properties")).get("principalId"), "ServicePrincipal"
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
            self._follow(wave, parsed)

    def _follow(self, wave: int, parsed: Followable) -> None:
        """Schedule the reads of a resource wanted for the first time (lock held)."""
        self._submit(wave + 1, self.fetch_resource, parsed.id)

    def _read_resource(self, parsed: Followable, version: str) -> Any:
        """GET one resource (a layer above reads some types through their Azure SDK)."""
        return self.arm.get(parsed.id, {"api-version": version})

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
            resource = self._read_resource(parsed, version)
        except ApiError as exc:
            self._error(exc, parsed.id, parsed.read_operation)
            return
        if not fits(RESOURCE, resource):
            self._odd_items(1, parsed.id, parsed.read_operation, "resource")
            return
        with self._lock:
            resource = self._scrubbed(resource)
            if parsed.type == WORKSPACE:
                if self._is_our_project(resource):
                    self._add_project(wave, resource)
                return
            self._store(wave, resource)

    # -- projects ------------------------------------------------------------------------
    def list_projects(self, wave: int, subscription: str) -> None:
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
                    self._add_project(wave, self._scrubbed(workspace))
            # A project the hub lists but the subscription listing did not return (it failed,
            # or the project lives elsewhere) is read by id.
            for project_id in self._named_projects():
                parsed = followable(project_id)
                if parsed is None or scope_key(parsed.id) in found:
                    continue
                key = scope_key(parsed.id)
                if key not in self.state.wanted:
                    self.state.wanted.add(key)
                    self._submit(wave + 1, self.fetch_resource, parsed.id)

    def _named_projects(self) -> list[Any]:
        """The projects the hub names (associatedWorkspaces), those --project leaves out
        aside (lock held)."""
        associated = json_object((self.state.hub or {}).get("properties")).get(
            "associatedWorkspaces"
        )
        return [
            project_id
            for project_id in (associated if isinstance(associated, list) else [])
            if (parsed := followable(project_id)) is not None
            and (not self.project or parsed.name.lower() == self.project)
        ]

    def _is_our_project(self, workspace: dict[str, Any]) -> bool:
        """A project of this hub (and the one --project names, if any); lock held."""
        hub_id = (self.state.hub or {}).get("id", "")
        properties = json_object(workspace.get("properties"))
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
        self._add_connections(wave, workspace_id, connections, CONNECTIONS_READ)

    def _add_connections(
        self, wave: int, parent_id: str, connections: list[Any], operation: str
    ) -> None:
        """Keep the connections of a hub, a project or a Foundry resource (credentials
        dropped) and follow their targets and the identities they call as."""
        unresolved: dict[str, tuple[str, str]] = {}
        connections = self._resources_in(connections, parent_id, operation, "connection(s)")
        with self._lock:
            for connection in connections:
                connection = self._scrubbed(connection)
                self.state.resources[scope_key(connection["id"])] = connection
                # A ManagedIdentity connection calls as the user-assigned identity it names:
                # read it (and so its principal) as the hub's own identities are.
                self._want(wave, _named_identity(connection))
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


def _get(value: Any, name: str) -> Any:
    """A property of a JSON object whatever the case of its name (API versions differ)."""
    found = json_object(value)
    return found.get(_key(found, name))


def _key(value: dict[str, Any], name: str) -> str:
    """The name under which a JSON object holds `name` (any case), or `name` itself."""
    if name in value:
        return name
    return next((k for k in value if str(k).lower() == name.lower()), name)


def _refuses_public_traffic(resource: dict[str, Any]) -> bool:
    properties = resource.get("properties")
    if str(_get(properties, "publicNetworkAccess") or "").lower() == "disabled":
        return True
    acls = _get(properties, "networkAcls")
    return str(_get(acls, "defaultAction") or "").lower() == "deny"


def _connections_read(resource_type: str) -> str:
    canonical = types.canonical(resource_type) or resource_type
    return f"{canonical}/privateEndpointConnections/read"


def _named_identity(connection: dict[str, Any]) -> str | None:
    """The user-assigned identity a connection names in credentials.resourceId (which the
    scrub keeps: diagnose.secrets CREDENTIAL_IDENTIFIERS), if it names one."""
    credentials = json_object(json_object(connection.get("properties")).get("credentials"))
    for name, value in credentials.items():
        if name.lower() == "resourceid" and isinstance(value, str):
            parsed = followable(value)
            if parsed is not None and parsed.type == types.USER_ASSIGNED_IDENTITY:
                return parsed.id
    return None


def _target_id(connection: dict[str, Any]) -> str | None:
    metadata = json_object(json_object(connection.get("properties")).get("metadata"))
    for key, value in metadata.items():
        if str(key).lower() == "resourceid" and isinstance(value, str) and value.startswith("/"):
            return value
    return None


def _target_name(connection: dict[str, Any]) -> tuple[str, str] | None:
    """(resource type, name) of a connection's target when only its endpoint or account
    name is given."""
    from urllib.parse import urlsplit

    properties = json_object(connection.get("properties"))
    metadata = {str(k).lower(): v for k, v in json_object(properties.get("metadata")).items()}
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


__all__ = [
    "ASSIGNMENTS",
    "DENIES",
    "ELIGIBILITIES",
    "LISTINGS",
    "Collector",
    "Listing",
    "State",
]
