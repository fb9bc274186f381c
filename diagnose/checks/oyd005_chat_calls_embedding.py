from diagnose.checks._common import (
    DOCS_USE_YOUR_DATA,
    EMBEDDINGS,
    OPENAI_USER,
    mentions_embedding,
    workspace_chain,
)
from diagnose.checks._error_texts import OPENAI_PERMISSION_DENIED
from diagnose.engine.api import (
    Cause,
    Draft,
    Remediation,
    RemediationKind,
    Requirement,
    Severity,
    Status,
    check,
)
from diagnose.engine.context import CheckContext, describe


@check(
    id="OYD005",
    title="The chat Azure OpenAI resource can call the embedding resource",
    severity=Severity.HIGH,
    scenario="Chat and embedding models in two Azure OpenAI resources",
    docs=(DOCS_USE_YOUR_DATA,),
    explains=(OPENAI_PERMISSION_DENIED,),
)
def chat_calls_embedding(ctx: CheckContext):
    """
    What it checks: when a hub or project connects two different Azure OpenAI / AI services
    resources, the chat resource's managed identity holds the embeddings data action on the
    embedding resource, and the embedding connection uses Entra ID. A connection whose name or
    metadata mentions "embed" is taken as the embedding one; without such a hint both
    directions are checked and reported as warnings. Only resources reached as Azure OpenAI
    count: a `CognitiveService` connection to a Speech or Content Safety account is not one.

    Who needs it: the chat resource's system-assigned managed identity needs Cognitive
    Services OpenAI User on the embedding resource (the docs: "required only if using two
    Azure OpenAI resources"). When a connection marks which resource serves embeddings, a
    missing role, or an embedding connection that does not use Entra ID, is a failure; when
    nothing says which serves what, each direction is a warning. People are asked nothing
    here (CON001 checks the users of each connection).

    Why it matters: with chat and embedding models in separate resources, "add your data" makes
    the chat resource call the embedding deployment as its own identity. That needs a data role
    on the embedding resource and an Entra ID connection (and trusted services allowed through
    the embedding resource's firewall, which NET001 checks).

    How to fix: assign Cognitive Services OpenAI User on the embedding resource to the chat
    resource's managed identity, and switch the embedding connection to Entra ID.
    """
    seen: set[tuple[str, str]] = set()
    for _, workspace in ctx.workspaces():
        accounts = list(workspace_chain(ctx, workspace).ai)
        if len(accounts) < 2:
            continue
        embedding = [(c, a) for c, a in accounts if mentions_embedding(c)]
        for chat_connection, chat in accounts:
            for embed_connection, embed in accounts:
                if chat.key == embed.key or (chat.key, embed.key) in seen:
                    continue
                if embedding and (
                    (embed_connection, embed) not in embedding
                    or (chat_connection, chat) in embedding
                ):
                    continue
                seen.add((chat.key, embed.key))
                status = Status.FAIL if embedding else Status.WARN
                if embedding and not embed_connection.uses_entra_id:
                    yield Draft(
                        status=Status.FAIL,
                        resource=embed_connection.id,
                        cause=Cause.CONFIGURATION,
                        message=f"The embedding {embed_connection.label} uses "
                        f"{embed_connection.auth_type_name} authentication; with chat "
                        "and embeddings in two resources it must use Entra ID.",
                        remediations=(
                            Remediation(
                                kind=RemediationKind.CONFIGURATION,
                                summary=f"Switch {embed_connection.label} to Entra ID (AAD).",
                                resource=embed_connection.id,
                                setting="properties.authType",
                                value="AAD",
                            ),
                        ),
                    )
                identity = ctx.identity(chat)
                if identity is None:
                    continue
                hint = "" if embedding else " (if it serves chat and the other embeddings)"
                yield Requirement(
                    principal=identity,
                    resource=embed,
                    operations=(EMBEDDINGS,),
                    because="calls the embedding "
                    f"model of {describe(embed)} in {describe(workspace)}{hint}",
                    roles=(OPENAI_USER,),
                    status_if_missing=status,
                )
