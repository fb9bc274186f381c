"""One test per rule of GUIDE section 3, each built from real built-in role definitions."""

from __future__ import annotations

from typing import Any

import pytest

from diagnose.model.model import Model
from diagnose.rbac import Decision, Evaluator, Outcome
from tests import arm

USER = "a1a1a1a1-0000-4000-8000-000000000001"
OTHER_USER = "a1a1a1a1-0000-4000-8000-000000000002"
G_TEAM = "b2b2b2b2-0000-4000-8000-000000000001"
G_DEPT = "b2b2b2b2-0000-4000-8000-000000000002"
G_ORG = "b2b2b2b2-0000-4000-8000-000000000003"
KEY_VAULT_CERTIFICATE_USER = "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba"  # not in the tool's catalog

SUB_SCOPE = f"/subscriptions/{arm.SUB}"
RG = arm.RG
RG_PROD = f"/subscriptions/{arm.SUB}/resourceGroups/rg-ai-prod"
SA = f"{RG}/providers/Microsoft.Storage/storageAccounts/sthub"
CONTAINER = f"{SA}/blobServices/default/containers/prompts"
SEARCH = f"{RG}/providers/Microsoft.Search/searchServices/srch"
INDEX = f"{SEARCH}/indexes/products"
AOAI = f"{RG}/providers/Microsoft.CognitiveServices/accounts/aoai"
ACCOUNT = f"{RG}/providers/Microsoft.CognitiveServices/accounts/foundry"
FOUNDRY_PROJECT = f"{ACCOUNT}/projects/proj1"
HUB = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/hub"
HUB_PROJECT = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/hub-project"
CONNECTION = f"{HUB}/connections/aoai"
MG_AI = arm.management_group_scope("mg-ai")
MG_ROOT = arm.management_group_scope(arm.TENANT)

SA_READ = "Microsoft.Storage/storageAccounts/read"
SA_DELETE = "Microsoft.Storage/storageAccounts/delete"
SA_LIST_KEYS = "Microsoft.Storage/storageAccounts/listKeys/action"
BLOB_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
BLOB_WRITE = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"
CHAT = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
AGENTS_WRITE = "Microsoft.CognitiveServices/accounts/AIServices/agents/write"
ACCOUNT_WRITE = "Microsoft.CognitiveServices/accounts/write"
WS_READ = "Microsoft.MachineLearningServices/workspaces/read"
WS_WRITE = "Microsoft.MachineLearningServices/workspaces/write"
HUB_JOIN = "Microsoft.MachineLearningServices/workspaces/hubs/join/action"
CONNECTION_READ = "Microsoft.MachineLearningServices/workspaces/connections/read"
RA_WRITE = "Microsoft.Authorization/roleAssignments/write"
DOCS_READ = "Microsoft.Search/searchServices/indexes/documents/read"
GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action"

CHAIN = ["mg-ai", "mg-corp", arm.TENANT]


def model(**lists: list[dict[str, Any]]) -> Model:
    lists.setdefault("resources", [arm.subscription(management_groups=CHAIN)])
    lists.setdefault("principals", [arm.principal(USER, name="Ada")])
    return Model.from_snapshot(arm.load(**lists))


def decide(
    scope: str,
    operation: str,
    *,
    data: bool = False,
    principal: str = USER,
    **lists: list[dict[str, Any]],
) -> Decision:
    return Evaluator(model(**lists).authorization).check(
        principal, scope, operation, data_action=data
    )


def grant_ids(decision: Decision) -> list[str]:
    return [g.role_definition_id.rsplit("/", 1)[-1] for g in decision.grants]


