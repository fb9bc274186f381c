from diagnose.checks._common import (
    CHAT_COMPLETIONS,
    DOCS_OPENAI_RBAC,
    OPENAI_CATEGORIES,
    OPENAI_USER,
    connection_users,
    entra_id_connections,
    used_in,
)
from diagnose.checks._error_texts import OPENAI_PERMISSION_DENIED
from diagnose.engine.api import Draft, Requirement, Severity, check
from diagnose.engine.context import CheckContext
from diagnose.model.resources import COGNITIVE_ACCOUNT


@check(
    id="CON001",
    title="Users of an Entra ID connection can call Azure OpenAI",
    severity=Severity.HIGH,
    scenario="Entra ID connection to Azure OpenAI / AI services",
    docs=(DOCS_OPENAI_RBAC,),
    people=True,
    explains=(OPENAI_PERMISSION_DENIED,),
)
def openai_connection_users(ctx: CheckContext):
    """
    What it checks: for every Azure OpenAI / AI services connection that uses Entra ID, each
    principal using it (the members of the project or hub that owns it) holds the data action
    Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action on the
    target resource.

    Why it matters: with Entra ID the call runs as the user, so the user needs a data-plane role
    on the Azure OpenAI resource. Owner and Contributor grant only control-plane Actions, never
    data actions: the playground then fails with "PermissionDenied: Principal does not have
    access to API/Operation".

    How to fix: assign Cognitive Services OpenAI User on the Azure OpenAI / AI services resource
    (Cognitive Services OpenAI Contributor only for those who call the ingestion API or
    fine-tune).
    """
    for item in entra_id_connections(ctx, OPENAI_CATEGORIES, COGNITIVE_ACCOUNT):
        if isinstance(item, Draft):
            yield item
            continue
        connection, target = item
        because = used_in(connection)
        for user in connection_users(ctx, connection):
            yield Requirement(
                principal=user,
                resource=target,
                operations=(CHAT_COMPLETIONS,),
                because=because,
                roles=(OPENAI_USER,),
            )
