"""Where Azure surprises people, and the evaluator must not."""

from __future__ import annotations

from typing import Any

from diagnose.catalog import plane_warning
from diagnose.model.model import Model
from diagnose.rbac import Decision, Evaluator, Outcome
from tests import arm

USER = "a1a1a1a1-0000-4000-8000-000000000001"
SUB_SCOPE = f"/subscriptions/{arm.SUB}"
RG = arm.RG
RG_PROD = f"/subscriptions/{arm.SUB}/resourceGroups/rg-ai-prod"
HUB = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/hub"
AOAI = f"{RG}/providers/Microsoft.CognitiveServices/accounts/aoai"
ACCOUNT = f"{RG}/providers/Microsoft.CognitiveServices/accounts/foundry"
FOUNDRY_PROJECT = f"{ACCOUNT}/projects/proj1"
SEARCH = f"{RG}/providers/Microsoft.Search/searchServices/srch"
INDEX = f"{SEARCH}/indexes/products"
SA = f"{RG}/providers/Microsoft.Storage/storageAccounts/sthub"
SHARE = f"{SA}/fileServices/default/fileshares/code-391ff5ac"
SA_PROD = f"{RG_PROD}/providers/Microsoft.Storage/storageAccounts/sthubprod"

CHAT = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
HUBS_WRITE = "Microsoft.MachineLearningServices/workspaces/hubs/write"
INDEX_READ = "Microsoft.Search/searchServices/indexes/read"
DOCS_READ = "Microsoft.Search/searchServices/indexes/documents/read"
FILE_READ = "Microsoft.Storage/storageAccounts/fileServices/fileshares/files/read"
READ_BACKUP = "Microsoft.Storage/storageAccounts/fileServices/readFileBackupSemantics/action"
WRITE_BACKUP = "Microsoft.Storage/storageAccounts/fileServices/writeFileBackupSemantics/action"
BLOB_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
RA_WRITE = "Microsoft.Authorization/roleAssignments/write"
AGENTS_WRITE = "Microsoft.CognitiveServices/accounts/AIServices/agents/write"


def decide(
    scope: str, operation: str, *, data: bool = False, **lists: list[dict[str, Any]]
) -> Decision:
    lists.setdefault("resources", [arm.subscription()])
    lists.setdefault("principals", [arm.principal(USER, name="Ada")])
    authz = Model.from_snapshot(arm.load(**lists)).authorization
    return Evaluator(authz).check(USER, scope, operation, data_action=data)


def test_not_actions_is_not_a_deny() -> None:
    developer = arm.role_assignment(HUB, USER, arm.AZURE_AI_DEVELOPER)
    alone = decide(HUB, HUBS_WRITE, roleAssignments=[developer])
    assert alone.decision is Outcome.DENIED
    assert alone.denies == ()
    miss = alone.near_misses[0]
    assert (miss.kind, miss.role_name) == ("notActions", "Azure AI Developer")
    assert miss.matched_pattern == "Microsoft.MachineLearningServices/workspaces/*/write"
    assert miss.excluded_by == HUBS_WRITE
    # a second role grants what the first one's NotActions removed
    both = decide(
        HUB, HUBS_WRITE, roleAssignments=[developer, arm.role_assignment(RG, USER, arm.CONTRIBUTOR)]
    )
    assert both.decision is Outcome.ALLOWED
    assert [g.role_name for g in both.grants] == ["Contributor"]


def test_owner_has_no_data_actions() -> None:
    owner = [arm.role_assignment(SUB_SCOPE, USER, arm.OWNER)]
    for scope, operation in (
        (AOAI, CHAT),
        (INDEX, DOCS_READ),
        (f"{SA}/blobServices/default/containers/c", BLOB_READ),
    ):
        decision = decide(scope, operation, data=True, roleAssignments=owner)
        assert decision.decision is Outcome.DENIED, operation
        miss = decision.near_misses[0]
        assert (miss.kind, miss.role_name, miss.matched_pattern) == ("otherPlane", "Owner", "*")
    fixed = decide(
        AOAI,
        CHAT,
        data=True,
        roleAssignments=[*owner, arm.role_assignment(AOAI, USER, arm.OPENAI_USER)],
    )
    assert fixed.decision is Outcome.ALLOWED


def test_search_is_hybrid_index_definitions_are_actions_documents_are_data_actions() -> None:
    service_contributor = [arm.role_assignment(SEARCH, USER, arm.SEARCH_SERVICE_CONTRIBUTOR)]
    data_reader = [arm.role_assignment(SEARCH, USER, arm.SEARCH_INDEX_DATA_READER)]
    assert (
        decide(INDEX, INDEX_READ, roleAssignments=service_contributor).decision is Outcome.ALLOWED
    )
    assert (
        decide(INDEX, DOCS_READ, data=True, roleAssignments=service_contributor).decision
        is Outcome.DENIED
    )
    assert (
        decide(INDEX, DOCS_READ, data=True, roleAssignments=data_reader).decision is Outcome.ALLOWED
    )
    assert decide(INDEX, INDEX_READ, roleAssignments=data_reader).decision is Outcome.DENIED
    # Search Service Contributor's Microsoft.Search/searchServices/* is an Action: asked as an
    # action, documents/read matches it, but Azure never checks documents as an action
    assert decide(INDEX, DOCS_READ, roleAssignments=service_contributor).allowed
    assert plane_warning(DOCS_READ, data_action=False) is not None
    assert plane_warning(INDEX_READ, data_action=False) is None


