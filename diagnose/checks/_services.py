"""What the checks about services calling services share beyond _common: which of the
resources a workspace connects are Azure OpenAI (a `CognitiveService` connection to a Speech or
Content Safety account is not), and which scenario the snapshot shows for Search calling Azure
OpenAI.

_common.workspace_chain groups every connection of the OpenAI categories under "ai", whatever
its target; these helpers keep, from the pairs it yields, only those whose "ai" side a
connection of the workspace reaches as Azure OpenAI (_common.reaches_openai).
"""

from __future__ import annotations

import re

from diagnose.checks._common import reaches_openai, service_pairs, workspace_chain
from diagnose.engine.context import CheckContext, Connection, describe
from diagnose.model.resources import Resource

Pair = tuple[Resource, Resource, Resource]


def openai_keys(ctx: CheckContext, workspace: Resource) -> frozenset[str]:
    """Keys of the resources a workspace reaches as Azure OpenAI: through an Azure OpenAI or AI
    services connection, or a Cognitive Services connection whose target is an OpenAI or AI
    services account."""
    return frozenset(
        account.key
        for connection, account in workspace_chain(ctx, workspace).ai
        if reaches_openai(connection, account)
    )


def openai_pairs(
    ctx: CheckContext, left: str, right: str, *, entra_only: bool = True
) -> list[Pair]:
    """_common.service_pairs, keeping only the pairs whose "ai" side is Azure OpenAI in that
    workspace: a Speech or Content Safety account neither answers "add your data" chats nor
    serves embeddings."""
    found = []
    for workspace, caller, callee in service_pairs(ctx, left, right, entra_only=entra_only):
        keys = openai_keys(ctx, workspace)
        if left == "ai" and caller.key not in keys:
            continue
        if right == "ai" and callee.key not in keys:
            continue
        found.append((workspace, caller, callee))
    return found


def openai_connections(ctx: CheckContext, workspace: Resource) -> list[tuple[Connection, Resource]]:
    """The workspace's "ai" connections that reach Azure OpenAI, with their targets."""
    return [(c, a) for c, a in workspace_chain(ctx, workspace).ai if reaches_openai(c, a)]


def reached_with_entra_id(
    ctx: CheckContext,
    resource_type: str,
    callers: str,
    callee: str,
    verb: str,
    categories: frozenset[str] | None = None,
) -> list[tuple[Resource, str]]:
    """_common.reached_with_entra_id with the service-to-service part limited to Azure OpenAI
    (openai_pairs): resources of one type that an Entra ID connection (of these categories, if
    given) points to, or that a `callers` service calls with its managed identity."""
    found: dict[str, tuple[Resource, str]] = {}
    for connection in ctx.all_connections():
        if categories is not None and connection.category not in categories:
            continue
        target = ctx.target_of(connection)
        if target is not None and target.type == resource_type and connection.uses_entra_id:
            found.setdefault(target.key, (target, f"the Entra ID {connection.label} uses it"))
    for _, caller, target in openai_pairs(ctx, callers, callee):
        found.setdefault(
            target.key, (target, f"{describe(caller)} {verb} it with its managed identity")
        )
    return list(found.values())


_INGESTION = re.compile(r"ingest|on[-_ ]?your[-_ ]?data|add[-_ ]?your[-_ ]?data")
_VECTORIZATION = re.compile(r"embed|vector")


def _text(connection: Connection) -> str:
    return " ".join([connection.name, *map(str, connection.metadata.values())]).lower()


def search_openai_scenario(
    ctx: CheckContext, workspace: Resource, account: Resource
) -> tuple[str, str]:
    """Why Search's identity calls this Azure OpenAI resource, as far as the workspace's
    connections say: ("ingestion", evidence) when a connection's name or metadata speaks of
    ingestion or On Your Data, ("vectorization", evidence) when the connection to the resource
    speaks of embeddings or vectors, else ("unknown", ""). The caller must not assume the
    stronger need (ingestion) without the evidence."""
    for connection in ctx.usable_connections(workspace):
        if _INGESTION.search(_text(connection)):
            return "ingestion", connection.label
    for connection, target in openai_connections(ctx, workspace):
        if target.key == account.key and _VECTORIZATION.search(_text(connection)):
            return "vectorization", connection.label
    return "unknown", ""
