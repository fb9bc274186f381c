"""What the checks about people share: who uses a connection, with their personas, and what
a data path through a connection asks of them (GUIDE section 4: people are not all builders).

Only Entra ID connections put requirements on people, each as strong as the person's persona;
a connection authenticated with a managed identity puts them on that identity; a key
connection on nobody.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from diagnose.byidentity import ByIdentity
from diagnose.checks._agents import agent_service_connection
from diagnose.checks._common import describe, hub_identity, used_in
from diagnose.engine.api import (
    Cause,
    Draft,
    Need,
    Operation,
    PrincipalRef,
    Requirement,
    Severity,
    Status,
)
from diagnose.engine.context import CheckContext, Connection, lower_keys
from diagnose.engine.personas import Classification, Persona
from diagnose.model.resources import Resource


def connection_users(ctx: CheckContext, connection: Connection) -> list[Classification]:
    """Who uses a connection and may be asked for roles, each with its persona
    (CheckContext.connection_users): the builders and administrators of the project that owns
    it, or of the hub and the projects a hub connection is shared with. Readers are left out:
    nothing they lack is a failure."""
    return ctx.connection_users_as(connection, ASKED)


def asked(ctx: CheckContext, users: list[Classification]) -> list[Classification]:
    """Those of a list of people whom person_requirement asks something (builders and
    administrators), in order: once per list for the run, not once per check."""
    memo: ByIdentity[list[Classification]] = ctx.memo("asked of", ByIdentity)
    return memo.get((users,), lambda: ctx.personas.only(users, ASKED))


def builders(ctx: CheckContext, users: list[Classification]) -> list[Classification]:
    """The builders of a list of people, in order: once per list for the run."""
    memo: ByIdentity[list[Classification]] = ctx.memo("builders of", ByIdentity)
    return memo.get((users,), lambda: ctx.personas.only(users, BUILT))


ASKED = frozenset({Persona.BUILDER, Persona.ADMINISTRATOR})
"""The personas person_requirement asks something of."""
BUILT = frozenset({Persona.BUILDER})


ADMINISTRATOR_NOTE = (
    "As an administrator here it can manage this but cannot use it with Entra ID: a warning, "
    "not a failure; grant the role only if it is meant to call the service."
)
WRITE_NOTE = (
    "Writing (indexing, uploading) is a warning for a builder, not a failure, unless the work "
    "at hand is ingestion."
)


def person_requirement(
    user: Classification,
    resource: Resource,
    operations: tuple[Operation, ...],
    because: str,
    roles: tuple[str, ...],
    *,
    writes: bool = False,
    ingestion: bool = False,
    scope: str | None = None,
    severity: Severity | None = None,
    note: str | None = None,
) -> Requirement | None:
    """What a person needs for a data path, as strong as its persona makes it (GUIDE: "people
    are not all builders"): a builder missing a read/call role fails; a builder missing a
    write role (`writes`) gets a warning unless the scenario is ingestion; an administrator
    gets a warning ("can manage, cannot use with Entra ID"); a reader (or a service identity)
    is asked nothing: None. `note`, when given, ends the finding's message instead of the
    persona's own note."""
    if user.persona is Persona.BUILDER:
        warn = writes and not ingestion
        status, said = (Status.WARN, WRITE_NOTE) if warn else (Status.FAIL, "")
    elif user.persona is Persona.ADMINISTRATOR:
        status, said = Status.WARN, ADMINISTRATOR_NOTE
    else:
        return None
    return Requirement(
        principal=user.principal,
        resource=resource,
        operations=operations,
        because=because,
        roles=roles,
        scope=scope,
        severity=severity,
        status_if_missing=status,
        subject=user.subject,
        persona=user,
        note=said if note is None else note,
    )


def people_need(
    users: list[Classification],
    resource: Resource,
    operations: tuple[Operation, ...],
    because: str,
    roles: tuple[str, ...],
    *,
    writes: bool = False,
    scope: str | None = None,
) -> Need:
    """person_requirement for many people at once (`users`: builders and administrators,
    see asked()), answered by the engine in bulk."""
    return Need(
        users,
        resource,
        operations,
        partial(_person_state, resource, operations, because, roles, writes, scope),
        scope=scope,
    )


def _person_state(
    resource: Resource,
    operations: tuple[Operation, ...],
    because: str,
    roles: tuple[str, ...],
    writes: bool,
    scope: str | None,
    user: Classification,
) -> Requirement:
    requirement = person_requirement(
        user, resource, operations, because, roles, writes=writes, scope=scope
    )
    if requirement is None:
        raise TypeError(f"{user.principal.id} is {user.persona.value}: asked nothing")
    return requirement


def key_path_warning(
    ctx: CheckContext,
    resource: Resource,
    users: list[Classification],
    operation: Operation,
    role_name: str,
    what: str,
) -> Draft | None:
    """One warning per resource for the builders who lack a portal key path (`operation`, such
    as listAdminKeys): it names the role the seed names and why, proposes no fix (a role that
    reads keys is never the least privilege for a data need), and is never a failure. None
    as well when the role assignments reaching the resource could not all be read: a missing
    grant cannot be told then (the engine's basis says why), and a warning with no fix is not
    worth a guess."""
    if ctx.model.authorization.errors_above(resource.key, "assignments"):
        return None
    candidates = builders(ctx, users)
    holding = ctx.holding((u.principal.id for u in candidates), resource.id, operation)
    lacking = [u for u in candidates if u.principal.id not in holding]
    if not lacking:
        return None
    names = ", ".join(u.principal.display_name or u.principal.id for u in lacking[:5])
    more = f" and {len(lacking) - 5} more" if len(lacking) > 5 else ""
    return Draft(
        status=Status.WARN,
        resource=resource.id,
        cause=Cause.MISSING_ROLE,
        severity=Severity.LOW,
        message=f"{what} goes through the keys of {describe(resource)} "
        f"({operation.name}), which {len(lacking)} builder(s) cannot read ({names}{more}). "
        f"The docs name {role_name} for it, which can read the keys: that is a choice about "
        "key access, not a fix for a data role, so no fix is proposed. With Entra ID "
        "connections the data role alone is enough to use the data.",
        details={"operation": operation.name, "keyPath": True},
    )


@dataclass(frozen=True)
class DataNeed:
    """One data path through a connection: the operations, the role the docs name for them,
    and whether it writes (a write is a warning, not a failure, outside ingestion)."""

    operations: tuple[Operation, ...]
    roles: tuple[str, ...]
    purpose: str = ""
    """Words added to why it is needed, e.g. "to upload"."""
    writes: bool = False


SERVICE_WRITE_NOTE = (
    "Writing (indexing, uploading) through the connection is a warning, not a failure, unless "
    "the work at hand is ingestion."
)


def connection_requirements(
    ctx: CheckContext, connection: Connection, target: Resource, needs: tuple[DataNeed, ...]
) -> Iterator[Requirement | Need | Draft]:
    """What the data paths through a connection ask, and of whom (GUIDE section 4):

    - authType `AAD`: the people who use it (connection_users), each as strong as its persona
      (person_requirement); a write need only of those asked the read need;
    - authType `ManagedIdentity`: the identity the connection names (connection_identity),
      which makes every call: a service identity, never merged with people, failing for a
      read and warned for a write like a builder; a Draft saying `unknown` when the named
      identity is not in the snapshot;
    - a key: nothing (the key-auth switches are other checks' business);
    - a connection a Foundry capability host names (standard agent setup): nothing of people,
      whatever its authType: the agent service uses it with the project's identity, which
      AGT001 checks (a `ManagedIdentity` one still asks its identity)."""
    if connection.uses_managed_identity:
        found = connection_identity(ctx, connection)
        if isinstance(found, Draft):
            yield found
            return
        identity, how = found
        for need in needs:
            yield Requirement(
                principal=identity.principal,
                resource=target,
                operations=need.operations,
                because=" ".join(filter(None, (how, need.purpose))),
                roles=need.roles,
                status_if_missing=Status.WARN if need.writes else Status.FAIL,
                subject=f"{identity.principal.label}, a service identity,",
                persona=identity,
                note=SERVICE_WRITE_NOTE if need.writes else "",
            )
        return
    if not connection.uses_entra_id:
        return
    if agent_service_connection(ctx, connection):
        return  # the agent service uses it with the project's identity (AGT001), not people's
    because = used_in(connection)
    users = connection_users(ctx, connection)
    if not users:
        return
    # Everyone who uses the connection needs the same: one Need per data path, answered in
    # bulk (each person's requirement is built only if it may fall short).
    for need in needs:
        reason = " ".join(filter(None, (because, need.purpose)))
        yield people_need(users, target, need.operations, reason, need.roles, writes=need.writes)


def connection_identity(
    ctx: CheckContext, connection: Connection
) -> tuple[Classification, str] | Draft:
    """The identity a `ManagedIdentity` connection calls as, with why, as a service identity:
    the user-assigned identity its credentials.resourceId names (its principal id from the
    snapshot), else the principal whose appId (or the user-assigned identity whose clientId)
    is its credentials.clientId, else the system identity of the workspace that owns it (for
    a workspace without one, its primary user-assigned identity). A Draft saying `unknown`
    when the identity it names, or the workspace's, is not in the snapshot."""
    credentials = connection.credentials
    resource_id = str(credentials.get("resourceid") or "").strip()
    client_id = str(credentials.get("clientid") or "").strip().lower()
    auth = f"authType {connection.resource.prop('authType')}"
    ref: PrincipalRef | None
    if resource_id:
        ref = _user_assigned_by_id(ctx, resource_id)
        named = f"the user-assigned identity {resource_id} (credentials.resourceId)"
        how = (
            f"makes the calls of {connection.label}, which names it ({auth}, "
            "credentials.resourceId)"
        )
    elif client_id:
        ref = _principal_by_client_id(ctx, client_id)
        named = f"the identity with client id {client_id} (credentials.clientId)"
        how = (
            f"makes the calls of {connection.label}, which names it ({auth}, credentials.clientId)"
        )
    else:
        ref = hub_identity(ctx, connection.workspace)
        named = f"the managed identity of {describe(connection.workspace)}"
        how = (
            f"makes the calls of {connection.label}, which names no identity in the snapshot "
            f"({auth}: the identity of the workspace that owns it)"
        )
    if ref is None:
        missing = (
            "which is not in the snapshot"
            if resource_id or client_id
            else "and the snapshot shows none for that workspace"
        )
        return Draft(
            status=Status.UNKNOWN,
            resource=connection.id,
            cause=Cause.UNREADABLE,
            message=f"{connection.label[:1].upper()}{connection.label[1:]} calls as {named} "
            f"({auth}), {missing}: what that identity holds on the target cannot be checked.",
            details={"connection": connection.id, "identity": resource_id or client_id or None},
        )
    classification = Classification(ref, Persona.SERVICE_IDENTITY, ())
    return classification, how


def _user_assigned_by_id(ctx: CheckContext, resource_id: str) -> PrincipalRef | None:
    key = resource_id.lower().rstrip("/")
    principal_id = None
    identity = ctx.resource(resource_id)
    if identity is not None:
        principal_id = identity.prop("principalId")
    if not principal_id:
        for resource in ctx.model.resources.values():
            for assigned, found in resource.identity.user_assigned.items():
                if assigned.lower().rstrip("/") == key and found:
                    principal_id = found
    if not principal_id:
        return None
    name = resource_id.rstrip("/").rsplit("/", 1)[-1]
    return PrincipalRef(
        str(principal_id).lower(),
        "ServicePrincipal",
        name,
        description=f"the user-assigned identity '{name}'",
    )


def _principal_by_client_id(ctx: CheckContext, client_id: str) -> PrincipalRef | None:
    for entry in ctx.directory.principals.values():
        if str(entry.raw.get("appId") or "").lower() == client_id and not entry.deleted:
            return PrincipalRef(entry.id, entry.type, entry.display_name)
    for resource in ctx.model.resources.values():
        if str(resource.prop("clientId") or "").lower() == client_id and resource.prop(
            "principalId"
        ):
            return _user_assigned_by_id(ctx, resource.id)
        assigned = lower_keys(resource.raw.get("identity")).get("userassignedidentities")
        for resource_id, value in (assigned if isinstance(assigned, dict) else {}).items():
            if str(lower_keys(value).get("clientid") or "").lower() == client_id:
                found = _user_assigned_by_id(ctx, resource_id)
                if found is not None:
                    return found
    return None
