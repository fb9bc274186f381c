from diagnose.checks._common import (
    CHAT_COMPLETIONS,
    DOCS_OPENAI_RBAC,
    OPENAI_CATEGORIES,
    OPENAI_USER,
    entra_id_connections,
    reaches_openai,
)
from diagnose.checks._error_texts import (
    INVALID_API_KEY,
    OPENAI_PERMISSION_DENIED,
    TOKEN_AUDIENCE_INVALID,
)
from diagnose.checks._people import DataNeed, connection_requirements
from diagnose.engine.api import Draft, Severity, check
from diagnose.engine.context import CheckContext
from diagnose.model.resources import COGNITIVE_ACCOUNT


@check(
    id="CON001",
    title="Users of an Entra ID connection can call Azure OpenAI",
    severity=Severity.HIGH,
    scenario="Entra ID connection to Azure OpenAI / AI services",
    docs=(DOCS_OPENAI_RBAC,),
    people=True,
    explains=(OPENAI_PERMISSION_DENIED, TOKEN_AUDIENCE_INVALID, INVALID_API_KEY),
)
def openai_connection_users(ctx: CheckContext):
    """
    What it checks: for every Azure OpenAI / AI services connection that uses Entra ID (and
    every Cognitive Services connection whose target is an OpenAI or AI services account), the
    people who use it hold the data action
    Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action on the
    target resource. The users of a project's connection are the project's builders; those of
    a hub's connection, the builders of the hub and of the projects it is shared with. Grants
    count from any scope above and through nested groups.

    Who needs it: a builder (Azure AI Developer, AzureML Data Scientist, or Owner /
    Contributor on the project itself) without the chat data action is a failure; an
    administrator (Owner, Contributor or Azure AI Administrator above the project) gets a
    warning, since it manages rather than calls; a reader (Reader, or the hub Reader the portal
    adds for project members) is asked nothing. A connection with `ManagedIdentity` auth calls
    as an identity, not as the person: the user-assigned identity its credentials.resourceId
    (or clientId) names, else the identity of the workspace that owns it, must hold the role,
    and a service identity without it is a failure. Key-authenticated connections put no
    requirement on RBAC, and `CognitiveService` connections to Speech, Content Safety or
    Language accounts are not OpenAI.

    A connection a Foundry capability host names (standard agent setup: thread storage,
    file storage, vector store, AI services) asks nothing of people: the agent service uses
    it with the project's managed identity, which AGT001 checks.

    Why it matters: with Entra ID the call runs as the user, so the user needs a data-plane role
    on the Azure OpenAI resource. Owner and Contributor grant only control-plane Actions, never
    data actions: the playground then fails with "PermissionDenied: Principal does not have
    access to API/Operation".

    How to fix: assign Cognitive Services OpenAI User on the Azure OpenAI / AI services resource
    (Cognitive Services OpenAI Contributor only for those who call the ingestion API or
    fine-tune; Cognitive Services User only to list keys, which a data path does not need).
    """
    for item in entra_id_connections(ctx, OPENAI_CATEGORIES, COGNITIVE_ACCOUNT):
        if isinstance(item, Draft):
            yield item
            continue
        connection, target = item
        if not reaches_openai(connection, target):
            continue
        yield from connection_requirements(
            ctx, connection, target, (DataNeed((CHAT_COMPLETIONS,), (OPENAI_USER,)),)
        )
