"""The Foundry checks (FDY001-FDY003, AGT001, AGT003, and the Foundry parts of IDN001, CFG002,
CON001-CON003 and FPA001) on scenarios built from scripts/make_check_fixtures.py's healthy
Foundry resource, and `diagnose explain` on the Foundry error texts through the CLI.

Read-only people (Reader, Foundry Agent Consumer), app testers and account owners are never
failed (GUIDE section 4); requirements are judged from role definitions and their conditions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from diagnose.cli import main
from diagnose.engine.api import Cause, CheckInfo, Finding, PrincipalRef, Status
from diagnose.engine.personas import Declarations
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.remediation.plan import FixPlan
from tests import arm
from tests.checks_support import FIXTURES, all_checks, fixture_generator, show, snapshot_of

G = fixture_generator()
FOUNDRY_AGENT_CONSUMER = "eed3b665-ab3a-47b6-8f48-c9382fb1dad6"
FOUNDRY_USER = arm.FOUNDRY_USER
OTHER_PROJECT = f"{G.FOUNDRY}/projects/fproj-other"
OTHER_MI = G.pid("sp:fproj-other")


def check(check_id: str) -> CheckInfo:
    return next(c for c in all_checks() if c.id == check_id)


def findings(
    f: Any,
    *check_ids: str,
    declarations: Declarations | None = None,
) -> list[Finding]:
    snapshot = snapshot_of(f)
    engine = Engine(
        Model(snapshot),
        creator=snapshot.target.get("creator"),
        fixes=FixPlan,
        declarations=declarations,
    )
    result = engine.run(tuple(check(c) for c in check_ids))
    assert not result.check_errors, result.check_errors
    return list(result.findings)


def about(found: list[Finding], object_id: str) -> list[Finding]:
    return [
        f
        for f in found
        if (f.principal is not None and f.principal.id == object_id)
        or any(a.id == object_id for a in f.affected_principals)
    ]


def statuses(found: list[Finding]) -> set[Status]:
    return {f.status for f in found}


def second_project(f: Any) -> None:
    f.add(
        arm.resource(
            OTHER_PROJECT,
            "Microsoft.CognitiveServices/accounts/projects",
            properties={"displayName": "Other", "provisioningState": "Succeeded"},
            identity=arm.system_identity(OTHER_MI, arm.TENANT),
        )
    )
    f.principals[OTHER_MI] = arm.principal(OTHER_MI, "ServicePrincipal", "fproj-other", [])


# -- FDY001 ------------------------------------------------------------------------------------
def test_fdy001_an_account_owner_on_the_project_itself_is_warned_never_failed() -> None:
    """Foundry Account Owner manages the account; assigned on the project it used to make a
    builder there (a management role on the project itself), and FDY001 failed it."""
    f = G.base(foundry=True)
    f.user(G.GUS)
    f.grant("gus/fproj/owner", G.FOUNDRY_PROJECT, G.GUS, arm.FOUNDRY_ACCOUNT_OWNER)
    mine = about(findings(f, "FDY001", "FDY002"), G.GUS)
    assert statuses(mine) == {Status.WARN}, show(mine)
    assert all("administrator" in m.message for m in mine)


def test_fdy001_readers_and_app_testers_are_asked_nothing() -> None:
    f = G.base(foundry=True)
    f.user(G.GUS)
    f.user(G.CARA)
    f.grant("gus/fproj/reader", G.FOUNDRY_PROJECT, G.GUS, arm.READER)
    f.grant("cara/foundry/consumer", G.FOUNDRY, G.CARA, FOUNDRY_AGENT_CONSUMER)
    f.grant(
        "cara/agent/consumer",
        f"{G.FOUNDRY_PROJECT}/agents/support-agent",
        G.CARA,
        FOUNDRY_AGENT_CONSUMER,
    )
    found = findings(f, "FDY001", "FDY002", "AGT003")
    assert not about(found, G.GUS) and not about(found, G.CARA), show(found)


def test_fdy001_looks_only_at_the_projects_in_scope() -> None:
    """A snapshot that targets one Foundry project says nothing about its sibling (it used to
    iterate every project in the snapshot)."""
    f = G.base(foundry=True)
    second_project(f)
    f.user(G.GUS)
    f.grant("gus/other/ai-developer", OTHER_PROJECT, G.GUS, arm.AZURE_AI_DEVELOPER)
    f.target = {"hub": G.FOUNDRY_PROJECT, "project": None}
    found = findings(f, "FDY001")
    assert not [x for x in found if "fproj-other" in x.resource.lower()], show(found)
    # the same sibling, in scope, is reported (the scenario is not vacuous)
    f.target = {"hub": G.FOUNDRY, "project": None}
    found = findings(f, "FDY001")
    assert statuses(about(found, G.GUS)) == {Status.FAIL}, show(found)


def test_fdy001_a_hub_era_role_counts_only_on_the_project_it_is_held_on() -> None:
    """FDY001 looks hub-era roles up in an index built once per project (its own and its
    account's assignments): Gus's group holds Azure AI Developer on one project only, so he is
    the builder with the wrong role there and only an administrator (Owner on the account) on
    its sibling. An index shared between the two projects, or keyed by the account alone,
    would fail him on both."""
    f = G.base(foundry=True)
    second_project(f)
    f.group(G.GRP_DEVS)
    f.user(G.GUS, [G.GRP_DEVS])
    f.grant("gus/foundry/owner", G.FOUNDRY, G.GUS, arm.OWNER)
    f.grant("devs/other/ai-developer", OTHER_PROJECT, G.GRP_DEVS, arm.AZURE_AI_DEVELOPER)
    mine = about(findings(f, "FDY001"), G.GUS)
    by_project = {m.resource.lower(): m for m in mine}
    assert set(by_project) == {OTHER_PROJECT.lower(), G.FOUNDRY_PROJECT.lower()}, show(mine)
    other, own = by_project[OTHER_PROJECT.lower()], by_project[G.FOUNDRY_PROJECT.lower()]
    assert other.status is Status.FAIL and "is a hub-era role" in other.message, show(mine)
    assert own.status is Status.WARN and "hub-era" not in own.message, show(mine)


# -- FDY002 ------------------------------------------------------------------------------------
def test_fdy002_foundry_user_on_the_project_only_is_told_it_does_not_reach_inference() -> None:
    f = G.base(foundry=True)
    f.drop("finn/foundry/foundry-user")
    f.grant("finn/fproj/foundry-user", G.FOUNDRY_PROJECT, G.FINN, FOUNDRY_USER)
    mine = about(findings(f, "FDY002"), G.FINN)
    assert statuses(mine) == {Status.FAIL}, show(mine)
    text = " ".join(mine[0].message.split())
    assert "a project-only role assignment doesn't authorize model inference" in text
    assert mine[0].resource.lower() == G.FOUNDRY.lower()


def test_fdy002_asks_the_inference_action_of_each_deployment() -> None:
    from diagnose.checks.fdy002_foundry_model_inference import MAAS_CHAT, inference_operations
    from diagnose.engine.context import CheckContext

    f = G.base(foundry=True)
    f.add(G.deployment(G.FOUNDRY, "deepseek-r1", "DeepSeek", "DeepSeek-R1"))
    f.add(G.deployment(G.FOUNDRY, "embed", "OpenAI", "text-embedding-3-large"))
    model = Model(snapshot_of(f))
    ctx = CheckContext(model)
    account = model.resource(G.FOUNDRY)
    assert account is not None
    names = [o.name.rsplit("accounts/", 1)[1] for o in inference_operations(ctx, account)]
    assert names == [
        "OpenAI/deployments/chat/completions/action",
        "MaaS/chat/completions/action",
        "OpenAI/deployments/embeddings/action",
    ]
    assert MAAS_CHAT.data
    # A builder holding only Azure OpenAI roles on the account cannot call the DeepSeek model.
    f.drop("finn/foundry/foundry-user")
    f.grant("finn/foundry/openai-user", G.FOUNDRY, G.FINN, arm.OPENAI_USER)
    f.grant("finn/fproj/foundry-user", G.FOUNDRY_PROJECT, G.FINN, FOUNDRY_USER)
    mine = about(findings(f, "FDY002"), G.FINN)
    assert statuses(mine) == {Status.FAIL}, show(mine)
    assert "MaaS/chat/completions/action" in mine[0].message


def test_fdy002_administrators_and_readers_are_not_asked() -> None:
    f = G.base(foundry=True)
    f.user(G.GUS)
    f.user(G.CARA)
    f.grant("gus/rg/contributor", G.RG, G.GUS, arm.CONTRIBUTOR)
    f.grant("cara/fproj/reader", G.FOUNDRY_PROJECT, G.CARA, arm.READER)
    found = findings(f, "FDY002")
    assert not about(found, G.GUS) and not about(found, G.CARA), show(found)


# -- FDY003 ------------------------------------------------------------------------------------
def creator_fixture(role: str, scope: str, condition: str | None = None) -> Any:
    f = G.base(foundry=True, creator=True)
    f.drop("cara/rg/contributor")
    f.grant("cara/x", scope, G.CARA, role, condition=condition)
    f.target = {"hub": G.FOUNDRY, "project": None, "creator": G.CARA}
    return f


def test_fdy003_a_condition_on_the_assignment_is_evaluated_not_ignored() -> None:
    """An ABAC condition that targets the projects write makes the answer conditional
    (unknown), never a pass or a failure."""
    condition = (
        "((!(ActionMatches{'Microsoft.CognitiveServices/accounts/projects/write'})) OR "
        "(@Resource[Microsoft.CognitiveServices/accounts/projects:name] StringStartsWith 'team-'))"
    )
    f = creator_fixture(G.FOUNDRY_PROJECT_MANAGER, G.FOUNDRY, condition)
    mine = about(findings(f, "FDY003"), G.CARA)
    creating = [m for m in mine if "projects/write" in m.message]
    assert creating and all(m.status is Status.UNKNOWN for m in creating), show(mine)
    assert all(m.cause is Cause.CONDITIONAL for m in creating)


def test_fdy003_project_manager_on_the_project_cannot_publish() -> None:
    f = creator_fixture(G.FOUNDRY_PROJECT_MANAGER, G.FOUNDRY_PROJECT)
    mine = about(findings(f, "FDY003"), G.CARA)
    assert statuses(mine) == {Status.FAIL}, show(mine)
    assert any("applications/write" in m.message for m in mine)
    assert {m.remediations[0].role_definition_id for m in mine} == {G.FOUNDRY_PROJECT_MANAGER}


def test_fdy003_asks_nothing_without_a_creator() -> None:
    f = G.base(foundry=True)
    assert not findings(f, "FDY003")


# -- IDN001 ------------------------------------------------------------------------------------
def test_idn001_a_foundry_project_without_identity_fails_with_the_setting() -> None:
    f = G.base(foundry=True)
    f.get(G.FOUNDRY_PROJECT)["identity"] = {"type": "None"}
    found = findings(f, "IDN001")
    assert [m.status for m in found] == [Status.FAIL], show(found)
    assert found[0].cause is Cause.IDENTITY
    fix = found[0].remediations[0]
    assert fix.setting == "identity.type" and fix.value == "SystemAssigned" and fix.verified
    # a user-assigned identity is enough
    f.get(G.FOUNDRY_PROJECT)["identity"] = {
        "type": "UserAssigned",
        "userAssignedIdentities": {G.UAMI: {"principalId": G.UAMI_MI, "clientId": "c"}},
    }
    assert not findings(f, "IDN001")


# -- AGT001 ------------------------------------------------------------------------------------
def test_con002_asks_nothing_of_people_for_a_capability_host_connection() -> None:
    """The Search connection a capability host names is used by the agent service with the
    project's identity: Finn, a builder without Search roles, is not asked for them (CON002
    failed him before)."""
    f = G.base(foundry=True)
    G.agent_setup(f)
    found = findings(f, "CON001", "CON002", "CON003")
    assert not about(found, G.FINN), show(found)
    # The same connection, not named by the host, is the people's: Finn fails.
    f.remove(G.CAPHOST)
    found = findings(f, "CON002")
    assert Status.FAIL in statuses(about(found, G.FINN)), show(found)


def test_con001_a_foundry_project_whose_connections_could_not_be_listed_is_unknown() -> None:
    f = G.base(foundry=True)
    f.errors.append(
        {
            "scope": G.FOUNDRY_PROJECT,
            "operation": "Microsoft.CognitiveServices/accounts/projects/connections/read",
            "status": 429,
            "code": "TooManyRequests",
            "message": "Rate limit exceeded.",
        }
    )
    found = findings(f, "CON001")
    assert [m.status for m in found] == [Status.UNKNOWN], show(found)
    assert found[0].resource.lower() == G.FOUNDRY_PROJECT.lower()


def test_agt001_finds_container_grants_whatever_the_container_names() -> None:
    f = G.base(foundry=True)
    G.agent_setup(f)
    f.drop("fproj-mi/st/blob", "fproj-mi/st/blob-owner")
    f.grant("fproj-mi/st/account", G.ST_AGENTS, G.FPROJ_MI, G.STORAGE_ACCOUNT_CONTRIBUTOR)
    for name, role in (("threads-files", arm.STORAGE_BLOB_DATA_CONTRIBUTOR), ("x", arm.READER)):
        f.grant(f"fproj-mi/st/{name}", G.container(G.ST_AGENTS, name), G.FPROJ_MI, role)
    found = findings(f, "AGT001")
    # threads-files holds its blob role; 'x' holds only Reader: that container fails.
    assert [m.status for m in found] == [Status.FAIL], show(found)
    assert found[0].remediations[0].scope is not None
    assert found[0].remediations[0].scope.endswith("/containers/x")


def test_agt001_the_user_assigned_identity_of_a_project_is_asked() -> None:
    f = G.base(foundry=True, uami=True)
    G.agent_setup(f)
    f.get(G.FOUNDRY_PROJECT)["identity"] = {
        "type": "UserAssigned",
        "userAssignedIdentities": {G.UAMI: {"principalId": G.UAMI_MI, "clientId": "c"}},
    }
    found = findings(f, "AGT001")
    assert found and {m.principal.id for m in found if m.principal} == {G.UAMI_MI}, show(found)


def test_agt001_basic_setup_asks_nothing() -> None:
    assert not findings(G.base(foundry=True), "AGT001")


# -- AGT003 ------------------------------------------------------------------------------------
def test_agt003_a_declared_consumer_fails_and_an_assignment_at_the_agent_scope_counts() -> None:
    f = G.base(foundry=True)
    G.published_agent(f)
    f.user(G.GUS)
    gus = PrincipalRef(G.GUS, "User", "Gus Lead")
    declared = Declarations(focus=(gus,))
    mine = about(findings(f, "AGT003", declarations=declared), G.GUS)
    assert statuses(mine) == {Status.FAIL}, show(mine)
    assert mine[0].remediations[0].role_definition_id == FOUNDRY_USER
    assert "applications/invoke/action" in mine[0].message
    # Foundry Agent Consumer counts at the agent's own scope (the agent endpoint) ...
    at_agent = f"{G.FOUNDRY_PROJECT}/agents/support-agent"
    f.grant("gus/agent", at_agent, G.GUS, FOUNDRY_AGENT_CONSUMER)
    assert not about(findings(f, "AGT003", declarations=declared), G.GUS)
    # ... and on the application: the Foundry RBAC page names it for Azure RBAC endpoints, the
    # agent applications page the invoke action; where the docs differ, either counts.
    f.drop("gus/agent")
    assert statuses(about(findings(f, "AGT003", declarations=declared), G.GUS)) == {Status.FAIL}
    f.grant("gus/app", G.APP, G.GUS, FOUNDRY_AGENT_CONSUMER)
    assert not about(findings(f, "AGT003", declarations=declared), G.GUS)


def test_agt003_read_only_people_are_never_consumers() -> None:
    f = G.base(foundry=True)
    G.published_agent(f)
    f.user(G.GUS)
    f.grant("gus/fproj/reader", G.FOUNDRY_PROJECT, G.GUS, arm.READER)
    f.grant("gus/app/reader", G.APP, G.GUS, arm.READER)
    assert not about(findings(f, "AGT003"), G.GUS)


def test_agt003_the_agent_identity_warning_names_both_identities() -> None:
    f = G.base(foundry=True)
    G.published_agent(f)
    f.drop("agent/srch/data")
    found = findings(f, "AGT003")
    assert statuses(found) == {Status.WARN}, show(found)
    text = " ".join(found[0].message.split())
    assert "do not carry over" in text
    assert "Foundry project 'fproj-agents'" in text and "app-support" in text


def test_agt003_schemes_without_azure_rbac_ask_no_consumer_anything() -> None:
    f = G.base(foundry=True)
    G.published_agent(f, scheme="OrganizationScope")
    f.drop("helpdesk/app/consumer")
    f.grant("helpdesk/app/reader", G.APP, G.HELPDESK, arm.READER)
    assert not findings(f, "AGT003")


# -- FPA001, CFG002 ---------------------------------------------------------------------------
def test_fpa001_leaves_foundry_connections_out() -> None:
    """The first-party app's validation is the hub portal's (it warned for a Foundry project's
    connection before)."""
    f = G.base(aoai=True, foundry=True)
    f.drop("mlapp/rg/reader")
    f.remove(f"{G.PROJECT}/connections/conn-aoai")
    f.add(
        G.foundry_connection(
            G.FOUNDRY_PROJECT, "conn-fproj-aoai", "AzureOpenAI", "AAD", "https://x/", G.AOAI
        )
    )
    assert not findings(f, "FPA001")


def test_cfg002_covers_cosmos_db_with_local_auth_disabled() -> None:
    f = G.base(foundry=True)
    G.agent_setup(f)
    f.get(f"{G.FOUNDRY_PROJECT}/connections/conn-cosmos-agents")["properties"]["authType"] = (
        "AccountKey"
    )
    found = findings(f, "CFG002")
    assert [m.status for m in found] == [Status.FAIL], show(found)
    assert found[0].remediations[0].setting == "properties.authType"


# -- explain ------------------------------------------------------------------------------------
def explain(capsys: Any, text: str, snapshot: Path) -> dict[str, Any]:
    code = main(["explain", text, "--snapshot", str(snapshot), "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    answer: dict[str, Any] = json.loads(out)
    return answer


def write(f: Any, tmp_path: Path) -> Path:
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(f.build("TEST", "test", "explain")), encoding="utf-8")
    return path


def test_explain_the_foundry_data_action_text_gives_identity_role_and_command(capsys) -> None:
    text = (
        f"The principal `{G.FINN}` lacks the required data action "
        "`Microsoft.CognitiveServices/accounts/AIServices/agents/write` to perform "
        "`POST /api/projects/{projectName}/assistants` operation."
    )
    answer = explain(capsys, text, FIXTURES / "FDY001/fail.json")
    assert answer["pattern"]["name"] == "Foundry: principal lacks the required data action"
    assert answer["principal"]["displayName"] == "Finn Foundry"
    mine = [f for f in answer["related"] if f["checkId"] == "FDY001"]
    assert mine, answer["related"]
    fix = mine[0]["remediations"][0]
    assert fix["roleName"] == "Foundry User" and fix["verified"]
    assert "az role assignment create" in fix["commands"]["azureCli"]


def test_explain_an_agent_file_upload_names_the_project_identity_and_blob_role(
    capsys, tmp_path
) -> None:
    f = G.base(foundry=True)
    G.agent_setup(f)
    f.drop("fproj-mi/st/blob", "fproj-mi/st/blob-owner")
    for text in (
        "Error: Failed to upload file 'handbook.pdf'. Status code: 403 (Forbidden).",
        "ErrorCode:AuthorizationPermissionMismatch This request is not authorized to perform "
        "this operation using this permission.",
    ):
        answer = explain(capsys, text, write(f, tmp_path))
        mine = [x for x in answer["related"] if x["checkId"] == "AGT001"]
        assert mine, (text, answer["related"])
        assert mine[0]["principal"]["displayName"] == "fproj-agents"
        fix = mine[0]["remediations"][0]
        assert fix["roleName"] == "Storage Blob Data Contributor"
        assert "az role assignment create" in fix["commands"]["azureCli"]


def test_explain_a_search_403_from_file_search_names_the_search_roles(capsys) -> None:
    text = (
        "Run failed: file_search: 403 Forbidden from "
        "https://srch-agents.search.windows.net/indexes('vs-1')/docs/search"
    )
    answer = explain(capsys, text, FIXTURES / "AGT001/fail.json")
    assert answer["pattern"]["name"] == "Foundry agent vector store / file search forbidden"
    assert "AGT001" in answer["pattern"]["checks"] and "CFG001" in answer["pattern"]["checks"]
    mine = [x for x in answer["related"] if x["checkId"] == "AGT001"]
    assert mine and mine[0]["remediations"][0]["roleName"] == "Search Service Contributor"
