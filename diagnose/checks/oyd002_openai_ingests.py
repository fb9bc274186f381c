from diagnose.checks._common import (
    BLOB_READ,
    BLOB_WRITE,
    DOCS_USE_YOUR_DATA,
    SEARCH_DATASOURCES_WRITE,
    SEARCH_DOCUMENTS_WRITE,
    SEARCH_INDEX_DATA_CONTRIBUTOR,
    SEARCH_INDEXERS_WRITE,
    SEARCH_INDEXES_WRITE,
    SEARCH_SERVICE_CONTRIBUTOR,
    SEARCH_SKILLSETS_WRITE,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    service_pairs,
)
from diagnose.checks._error_texts import SEARCH_UNAUTHORIZED, STORAGE_PERMISSION_MISMATCH
from diagnose.engine.api import Requirement, Severity, Status, check
from diagnose.engine.context import CheckContext, describe


@check(
    id="OYD002",
    title="Azure OpenAI can ingest data into Search and storage",
    severity=Severity.MEDIUM,
    scenario="Add your data, ingestion",
    docs=(DOCS_USE_YOUR_DATA,),
    explains=(STORAGE_PERMISSION_MISMATCH, SEARCH_UNAUTHORIZED),
)
def openai_ingests(ctx: CheckContext):
    """
    What it checks: wherever a hub or project connects an Azure OpenAI / AI services resource
    with a Search service (and with storage) through Entra ID connections (with a key
    connection the service uses the key), the Azure OpenAI resource's managed identity can
    write documents and create indexes, indexers, data sources and skillsets on Search, and read
    and write blobs on the storage account. Reported as a warning: only ingestion needs it.
    A `CognitiveService` connection to a Speech or Content Safety account is not Azure OpenAI.

    Who needs it: the Azure OpenAI resource's system-assigned managed identity, which runs the
    ingestion job as itself: Search Index Data Contributor and Search Service Contributor on
    Search, Storage Blob Data Contributor on the storage account. A missing role is a warning,
    never a failure: the snapshot does not show whether anyone ingests through "add your data"
    (chats over an existing index need only what OYD001 checks). People are asked nothing
    here: CON001 and CON002 check the users of the connections.

    Why it matters: ingesting files through "add your data" makes the Azure OpenAI service read
    the uploaded files from storage, write the preprocessed chunks back, and create the index
    and indexer on Search, all as its own identity.

    How to fix: assign Search Index Data Contributor and Search Service Contributor on the Search
    service, and Storage Blob Data Contributor on the storage account, to the Azure OpenAI
    resource's managed identity.
    """
    for workspace, account, search in service_pairs(ctx, "ai", "search"):
        identity = ctx.identity(account)
        if identity is None:
            continue
        because = f"ingests data into {describe(search)} for {describe(workspace)}"
        yield Requirement(
            principal=identity,
            resource=search,
            operations=(SEARCH_DOCUMENTS_WRITE,),
            because=because,
            roles=(SEARCH_INDEX_DATA_CONTRIBUTOR,),
            status_if_missing=Status.WARN,
        )
        yield Requirement(
            principal=identity,
            resource=search,
            operations=(
                SEARCH_INDEXES_WRITE,
                SEARCH_INDEXERS_WRITE,
                SEARCH_DATASOURCES_WRITE,
                SEARCH_SKILLSETS_WRITE,
            ),
            because=because,
            roles=(SEARCH_SERVICE_CONTRIBUTOR,),
            status_if_missing=Status.WARN,
        )
    for workspace, account, storage in service_pairs(ctx, "ai", "blob"):
        identity = ctx.identity(account)
        if identity is None:
            continue
        yield Requirement(
            principal=identity,
            resource=storage,
            operations=(BLOB_READ, BLOB_WRITE),
            because="reads uploads "
            f"from and writes chunks to {describe(storage)} for "
            f"{describe(workspace)}",
            roles=(STORAGE_BLOB_DATA_CONTRIBUTOR,),
            status_if_missing=Status.WARN,
        )