def team(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """USER in G_TEAM, G_TEAM in G_DEPT, G_DEPT in G_ORG."""
    return [
        arm.principal(USER, name="Ada", member_of=[G_TEAM]),
        arm.principal(G_TEAM, "Group", "team", member_of=[G_DEPT]),
        arm.principal(G_DEPT, "Group", "dept", member_of=[G_ORG]),
        arm.principal(G_ORG, "Group", "org", member_of=[]),
        *extra,
    ]


# -- 1. scopes -----------------------------------------------------------------------------------


def test_assignment_at_the_target_scope_grants() -> None:
    decision = decide(SA, SA_READ, roleAssignments=[arm.role_assignment(SA, USER, arm.READER)])
    assert decision.decision is Outcome.ALLOWED
    assert decision.grants[0].levels_above == 0


@pytest.mark.parametrize(
    ("scope", "levels"),
    [
        (RG, 1),
        (SUB_SCOPE, 2),
        (MG_AI, 3),
        (MG_ROOT, 5),
        ("/", 6),
    ],
)
def test_assignment_at_an_ancestor_grants_management_groups_included(
    scope: str, levels: int
) -> None:
    decision = decide(SA, SA_READ, roleAssignments=[arm.role_assignment(scope, USER, arm.READER)])
    assert decision.decision is Outcome.ALLOWED
    assert decision.grants[0].levels_above == levels


def test_a_management_group_outside_the_subscription_chain_does_not_grant() -> None:
    decision = decide(
        SA,
        SA_READ,
        roleAssignments=[
            arm.role_assignment(arm.management_group_scope("mg-other"), USER, arm.READER)
        ],
    )
    assert decision.decision is Outcome.DENIED


def test_scopes_compare_case_insensitively() -> None:
    upper = f"/SUBSCRIPTIONS/{arm.SUB.upper()}/RESOURCEGROUPS/RG-AI"
    decision = decide(
        SA.lower(), SA_READ, roleAssignments=[arm.role_assignment(upper, USER, arm.READER)]
    )
    assert decision.decision is Outcome.ALLOWED
    decision = decide(
        SA,
        SA_READ,
        roleAssignments=[
            arm.role_assignment(arm.management_group_scope("MG-AI"), USER, arm.READER)
        ],
    )
    assert decision.decision is Outcome.ALLOWED


def test_scopes_compare_whole_segments() -> None:
    decision = decide(
        f"{SA}2", SA_READ, roleAssignments=[arm.role_assignment(SA, USER, arm.READER)]
    )
    assert decision.decision is Outcome.DENIED
    decision = decide(
        f"{RG_PROD}/providers/Microsoft.Storage/storageAccounts/st",
        SA_READ,
        roleAssignments=[arm.role_assignment(RG, USER, arm.READER)],
    )
    assert decision.decision is Outcome.DENIED


@pytest.mark.parametrize(
    ("assigned_at", "target", "role", "operation", "data"),
    [
        (SA, CONTAINER, arm.STORAGE_BLOB_DATA_READER, BLOB_READ, True),
        (SEARCH, INDEX, arm.SEARCH_INDEX_DATA_READER, DOCS_READ, True),
        (ACCOUNT, FOUNDRY_PROJECT, arm.FOUNDRY_USER, AGENTS_WRITE, True),
        (HUB, CONNECTION, arm.AZURE_AI_DEVELOPER, CONNECTION_READ, False),
    ],
)
def test_child_resources_inherit_from_their_parent(
    assigned_at: str, target: str, role: str, operation: str, data: bool
) -> None:
    decision = decide(
        target, operation, data=data, roleAssignments=[arm.role_assignment(assigned_at, USER, role)]
    )
    assert decision.decision is Outcome.ALLOWED
    assert decision.grants[0].levels_above >= 1


def test_an_assignment_below_the_target_does_not_grant_upwards() -> None:
    decision = decide(
        SA,
        BLOB_READ,
        data=True,
        roleAssignments=[arm.role_assignment(CONTAINER, USER, arm.STORAGE_BLOB_DATA_READER)],
    )
    assert decision.decision is Outcome.DENIED


def test_a_role_on_the_hub_does_not_reach_its_project() -> None:
    decision = decide(
        HUB_PROJECT, WS_READ, roleAssignments=[arm.role_assignment(HUB, USER, arm.READER)]
    )
    assert decision.decision is Outcome.DENIED
    decision = decide(
        HUB, WS_READ, roleAssignments=[arm.role_assignment(HUB_PROJECT, USER, arm.READER)]
    )
    assert decision.decision is Outcome.DENIED


# -- 2. groups -----------------------------------------------------------------------------------


def test_nested_groups_count_transitively() -> None:
    decision = decide(
        CONTAINER,
        BLOB_READ,
        data=True,
        principals=team(),
        roleAssignments=[
            arm.role_assignment(RG, G_ORG, arm.STORAGE_BLOB_DATA_READER, principal_type="Group")
        ],
    )
    assert decision.decision is Outcome.ALLOWED
    assert decision.grants[0].via == (G_TEAM, G_DEPT, G_ORG)


def test_group_cycles_end() -> None:
    principals = [
        arm.principal(USER, member_of=[G_TEAM]),
        arm.principal(G_TEAM, "Group", member_of=[G_DEPT]),
        arm.principal(G_DEPT, "Group", member_of=[G_TEAM]),
    ]
    denied = decide(SA, SA_READ, principals=principals)
    assert denied.decision is Outcome.DENIED
    allowed = decide(
        SA,
        SA_READ,
        principals=principals,
        roleAssignments=[arm.role_assignment(RG, G_DEPT, arm.READER, principal_type="Group")],
    )
    assert allowed.decision is Outcome.ALLOWED
    assert allowed.grants[0].via == (G_TEAM, G_DEPT)


def test_membership_is_one_way() -> None:
    principals = team(arm.principal(OTHER_USER, member_of=[G_TEAM]))
    assignments = [arm.role_assignment(SA, USER, arm.READER)]
    assert (
        decide(
            SA, SA_READ, principal=G_TEAM, principals=principals, roleAssignments=assignments
        ).decision
        is Outcome.DENIED
    )
    assert (
        decide(
            SA, SA_READ, principal=OTHER_USER, principals=principals, roleAssignments=assignments
        ).decision
        is Outcome.DENIED
    )
    # a group's closure covers the groups it is in
    assert (
        decide(
            SA,
            SA_READ,
            principal=G_TEAM,
            principals=principals,
            roleAssignments=[arm.role_assignment(SA, G_ORG, arm.READER)],
        ).decision
        is Outcome.ALLOWED
    )


def test_a_membership_list_already_transitive_works() -> None:
    principals = [arm.principal(USER, member_of=[G_TEAM, G_ORG])]  # groups not listed
    decision = decide(
        SA,
        SA_READ,
        principals=principals,
        roleAssignments=[arm.role_assignment(RG, G_ORG, arm.READER, principal_type="Group")],
    )
    assert decision.decision is Outcome.ALLOWED


# -- 3. deny assignments -------------------------------------------------------------------------


def managed_app_deny(scope: str = RG, **kw: Any) -> dict[str, Any]:
    """The deny assignment a managed application puts on its managed resource group: everything
    but reads, for everyone."""
    kw.setdefault("principals", [arm.EVERYONE])
    return arm.deny_assignment(scope, actions=["*"], not_actions=["*/read"], **kw)


def test_a_deny_assignment_wins_even_over_owner() -> None:
    assignments = [arm.role_assignment(SUB_SCOPE, USER, arm.OWNER)]
    decision = decide(
        SA, SA_DELETE, roleAssignments=assignments, denyAssignments=[managed_app_deny()]
    )
    assert decision.decision is Outcome.DENIED
    assert decision.denies[0].applies_to == "All Principals"
    assert grant_ids(decision) == [arm.OWNER]  # the grant is kept as evidence
    # the deny's notActions keep reads open
    assert (
        decide(
            SA, SA_READ, roleAssignments=assignments, denyAssignments=[managed_app_deny()]
        ).decision
        is Outcome.ALLOWED
    )


def test_a_deny_assignment_for_a_nested_group_applies_to_its_members() -> None:
    decision = decide(
        SA,
        SA_DELETE,
        principals=team(),
        roleAssignments=[arm.role_assignment(RG, USER, arm.CONTRIBUTOR)],
        denyAssignments=[managed_app_deny(principals=[(G_DEPT, "Group")])],
    )
    assert decision.decision is Outcome.DENIED
    assert decision.denies[0].applies_to == G_DEPT
    assert decision.denies[0].via == (G_TEAM, G_DEPT)


def test_a_deny_assignment_for_someone_else_does_not_apply() -> None:
    decision = decide(
        SA,
        SA_DELETE,
        principals=team(),
        roleAssignments=[arm.role_assignment(RG, USER, arm.CONTRIBUTOR)],
        denyAssignments=[managed_app_deny(principals=[(OTHER_USER, "User")])],
    )
    assert decision.decision is Outcome.ALLOWED


@pytest.mark.parametrize("excluded", [USER, G_TEAM, G_ORG])
def test_exclude_principals_lifts_the_deny_for_the_principal_or_its_groups(excluded: str) -> None:
    decision = decide(
        SA,
        SA_DELETE,
        principals=team(),
        roleAssignments=[arm.role_assignment(RG, USER, arm.CONTRIBUTOR)],
        denyAssignments=[managed_app_deny(exclude=[(excluded, "User")])],
    )
    assert decision.decision is Outcome.ALLOWED
    assert decision.denies == ()


def test_do_not_apply_to_child_scopes() -> None:
    deny = managed_app_deny(child_scopes=False)
    assignments = [arm.role_assignment(SUB_SCOPE, USER, arm.OWNER)]
    delete_rg = "Microsoft.Resources/subscriptions/resourceGroups/delete"
    assert (
        decide(RG, delete_rg, roleAssignments=assignments, denyAssignments=[deny]).decision
        is Outcome.DENIED
    )
    assert (
        decide(SA, SA_DELETE, roleAssignments=assignments, denyAssignments=[deny]).decision
        is Outcome.ALLOWED
    )


def test_deny_assignments_cover_the_data_plane_separately() -> None:
    data_deny = arm.deny_assignment(
        SA, principals=[arm.EVERYONE], data_actions=["Microsoft.Storage/*"]
    )
    control_deny = arm.deny_assignment(SA, principals=[arm.EVERYONE], actions=["*"], name="control")
    assignments = [arm.role_assignment(SA, USER, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)]
    assert (
        decide(
            CONTAINER,
            BLOB_READ,
            data=True,
            roleAssignments=assignments,
            denyAssignments=[data_deny],
        ).decision
        is Outcome.DENIED
    )
    # a deny of every action does not touch data actions, and the other way round
    assert (
        decide(
            CONTAINER,
            BLOB_READ,
            data=True,
            roleAssignments=assignments,
            denyAssignments=[control_deny],
        ).decision
        is Outcome.ALLOWED
    )
    assert (
        decide(
            SA,
            "Microsoft.Storage/storageAccounts/blobServices/containers/read",
            roleAssignments=assignments,
            denyAssignments=[data_deny],
        ).decision
        is Outcome.ALLOWED
    )


def test_not_data_actions_of_a_deny_carve_out() -> None:
    deny = arm.deny_assignment(
        SA, principals=[arm.EVERYONE], data_actions=["*"], not_data_actions=["*/read"]
    )
    assignments = [arm.role_assignment(SA, USER, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)]
    assert (
        decide(
            CONTAINER, BLOB_READ, data=True, roleAssignments=assignments, denyAssignments=[deny]
        ).decision
        is Outcome.ALLOWED
    )
    assert (
        decide(
            CONTAINER, BLOB_WRITE, data=True, roleAssignments=assignments, denyAssignments=[deny]
        ).decision
        is Outcome.DENIED
    )


def test_a_deny_assignment_at_a_sibling_scope_does_not_apply() -> None:
    decision = decide(
        SA,
        SA_DELETE,
        roleAssignments=[arm.role_assignment(SUB_SCOPE, USER, arm.OWNER)],
        denyAssignments=[managed_app_deny(scope=RG_PROD)],
    )
    assert decision.decision is Outcome.ALLOWED


def test_a_deny_assignment_at_a_management_group_applies() -> None:
    decision = decide(
        SA,
        SA_DELETE,
        roleAssignments=[arm.role_assignment(SUB_SCOPE, USER, arm.OWNER)],
        denyAssignments=[managed_app_deny(scope=MG_AI)],
    )
    assert decision.decision is Outcome.DENIED


# -- 4. Actions - NotActions inside one role, OR across roles, planes ----------------------------


def test_any_one_role_grants() -> None:
    assignments = [
        arm.role_assignment(SEARCH, USER, arm.SEARCH_INDEX_DATA_READER),
        arm.role_assignment(SEARCH, USER, arm.SEARCH_SERVICE_CONTRIBUTOR),
    ]
    docs = decide(INDEX, DOCS_READ, data=True, roleAssignments=assignments)
    assert grant_ids(docs) == [arm.SEARCH_INDEX_DATA_READER]
    schema = decide(
        INDEX, "Microsoft.Search/searchServices/indexes/read", roleAssignments=assignments
    )
    assert grant_ids(schema) == [arm.SEARCH_SERVICE_CONTRIBUTOR]


def test_not_actions_subtract_inside_one_role_only() -> None:
    contributor = [arm.role_assignment(RG, USER, arm.CONTRIBUTOR)]
    alone = decide(SA, RA_WRITE, roleAssignments=contributor)
    assert alone.decision is Outcome.DENIED
    with_rbac_admin = decide(
        SA,
        RA_WRITE,
        roleAssignments=[
            *contributor,
            arm.role_assignment(SUB_SCOPE, USER, arm.RBAC_ADMINISTRATOR),
        ],
    )
    assert with_rbac_admin.decision is Outcome.ALLOWED
    assert grant_ids(with_rbac_admin) == [arm.RBAC_ADMINISTRATOR]


def test_actions_never_grant_data_actions() -> None:
    for role in (arm.OWNER, arm.CONTRIBUTOR):
        decision = decide(
            AOAI, CHAT, data=True, roleAssignments=[arm.role_assignment(SUB_SCOPE, USER, role)]
        )
        assert decision.decision is Outcome.DENIED, role


def test_data_actions_never_grant_actions() -> None:
    decision = decide(
        AOAI,
        CHAT,
        data=False,
        roleAssignments=[arm.role_assignment(AOAI, USER, arm.OPENAI_CONTRIBUTOR)],
    )
    assert decision.decision is Outcome.DENIED
    assert (
        decide(
            AOAI,
            CHAT,
            data=True,
            roleAssignments=[arm.role_assignment(AOAI, USER, arm.OPENAI_CONTRIBUTOR)],
        ).decision
        is Outcome.ALLOWED
    )


# -- 5. patterns ---------------------------------------------------------------------------------


def test_a_star_matches_across_slashes() -> None:
    decision = decide(
        AOAI,
        CHAT,
        data=True,
        roleAssignments=[arm.role_assignment(AOAI, USER, arm.OPENAI_CONTRIBUTOR)],
    )
    assert decision.grants[0].matched_pattern == "Microsoft.CognitiveServices/accounts/OpenAI/*"


def test_star_slash_read_matches_every_read_and_only_reads() -> None:
    reader = [arm.role_assignment(SUB_SCOPE, USER, arm.READER)]
    for operation in (
        SA_READ,
        "Microsoft.Search/searchServices/indexes/read",
        WS_READ,
        "Microsoft.Authorization/roleAssignments/read",
    ):
        assert decide(SA, operation, roleAssignments=reader).decision is Outcome.ALLOWED
    for operation in (
        SA_LIST_KEYS,
        SA_DELETE,
        "Microsoft.Storage/storageAccounts/fileServices/readFileBackupSemantics/action",
    ):
        assert decide(SA, operation, roleAssignments=reader).decision is Outcome.DENIED


def test_a_star_in_the_middle_matches_several_segments() -> None:
    decision = decide(
        HUB, HUB_JOIN, roleAssignments=[arm.role_assignment(HUB, USER, arm.AZURE_AI_DEVELOPER)]
    )
    assert decision.decision is Outcome.ALLOWED
    assert (
        decision.grants[0].matched_pattern
        == "Microsoft.MachineLearningServices/workspaces/*/action"
    )


def test_patterns_are_anchored() -> None:
    assignments = [arm.role_assignment(ACCOUNT, USER, arm.OPENAI_CONTRIBUTOR)]
    decision = decide(ACCOUNT, AGENTS_WRITE, data=True, roleAssignments=assignments)
    assert decision.decision is Outcome.DENIED  # accounts/OpenAI/* does not reach AIServices
    prefixed = "Contoso." + CHAT
    assert (
        decide(ACCOUNT, prefixed, data=True, roleAssignments=assignments).decision is Outcome.DENIED
    )


def test_matching_is_case_insensitive() -> None:
    reader = [arm.role_assignment(SUB_SCOPE, USER, arm.READER)]
    assert (
        decide(SA, "MICROSOFT.STORAGE/storageaccounts/READ", roleAssignments=reader).decision
        is Outcome.ALLOWED
    )
    # Contributor spells its NotActions Microsoft.Authorization/*/Write
    contributor = [arm.role_assignment(SUB_SCOPE, USER, arm.CONTRIBUTOR)]
    decision = decide(
        SA, "microsoft.authorization/roleassignments/write", roleAssignments=contributor
    )
    assert decision.decision is Outcome.DENIED


def test_wildcards_grant_operations_no_catalog_knows_yet() -> None:
    future = "Microsoft.CognitiveServices/accounts/AIServices/brandNewThing/run/action"
    decision = decide(
        ACCOUNT,
        future,
        data=True,
        roleAssignments=[arm.role_assignment(ACCOUNT, USER, arm.FOUNDRY_USER)],
    )
    assert decision.decision is Outcome.ALLOWED
    decision = decide(
        SA,
        "Microsoft.NewProvider/things/write",
        roleAssignments=[arm.role_assignment(SUB_SCOPE, USER, arm.OWNER)],
    )
    assert decision.decision is Outcome.ALLOWED


# -- 6. conditions -------------------------------------------------------------------------------

CONTAINER_CONDITION = (
    "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'}))"
    " OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] "
    "StringEquals 'prompts'))"
)


def test_a_condition_naming_the_operation_makes_the_answer_conditional() -> None:
    decision = decide(
        CONTAINER,
        BLOB_READ,
        data=True,
        roleAssignments=[
            arm.role_assignment(
                SA, USER, arm.STORAGE_BLOB_DATA_READER, condition=CONTAINER_CONDITION
            )
        ],
    )
    assert decision.decision is Outcome.CONDITIONAL
    assert decision.grants == ()
    assert decision.conditions[0].condition == CONTAINER_CONDITION
    assert decision.conditions[0].condition_source == "assignment"


def test_a_condition_not_naming_the_operation_is_an_unconditional_grant() -> None:
    assignments = [
        arm.role_assignment(
            SA, USER, arm.STORAGE_BLOB_DATA_CONTRIBUTOR, condition=CONTAINER_CONDITION
        )
    ]
    decision = decide(CONTAINER, BLOB_WRITE, data=True, roleAssignments=assignments)
    assert decision.decision is Outcome.ALLOWED
    assert decision.grants[0].condition is None
    assert decision.grants[0].condition_not_targeting == CONTAINER_CONDITION
    assert (
        decide(CONTAINER, BLOB_READ, data=True, roleAssignments=assignments).decision
        is Outcome.CONDITIONAL
    )


def test_action_matches_with_a_wildcard_targets_what_it_matches() -> None:
    condition = (
        "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/*'})) "
        "OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]"
        " StringStartsWith 'team-'))"
    )
    assignments = [
        arm.role_assignment(SA, USER, arm.STORAGE_BLOB_DATA_CONTRIBUTOR, condition=condition)
    ]
    assert (
        decide(CONTAINER, BLOB_WRITE, data=True, roleAssignments=assignments).decision
        is Outcome.CONDITIONAL
    )
    # blobServices/* also names the role's control-plane container read (* spans /)
    assert (
        decide(
            SA,
            "Microsoft.Storage/storageAccounts/blobServices/containers/read",
            roleAssignments=assignments,
        ).decision
        is Outcome.CONDITIONAL
    )
    assert (
        decide(
            SA,
            "Microsoft.Storage/storageAccounts/fileServices/fileshares/files/read",
            data=True,
            roleAssignments=assignments,
        ).decision
        is Outcome.DENIED
    )


def test_a_condition_on_the_role_definition_counts() -> None:
    assignments = [arm.role_assignment(ACCOUNT, USER, arm.FOUNDRY_ACCOUNT_OWNER)]
    conditional = decide(ACCOUNT, RA_WRITE, roleAssignments=assignments)
    assert conditional.decision is Outcome.CONDITIONAL
    assert conditional.conditions[0].condition_source == "roleDefinition"
    assert "GuidEquals" in (conditional.conditions[0].condition or "")
    assert decide(ACCOUNT, ACCOUNT_WRITE, roleAssignments=assignments).decision is Outcome.ALLOWED


def test_an_unconditional_grant_beats_a_conditional_one() -> None:
    decision = decide(
        ACCOUNT,
        RA_WRITE,
        roleAssignments=[
            arm.role_assignment(ACCOUNT, USER, arm.FOUNDRY_ACCOUNT_OWNER),
            arm.role_assignment(SUB_SCOPE, USER, arm.OWNER),
        ],
    )
    assert decision.decision is Outcome.ALLOWED
    assert grant_ids(decision) == [arm.OWNER]
    assert len(decision.conditions) == 1


def test_a_condition_without_action_matches_restricts_every_operation() -> None:
    """A condition that names no action is evaluated for all of them: offline it is never
    "allowed" (the tool does not guess)."""
    condition = (
        "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] "
        "StringEquals 'prompts'"
    )
    decision = decide(
        CONTAINER,
        BLOB_READ,
        data=True,
        roleAssignments=[
            arm.role_assignment(SA, USER, arm.STORAGE_BLOB_DATA_READER, condition=condition)
        ],
    )
    assert decision.decision is Outcome.CONDITIONAL


def test_a_delegation_condition_on_an_assignment() -> None:
    condition = (
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
        "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
        f"ForAnyOfAnyValues:GuidEquals{{{arm.STORAGE_BLOB_DATA_READER}}}))"
    )
    assignments = [arm.role_assignment(RG, USER, arm.RBAC_ADMINISTRATOR, condition=condition)]
    assert decide(SA, RA_WRITE, roleAssignments=assignments).decision is Outcome.CONDITIONAL
    assert (
        decide(
            SA, "Microsoft.Authorization/roleAssignments/delete", roleAssignments=assignments
        ).decision
        is Outcome.ALLOWED
    )


# -- 7. PIM --------------------------------------------------------------------------------------


def test_eligible_assignments_never_grant_but_are_reported() -> None:
    decision = decide(
        AOAI,
        CHAT,
        data=True,
        principals=team(),
        roleEligibilities=[arm.eligibility(RG, G_DEPT, arm.OPENAI_USER, principal_type="Group")],
    )
    assert decision.decision is Outcome.DENIED
    assert decision.grants == ()
    assert [e.role_name for e in decision.eligible] == ["Cognitive Services OpenAI User"]
    assert decision.eligible[0].via == (G_TEAM, G_DEPT)


def test_an_eligibility_that_would_not_grant_is_not_reported() -> None:
    decision = decide(
        AOAI, CHAT, data=True, roleEligibilities=[arm.eligibility(RG, USER, arm.CONTRIBUTOR)]
    )
    assert decision.eligible == ()


def test_active_and_eligible_together() -> None:
    decision = decide(
        AOAI,
        CHAT,
        data=True,
        roleAssignments=[arm.role_assignment(AOAI, USER, arm.OPENAI_USER)],
        roleEligibilities=[arm.eligibility(RG, USER, arm.OPENAI_CONTRIBUTOR)],
    )
    assert decision.decision is Outcome.ALLOWED
    assert grant_ids(decision) == [arm.OPENAI_USER]


# -- 8. assignableScopes and principalType are not what decides ----------------------------------


def test_assignable_scopes_do_not_limit_an_existing_assignment() -> None:
    role = arm.custom_role(
        "Blob reader (other sub)",
        data_actions=[BLOB_READ],
        scopes=["/subscriptions/99999999-1111-2222-3333-444444444444"],
    )
    decision = decide(
        CONTAINER,
        BLOB_READ,
        data=True,
        roleDefinitions=[role],
        roleAssignments=[arm.role_assignment(SA, USER, role["name"])],
    )
    assert decision.decision is Outcome.ALLOWED


def test_principal_type_is_informational_and_ids_compare_case_insensitively() -> None:
    assignment = arm.role_assignment(
        SA, USER.upper(), arm.READER, principal_type="ServicePrincipal"
    )
    decision = decide(SA, SA_READ, roleAssignments=[assignment])
    assert decision.decision is Outcome.ALLOWED


# -- 9. roles by id ------------------------------------------------------------------------------


def test_roles_are_matched_by_id_never_by_name() -> None:
    impostor = arm.custom_role("Owner", actions=["*/read"])
    decision = decide(
        SA,
        SA_DELETE,
        roleDefinitions=[impostor],
        roleAssignments=[arm.role_assignment(SA, USER, impostor["name"])],
    )
    assert decision.decision is Outcome.DENIED
    assert (
        decide(
            SA,
            SA_READ,
            roleDefinitions=[impostor],
            roleAssignments=[arm.role_assignment(SA, USER, impostor["name"])],
        )
        .grants[0]
        .role_name
        == "Owner"
    )


def test_role_definition_ids_in_any_form_name_the_same_role() -> None:
    assignment = arm.role_assignment(SA, USER, arm.READER)
    assignment["properties"]["roleDefinitionId"] = (
        f"/providers/Microsoft.Authorization/roleDefinitions/{arm.READER.upper()}"
    )
    assert decide(SA, SA_READ, roleAssignments=[assignment]).decision is Outcome.ALLOWED


def test_the_tenant_definition_wins_over_the_catalog() -> None:
    tenant = arm.builtin_role(arm.READER)
    tenant["properties"]["permissions"][0]["actions"] = ["Microsoft.Storage/*/read"]
    assignments = [arm.role_assignment(SUB_SCOPE, USER, arm.READER)]
    assert (
        decide(SA, SA_READ, roleDefinitions=[tenant], roleAssignments=assignments)
        .grants[0]
        .role_source
        == "snapshot"
    )
    assert (
        decide(SA, WS_READ, roleDefinitions=[tenant], roleAssignments=assignments).decision
        is Outcome.DENIED
    )
    catalog = decide(SA, WS_READ, roleAssignments=assignments)
    assert catalog.decision is Outcome.ALLOWED
    assert catalog.grants[0].role_source == "catalog"


# -- partial knowledge is "unknown", never a guess -----------------------------------------------


def test_role_assignments_unreadable_at_an_ancestor_make_a_denial_unknown() -> None:
    error = arm.read_error(SUB_SCOPE, "Microsoft.Authorization/roleAssignments/read")
    decision = decide(SA, SA_READ, errors=[error])
    assert decision.decision is Outcome.UNKNOWN
    assert "roleAssignments/read" in decision.unknowns[0]
    # a grant that was read is still a grant
    assert (
        decide(
            SA, SA_READ, errors=[error], roleAssignments=[arm.role_assignment(SA, USER, arm.READER)]
        ).decision
        is Outcome.ALLOWED
    )


def test_read_errors_elsewhere_do_not_matter() -> None:
    errors = [
        arm.read_error(RG_PROD, "Microsoft.Authorization/roleAssignments/read"),
        arm.read_error(CONTAINER, "Microsoft.Authorization/roleAssignments/read"),
    ]
    assert decide(SA, SA_READ, errors=errors).decision is Outcome.DENIED


def test_deny_assignments_unreadable_make_a_grant_unknown() -> None:
    decision = decide(
        SA,
        SA_READ,
        roleAssignments=[arm.role_assignment(SA, USER, arm.READER)],
        errors=[arm.read_error(RG, "Microsoft.Authorization/denyAssignments/read")],
    )
    assert decision.decision is Outcome.UNKNOWN
    assert decision.grants  # still shown


def test_unread_group_memberships_make_a_denial_unknown() -> None:
    principals = [arm.principal(USER, name="Ada", member_of=None)]
    assert decide(SA, SA_READ, principals=principals).decision is Outcome.UNKNOWN
    assert (
        decide(
            SA,
            SA_READ,
            principals=principals,
            roleAssignments=[arm.role_assignment(SA, USER, arm.READER)],
        ).decision
        is Outcome.ALLOWED
    )


def test_unread_memberships_of_a_group_in_the_chain() -> None:
    principals = [
        arm.principal(USER, member_of=[G_TEAM]),
        arm.principal(G_TEAM, "Group", member_of=None),
    ]
    decision = decide(SA, SA_READ, principals=principals)
    assert decision.decision is Outcome.UNKNOWN


def test_a_graph_read_error_makes_memberships_unknown() -> None:
    error = arm.read_error(
        USER,
        "Microsoft.Graph/directoryObjects/getMemberGroups",
        message="Insufficient privileges to complete the operation.",
    )
    decision = decide(SA, SA_READ, errors=[error])
    assert decision.decision is Outcome.UNKNOWN
    assert any("Insufficient privileges" in u for u in decision.unknowns)


def test_unknown_memberships_make_a_group_deny_unknown() -> None:
    principals = [arm.principal(USER, member_of=None)]
    decision = decide(
        SA,
        SA_DELETE,
        principals=principals,
        roleAssignments=[arm.role_assignment(RG, USER, arm.CONTRIBUTOR)],
        denyAssignments=[managed_app_deny(principals=[(G_TEAM, "Group")])],
    )
    assert decision.decision is Outcome.UNKNOWN
    excluded = decide(
        SA,
        SA_DELETE,
        principals=principals,
        roleAssignments=[arm.role_assignment(RG, USER, arm.CONTRIBUTOR)],
        denyAssignments=[managed_app_deny(exclude=[(G_TEAM, "Group")])],
    )
    assert excluded.decision is Outcome.UNKNOWN


def test_a_known_exclusion_settles_a_deny_despite_unknown_memberships() -> None:
    """The user's unread groups could put it among the deny's principals, but one group it is
    known to be in is excluded: the deny cannot apply, whatever the unread groups are."""
    principals = [
        arm.principal(USER, member_of=[G_TEAM]),
        arm.principal(G_TEAM, "Group", member_of=None),
    ]
    decision = decide(
        SA,
        SA_DELETE,
        principals=principals,
        roleAssignments=[arm.role_assignment(RG, USER, arm.CONTRIBUTOR)],
        denyAssignments=[
            managed_app_deny(principals=[(G_ORG, "Group")], exclude=[(G_TEAM, "Group")])
        ],
    )
    assert decision.decision is Outcome.ALLOWED
    assert decision.unknowns == ()


def test_a_principal_missing_from_the_snapshot_is_unknown_unless_granted_directly() -> None:
    stranger = "c3c3c3c3-0000-4000-8000-000000000009"
    assert decide(SA, SA_READ, principal=stranger).decision is Outcome.UNKNOWN
    assert (
        decide(
            SA,
            SA_READ,
            principal=stranger,
            roleAssignments=[arm.role_assignment(SA, stranger, arm.READER)],
        ).decision
        is Outcome.ALLOWED
    )


def test_a_role_definition_in_neither_snapshot_nor_catalog_is_unknown() -> None:
    vault = f"{RG}/providers/Microsoft.KeyVault/vaults/kv"
    assignments = [arm.role_assignment(vault, USER, KEY_VAULT_CERTIFICATE_USER)]
    decision = decide(vault, GET_SECRET, data=True, roleAssignments=assignments)
    assert decision.decision is Outcome.UNKNOWN
    assert KEY_VAULT_CERTIFICATE_USER in decision.unknowns[0]
    definition = arm.custom_role(
        "Key Vault Certificate User",
        role_id=KEY_VAULT_CERTIFICATE_USER,
        data_actions=[GET_SECRET, "Microsoft.KeyVault/vaults/certificates/read"],
    )
    definition["properties"]["type"] = "BuiltInRole"
    assert (
        decide(
            vault, GET_SECRET, data=True, roleAssignments=assignments, roleDefinitions=[definition]
        ).decision
        is Outcome.ALLOWED
    )


def test_management_groups_not_collected_make_a_management_group_grant_unknown() -> None:
    no_chain = arm.subscription(management_groups=[])
    mg_grant = [arm.role_assignment(MG_AI, USER, arm.READER)]
    decision = decide(SA, SA_READ, resources=[no_chain], roleAssignments=mg_grant)
    assert decision.decision is Outcome.UNKNOWN
    assert any("management group" in w for w in decision.warnings)
    # nothing at any management group: a plain denial, with the warning
    plain = decide(SA, SA_READ, resources=[no_chain])
    assert plain.decision is Outcome.DENIED
    assert plain.warnings
    # a deny assignment at a management group that may be above: a grant becomes unknown
    decision = decide(
        SA,
        SA_DELETE,
        resources=[no_chain],
        roleAssignments=[arm.role_assignment(RG, USER, arm.OWNER)],
        denyAssignments=[managed_app_deny(scope=MG_AI)],
    )
    assert decision.decision is Outcome.UNKNOWN
