"""What several checks share: role ids, operation names and how to find who uses what."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from diagnose.engine.api import (
    Cause,
    Draft,
    Operation,
    PrincipalRef,
    Remediation,
    RemediationKind,
    Status,
)
from diagnose.engine.context import CheckContext, Connection, describe
from diagnose.model.access_policies import access_policy_grant, is_compound, own_entry
from diagnose.model.resources import Resource

# Built-in role definition ids: roles are matched by id, never by name.
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
AZURE_AI_DEVELOPER = "64702f94-c441-49e6-a78b-ef80e0188fee"
AI_INFERENCE_DEPLOYMENT_OPERATOR = "3afb7f49-54cb-416e-8c09-6dc049efa503"
FOUNDRY_USER = "53ca6127-db72-4b80-b1b0-d745d6d5456d"
FOUNDRY_PROJECT_MANAGER = "eadc314b-1a2d-4efa-be10-5d325db5065e"
FOUNDRY_ACCOUNT_OWNER = "e47c6f54-e4a2-4754-9501-8e0985b135e1"
FOUNDRY_AGENT_CONSUMER = "eed3b665-ab3a-47b6-8f48-c9382fb1dad6"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
COSMOS_DB_OPERATOR = "230815da-be43-4aae-9cb4-875f7bd000aa"
STORAGE_ACCOUNT_CONTRIBUTOR = "17d1049b-9a84-46fb-8f53-869881c3d3ab"
STORAGE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
SEARCH_INDEX_DATA_READER = "1407120a-92aa-4202-b7e9-c0e197c71c8f"
SEARCH_INDEX_DATA_CONTRIBUTOR = "8ebe5a00-799e-43f5-93ac-243d3dce84a7"
SEARCH_SERVICE_CONTRIBUTOR = "7ca78c08-252a-4471-8644-bb5ff32d4ba0"
STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR = "69566ab7-960f-475b-8e7c-b3118f30c6bd"
KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"

# Operations, by plane.
WORKSPACE_READ = Operation.action("Microsoft.MachineLearningServices/workspaces/read")
HUB_JOIN = Operation.action("Microsoft.MachineLearningServices/workspaces/hubs/join/action")
DEPLOYMENT_WRITE = Operation.action("Microsoft.Resources/deployments/write")
CHAT_COMPLETIONS = Operation.data_action(
    "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
)
EMBEDDINGS = Operation.data_action(
    "Microsoft.CognitiveServices/accounts/OpenAI/deployments/embeddings/action"
)
SEARCH_DOCUMENTS_READ = Operation.data_action(
    "Microsoft.Search/searchServices/indexes/documents/read"
)
SEARCH_DOCUMENTS_WRITE = Operation.data_action(
    "Microsoft.Search/searchServices/indexes/documents/write"
)
SEARCH_INDEXES_READ = Operation.action("Microsoft.Search/searchServices/indexes/read")
SEARCH_INDEXES_WRITE = Operation.action("Microsoft.Search/searchServices/indexes/write")
SEARCH_INDEXERS_WRITE = Operation.action("Microsoft.Search/searchServices/indexers/write")
SEARCH_DATASOURCES_WRITE = Operation.action("Microsoft.Search/searchServices/dataSources/write")
SEARCH_SKILLSETS_WRITE = Operation.action("Microsoft.Search/searchServices/skillsets/write")
BLOB_READ = Operation.data_action(
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
)
BLOB_WRITE = Operation.data_action(
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"
)
FILE_READ = Operation.data_action(
    "Microsoft.Storage/storageAccounts/fileServices/fileshares/files/read"
)
FILE_WRITE = Operation.data_action(
    "Microsoft.Storage/storageAccounts/fileServices/fileshares/files/write"
)
FILE_READ_BACKUP_SEMANTICS = Operation.data_action(
    "Microsoft.Storage/storageAccounts/fileServices/readFileBackupSemantics/action"
)
FILE_WRITE_BACKUP_SEMANTICS = Operation.data_action(
    "Microsoft.Storage/storageAccounts/fileServices/writeFileBackupSemantics/action"
)

OPENAI_CATEGORIES = frozenset({"azureopenai", "aiservices", "cognitiveservice"})
"""Connection categories that may reach an Azure OpenAI deployment. `CognitiveService` (Speech,
Content Safety, Language...) does so only when its target is an OpenAI or AI services account:
see reaches_openai."""
OPENAI_KINDS = frozenset({"openai", "aiservices"})
SEARCH_CATEGORIES = frozenset({"cognitivesearch"})
BLOB_CATEGORIES = frozenset({"azureblob", "adlsgen2", "azuredatalakegen2"})
ONELAKE_CATEGORIES = frozenset({"azureonelake", "onelake"})

DOCS_HUB_RBAC = "https://learn.microsoft.com/azure/foundry-classic/concepts/hub-rbac-foundry"
DOCS_OPENAI_RBAC = (
    "https://learn.microsoft.com/azure/foundry-classic/openai/how-to/role-based-access-control"
)
DOCS_SEARCH_RBAC = "https://learn.microsoft.com/azure/search/search-security-rbac"
DOCS_SEARCH_ENABLE_RBAC = "https://learn.microsoft.com/azure/search/search-security-enable-roles"
DOCS_STORAGE_RBAC = "https://learn.microsoft.com/azure/storage/blobs/assign-azure-role-data-access"
DOCS_USE_YOUR_DATA = (
    "https://learn.microsoft.com/azure/foundry-classic/openai/how-to/on-your-data-configuration"
)
DOCS_IDENTITY_STORAGE = (
    "https://learn.microsoft.com/azure/foundry-classic/how-to/disable-local-auth"
)
DOCS_CMK = "https://learn.microsoft.com/azure/foundry-classic/concepts/hub-encryption-keys-portal"
DOCS_TROUBLESHOOT = "https://learn.microsoft.com/azure/role-based-access-control/troubleshooting"
DOCS_SUBDOMAIN = (
    "https://learn.microsoft.com/azure/ai-services/cognitive-services-custom-subdomains"
)
DOCS_TRUSTED = (
    "https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks"
    "#grant-access-to-trusted-azure-services-for-azure-openai"
)


def reaches_openai(connection: Connection, target: Resource) -> bool:
    """Whether a connection reaches Azure OpenAI deployments: an Azure OpenAI or AI services
    connection, or a Cognitive Services connection whose target is an OpenAI / AI services
    account (a Speech or Content Safety account has no OpenAI deployments)."""
    if connection.category != "cognitiveservice":
        return connection.category in OPENAI_CATEGORIES
    return target.kind in OPENAI_KINDS


def connections_of_category(ctx: CheckContext, categories: frozenset[str]) -> Iterator[Connection]:
    for connection in ctx.all_connections():
        if connection.category in categories:
            yield connection


def target_or_unknown(
    ctx: CheckContext, connection: Connection, expected_type: str
) -> Resource | Draft | None:
    """The connection's target resource; a Draft saying `unknown` when it is not in the
    snapshot; None when it is not an ARM resource of the expected type."""
    target = ctx.target_of(connection)
    if target is not None:
        return target if target.type == expected_type else None
    resource_id = connection.target_resource_id
    errors = ctx.read_errors(resource_id) if resource_id else []
    reason = (
        "; ".join(e.describe() for e in errors)
        if errors
        else "it is not in the snapshot (not collected, or in a subscription that could not "
        "be read)"
    )
    return Draft(
        status=Status.UNKNOWN,
        resource=connection.id,
        cause=Cause.UNREADABLE,
        message=f"The target of {connection.label} ({resource_id or connection.target or '?'}) "
        f"cannot be checked: {reason}.",
        details={"connection": connection.id, "target": resource_id or connection.target},
    )


def entra_id_connections(
    ctx: CheckContext, categories: frozenset[str], resource_type: str
) -> Iterator[tuple[Connection, Resource] | Draft]:
    """The connections of these categories that use Entra ID tokens (authType `AAD`, the
    people call as themselves, or `ManagedIdentity`, an identity calls for them: see
    connection_requirements), with the resource each reaches; a Draft saying `unknown` for a
    target that was not collected, and for a workspace whose connections could not be listed
    (a missing connection must not pass for a healthy one)."""
    yield from unlisted_connections(ctx)
    for connection in connections_of_category(ctx, categories):
        if not (connection.uses_entra_id or connection.uses_managed_identity):
            continue
        target = target_or_unknown(ctx, connection, resource_type)
        if isinstance(target, Draft):
            yield target
        elif target is not None:
            yield connection, target


def unlisted_connections(ctx: CheckContext) -> Iterator[Draft]:
    """A Draft saying `unknown` for each workspace in scope whose connections listing failed
    or timed out (a hub, a hub project, a Foundry resource or a Foundry project): its
    connections, and so what their users need, are not known."""
    for _, workspace in [*ctx.workspaces(), *ctx.foundry_workspaces()]:
        errors = [
            e
            for e in ctx.read_errors(workspace.id)
            if e.operation.lower().endswith("/connections/read")
        ]
        if errors:
            yield Draft(
                status=Status.UNKNOWN,
                resource=workspace.id,
                cause=Cause.UNREADABLE,
                message=f"The connections of {describe(workspace)} could not be listed "
                f"({'; '.join(e.describe() for e in errors)}): whether the people who use them "
                "hold the roles they need cannot be told.",
            )


def used_in(connection: Connection) -> str:
    return f"uses the Entra ID {connection.label}"


def hub_identity(ctx: CheckContext, hub: Resource) -> PrincipalRef | None:
    """The identity a hub uses to reach its dependencies: the system-assigned one, or the
    primary user-assigned identity when the hub has no system identity."""
    system = ctx.identity(hub)
    if system is not None:
        return system
    primary = str(hub.prop("primaryUserAssignedIdentity") or "").lower()
    for resource_id, ref in ctx.user_assigned_identities(hub):
        if ref is not None and (not primary or resource_id.lower() == primary):
            return ref
    return None


def uses_identity_storage(hub: Resource) -> bool:
    return str(hub.prop("systemDatastoresAuthMode") or "").lower() == "identity"


def hub_storage(ctx: CheckContext, hub: Resource) -> Resource | Draft | None:
    """The hub's default storage account, a Draft saying unknown when it was not collected, or
    None when the hub names none."""
    storage_id = hub.prop("storageAccount")
    if not storage_id:
        return None
    storage = ctx.resource(storage_id)
    if storage is not None:
        return storage
    return unknown_resource(ctx, storage_id, f"the storage account of {describe(hub)}")


def unknown_resource(ctx: CheckContext, resource_id: str, what: str) -> Draft:
    """A Draft saying `unknown` for a resource a check needs that is not in the snapshot."""
    errors = ctx.read_errors(resource_id)
    reason = (
        "; ".join(e.describe() for e in errors)
        or "it is not in the snapshot (not collected, or not readable)"
    )
    return Draft(
        status=Status.UNKNOWN,
        resource=resource_id,
        cause=Cause.UNREADABLE,
        message=f"{what[:1].upper()}{what[1:]} ({resource_id}) cannot be checked: {reason}.",
    )


@dataclass(frozen=True)
class Chain:
    """The Azure OpenAI, Search and storage resources a workspace reaches through its
    connections (its own and, for a project, the hub's shared ones)."""

    ai: tuple[tuple[Connection, Resource], ...]
    search: tuple[tuple[Connection, Resource], ...]
    blob: tuple[tuple[Connection, Resource], ...]
    unknown: tuple[Draft, ...]
    """Connections whose target is not in the snapshot."""
    keyless: frozenset[str]
    """Keys of the resources some connection reaches without a key (Entra ID, managed
    identity): only those make services authorize each other with their identities."""
    own: frozenset[str]
    """Keys of the resources the workspace's own connections reach (not the hub's shared)."""

    def group(self, kind: str) -> tuple[tuple[Connection, Resource], ...]:
        return {"ai": self.ai, "search": self.search, "blob": self.blob}[kind]


def workspace_chain(ctx: CheckContext, workspace: Resource) -> Chain:
    return ctx.memo(("chain", workspace.key), lambda: _chain(ctx, workspace), resources_only=True)


def _chain(ctx: CheckContext, workspace: Resource) -> Chain:
    from diagnose.model.resources import COGNITIVE_ACCOUNT, SEARCH_SERVICE, STORAGE_ACCOUNT

    groups: dict[str, dict[str, tuple[Connection, Resource]]] = {"ai": {}, "search": {}, "blob": {}}
    unknown: list[Draft] = []
    keyless: set[str] = set()
    own: set[str] = set()
    for connection in ctx.usable_connections(workspace):
        if connection.category in OPENAI_CATEGORIES:
            key, kind = "ai", COGNITIVE_ACCOUNT
        elif connection.category in SEARCH_CATEGORIES:
            key, kind = "search", SEARCH_SERVICE
        elif connection.category in BLOB_CATEGORIES:
            key, kind = "blob", STORAGE_ACCOUNT
        else:
            continue
        target = target_or_unknown(ctx, connection, kind)
        if isinstance(target, Draft):
            unknown.append(target)
            continue
        if target is None or (key == "ai" and not reaches_openai(connection, target)):
            continue
        groups[key].setdefault(target.key, (connection, target))
        if not connection.uses_key:
            keyless.add(target.key)
        if connection.workspace.key == workspace.key:
            own.add(target.key)
    return Chain(
        tuple(groups["ai"].values()),
        tuple(groups["search"].values()),
        tuple(groups["blob"].values()),
        tuple(unknown),
        frozenset(keyless),
        frozenset(own),
    )


def service_pairs(
    ctx: CheckContext, left: str, right: str, *, entra_only: bool = True
) -> list[tuple[Resource, Resource, Resource]]:
    """Distinct (workspace, caller, callee) triples where some workspace connects both a
    `left` and a `right` resource ('ai', 'search' or 'blob'), caller != callee.

    With entra_only (the default), only pairs whose callee the workspace reaches without a key:
    services authorize each other with their managed identities only for Entra ID
    connections; with a key connection the caller uses the key."""
    return ctx.memo(
        ("pairs", left, right, entra_only),
        lambda: _pairs(ctx, left, right, entra_only),
        resources_only=True,
    )


def _pairs(
    ctx: CheckContext, left: str, right: str, entra_only: bool
) -> list[tuple[Resource, Resource, Resource]]:
    # The callees each caller was paired with: every project repeats the hub's shared
    # resources, so most candidate pairs were seen already (thousands a call on a big hub).
    seen: dict[str, set[str]] = {}
    pairs = []
    for _, workspace in ctx.workspaces():
        chain = workspace_chain(ctx, workspace)
        callers = (
            _chat_callers(ctx, workspace, chain)
            if left == "ai" and right in ("search", "blob")
            else chain.group(left)
        )
        callees = [b for _, b in chain.group(right) if not entra_only or b.key in chain.keyless]
        # Pairs among the hub's shared connections were counted at the hub: in a hub project,
        # a caller reached through a shared connection pairs only with the project's own.
        own = chain.own
        own_callees = [b for b in callees if b.key in own] if workspace.is_hub_project else callees
        for _, caller in callers:
            caller_key = caller.key
            paired = seen.get(caller_key)
            if paired is None:
                paired = seen[caller_key] = {caller_key}  # never paired with itself
            for callee in callees if caller_key in own else own_callees:
                if callee.key not in paired:
                    paired.add(callee.key)
                    pairs.append((workspace, caller, callee))
    return pairs


def _chat_callers(
    ctx: CheckContext, workspace: Resource, chain: Chain
) -> list[tuple[Connection, Resource]]:
    """chat_resources of a workspace's Azure OpenAI resources, once per workspace for the
    run: service_pairs asks it for every pair of kinds whose caller chats, and reading a
    connection's words for "embed" costs more than the rest of its loop."""
    return ctx.memo(
        ("chat resources", workspace.key),
        partial(chat_resources, list(chain.ai)),
        resources_only=True,
    )


def cmk_settings(hub: Resource) -> tuple[str | None, str | None] | None:
    """(key vault id, user-assigned identity id or None) when a hub uses a customer-managed
    key; None otherwise."""
    encryption = hub.prop("encryption") or {}
    if str(encryption.get("status") or "").lower() != "enabled":
        return None
    vault = (encryption.get("keyVaultProperties") or {}).get("keyVaultArmId")
    identity = (encryption.get("identity") or {}).get("userAssignedIdentity")
    return vault, identity


def access_policies_give(
    ctx: CheckContext, policies: object, principal_id: str, kind: str, needed: tuple[str, ...]
) -> bool | None:
    """Whether a key vault's access policies give a principal every permission of one kind it
    needs, as Key Vault decides: the union of the entries that name the principal or a group it
    counts as (a user's get in one entry and its group's wrapKey in another add up); an entry
    with an applicationId is a compound identity, giving only that application acting for the
    principal, never the principal alone. None (unknown) when they do not, but the principal's
    group memberships are not all known and entries of holders that may be groups it is in (a
    group, or an id the snapshot does not know) would make up the rest."""
    wanted = {name.lower() for name in needed}
    directory = ctx.model.authorization.directory
    membership = directory.closure(principal_id)
    mine: set[str] = set()
    others: set[str] = set()  # of holders that may be groups it is in, unknown to us
    for policy in policies if isinstance(policies, list) else ():
        if not isinstance(policy, dict) or is_compound(policy):
            continue
        holder, names = access_policy_grant(policy, kind)
        if holder in membership.via:
            mine.update(names)
        elif (known := directory.get(holder)) is None or known.type == "Group":
            others.update(names)  # a user or service principal is no group it could be in
    if "all" in mine or wanted <= mine:
        return True
    if not membership.complete and ("all" in others or wanted <= mine | others):
        return None
    return False


def key_policy_findings(
    ctx: CheckContext,
    vault: Resource,
    principal: PrincipalRef,
    permissions: tuple[str, ...],
    doing: str,
) -> Iterator[Draft]:
    """Nothing when the access policies of a vault give the principal these key permissions
    (access_policies_give); else a failure with the access policy to add, or unknown when its
    group memberships could make up what is missing. `doing` says why it needs them ("creates
    the CMK-encrypted hub 'h'")."""
    policies = vault.prop("accessPolicies") or []
    given = access_policies_give(ctx, policies, principal.id, "keys", permissions)
    if given:
        return
    listed = f"{', '.join(permissions[:-1])} and {permissions[-1]}"
    if given is None:
        yield Draft(
            status=Status.UNKNOWN,
            resource=vault.id,
            cause=Cause.UNREADABLE,
            principal=principal,
            message=f"{principal.label} {doing}; no access policy of {describe(vault)} gives it "
            f"{listed} on keys, but its group memberships are not all known and another "
            "holder's policy would: a group it is in may give them.",
        )
        return
    yield Draft(
        status=Status.FAIL,
        resource=vault.id,
        cause=Cause.CONFIGURATION,
        principal=principal,
        message=f"{principal.label} {doing}, but no access policy of {describe(vault)} gives it "
        f"{listed} on keys.",
        remediations=(
            Remediation(
                kind=RemediationKind.CONFIGURATION,
                summary=f"Add an access policy on {describe(vault)} giving {principal.label} "
                f"{listed} on keys.",
                principal_id=principal.id,
                resource=vault.id,
                setting="properties.accessPolicies",
                value=_with_key_permissions(policies, vault, principal.id, permissions),
            ),
        ),
    )


def _with_key_permissions(
    policies: list[object], vault: Resource, principal_id: str, permissions: tuple[str, ...]
) -> list[object]:
    """The access policies with these key permissions given to the principal: added to its own
    entry when it has one (Key Vault keeps one entry per identity, as `az keyvault set-policy`
    updates it), else in a new entry; every other entry as it was."""
    own = own_entry(policies, principal_id)
    if own is not None:
        index, policy = own
        rights = policy.get("permissions")
        rights = dict(rights) if isinstance(rights, dict) else {}
        keys = [k for k in rights.get("keys") or () if isinstance(k, str)]
        held = {k.lower() for k in keys}
        rights["keys"] = keys + [p for p in permissions if p.lower() not in held]
        return [*policies[:index], {**policy, "permissions": rights}, *policies[index + 1 :]]
    entry = {
        "tenantId": vault.prop("tenantId"),
        "objectId": principal_id,
        "permissions": {"keys": list(permissions)},
    }
    return [*policies, entry]


def mentions_embedding(connection: Connection) -> bool:
    """Whether a connection's name or metadata says it serves an embedding model."""
    text = " ".join([connection.name, *map(str, connection.metadata.values())]).lower()
    return "embed" in text


def chat_resources(
    accounts: list[tuple[Connection, Resource]],
) -> list[tuple[Connection, Resource]]:
    """The Azure OpenAI resources that may answer chats: all of them, except those whose
    connection marks them as embedding-only when another resource is connected too."""
    chat = [(c, a) for c, a in accounts if not mentions_embedding(c)]
    return chat or accounts


def reached_with_entra_id(
    ctx: CheckContext,
    resource_type: str,
    callers: str,
    callee: str,
    verb: str,
    categories: frozenset[str] | None = None,
) -> list[tuple[Resource, str]]:
    """Resources of one type that something reaches with Entra ID, each with why: an Entra ID
    connection (of these categories, if given) that points to it, or the managed identity of a
    `callers` service that calls it as the `callee` of service_pairs."""
    found: dict[str, tuple[Resource, str]] = {}
    for connection in ctx.all_connections():
        if categories is not None and connection.category not in categories:
            continue
        target = ctx.target_of(connection)
        if target is not None and target.type == resource_type and connection.uses_entra_id:
            found.setdefault(target.key, (target, f"the Entra ID {connection.label} uses it"))
    for _, caller, target in service_pairs(ctx, callers, callee):
        found.setdefault(
            target.key, (target, f"{describe(caller)} {verb} it with its managed identity")
        )
    return list(found.values())
