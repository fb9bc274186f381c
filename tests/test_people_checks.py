"""The people checks about hubs, prompt flow and Foundry projects (HUB001-HUB003, PFL001,
FDY001) ask by persona (issue 11; GUIDE section 4, "people are not all builders").

Each test starts from one of the checks' healthy fixtures and adds one person the way a tenant
would hold them: a reader, an administrator, a builder at the resource group, a service
identity, a Foundry Account Owner or Agent Consumer, a builder with only the hub-era Azure AI
Developer on a Foundry project. The role facts the tests rely on were checked against the
built-in definitions (Azure's role list), never read at test time.
"""

from __future__ import annotations

import json
from typing import Any

from diagnose.engine.api import Cause, CheckInfo, Finding, Status
from diagnose.engine.registry import load_checks
from tests import arm
from tests.checks_support import FIXTURES, own, principal_id, resource_id, run_data, show

Data = dict[str, Any]

AZUREML_DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
AZURE_AI_ADMINISTRATOR = "b78c5d69-af96-48a3-bf8d-a8b4d589de94"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
FOUNDRY_AGENT_CONSUMER = "eed3b665-ab3a-47b6-8f48-c9382fb1dad6"

RITA = arm.guid("people-checks:rita")
"""The person each test adds (display name "Rita Person")."""


def fixture(name: str) -> Data:
    data: Data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def add_person(data: Data, object_id: str = RITA, name: str = "Rita Person") -> str:
    data["principals"].append(
        arm.principal(object_id, "User", name, [], userPrincipalName="rita@contoso.com")
    )
    return object_id


def define(data: Data, role: str) -> None:
    """The tenant lists the definition of every role assigned in it."""
    known = {d["name"].lower() for d in data["roleDefinitions"]}
    if role.lower() in known:
        return
    if role.lower() == FOUNDRY_AGENT_CONSUMER:
        # Not in the tool's catalog: as Azure lists it (BuiltInRole, one data action).
        item = arm.custom_role(
            "Foundry Agent Consumer",
            data_actions=[
                "Microsoft.CognitiveServices/accounts/AIServices/endpoints/interact/action"
            ],
            role_id=FOUNDRY_AGENT_CONSUMER,
            scopes=["/"],
        )
        item["properties"]["type"] = "BuiltInRole"
    else:
        item = arm.builtin_role(role, arm.SUB)
    data["roleDefinitions"].append(item)


def grant(data: Data, scope: str, object_id: str, role: str, kind: str = "User") -> None:
    define(data, role)
    data["roleAssignments"].append(arm.role_assignment(scope, object_id, role, principal_type=kind))


def rid(data: Data, name: str) -> str:
    return resource_id(data, name)


def rg_of(data: Data) -> str:
    hub = rid(data, "hub-fixture")
    return hub.split("/providers/")[0]


def about(findings: list[Finding], object_id: str) -> list[Finding]:
    """The findings naming this principal, alone or among the affected principals."""
    return [
        f
        for f in findings
        if (f.principal is not None and f.principal.id == object_id)
        or any(a.id == object_id for a in f.affected_principals)
    ]


def check_findings(data: Data, check_id: str) -> list[Finding]:
    result = run_data(data)
    assert not result.check_errors, result.check_errors
    return own(result, check_id)


def statuses(findings: list[Finding]) -> set[Status]:
    return {f.status for f in findings}


# -- HUB001: project members see the hub -----------------------------------------------------------
def test_hub001_a_reader_of_the_project_is_warned_never_failed() -> None:
    """A Reader on the project (granted with the CLI, so no Reader on the hub) cannot open the
    project without seeing its hub: a warning for a read-only person, not a failure."""
    data = fixture("HUB001/pass")
    rita = add_person(data)
    grant(data, rid(data, "proj-alpha"), rita, arm.READER)
    mine = about(check_findings(data, "HUB001"), rita)
    assert statuses(mine) == {Status.WARN}, show(mine)
    [finding] = mine
    assert finding.cause is Cause.MISSING_ROLE
    assert finding.persona is not None and finding.persona.persona.value == "reader"
    assert finding.remediations and finding.remediations[0].role_definition_id == arm.READER


def test_hub001_asks_nothing_of_someone_who_cannot_open_the_project() -> None:
    """A data role at the resource group makes no one a project member who opens the project."""
    data = fixture("HUB001/pass")
    rita = add_person(data)
    grant(data, rg_of(data), rita, arm.STORAGE_BLOB_DATA_READER)
    assert not about(check_findings(data, "HUB001"), rita)


def test_hub001_a_builder_at_the_resource_group_is_a_project_member() -> None:
    """Azure AI Developer at the resource group reaches the project but grants workspaces/*/read,
    not workspaces/read on the hub: a builder who fails, where members() never counted them."""
    data = fixture("HUB001/pass")
    rita = add_person(data)
    grant(data, rg_of(data), rita, arm.AZURE_AI_DEVELOPER)
    mine = about(check_findings(data, "HUB001"), rita)
    assert statuses(mine) == {Status.FAIL}, show(mine)
    assert mine[0].persona is not None and mine[0].persona.persona.value == "builder"


