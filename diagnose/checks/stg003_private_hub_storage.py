from diagnose.arm.ids import last_segment
from diagnose.checks._common import (
    BLOB_READ,
    BLOB_WRITE,
    FILE_READ,
    FILE_READ_BACKUP_SEMANTICS,
    FILE_WRITE,
    FILE_WRITE_BACKUP_SEMANTICS,
    READER,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
    hub_storage,
    uses_identity_storage,
    workspace_chain,
)
from diagnose.checks._private_links import (
    endpoint_connections,
    public_access_disabled,
    refuses_public_traffic,
)
from diagnose.engine.api import Cause, Draft, Operation, Requirement, Severity, Status, check
from diagnose.engine.context import CheckContext, describe
from diagnose.model.resources import Resource

DOCS_PRIVATE_PLAYGROUND = (
    "https://learn.microsoft.com/azure/foundry-classic/how-to/secure-data-playground"
)
PRIVATE_ENDPOINT_READ = Operation.action("Microsoft.Network/privateEndpoints/read")
FILE_OPERATIONS = (FILE_READ, FILE_WRITE, FILE_READ_BACKUP_SEMANTICS, FILE_WRITE_BACKUP_SEMANTICS)
SERVICE_NOTE = (
    "Uploading and indexing your data through the playground is ingestion: a warning, not a "
    "failure, until someone does it."
)


@check(
    id="STG003",
    title="Project and service identities can work with the hub's private storage",
    severity=Severity.HIGH,
    scenario="Private hub storage",
    docs=(DOCS_PRIVATE_PLAYGROUND,),
)
def private_hub_storage(ctx: CheckContext):
    """
    What it checks: when the hub's storage account refuses public traffic (publicNetworkAccess
    Disabled, or networkAcls.defaultAction Deny with private endpoints connected), the managed
    identity of each of the hub's projects can read each private endpoint of that storage
    account (Microsoft.Network/privateEndpoints/read on the endpoints its private endpoint
    connections name) and holds the Azure Files data actions with backup semantics on it; and
    the managed identities of the Azure OpenAI / AI services and Search resources a workspace of
    the hub connects together ("add your data") can read and write its blobs.

    Who needs it: identities only. Each project's identity needs Reader on each storage private
    endpoint and Storage File Data Privileged Contributor on the storage (a failure without it;
    STG001 already asks the file role when the hub uses identity-based storage behind
    publicNetworkAccess Disabled, so this check asks it only in the other cases). The AI
    services and Search identities need Storage Blob Data Contributor (a warning: it matters
    once someone adds data). The developers' Storage Blob Data Reader goes through an Entra ID
    connection to the storage, whose users CON003 checks (a failure for builders, nothing for
    readers); it is not asked again here. When the snapshot lacks the storage's private
    endpoint connections, the answer is unknown.

    Why it matters: behind a private endpoint, the portal and prompt flow reach the hub's
    storage as the project's identity, which must see the endpoint it goes through and open the
    file share; Azure OpenAI and Search read and write the uploaded data as their own
    identities. Without these grants uploads, flows and "add your data" fail with 403s that
    look like network errors.

    How to fix: assign Reader on each private endpoint of the hub's storage and Storage File
    Data Privileged Contributor on the storage to each project's managed identity, and Storage
    Blob Data Contributor on the storage to the managed identities of the Azure OpenAI / AI
    services and Search resources.
    """
    for hub in ctx.hubs:
        storage = hub_storage(ctx, hub)
        if isinstance(storage, Draft):
            yield storage
            continue
        if storage is None:
            continue
        endpoints = endpoint_connections(ctx, storage)
        if not refuses_public_traffic(storage, endpoints):
            continue
        if endpoints is None:
            yield Draft(
                status=Status.UNKNOWN,
                resource=storage.id,
                cause=Cause.UNREADABLE,
                message=f"The storage of {describe(hub)} ({describe(storage)}) refuses public "
                "traffic, but the snapshot holds none of its private endpoint connections: "
                "which private endpoints the projects' identities must be able to read cannot "
                "be told.",
            )
        private_endpoints = sorted(
            {e.private_endpoint: None for e in endpoints or () if e.private_endpoint}
        )
        files_asked_by_stg001 = uses_identity_storage(hub) and public_access_disabled(storage)
        for project in ctx.projects(hub):
            identity = ctx.identity(project)
            if identity is None:
                continue
            for endpoint_id in private_endpoints:
                yield Requirement(
                    principal=identity,
                    resource=_endpoint(ctx, endpoint_id),
                    operations=(PRIVATE_ENDPOINT_READ,),
                    because=f"reaches the private storage of {describe(hub)} through this "
                    f"private endpoint for {describe(project)}",
                    roles=(READER,),
                )
            if not files_asked_by_stg001:
                yield Requirement(
                    principal=identity,
                    resource=storage,
                    operations=FILE_OPERATIONS,
                    because=f"opens the files of {describe(project)} on the hub's private storage",
                    roles=(STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,),
                )
        for service in _services(ctx, hub):
            identity = ctx.identity(service)
            if identity is None:
                continue  # IDN001 reports a service without an identity
            yield Requirement(
                principal=identity,
                resource=storage,
                operations=(BLOB_READ, BLOB_WRITE),
                because=f"reads and writes the data added in the playground of {describe(hub)}, "
                "kept on the hub's private storage",
                roles=(STORAGE_BLOB_DATA_CONTRIBUTOR,),
                status_if_missing=Status.WARN,
                note=SERVICE_NOTE,
            )


def _endpoint(ctx: CheckContext, endpoint_id: str) -> Resource:
    """The private endpoint as the snapshot holds it, or as its id alone says (a snapshot from an
    older collector, or a read that failed): its role assignments are evaluated all the same."""
    found = ctx.resource(endpoint_id)
    if found is not None:
        return found
    return Resource.from_arm(
        {
            "id": endpoint_id,
            "name": last_segment(endpoint_id),
            "type": "Microsoft.Network/privateEndpoints",
        }
    )


def _services(ctx: CheckContext, hub: Resource) -> list[Resource]:
    """The Azure OpenAI / AI services and Search resources that some workspace of the hub
    connects together (the playground's "add your data"), each once."""
    found: dict[str, Resource] = {}
    for workspace in [hub, *ctx.projects(hub)]:
        chain = workspace_chain(ctx, workspace)
        if not chain.ai or not chain.search:
            continue
        for _, resource in (*chain.ai, *chain.search):
            found.setdefault(resource.key, resource)
    return list(found.values())
