"""Turn --hub NAME into an ARM id with one Azure Resource Graph query: a hub, a Foundry
resource (kind AIServices) or a Foundry project of that name."""

from __future__ import annotations

from typing import Any

from diagnose.arm.ids import followable
from diagnose.arm.types import COGNITIVE_ACCOUNT, COGNITIVE_PROJECT, WORKSPACE
from diagnose.collect import queries
from diagnose.collect.clients import ApiError, ArmClient
from diagnose.collect.settings import HubRef
from diagnose.errors import BadInput
from diagnose.snapshot.codes import TIMEOUT_CODE

MAX_LISTED = 20


def resolve_target(arm: ArmClient, hub: HubRef, credentials: Any = None) -> str:
    if hub.id is not None:
        return hub.id
    assert hub.name is not None
    query = queries.targets_named(hub.name, hub.resource_group)
    try:
        rows = arm.resource_graph(query, [hub.subscription] if hub.subscription else None)
    except ApiError as exc:
        if exc.status == 401:
            from diagnose.collect.credentials import rejected_credentials

            raise rejected_credentials(
                credentials, f"{exc.code}: {exc.message}", exc.tenant
            ) from None
        raise BadInput(
            f"could not look up {hub.name!r} in Azure Resource Graph "
            f"({exc.status} {exc.code}: {exc.message})",
            where="--hub",
            fix="retry with a longer --timeout"
            if exc.code == TIMEOUT_CODE
            else "pass the full ARM id, or --subscription and --resource-group with the name",
        ) from None
    ids = sorted(
        {row["id"] for row in rows if isinstance(row, dict) and isinstance(row.get("id"), str)},
        key=str.lower,
    )
    where = _where(hub)
    if not ids:
        raise BadInput(
            f"no hub, Foundry resource or Foundry project named {hub.name!r} {where}",
            where="--hub",
            fix="check the name and that you can read it (Reader), or pass its ARM id",
        )
    if len(ids) > 1:
        listed = "\n    ".join(ids[:MAX_LISTED])
        more = f"\n    ... and {len(ids) - MAX_LISTED} more" if len(ids) > MAX_LISTED else ""
        raise BadInput(
            f"{len(ids)} {_plural(ids)} are named {hub.name!r} {where}:\n    {listed}{more}",
            where="--hub",
            fix="pass one of these ids to --hub, or add --subscription ID and "
            "--resource-group NAME",
        )
    return ids[0]


NOUNS = {
    WORKSPACE: "hubs",
    COGNITIVE_ACCOUNT: "Foundry resources",
    COGNITIVE_PROJECT: "Foundry projects",
}


def _plural(ids: list[str]) -> str:
    kinds = {parsed.type if (parsed := followable(i)) else "" for i in ids}
    if len(kinds) == 1 and (noun := NOUNS.get(kinds.pop())):
        return noun
    return "hubs, Foundry resources or projects"


def _where(hub: HubRef) -> str:
    if hub.subscription and hub.resource_group:
        return f"in resource group {hub.resource_group!r} of subscription {hub.subscription}"
    if hub.subscription:
        return f"in subscription {hub.subscription}"
    if hub.resource_group:
        return f"in a resource group named {hub.resource_group!r}"
    return "in the subscriptions you can read"