def test_hub001_an_administrator_is_warned() -> None:
    """User Access Administrator on the project manages it (grants access) and reads only the
    project: a warning, not a failure."""
    data = fixture("HUB001/pass")
    rita = add_person(data)
    grant(data, rid(data, "proj-alpha"), rita, USER_ACCESS_ADMINISTRATOR)
    mine = about(check_findings(data, "HUB001"), rita)
    assert statuses(mine) == {Status.WARN}, show(mine)


def test_hub001_never_fails_a_service_identity() -> None:
    """The hub's managed identity holding AzureML Data Scientist on the project is a service
    identity, not a member the portal would give Reader on the hub."""
    data = fixture("HUB001/pass")
    hub_mi = principal_id(data, "hub-fixture")
    grant(data, rid(data, "proj-alpha"), hub_mi, AZUREML_DATA_SCIENTIST, "ServicePrincipal")
    assert not about(check_findings(data, "HUB001"), hub_mi)


def test_hub001_one_finding_per_person_and_hub_across_projects() -> None:
    """A builder through the hub is a builder of each of its projects, and misses one grant."""
    data = fixture("HUB001/pass")
    project = next(r for r in data["resources"] if r["name"] == "proj-alpha")
    second = json.loads(json.dumps(project).replace("proj-alpha", "proj-beta"))
    second["identity"]["principalId"] = arm.guid("people-checks:proj-beta")
    data["resources"].append(second)
    rita = add_person(data)
    grant(data, rid(data, "hub-fixture"), rita, arm.AZURE_AI_DEVELOPER)
    mine = about(check_findings(data, "HUB001"), rita)
    assert len(mine) == 1 and mine[0].status is Status.FAIL, show(mine)


# -- HUB002: project members deploy ----------------------------------------------------------------
def test_hub002_asks_nothing_of_a_reader() -> None:
    data = fixture("HUB002/pass")
    rita = add_person(data)
    grant(data, rid(data, "proj-alpha"), rita, arm.READER)
    grant(data, rid(data, "hub-fixture"), rita, arm.READER)
    assert not about(check_findings(data, "HUB002"), rita)


def test_hub002_asks_nothing_of_an_administrator() -> None:
    """Azure AI Administrator on the hub administers its projects; deploying models from a
    project is a builder's work, and administrators at the resource group hold it anyway."""
    data = fixture("HUB002/pass")
    rita = add_person(data)
    grant(data, rid(data, "hub-fixture"), rita, AZURE_AI_ADMINISTRATOR)
    assert not about(check_findings(data, "HUB002"), rita)


def test_hub002_a_builder_through_the_hub_fails_at_the_resource_group() -> None:
    """Azure AI Developer on the hub makes a builder of its projects; its deployments/* is held
    at the hub, not on the resource group a deployment is created in."""
    data = fixture("HUB002/pass")
    rita = add_person(data)
    grant(data, rid(data, "hub-fixture"), rita, arm.AZURE_AI_DEVELOPER)
    mine = about(check_findings(data, "HUB002"), rita)
    assert statuses(mine) == {Status.FAIL}, show(mine)
    fix = mine[0].remediations[0]
    assert fix.role_definition_id == arm.AI_INFERENCE_DEPLOYMENT_OPERATOR
    assert (fix.scope or "").lower() == rg_of(data).lower()


def test_hub002_a_builder_at_the_resource_group_deploys() -> None:
    data = fixture("HUB002/pass")
    rita = add_person(data)
    grant(data, rg_of(data), rita, arm.AZURE_AI_DEVELOPER)
    assert not about(check_findings(data, "HUB002"), rita)


# -- HUB003: hub builders create projects ----------------------------------------------------------
def _compute_operator(data: Data) -> str:
    definition = next(
        d for d in data["roleDefinitions"] if d["properties"]["roleName"] == "Hub Compute Operator"
    )
    return str(definition["name"])


def test_hub003_a_builder_at_the_resource_group_is_a_hub_builder() -> None:
    """The lead's working role (compute and connections, no hubs/join) held at the resource
    group reaches the hub: a warning, where only assignments on the hub itself counted."""
    data = fixture("HUB003/pass")
    role = _compute_operator(data)
    rita = add_person(data)
    grant(data, rg_of(data), rita, role)
    mine = about(check_findings(data, "HUB003"), rita)
    assert statuses(mine) == {Status.WARN}, show(mine)


def test_hub003_asks_nothing_of_a_reader_or_a_service_identity() -> None:
    data = fixture("HUB003/pass")
    role = _compute_operator(data)
    rita = add_person(data)
    grant(data, rid(data, "hub-fixture"), rita, arm.READER)
    project_mi = principal_id(data, "proj-alpha")
    grant(data, rid(data, "hub-fixture"), project_mi, role, "ServicePrincipal")
    mine = check_findings(data, "HUB003")
    assert not about(mine, rita), show(mine)
    assert not about(mine, project_mi), show(mine)


