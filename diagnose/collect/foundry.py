"""The walk from a Foundry resource (Microsoft.CognitiveServices/accounts, kind AIServices):
its projects, connections, deployments, capability hosts and private endpoint connections,
and the Cosmos DB accounts its connections name, with their SQL role assignments and
definitions. The layer above the hub walk (collector.py), sharing everything below it: the
state, the errors, connection targets, identities and the authorization listings.

    wave 0  the Foundry resource (and the project, when --hub names one)
    wave 1  its projects, account connections, deployments, capability hosts and private
            endpoint connections; the listings of its subscription
    wave 2  every project's connections and capability host (all projects at once); what
            the account connections point to
    wave 3  connection targets of the projects: a Cosmos DB account is read with its SQL role
            assignments and definitions in the same wave; principals ...

Reads go through the Azure SDK clients where they model the call (sdk.py:
azure-mgmt-cognitiveservices, azure-mgmt-cosmosdb, azure-mgmt-search; the authorization
listings below use azure-mgmt-authorization); capability hosts, which that SDK can only
get by name, are listed with ARM REST. Every item is kept as ARM returned it (credentials
dropped), as a child resource in `resources`; each failed read is an errors entry (scope and
operation) and the walk goes on, so a check says unknown rather than none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from diagnose.arm import types
from diagnose.arm.ids import Followable, followable
from diagnose.arm.scopes import scope_key
from diagnose.collect import apiversions
from diagnose.collect.clients import ApiError, ArmClient
from diagnose.collect.collector import Collector
from diagnose.collect.directory import DirectoryReader
from diagnose.collect.scheduler import Scheduler
from diagnose.collect.sdk import SdkClients
from diagnose.collect.shapes import RESOURCE, fits
from diagnose.collect.steps import Places, json_object

ACCOUNTS = "Microsoft.CognitiveServices/accounts"
PROJECTS_READ = f"{ACCOUNTS}/projects/read"
ACCOUNT_CONNECTIONS_READ = f"{ACCOUNTS}/connections/read"
PROJECT_CONNECTIONS_READ = f"{ACCOUNTS}/projects/connections/read"
DEPLOYMENTS_READ = f"{ACCOUNTS}/deployments/read"
PRIVATE_ENDPOINT_CONNECTIONS_READ = f"{ACCOUNTS}/privateEndpointConnections/read"
ACCOUNT_CAPABILITY_HOSTS_READ = f"{ACCOUNTS}/capabilityHosts/read"
PROJECT_CAPABILITY_HOSTS_READ = f"{ACCOUNTS}/projects/capabilityHosts/read"
COSMOS = "Microsoft.DocumentDB/databaseAccounts"
SQL_ROLE_ASSIGNMENTS_READ = f"{COSMOS}/sqlRoleAssignments/read"
SQL_ROLE_DEFINITIONS_READ = f"{COSMOS}/sqlRoleDefinitions/read"
NOT_LISTABLE = (400, 404, 405)
"""Statuses of a capability-host list the service does not offer (by api-version, region or
resource kind): whether there is a capability host is then unknown."""
SDK_TYPES = (
    types.COGNITIVE_ACCOUNT,
    types.COGNITIVE_PROJECT,
    types.COSMOS_ACCOUNT,
    types.SEARCH_SERVICE,
)
"""The types read through their Azure SDK client wherever they turn up."""


class FoundryCollector(Collector):
    def __init__(
        self,
        arm: ArmClient,
        directory: DirectoryReader,
        scheduler: Scheduler,
        *,
        sdk: SdkClients | None = None,
        project: str | None = None,
        per_group: bool = True,
    ) -> None:
        super().__init__(arm, directory, scheduler, project=project, per_group=per_group)
        self.sdk = sdk

    def _abandoned(self, name: str, args: tuple[Any, ...]) -> Places:
        parent = args[0] if args else ""
        operation = {
            "list_foundry_projects": PROJECTS_READ,
            "read_foundry_project": PROJECTS_READ,
            "list_deployments": DEPLOYMENTS_READ,
            "list_private_endpoint_connections": PRIVATE_ENDPOINT_CONNECTIONS_READ,
            "list_sql_role_assignments": SQL_ROLE_ASSIGNMENTS_READ,
            "list_sql_role_definitions": SQL_ROLE_DEFINITIONS_READ,
        }.get(name)
        if operation is not None:
            return [(parent, operation)]
        if name == "list_foundry_connections":
            return [(parent, _connections_read(parent))]
        if name == "list_capability_hosts":
            return [(parent, _capability_hosts_read(parent))]
        return super()._abandoned(name, args)

    # -- the Foundry resource ------------------------------------------------------------
    def start_foundry(
        self, wave: int, account: dict[str, Any], project: dict[str, Any] | None = None
    ) -> None:
        """Begin from the Foundry resource as ARM returned it (and the project, when --hub
        named one), read by the caller in wave `wave`."""
        account_id = account["id"]
        with self._lock:
            self.state.account = self._scrubbed(account)
            self._store(wave, self.state.account)
            self._follow_account(wave, self.state.account)
            if project is not None:
                self._add_foundry_project(wave, self._scrubbed(project))
        if project is None:
            self._submit(wave + 1, self.list_foundry_projects, account_id)
        self._submit(wave + 1, self.list_foundry_connections, account_id)
        self._submit(wave + 1, self.list_capability_hosts, account_id)
        self._submit(wave + 1, self.list_deployments, account_id)
        self._submit(wave + 1, self.list_private_endpoint_connections, account_id)

    def _follow_account(self, wave: int, account: dict[str, Any]) -> None:
        """The storage accounts a Foundry resource brings its own of (lock held)."""
        properties = json_object(account.get("properties"))
        owned = properties.get("userOwnedStorage")
        for storage in owned if isinstance(owned, list) else []:
            self._want(wave, json_object(storage).get("resourceId"))

    def _client(self, resource_id: str) -> Any:
        assert self.sdk is not None, "a Foundry collection needs the SDK clients"
        parsed = followable(resource_id)
        assert parsed is not None
        return self.sdk.cognitive(parsed.subscription)

    # -- projects ------------------------------------------------------------------------
    def list_foundry_projects(self, wave: int, account_id: str) -> None:
        assert self.sdk is not None
        try:
            projects = self.sdk.list_all(
                self._client(account_id).projects.list, *_names(account_id)
            )
        except ApiError as exc:
            self._error(exc, account_id, PROJECTS_READ)
            if self.project:  # the one project asked for can still be read by its id
                self._submit(
                    wave + 1, self.read_foundry_project, f"{account_id}/projects/{self.project}"
                )
            return
        projects = self._resources_in(projects, account_id, PROJECTS_READ, "project(s)")
        with self._lock:
            for project in projects:
                name = _last(project["id"])
                self.state.project_names.add(name)
                if self.project is None or name.lower() == self.project:
                    self._add_foundry_project(wave, self._scrubbed(project))

    def read_foundry_project(self, wave: int, project_id: str) -> None:
        assert self.sdk is not None
        try:
            project = self.sdk.get(self._client(project_id).projects.get, *_names(project_id))
        except ApiError as exc:
            self._error(exc, project_id, PROJECTS_READ)
            return
        if not fits(RESOURCE, project):
            self._odd_items(1, project_id, PROJECTS_READ, "project")
            return
        with self._lock:
            self.state.project_names.add(_last(project["id"]))
            self._add_foundry_project(wave, self._scrubbed(project))

    def _add_foundry_project(self, wave: int, project: dict[str, Any]) -> None:
        """Keep a project and read its children, every project's in the same wave (lock
        held)."""
        key = scope_key(project["id"])
        if key in self.state.projects:
            return
        self.state.projects.add(key)
        self.state.wanted.add(key)
        self._store(wave, project)
        self._submit(wave + 1, self.list_foundry_connections, project["id"])
        self._submit(wave + 1, self.list_capability_hosts, project["id"])

    # -- children ------------------------------------------------------------------------
    def list_foundry_connections(self, wave: int, parent_id: str) -> None:
        assert self.sdk is not None
        client = self._client(parent_id)
        project = _is_project(parent_id)
        operation = client.project_connections.list if project else client.account_connections.list
        try:
            connections = self.sdk.list_all(operation, *_names(parent_id))
        except ApiError as exc:
            self._error(exc, parent_id, _connections_read(parent_id))
            return
        self._add_connections(wave, parent_id, connections, _connections_read(parent_id))

    def list_deployments(self, wave: int, account_id: str) -> None:
        assert self.sdk is not None
        self._keep_children(
            account_id,
            DEPLOYMENTS_READ,
            "deployment(s)",
            lambda: self.sdk.list_all(  # type: ignore[union-attr]
                self._client(account_id).deployments.list, *_names(account_id)
            ),
        )

    def list_private_endpoint_connections(self, wave: int, account_id: str) -> None:
        assert self.sdk is not None
        self._keep_children(
            account_id,
            PRIVATE_ENDPOINT_CONNECTIONS_READ,
            "private endpoint connection(s)",
            lambda: self.sdk.get_list(  # type: ignore[union-attr]
                self._client(account_id).private_endpoint_connections.list, *_names(account_id)
            ),
        )

    def list_capability_hosts(self, wave: int, parent_id: str) -> None:
        """Capability hosts by ARM REST: the SDK only gets one by name. A list the service
        does not offer is an errors entry saying so: never "no capability host"."""
        operation = _capability_hosts_read(parent_id)

        def read() -> list[Any]:
            try:
                return self.arm.get_pages(
                    f"{parent_id}/capabilityHosts",
                    {"api-version": apiversions.COGNITIVE_SERVICES},
                )
            except ApiError as exc:
                if exc.status not in NOT_LISTABLE:
                    raise
                what = "project" if _is_project(parent_id) else "Foundry resource"
                raise ApiError(
                    exc.status,
                    exc.code,
                    f"the capability hosts of this {what} could not be listed ({exc.message}); "
                    f"whether it has one (the agent service's standard setup) is unknown",
                ) from None

        self._keep_children(parent_id, operation, "capability host(s)", read)

    def _keep_children(
        self, parent_id: str, operation: str, what: str, read: Callable[[], list[Any]]
    ) -> None:
        """Child resources as ARM returned them, credentials dropped; a failed read is an
        errors entry."""
        try:
            items = read()
        except ApiError as exc:
            self._error(exc, parent_id, operation)
            return
        items = self._resources_in(items, parent_id, operation, what)
        with self._lock:
            for item in items:
                self.state.resources[scope_key(item["id"])] = self._scrubbed(item)

    # -- resources read through their SDK ------------------------------------------------
    def _follow(self, wave: int, parsed: Followable) -> None:
        super()._follow(wave, parsed)
        if parsed.type == types.COSMOS_ACCOUNT and self.sdk is not None:
            # its data-plane RBAC needs only the id: read in the same wave as the account
            self._submit(wave + 1, self.list_sql_role_assignments, parsed.id)
            self._submit(wave + 1, self.list_sql_role_definitions, parsed.id)

    def _read_resource(self, parsed: Followable, version: str) -> Any:
        if self.sdk is None or parsed.type not in SDK_TYPES:
            return super()._read_resource(parsed, version)
        names = _names(parsed.id)
        if parsed.type == types.COSMOS_ACCOUNT:
            return self.sdk.get(self.sdk.cosmos(parsed.subscription).database_accounts.get, *names)
        if parsed.type == types.SEARCH_SERVICE:
            return self.sdk.get(self.sdk.search(parsed.subscription).services.get, *names)
        client = self.sdk.cognitive(parsed.subscription)
        if parsed.type == types.COGNITIVE_PROJECT:
            return self.sdk.get(client.projects.get, *names)
        return self.sdk.get(client.accounts.get, *names)

    def list_sql_role_assignments(self, wave: int, cosmos_id: str) -> None:
        assert self.sdk is not None
        sql = self.sdk.cosmos(_subscription(cosmos_id)).sql_resources
        try:
            items = self.sdk.list_all(sql.list_sql_role_assignments, *_names(cosmos_id))
        except ApiError as exc:
            self._error(exc, cosmos_id, SQL_ROLE_ASSIGNMENTS_READ)
            return
        items = self._resources_in(
            items, cosmos_id, SQL_ROLE_ASSIGNMENTS_READ, "SQL role assignment(s)"
        )
        with self._lock:
            for item in items:
                self.state.resources[scope_key(item["id"])] = self._scrubbed(item)
                principal = json_object(item.get("properties")).get("principalId")
                self.directory.want(wave, principal, None)

    def list_sql_role_definitions(self, wave: int, cosmos_id: str) -> None:
        assert self.sdk is not None
        sql = self.sdk.cosmos(_subscription(cosmos_id)).sql_resources
        self._keep_children(
            cosmos_id,
            SQL_ROLE_DEFINITIONS_READ,
            "SQL role definition(s)",
            lambda: self.sdk.list_all(  # type: ignore[union-attr]
                sql.list_sql_role_definitions, *_names(cosmos_id)
            ),
        )


def _names(resource_id: str) -> tuple[str, ...]:
    """(resource group, name, child name, ...) as the SDK operations take them."""
    parsed = followable(resource_id)
    assert parsed is not None
    return (parsed.resource_group, *parsed.names)


def _subscription(resource_id: str) -> str:
    parsed = followable(resource_id)
    assert parsed is not None
    return parsed.subscription


def _last(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def _is_project(resource_id: str) -> bool:
    parsed = followable(resource_id)
    return parsed is not None and parsed.type == types.COGNITIVE_PROJECT


def _connections_read(parent_id: str) -> str:
    return PROJECT_CONNECTIONS_READ if _is_project(parent_id) else ACCOUNT_CONNECTIONS_READ


def _capability_hosts_read(parent_id: str) -> str:
    return (
        PROJECT_CAPABILITY_HOSTS_READ if _is_project(parent_id) else ACCOUNT_CAPABILITY_HOSTS_READ
    )
