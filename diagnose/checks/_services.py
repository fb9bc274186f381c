"""Which scenario the snapshot shows for Search calling Azure OpenAI (OYD003): On Your Data
ingestion, or vectorization, or it cannot tell.

(Which resources a workspace reaches as Azure OpenAI is _common.workspace_chain's business: a
`CognitiveService` connection to a Speech or Content Safety account is not in its "ai" group.)
"""

from __future__ import annotations

import re

from diagnose.checks._common import workspace_chain
from diagnose.engine.context import CheckContext, Connection
from diagnose.model.resources import Resource

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
    ingestion = ctx.memo(("ingestion", workspace.key), lambda: _ingestion(ctx, workspace))
    if ingestion is not None:
        return "ingestion", ingestion
    for connection, target in workspace_chain(ctx, workspace).ai:
        if target.key == account.key and _VECTORIZATION.search(_text(connection)):
            return "vectorization", connection.label
    return "unknown", ""


def _ingestion(ctx: CheckContext, workspace: Resource) -> str | None:
    """The label of the first connection usable in the workspace whose name or metadata speaks
    of ingestion: the same for every account the workspace reaches, so found once."""
    for connection in ctx.usable_connections(workspace):
        if _INGESTION.search(_text(connection)):
            return connection.label
    return None
