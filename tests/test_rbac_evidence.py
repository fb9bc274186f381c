"""Every answer carries its evidence: grants, group chains, denies, conditions, PIM, near misses."""

from __future__ import annotations

import json
from typing import Any

from diagnose.model.model import Model
from diagnose.rbac import Decision, Evaluator, Outcome
from diagnose.render.decision_text import explain, render_decision
from tests import arm

USER = "a1a1a1a1-0000-4000-8000-000000000001"
G_TEAM = "b2b2b2b2-0000-4000-8000-000000000001"
G_DEPT = "b2b2b2b2-0000-4000-8000-000000000002"
SUB_SCOPE = f"/subscriptions/{arm.SUB}"
RG = arm.RG
RG_PROD = f"/subscriptions/{arm.SUB}/resourceGroups/rg-ai-prod"
SA = f"{RG}/providers/Microsoft.Storage/storageAccounts/sthub"
CONTAINER = f"{SA}/blobServices/default/containers/prompts"
AOAI = f"{RG}/providers/Microsoft.CognitiveServices/accounts/aoai"
HUB = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/hub"
BLOB_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
CHAT = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
EMBEDDINGS = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/embeddings/action"
SA_DELETE = "Microsoft.Storage/storageAccounts/delete"

PRINCIPALS = [
    arm.principal(
        USER, name="Ada Lovelace", member_of=[G_TEAM], userPrincipalName="ada@contoso.com"
    ),
    arm.principal(G_TEAM, "Group", "AI team", member_of=[G_DEPT]),
    arm.principal(G_DEPT, "Group", "Research", member_of=[]),
]


class Case:
    def __init__(self, **lists: list[dict[str, Any]]) -> None:
        lists.setdefault("resources", [arm.subscription(management_groups=["mg-ai", arm.TENANT])])
        lists.setdefault("principals", PRINCIPALS)
        self.model = Model.from_snapshot(arm.load(**lists))

    def check(self, scope: str, operation: str, *, data: bool = False) -> Decision:
        return Evaluator(self.model.authorization).check(USER, scope, operation, data_action=data)

    def name_of(self, principal_id: str) -> str | None:
        entry = self.model.authorization.directory.get(principal_id)
        return entry.display_name if entry else None


def test_a_grant_through_nested_groups_names_everything() -> None:
    assignment = arm.role_assignment(
        RG, G_DEPT, arm.STORAGE_BLOB_DATA_READER, principal_type="Group"
    )
    decision = Case(roleAssignments=[assignment]).check(CONTAINER, BLOB_READ, data=True)
    assert decision.decision is Outcome.ALLOWED
    (grant,) = decision.grants
    assert grant.role_assignment_id == assignment["id"]
    assert grant.role_definition_id == assignment["properties"]["roleDefinitionId"]
    assert grant.role_name == "Storage Blob Data Reader"
    assert grant.scope == RG
    assert grant.scope_level == "resource group"
    assert grant.levels_above == 3  # container -> blob service -> account -> resource group
    assert grant.principal_id == G_DEPT
    assert grant.via == (G_TEAM, G_DEPT)  # outermost last
    assert grant.matched_pattern == BLOB_READ
    assert grant.role_source == "catalog"
    assert grant.created_on == assignment["properties"]["createdOn"]


def test_the_json_has_the_documented_fields() -> None:
    assignment = arm.role_assignment(RG, G_TEAM, arm.STORAGE_BLOB_DATA_READER)
    data = Case(roleAssignments=[assignment]).check(CONTAINER, BLOB_READ, data=True).to_json()
    json.dumps(data)  # JSON-able
    for key in (
        "decision",
        "principal",
        "scope",
        "operation",
        "dataAction",
        "grants",
        "denies",
        "conditions",
        "eligible",
        "nearMisses",
        "unknowns",
        "warnings",
    ):
        assert key in data, key
    assert data["decision"] == "allowed"
    assert data["principal"] == USER
    assert data["scope"] == CONTAINER
    assert data["operation"] == BLOB_READ
    assert data["dataAction"] is True
    grant = data["grants"][0]
    assert grant["roleAssignmentId"] == assignment["id"]
    assert grant["roleDefinitionId"].endswith(arm.STORAGE_BLOB_DATA_READER)
    assert grant["roleName"] == "Storage Blob Data Reader"
    assert grant["scope"] == RG
    assert grant["via"] == [G_TEAM]
    assert grant["matchedPattern"] == BLOB_READ
    assert grant["levelsAbove"] == 3
    assert "conditionNotTargeting" not in grant


def test_grants_are_ordered_direct_and_nearest_first() -> None:
    assignments = [
        arm.role_assignment(SUB_SCOPE, G_TEAM, arm.READER),
        arm.role_assignment(SUB_SCOPE, USER, arm.READER),
        arm.role_assignment(SA, USER, arm.CONTRIBUTOR),
    ]
    decision = Case(roleAssignments=assignments).check(SA, "Microsoft.Storage/storageAccounts/read")
    assert [(g.role_name, g.levels_above, g.via) for g in decision.grants] == [
        ("Contributor", 0, ()),
        ("Reader", 2, ()),
        ("Reader", 2, (G_TEAM,)),
    ]