def test_azure_files_needs_backup_semantics_only_privileged_roles_have_it() -> None:
    smb = [arm.role_assignment(SA, USER, arm.STORAGE_FILE_DATA_SMB_SHARE_CONTRIBUTOR)]
    privileged = [arm.role_assignment(SA, USER, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR)]
    assert decide(SHARE, FILE_READ, data=True, roleAssignments=smb).allowed
    backup = decide(SHARE, READ_BACKUP, data=True, roleAssignments=smb)
    assert backup.decision is Outcome.DENIED
    assert [m.role_name for m in backup.near_misses] == ["Storage File Data SMB Share Contributor"]
    for operation in (FILE_READ, READ_BACKUP, WRITE_BACKUP):
        assert decide(SHARE, operation, data=True, roleAssignments=privileged).allowed, operation
    # blob roles and Owner do not help with files
    assert not decide(
        SHARE,
        READ_BACKUP,
        data=True,
        roleAssignments=[
            arm.role_assignment(SA, USER, arm.STORAGE_BLOB_DATA_CONTRIBUTOR),
            arm.role_assignment(SA, USER, arm.OWNER),
        ],
    ).allowed


def test_azure_ai_user_became_foundry_user_same_id() -> None:
    tenant = arm.builtin_role(arm.FOUNDRY_USER)
    tenant["properties"]["roleName"] = "Azure AI User"  # a tenant collected before the rename
    tenant["properties"].pop("formerRoleNames", None)
    assignments = [arm.role_assignment(ACCOUNT, USER, arm.FOUNDRY_USER)]
    old_name = decide(
        FOUNDRY_PROJECT,
        AGENTS_WRITE,
        data=True,
        roleDefinitions=[tenant],
        roleAssignments=assignments,
    )
    assert old_name.decision is Outcome.ALLOWED
    assert old_name.grants[0].role_name == "Azure AI User"
    assert old_name.grants[0].role_definition_id.endswith(arm.FOUNDRY_USER)
    new_name = decide(FOUNDRY_PROJECT, AGENTS_WRITE, data=True, roleAssignments=assignments)
    assert new_name.grants[0].role_name == "Foundry User"
    # the catalog knows the old name, for people who search by it
    authz = Model.from_snapshot(arm.load(resources=[arm.subscription()])).authorization
    role = authz.role(arm.FOUNDRY_USER)
    assert role is not None and "Azure AI User" in role.former_names
    assert role.display_name() == "Foundry User (formerly Azure AI User)"


def test_conditions_on_role_definitions() -> None:
    for role in (
        arm.FOUNDRY_ACCOUNT_OWNER,
        "eadc314b-1a2d-4efa-be10-5d325db5065e",
        "c883944f-8b7b-4483-af10-35834be79c4a",
    ):  # account owner, project manager, owner
        assignments = [arm.role_assignment(ACCOUNT, USER, role)]
        decision = decide(FOUNDRY_PROJECT, RA_WRITE, roleAssignments=assignments)
        assert decision.decision is Outcome.CONDITIONAL, role
        assert decision.conditions[0].condition_source == "roleDefinition"
        assert "ActionMatches{'Microsoft.Authorization/roleAssignments/write'}" in (
            decision.conditions[0].condition or ""
        )
        # the condition does not name reading role assignments
        assert decide(
            FOUNDRY_PROJECT,
            "Microsoft.Authorization/roleAssignments/read",
            roleAssignments=assignments,
        ).allowed, role
    # Foundry Project Manager's data actions are not named by its condition
    assert decide(
        FOUNDRY_PROJECT,
        AGENTS_WRITE,
        data=True,
        roleAssignments=[
            arm.role_assignment(ACCOUNT, USER, "eadc314b-1a2d-4efa-be10-5d325db5065e")
        ],
    ).allowed


def test_a_sibling_resource_group_with_a_common_prefix_grants_nothing() -> None:
    prod = [arm.role_assignment(RG_PROD, USER, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)]
    container = f"{SA}/blobServices/default/containers/c"
    decision = decide(container, BLOB_READ, data=True, roleAssignments=prod)
    assert decision.decision is Outcome.DENIED
    miss = decision.near_misses[0]
    assert miss.kind == "otherScope" and miss.scope == RG_PROD
    assert "does not contain the target scope" in miss.detail
    # and the other way round
    assert not decide(
        f"{SA_PROD}/blobServices/default/containers/c",
        BLOB_READ,
        data=True,
        roleAssignments=[arm.role_assignment(RG, USER, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)],
    ).allowed


def test_workspaces_star_write_does_not_reach_workspaces_write() -> None:
    """Azure AI Developer's workspaces/*/write needs a segment between: writing the workspace
    itself is simply not granted (its NotActions entry for it is belt and braces)."""
    decision = decide(
        HUB,
        "Microsoft.MachineLearningServices/workspaces/write",
        roleAssignments=[arm.role_assignment(HUB, USER, arm.AZURE_AI_DEVELOPER)],
    )
    assert decision.decision is Outcome.DENIED
    assert decision.near_misses[0].kind == "partial"


def test_contributor_cannot_assign_roles() -> None:
    decision = decide(
        SA, RA_WRITE, roleAssignments=[arm.role_assignment(SUB_SCOPE, USER, arm.CONTRIBUTOR)]
    )
    assert decision.decision is Outcome.DENIED
    assert decision.near_misses[0].excluded_by == "Microsoft.Authorization/*/Write"
