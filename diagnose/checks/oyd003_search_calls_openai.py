from diagnose.checks._common import DOCS_USE_YOUR_DATA, EMBEDDINGS, OPENAI_USER, service_pairs
from diagnose.checks._error_texts import OPENAI_PERMISSION_DENIED
from diagnose.engine.api import Requirement, Severity, Status, check
from diagnose.engine.context import CheckContext, describe


@check(
    id="OYD003",
    title="Search can call Azure OpenAI for vectorization",
    severity=Severity.MEDIUM,
    scenario="Integrated vectorization / custom skill",
    docs=(DOCS_USE_YOUR_DATA,),
    explains=(OPENAI_PERMISSION_DENIED,),
)
def search_calls_openai(ctx: CheckContext):
    """
    What it checks: wherever a hub or project connects a Search service and an Azure OpenAI /
    AI services resource (the latter through an Entra ID connection: with a key connection
    Search uses the key), the Search service's managed identity holds the embeddings data
    action on the Azure OpenAI resource. Reported as a warning: only integrated vectorization
    and custom skills need it.

    Why it matters: integrated vectorization and the embedding skill call the Azure OpenAI
    embeddings deployment as the Search service's identity; without a data role the indexer
    fails and vector queries return errors.

    How to fix: assign Cognitive Services OpenAI User (enough for vectorizers; OpenAI
    Contributor for custom skills that need more) on the Azure OpenAI resource to the Search
    service's managed identity.
    """
    for workspace, search, account in service_pairs(ctx, "search", "ai"):
        identity = ctx.identity(search)
        if identity is None:
            continue
        yield Requirement(
            principal=identity,
            resource=account,
            operations=(EMBEDDINGS,),
            because=f"vectorizes with {describe(account)} for {describe(workspace)}",
            roles=(OPENAI_USER,),
            status_if_missing=Status.WARN,
        )