def test_a_deny_names_itself_its_scope_and_who_it_applies_to() -> None:
    deny = arm.deny_assignment(
        RG,
        principals=[(G_DEPT, "Group")],
        actions=["*"],
        not_actions=["*/read"],
        name="mrg-deny",
        description="Managed resource group of app x",
    )
    decision = Case(
        roleAssignments=[arm.role_assignment(SUB_SCOPE, USER, arm.OWNER)], denyAssignments=[deny]
    ).check(SA, SA_DELETE)
    assert decision.decision is Outcome.DENIED
    (found,) = decision.denies
    assert found.deny_assignment_id == deny["id"]
    assert found.name == "mrg-deny"
    assert found.scope == RG and found.levels_above == 1
    assert found.matched_pattern == "*"
    assert found.applies_to == G_DEPT and found.via == (G_TEAM, G_DEPT)
    assert found.system_protected is True
    assert found.description == "Managed resource group of app x"
    data = decision.to_json()["denies"][0]
    assert data["denyAssignmentId"] == deny["id"] and data["appliesTo"] == G_DEPT


def test_a_conditional_answer_carries_the_condition_text() -> None:
    condition = (
        "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/"
        "blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/"
        "containers:name] StringEquals 'prompts'))"
    )
    assignment = arm.role_assignment(SA, USER, arm.STORAGE_BLOB_DATA_READER, condition=condition)
    case = Case(roleAssignments=[assignment])
    decision = case.check(CONTAINER, BLOB_READ, data=True)
    assert decision.decision is Outcome.CONDITIONAL
    data = decision.to_json()
    assert data["conditions"][0]["condition"] == condition
    assert data["conditions"][0]["conditionSource"] == "assignment"
    assert data["conditions"][0]["roleAssignmentId"] == assignment["id"]
    text = render_decision(decision, case.name_of)
    assert text.startswith("CONDITIONAL:")
    assert "StringEquals 'prompts'" in text


def test_eligible_assignments_are_evidence_of_what_activation_would_give() -> None:
    eligible = arm.eligibility(
        RG, G_TEAM, arm.OPENAI_USER, principal_type="Group", end="2027-01-31T00:00:00Z"
    )
    case = Case(roleEligibilities=[eligible])
    decision = case.check(AOAI, CHAT, data=True)
    assert decision.decision is Outcome.DENIED
    (item,) = decision.eligible
    assert item.eligibility_id == eligible["id"]
    assert item.role_definition_id.endswith(arm.OPENAI_USER)
    assert item.role_name == "Cognitive Services OpenAI User"
    assert item.scope == RG and item.levels_above == 1
    assert item.principal_id == G_TEAM and item.via == (G_TEAM,)
    assert item.matched_pattern == CHAT
    assert item.end_date_time == "2027-01-31T00:00:00Z"
    text = explain(decision, case.name_of)
    assert "eligible" in text and "Cognitive Services OpenAI User" in text
    assert "activat" in text


def test_near_misses_explain_a_denial() -> None:
    unknown_role = "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba"
    case = Case(
        roleAssignments=[
            arm.role_assignment(SUB_SCOPE, USER, arm.OWNER),  # otherPlane
            arm.role_assignment(RG_PROD, USER, arm.OPENAI_CONTRIBUTOR),  # otherScope
            arm.role_assignment(AOAI, G_TEAM, arm.AZURE_AI_DEVELOPER),  # notActions
            arm.role_assignment(AOAI, USER, unknown_role),  # unknownRole
        ]
    )
    decision = case.check(
        AOAI, "Microsoft.CognitiveServices/accounts/OpenAI/fine-tunes-deployments/write", data=True
    )
    kinds = {m.kind: m for m in decision.near_misses}
    assert decision.decision is Outcome.UNKNOWN  # the unknown role might grant it
    assert kinds["notActions"].role_name == "Azure AI Developer"
    assert (
        kinds["notActions"].excluded_by
        == "Microsoft.CognitiveServices/accounts/OpenAI/fine-tunes-deployments/write"
    )
    assert kinds["notActions"].via == (G_TEAM,)
    assert kinds["otherPlane"].role_name == "Owner"
    assert kinds["otherScope"].scope == RG_PROD
    assert kinds["unknownRole"].role_definition_id.endswith(unknown_role)
    order = [m.kind for m in decision.near_misses]
    assert order.index("notActions") < order.index("otherScope") < order.index("otherPlane")
    miss = decision.to_json()["nearMisses"][0]
    assert set(miss) >= {
        "kind",
        "roleAssignmentId",
        "roleDefinitionId",
        "roleName",
        "scope",
        "detail",
        "matchedPattern",
        "excludedBy",
    }


