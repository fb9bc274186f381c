from diagnose.checks._common import (
    DOCS_USE_YOUR_DATA,
    SEARCH_DOCUMENTS_READ,
    SEARCH_INDEX_DATA_READER,
    SEARCH_INDEXES_READ,
    SEARCH_SERVICE_CONTRIBUTOR,
    service_pairs,
    workspace_chain,
)
from diagnose.checks._error_texts import SEARCH_UNAUTHORIZED
from diagnose.engine.api import Requirement, Severity, check
from diagnose.engine.context import CheckContext, describe


@check(
    id="OYD001",
    title="Azure OpenAI can query the Search index (add your data, inference)",
    severity=Severity.HIGH,
    scenario='Playground "add your data", inference',
    docs=(DOCS_USE_YOUR_DATA,),
    explains=(SEARCH_UNAUTHORIZED,),
)
def openai_reads_search(ctx: CheckContext):
    """
    What it checks: wherever a hub or project connects both an Azure OpenAI / AI services
    resource and an Azure AI Search service (the Search service through an Entra ID connection:
    with a key connection Azure OpenAI uses the key), the Azure OpenAI resource's managed
    identity holds
    Microsoft.Search/searchServices/indexes/documents/read (a data action) and
    Microsoft.Search/searchServices/indexes/read (an action, to read the index schema) on the
    Search service. Targets of those connections that were not collected are reported unknown.
    A `CognitiveService` connection to a Speech or Content Safety account is not Azure OpenAI.

    Who needs it: the Azure OpenAI resource's system-assigned managed identity, not the people
    chatting (CON001 and CON002 check those). Search Index Data Reader (documents) and Search
    Service Contributor (the index schema, for field mapping) are what the docs name for
    inference; a missing one is a failure, since every "add your data" chat over that index
    needs both. With key connections nothing is asked.

    Why it matters: with "add your data" the Azure OpenAI service queries Search as itself, not
    as the user. Without these roles the chat playground fails with a Search 403 even when every
    user has all the roles they need.

    How to fix: assign Search Index Data Reader and Search Service Contributor on the Search
    service to the Azure OpenAI resource's system-assigned managed identity.
    """
    for _, workspace in ctx.workspaces():
        yield from workspace_chain(ctx, workspace).unknown
    for workspace, account, search in service_pairs(ctx, "ai", "search"):
        identity = ctx.identity(account)
        if identity is None:
            continue  # IDN001 reports the missing identity
        because = f'answers "add your data" chats over {describe(search)} in {describe(workspace)}'
        yield Requirement(
            principal=identity,
            resource=search,
            operations=(SEARCH_DOCUMENTS_READ,),
            because=because,
            roles=(SEARCH_INDEX_DATA_READER,),
        )
        yield Requirement(
            principal=identity,
            resource=search,
            operations=(SEARCH_INDEXES_READ,),
            because=because,
            roles=(SEARCH_SERVICE_CONTRIBUTOR,),
        )
