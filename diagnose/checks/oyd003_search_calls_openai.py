from diagnose.checks._common import DOCS_USE_YOUR_DATA, EMBEDDINGS, OPENAI_USER, service_pairs
from diagnose.checks._error_texts import OPENAI_PERMISSION_DENIED
from diagnose.checks._services import search_openai_scenario
from diagnose.engine.api import Operation, Requirement, Severity, Status, check
from diagnose.engine.context import CheckContext, describe

OPENAI_CONTRIBUTOR = "a001fd3d-188f-4b5d-821b-7da978bf7442"
ON_YOUR_DATA_INGESTION = Operation.data_action(
    "Microsoft.CognitiveServices/accounts/OpenAI/extensions/on-your-data/ingestion/write"
)
DOCS_INTEGRATED_VECTORIZATION = (
    "https://learn.microsoft.com/azure/search/search-howto-managed-identities-data-sources"
)


@check(
    id="OYD003",
    title="Search can call Azure OpenAI for vectorization and ingestion",
    severity=Severity.MEDIUM,
    scenario="Integrated vectorization / custom skill",
    docs=(DOCS_USE_YOUR_DATA, DOCS_INTEGRATED_VECTORIZATION),
    explains=(OPENAI_PERMISSION_DENIED,),
)
def search_calls_openai(ctx: CheckContext):
    """
    What it checks: wherever a hub or project connects a Search service and an Azure OpenAI /
    AI services resource (the latter through an Entra ID connection: with a key connection
    Search uses the key), the Search service's managed identity can call the Azure OpenAI
    resource for what the snapshot shows it doing: the embeddings data action for an
    indexer's embedding skill or a query-time vectorizer, and also the On Your Data ingestion
    data action when a connection's name or metadata speaks of ingestion (On Your Data, add
    your data). When nothing says which, only the embeddings action is checked and the
    finding says the snapshot cannot tell. A `CognitiveService` connection to a Speech or
    Content Safety account is not Azure OpenAI.

    Who needs it: the Search service's system-assigned managed identity. An embedding skill or
    a vectorizer needs only Cognitive Services OpenAI User; On Your Data ingestion (its
    preprocessing custom skill) needs Cognitive Services OpenAI Contributor, asked only when
    the snapshot shows ingestion, never guessed. A shortfall is a warning, never a failure:
    only these scenarios need it. People are asked nothing here.

    Why it matters: integrated vectorization, the embedding skill and On Your Data ingestion
    call the Azure OpenAI resource as the Search service's identity; without a data role the
    indexer fails and vector queries return errors.

    How to fix: assign Cognitive Services OpenAI User on the Azure OpenAI resource to the
    Search service's managed identity; Cognitive Services OpenAI Contributor instead where it
    runs On Your Data ingestion.
    """
    for workspace, search, account in service_pairs(ctx, "search", "ai"):
        identity = ctx.identity(search)
        if identity is None:
            continue  # IDN001 reports the missing identity
        scenario, evidence = search_openai_scenario(ctx, workspace, account)
        where = f"{describe(account)} for {describe(workspace)}"
        if scenario == "ingestion":
            yield Requirement(
                principal=identity,
                resource=account,
                operations=(EMBEDDINGS, ON_YOUR_DATA_INGESTION),
                because=f"runs On Your Data ingestion with {where} ({evidence} speaks of "
                "ingestion)",
                roles=(OPENAI_CONTRIBUTOR,),
                status_if_missing=Status.WARN,
                note="On Your Data ingestion runs a custom skill as Search's identity, which "
                "needs Cognitive Services OpenAI Contributor; an embedding skill or a "
                "vectorizer alone would need only Cognitive Services OpenAI User.",
            )
            continue
        if scenario == "vectorization":
            because = (
                f"vectorizes with {where} ({evidence} serves embeddings: an indexer's "
                "embedding skill or a query-time vectorizer)"
            )
            note = "An embedding skill or a vectorizer needs only Cognitive Services OpenAI User."
        else:
            because = f"may vectorize with {where}"
            note = (
                "The snapshot cannot tell which scenario this is: an embedding skill or a "
                "vectorizer needs only Cognitive Services OpenAI User (checked here); On Your "
                "Data ingestion would need Cognitive Services OpenAI Contributor, which is not "
                "assumed."
            )
        yield Requirement(
            principal=identity,
            resource=account,
            operations=(EMBEDDINGS,),
            because=because,
            roles=(OPENAI_USER,),
            status_if_missing=Status.WARN,
            note=note,
        )