def test_a_partial_near_miss_names_the_closest_pattern() -> None:
    decision = Case(roleAssignments=[arm.role_assignment(AOAI, USER, arm.OPENAI_USER)]).check(
        AOAI, "Microsoft.CognitiveServices/accounts/OpenAI/deployments/write", data=True
    )
    assert decision.decision is Outcome.DENIED
    miss = decision.near_misses[0]
    assert miss.kind == "partial" and miss.matched_pattern.startswith(
        "Microsoft.CognitiveServices/accounts/OpenAI/"
    )


def test_no_near_misses_when_allowed() -> None:
    decision = Case(
        roleAssignments=[
            arm.role_assignment(AOAI, USER, arm.OPENAI_USER),
            arm.role_assignment(SUB_SCOPE, USER, arm.OWNER),
        ]
    ).check(AOAI, EMBEDDINGS, data=True)
    assert decision.allowed and decision.near_misses == ()


def test_unknowns_say_what_could_not_be_read() -> None:
    error = arm.read_error(
        SUB_SCOPE,
        "Microsoft.Authorization/roleAssignments/read",
        status=429,
        code="TooManyRequests",
        message="Rate limit",
    )
    case = Case(errors=[error])
    decision = case.check(SA, SA_DELETE)
    assert decision.decision is Outcome.UNKNOWN
    assert decision.unknowns == (
        f"Microsoft.Authorization/roleAssignments/read at {SUB_SCOPE} failed "
        "(429 TooManyRequests: Rate limit)",
    )
    assert explain(decision, case.name_of).startswith("UNKNOWN:")
    assert "429" in render_decision(decision, case.name_of)


def test_the_text_explains_in_one_paragraph_then_lists_the_evidence() -> None:
    case = Case(roleAssignments=[arm.role_assignment(RG, G_DEPT, arm.STORAGE_BLOB_DATA_READER)])
    text = render_decision(case.check(CONTAINER, BLOB_READ, data=True), case.name_of)
    paragraph, evidence = text.split("\n\n", 1)
    assert "\n" not in paragraph
    assert paragraph.startswith("ALLOWED: Ada Lovelace")
    assert "Storage Blob Data Reader" in paragraph
    assert "AI team -> Research" in paragraph
    assert "3 levels above" in paragraph
    assert evidence.startswith("Grants:")
    assert arm.STORAGE_BLOB_DATA_READER in evidence


def test_the_text_of_a_deny_and_of_a_plain_denial() -> None:
    case = Case(
        roleAssignments=[arm.role_assignment(SUB_SCOPE, USER, arm.OWNER)],
        denyAssignments=[
            arm.deny_assignment(RG, principals=[arm.EVERYONE], actions=["*"], name="mrg-deny")
        ],
    )
    text = explain(case.check(SA, SA_DELETE), case.name_of)
    assert text.startswith("DENIED:")
    assert "Roles would grant it (Owner), but the deny assignment mrg-deny" in text
    assert "All Principals" in text
    plain = Case(roleAssignments=[arm.role_assignment(SUB_SCOPE, USER, arm.OWNER)])
    text = explain(plain.check(AOAI, CHAT, data=True), plain.name_of)
    assert text.startswith("DENIED:") and "No role" in text and "Closest:" in text


def test_a_conditional_deny_without_any_grant_is_a_plain_denial() -> None:
    deny = arm.deny_assignment(RG, principals=[arm.EVERYONE], actions=["*"], name="cond-deny")
    deny["properties"]["condition"] = (
        "(!(ActionMatches{'Microsoft.Storage/*'})) OR (@Resource[tag] StringEquals 'x')"
    )
    case = Case(denyAssignments=[deny])
    decision = case.check(SA, SA_DELETE)
    assert decision.decision is Outcome.DENIED
    assert decision.denies[0].condition is not None
    text = explain(decision, case.name_of)
    assert "No role" in text and "blocks it" not in text


def test_a_grant_under_a_conditional_deny_is_conditional_and_says_why() -> None:
    deny = arm.deny_assignment(RG, principals=[arm.EVERYONE], actions=["*"], name="cond-deny")
    deny["properties"]["condition"] = "(!(ActionMatches{'Microsoft.Storage/*'})) OR (@x)"
    case = Case(
        denyAssignments=[deny], roleAssignments=[arm.role_assignment(SUB_SCOPE, USER, arm.OWNER)]
    )
    decision = case.check(SA, SA_DELETE)
    assert decision.decision is Outcome.CONDITIONAL
    text = render_decision(decision, case.name_of)
    assert "deny assignment cond-deny" in text.split("\n")[0]
    assert "ActionMatches{'Microsoft.Storage/*'}" in text


def test_names_from_azure_cannot_inject_terminal_escapes() -> None:
    principals = [
        arm.principal(USER, name="Ada\x1b[2J", member_of=[G_TEAM]),
        arm.principal(G_TEAM, "Group", "team\nALLOWED: fake", member_of=[]),
    ]
    case = Case(
        principals=principals, roleAssignments=[arm.role_assignment(SA, G_TEAM, arm.READER)]
    )
    text = render_decision(case.check(SA, "Microsoft.Storage/storageAccounts/read"), case.name_of)
    assert "\x1b" not in text
    assert "\nALLOWED: fake" not in text
