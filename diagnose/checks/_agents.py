"""The Foundry agent service's standard setup, as the checks about it read it: a project's
capability host (its own, else its Foundry resource's defaults), the connections the host
names for thread storage, file storage, vector stores and AI services, and the resource each
connection points to.

Connections a capability host names are used by the agent service with the project's managed
identity: they put requirements on that identity, not on the people of the project (the CON
checks leave them out, see agent_service_connection).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from diagnose.arm import types
from diagnose.checks._common import target_or_unknown
from diagnose.engine.api import Cause, Draft, PrincipalRef, Status
from diagnose.engine.context import CheckContext, Connection, describe
from diagnose.model.agents import CAPABILITY_HOST_STORES, connection_names
from diagnose.model.resources import Resource


@dataclass(frozen=True)
class Store:
    """One resource of a project's standard agent setup, through the connection that names it."""

    kind: str
    """The capability host property: threadStorageConnections, storageConnections, ..."""
    purpose: str
    """In words: "thread storage", "file storage", "vector store", "AI services"."""
    connection: Connection
    target: Resource
    host: Resource
    """The capability host that named the connection (the project's, or its account's)."""


@dataclass(frozen=True)
class AgentSetup:
    """What a project's agents use: the capability host, the resources it names, and a Draft
    saying `unknown` for each thing that could not be told (a connection or target not in the
    snapshot)."""

    project: Resource
    host: Resource | None
    """The project's capability host, else its account's; None: basic setup (no host)."""
    stores: tuple[Store, ...]
    unknown: tuple[Draft, ...]

    def of(self, kind: str) -> tuple[Store, ...]:
        return tuple(s for s in self.stores if s.kind == kind)

    def unknown_of(self, kind: str) -> tuple[Draft, ...]:
        """The `unknown` Drafts about this kind's targets (a connection's target the snapshot
        lacks): details name the connection and its target."""
        return tuple(d for d in self.unknown if d.details.get("store") == kind)


def _hosts_unreadable(ctx: CheckContext, parent: Resource) -> list[str]:
    return [
        e.describe()
        for e in ctx.read_errors(parent.id)
        if "capabilityhosts" in e.operation.lower().replace("/", "")
    ]


def capability_hosts(
    ctx: CheckContext, project: Resource
) -> tuple[Resource | None, Resource | None]:
    """(the project's capability host, its account's), each None when it has none."""
    own = ctx.model.children_of(project, types.PROJECT_CAPABILITY_HOST)
    account = ctx.resource(project.parent_id)
    shared = (
        ctx.model.children_of(account, types.ACCOUNT_CAPABILITY_HOST) if account is not None else []
    )
    return (own[0] if own else None), (shared[0] if shared else None)


def agent_setup(ctx: CheckContext, project: Resource) -> AgentSetup | Draft:
    """The standard agent setup of a Foundry project, or a Draft saying `unknown` when the
    capability hosts of the project or of its account could not be listed (an errors entry for
    the list): a missing host must not pass for a basic setup. Worked out from the resources
    and read errors alone: a whole-plan round or a proof on a copy with the same resources
    (Cosmos DB SQL role assignments aside) takes the first run's (share_resources)."""
    return ctx.memo(("agent setup", project.key), lambda: _setup(ctx, project), resources_only=True)


def _setup(ctx: CheckContext, project: Resource) -> AgentSetup | Draft:
    account = ctx.resource(project.parent_id)
    unreadable = _hosts_unreadable(ctx, project)
    if account is not None:
        unreadable += _hosts_unreadable(ctx, account)
    own, shared = capability_hosts(ctx, project)
    if unreadable and own is None:
        return Draft(
            status=Status.UNKNOWN,
            resource=project.id,
            cause=Cause.UNREADABLE,
            message=f"The capability hosts of {describe(project)} or of its Foundry resource "
            f"could not be listed ({'; '.join(unreadable)}): whether its agents use a standard "
            "setup (their own Cosmos DB, storage and Search), and so what its identity needs "
            "on them, is unknown.",
        )
    host = own or shared
    if host is None:
        return AgentSetup(project, None, (), ())
    stores: list[Store] = []
    unknown: list[Draft] = []
    for kind, purpose, target_type in CAPABILITY_HOST_STORES:
        names, named_by = connection_names(own, kind), own
        if not names and shared is not None:
            names, named_by = connection_names(shared, kind), shared
        for name in names:
            connection = _connection(ctx, project, account, name)
            assert named_by is not None
            if connection is None:
                unknown.append(
                    Draft(
                        status=Status.UNKNOWN,
                        resource=named_by.id,
                        cause=Cause.UNREADABLE,
                        message=f"The capability host '{named_by.name}' of "
                        f"{describe(project)} names the connection '{name}' for its "
                        f"{purpose}, which is in neither the project's connections nor its "
                        "Foundry resource's in the snapshot: what the project's identity "
                        "needs on it cannot be checked.",
                        details={"capabilityHost": named_by.id, "connection": name},
                    )
                )
                continue
            target = target_or_unknown(ctx, connection, target_type)
            if isinstance(target, Draft):
                unknown.append(replace(target, details={**target.details, "store": kind}))
            elif target is not None:
                stores.append(Store(kind, purpose, connection, target, named_by))
    return AgentSetup(project, host, tuple(stores), tuple(unknown))


def _connection(
    ctx: CheckContext, project: Resource, account: Resource | None, name: str
) -> Connection | None:
    """A connection by name: the project's own first, else its account's."""
    wanted = name.lower()
    for owner in (project, account):
        if owner is None:
            continue
        for connection in ctx.connections(owner):
            if connection.name.lower() == wanted:
                return connection
    return None


def agent_service_connections(ctx: CheckContext) -> frozenset[str]:
    """The ids (lower-case) of the connections a capability host of a Foundry project in scope
    names: the agent service uses them with the project's identity."""
    return ctx.memo(
        "agent service connections", lambda: _agent_connections(ctx), resources_only=True
    )


def _agent_connections(ctx: CheckContext) -> frozenset[str]:
    found: set[str] = set()
    for project in ctx.foundry_projects():
        setup = agent_setup(ctx, project)
        if isinstance(setup, AgentSetup):
            found.update(s.connection.id.lower() for s in setup.stores)
    return frozenset(found)


def agent_service_connection(ctx: CheckContext, connection: Connection) -> bool:
    """Whether a capability host names this connection (the agent service uses it with the
    project's identity, not the people's)."""
    if connection.resource.type not in (types.ACCOUNT_CONNECTION, types.PROJECT_CONNECTION):
        return False
    return connection.id.lower() in agent_service_connections(ctx)


def project_identity(ctx: CheckContext, project: Resource) -> PrincipalRef | None:
    """The managed identity a Foundry project's agents run as: its system-assigned identity,
    else its (first) user-assigned identity."""
    system = ctx.identity(project)
    if system is not None:
        return system
    for _, ref in ctx.user_assigned_identities(project):
        if ref is not None:
            return PrincipalRef(
                ref.id,
                ref.type,
                ref.display_name,
                description=f"{ref.description}, the identity of {describe(project)}",
            )
    return None