# -- PFL001: prompt flow on identity-based storage
def test_pfl001_asks_nothing_of_a_reader() -> None:
    data = fixture("PFL001/pass")
    rita = add_person(data)
    grant(data, rid(data, "proj-alpha"), rita, arm.READER)
    grant(data, rid(data, "hub-fixture"), rita, arm.READER)
    assert not about(check_findings(data, "PFL001"), rita)


def test_pfl001_an_administrator_is_warned() -> None:
    data = fixture("PFL001/pass")
    rita = add_person(data)
    grant(data, rg_of(data), rita, arm.CONTRIBUTOR)
    mine = about(check_findings(data, "PFL001"), rita)
    assert mine and statuses(mine) == {Status.WARN}, show(mine)
    assert all("cannot use it with Entra ID" in f.message for f in mine)


def test_pfl001_a_builder_at_the_resource_group_fails() -> None:
    data = fixture("PFL001/pass")
    rita = add_person(data)
    grant(data, rg_of(data), rita, arm.AZURE_AI_DEVELOPER)
    mine = about(check_findings(data, "PFL001"), rita)
    assert statuses(mine) == {Status.FAIL}, show(mine)
    roles = {f.remediations[0].role_definition_id for f in mine}
    assert roles == {
        arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
        arm.STORAGE_BLOB_DATA_CONTRIBUTOR,
    }


# -- FDY001: Foundry project build and run
def test_fdy001_no_failure_for_an_account_owner_a_reader_or_an_agent_consumer() -> None:
    data = fixture("FDY001/pass")
    owner = add_person(data, arm.guid("people-checks:owner"), "Olga Owner")
    reader = add_person(data, arm.guid("people-checks:reader"), "Rudi Reader")
    consumer = add_person(data, arm.guid("people-checks:consumer"), "Cora Consumer")
    project = rid(data, "fproj-agents")
    grant(data, rid(data, "ais-foundry"), owner, arm.FOUNDRY_ACCOUNT_OWNER)
    grant(data, project, reader, arm.READER)
    grant(data, project, consumer, FOUNDRY_AGENT_CONSUMER)
    mine = check_findings(data, "FDY001")
    assert Status.FAIL not in statuses(about(mine, owner)), show(mine)
    assert not about(mine, reader), show(mine)
    assert not about(mine, consumer), show(mine)


def test_fdy001_azure_ai_developer_is_the_wrong_role_on_a_foundry_project() -> None:
    """The hub-era Azure AI Developer grants accounts/OpenAI/* data actions but none of
    accounts/AIServices/* (agents): a builder holding only it fails, told so, with Foundry User
    as the fix."""
    data = fixture("FDY001/pass")
    rita = add_person(data)
    grant(data, rid(data, "fproj-agents"), rita, arm.AZURE_AI_DEVELOPER)
    mine = about(check_findings(data, "FDY001"), rita)
    assert statuses(mine) == {Status.FAIL}, show(mine)
    [finding] = mine
    assert "Azure AI Developer" in finding.message
    assert "Foundry User" in finding.message
    assert "AIServices" in finding.message
    assert finding.remediations[0].role_definition_id == arm.FOUNDRY_USER


def test_fdy001_cognitive_services_user_builds_like_foundry_user() -> None:
    """Cognitive Services User and Foundry User carry the same Microsoft.CognitiveServices/*
    data actions."""
    data = fixture("FDY001/pass")
    rita = add_person(data)
    grant(data, rid(data, "ais-foundry"), rita, arm.COGNITIVE_SERVICES_USER)
    assert not about(check_findings(data, "FDY001"), rita)


def test_fdy001_never_says_the_cognitive_services_roles_lack_the_data_actions() -> None:
    """Its docstring and the error text it explains used to say "the Cognitive Services roles do
    not grant Foundry data actions", which Cognitive Services User does."""
    info = check_info("FDY001")
    texts = [*info.sections.values(), *(f"{e.cause} {e.fix}" for e in info.explains)]
    for text in texts:
        flat = " ".join(text.split())
        assert "Cognitive Services roles do not" not in flat, flat
    mentions = " ".join(texts)
    assert "Cognitive Services User" in mentions and "identical" in mentions


def test_fdy001_the_project_identity_still_needs_foundry_user() -> None:
    data = fixture("FDY001/fail-project-identity")
    identity = principal_id(data, "fproj-agents")
    mine = about(check_findings(data, "FDY001"), identity)
    assert statuses(mine) == {Status.FAIL}, show(mine)
    assert mine[0].remediations[0].role_definition_id == arm.FOUNDRY_USER


# -- every check says who needs it
def check_info(check_id: str) -> CheckInfo:
    found, errors = load_checks()
    assert not errors, errors
    return next(c for c in found if c.id == check_id)


def test_each_check_says_who_needs_it() -> None:
    for check_id in ("HUB001", "HUB002", "HUB003", "PFL001", "FDY001"):
        who = " ".join(check_info(check_id).sections.get("Who needs it", "").split())
        assert who, f"{check_id} has no 'Who needs it' section"
        for persona in ("builder", "reader", "administrator"):
            assert persona in who, f"{check_id}: 'Who needs it' does not say what of {persona}s"
