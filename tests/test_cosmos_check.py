"""AGT002 and the Cosmos DB SQL role assignment fix end to end: the finding on the Cosmos DB
account, its fix in every language and in every whole-plan export, its proof (verified only
when the Cosmos DB evaluator says granted), the whole-plan check applying it, and `diagnose
explain` of the agent run's 403."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from diagnose.app import InputLimits, SnapshotSource, diagnose, export_plan, write_plan
from diagnose.engine.api import Remediation, RemediationKind, Status
from diagnose.explain.explain import explain_error
from diagnose.model.model import Model
from diagnose.rbac.decision import Outcome
from diagnose.remediation.commands import commands_for
from diagnose.remediation.export import EXPORTS
from diagnose.remediation.fixes import classify
from diagnose.remediation.proof import prove_cosmos
from diagnose.remediation.whole_plan import apply, unprovable_reason
from diagnose.snapshot import load_snapshot, parse_snapshot
from tests import arm
from tests.checks_support import own, run_data
from tests.test_fix_plan_export import _item, check_builds, every_step_once, terraform_addresses

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "checks" / "AGT002"
SUB = "00000000-1111-2222-3333-444444444444"
ACCOUNT = (
    f"/subscriptions/{SUB}/resourceGroups/rg-ai-fixtures/providers/Microsoft.DocumentDB/"
    "databaseAccounts/cosmos-agents"
)
MEMORY = f"{ACCOUNT}/dbs/enterprise_memory"
DB = "Microsoft.DocumentDB/databaseAccounts"


def data_of(variant: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{variant}.json").read_text(encoding="utf-8"))


def project_identity(data: dict[str, Any]) -> str:
    return next(p["id"] for p in data["principals"] if p["displayName"] == "fproj-agents")


def finding_of(variant: str):
    [finding] = own(run_data(data_of(variant)), "AGT002")
    return finding


# -- the finding ---------------------------------------------------------------------------------
def test_the_finding_is_on_the_cosmos_account_and_names_the_identity_and_the_database():
    finding = finding_of("fail")
    assert finding.status is Status.FAIL and finding.resource == ACCOUNT
    assert finding.principal is not None and finding.principal.id == project_identity(
        data_of("fail")
    )
    assert "enterprise_memory" in finding.message and "disableLocalAuth" in finding.message
    assert finding.details["scope"] == MEMORY
    [fix] = finding.remediations
    assert fix.kind == RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT and fix.verified
    assert fix.role_definition_id == f"{ACCOUNT}/sqlRoleDefinitions/{arm.COSMOS_DATA_CONTRIBUTOR}"
    assert (fix.scope, fix.resource) == (MEMORY, ACCOUNT)
    # The Cosmos evaluator's decisions are the finding's evidence, as a requirement's are.
    assert finding.evidence and all(d.decision.value == "denied" for d in finding.evidence)
    assert {d.scope for d in finding.evidence} == {MEMORY}


def test_a_grant_to_a_group_of_the_identity_counts():
    data = data_of("fail")
    group = arm.guid("agt002:group")
    data["principals"].append(arm.principal(group, "Group", "grp-agent-identities", []))
    mi = project_identity(data)
    next(p for p in data["principals"] if p["id"] == mi)["memberOf"] = [group]
    data["resources"].append(
        arm.cosmos_sql_role_assignment(ACCOUNT, group, arm.COSMOS_DATA_CONTRIBUTOR, MEMORY)
    )
    assert not own(run_data(data), "AGT002")


def test_the_reader_role_is_not_enough_and_the_finding_says_how_close_it_came():
    data = data_of("fail")
    mi = project_identity(data)
    data["resources"].append(
        arm.cosmos_sql_role_assignment(ACCOUNT, mi, arm.COSMOS_DATA_READER, MEMORY)
    )
    finding = finding_of_data(data)
    assert finding.status is Status.FAIL
    missing = finding.message.split(" grants it ", 1)[1].split(" there.", 1)[0].split(", ")
    assert missing == [
        f"sqlDatabases/containers/items/{verb}"
        for verb in ("create", "replace", "upsert", "delete")
    ]
    assert "Cosmos DB Built-in Data Reader grants" in finding.message


def finding_of_data(data: dict[str, Any]):
    [finding] = own(run_data(data), "AGT002")
    return finding


def test_the_projects_connection_comes_before_the_accounts_of_the_same_name():
    """The project's own connection named by its capability host is the one used; an account
    connection of the same name (to another, ungranted account) is not asked about."""
    data = data_of("pass")
    other = ACCOUNT.replace("cosmos-agents", "cosmos-other")
    data["resources"].append(arm.cosmos_account(other))
    data["resources"] += arm.cosmos_builtin_definitions(other)
    project_link = next(r for r in data["resources"] if r["name"] == "conn-cosmos-agents")
    account_link = copy.deepcopy(project_link)
    foundry = ACCOUNT.replace(
        "Microsoft.DocumentDB/databaseAccounts/cosmos-agents",
        "Microsoft.CognitiveServices/accounts/ais-foundry",
    )
    account_link["id"] = f"{foundry}/connections/conn-cosmos-agents"
    account_link["type"] = "Microsoft.CognitiveServices/accounts/connections"
    account_link["properties"]["metadata"]["ResourceId"] = other
    account_link["properties"]["target"] = "https://cosmos-other.documents.azure.com:443/"
    data["resources"].append(account_link)
    assert not own(run_data(data), "AGT002")
    # without the project's own connection, the account's is the one: not granted there
    data["resources"].remove(project_link)
    finding = finding_of_data(data)
    assert finding.status is Status.FAIL and finding.resource == other


def test_nothing_is_said_without_an_identity_or_a_capability_host():
    data = data_of("fail")
    project = next(r for r in data["resources"] if r["name"] == "fproj-agents")
    project.pop("identity")
    assert not own(run_data(data), "AGT002")
    data = data_of("fail")
    data["resources"] = [r for r in data["resources"] if "capabilityHosts" not in r["id"]]
    assert not own(run_data(data), "AGT002")


def test_an_account_the_snapshot_lacks_is_unknown():
    data = data_of("fail")
    data["resources"] = [
        r for r in data["resources"] if not r["id"].lower().startswith(ACCOUNT.lower())
    ]
    finding = finding_of_data(data)
    assert finding.status is Status.UNKNOWN and finding.resource == ACCOUNT
    assert not finding.remediations


# -- the proof: verified only when the Cosmos DB evaluator says granted ---------------------------
def cosmos_fix(principal: str, role: str, scope: str = MEMORY, **extra: Any) -> Remediation:
    return Remediation(
        kind=RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT,
        summary="Assign a Cosmos DB SQL role",
        principal_id=principal,
        principal_type="ServicePrincipal",
        role_definition_id=role,
        role_name=None,
        scope=scope,
        resource=ACCOUNT,
        value={
            "dataActions": [f"{DB}/readMetadata", f"{DB}/sqlDatabases/containers/items/create"],
            "neededAt": MEMORY,
        },
        **extra,
    )


def test_the_proof_needs_every_data_action_granted():
    model = Model(load_snapshot(FIXTURES / "fail.json"))
    mi = project_identity(model.snapshot.data)
    never = lambda patched: False  # noqa: E731 (the check itself would no longer report it)
    assert prove_cosmos(model, cosmos_fix(mi, arm.COSMOS_DATA_CONTRIBUTOR), never)
    assert prove_cosmos(model, cosmos_fix(mi, arm.COSMOS_DATA_CONTRIBUTOR, "/"), never)
    assert not prove_cosmos(model, cosmos_fix(mi, arm.COSMOS_DATA_READER), never)
    assert not prove_cosmos(
        model,
        cosmos_fix(mi, arm.COSMOS_DATA_CONTRIBUTOR, f"{ACCOUNT}/dbs/enterprise_memory2"),
        never,
    )
    assert not prove_cosmos(model, cosmos_fix(mi, arm.COSMOS_DATA_CONTRIBUTOR), lambda p: True)
    assert not prove_cosmos(
        model, dataclasses.replace(cosmos_fix(mi, arm.COSMOS_DATA_CONTRIBUTOR), value=None), never
    )


def test_where_the_assignments_were_not_read_the_finding_is_unknown_without_a_fix():
    """Nothing says the grant is missing, so nothing is proposed (a fix there would be a
    guess); a grant the copy holds is still a grant, whatever else could not be read."""
    found = finding_of("unknown-assignments-not-read")
    assert found.status is Status.UNKNOWN and not found.remediations
    model = Model(load_snapshot(FIXTURES / "unknown-assignments-not-read.json"))
    mi = project_identity(model.snapshot.data)
    assert prove_cosmos(model, cosmos_fix(mi, arm.COSMOS_DATA_CONTRIBUTOR), lambda p: False)
    assert not prove_cosmos(model, cosmos_fix(mi, arm.COSMOS_DATA_READER), lambda p: False)


def test_the_whole_plan_applies_the_assignment_as_a_child_of_the_account():
    model = Model(load_snapshot(FIXTURES / "fail.json"))
    mi = project_identity(model.snapshot.data)
    fix = cosmos_fix(mi, arm.COSMOS_DATA_CONTRIBUTOR)
    assert unprovable_reason(model, fix) is None
    patched = apply(model, [fix])
    account = patched.cosmos.account(ACCOUNT)
    assert account is not None and [a.principal_id for a in account.assignments] == [mi]
    assert model.cosmos.account(ACCOUNT).assignments == ()  # type: ignore[union-attr]
    elsewhere = dataclasses.replace(
        fix, resource=ACCOUNT + "x", scope=ACCOUNT + "x/dbs/m", value={"dataActions": ["a"]}
    )
    assert "not in the snapshot" in (unprovable_reason(model, elsewhere) or "")
    assert "names no" in (unprovable_reason(model, dataclasses.replace(fix, scope=None)) or "")


def test_the_report_of_the_failing_fixture_verifies_the_plan_as_a_whole():
    diagnosis = diagnose(SnapshotSource(str(FIXTURES / "fail.json"), InputLimits()))
    [item] = [
        i
        for i in diagnosis.report.fix_plan
        if i.remediation.kind == RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT
    ]
    assert item.remediation.verified and "whole plan" in item.remediation.verification
    assert diagnosis.report.summary["planVerified"] is True


# -- the fix in every language ---------------------------------------------------------------------
def test_the_fix_in_every_language():
    mi = "11111111-2222-3333-4444-555555555555"
    commands = commands_for(cosmos_fix(mi, arm.COSMOS_DATA_CONTRIBUTOR, "/dbs/enterprise_memory"))
    cli = commands.azure_cli.splitlines()[-1]
    assert cli == (
        "az cosmosdb sql role assignment create --account-name 'cosmos-agents' "
        f"--resource-group 'rg-ai-fixtures' --subscription '{SUB}' "
        f"--scope '/dbs/enterprise_memory' --principal-id '{mi}' "
        f"--role-definition-id '{arm.COSMOS_DATA_CONTRIBUTOR}'"
    )
    assert commands.powershell.splitlines()[-1] == (
        "New-AzCosmosDBSqlRoleAssignment -AccountName 'cosmos-agents' -ResourceGroupName "
        f"'rg-ai-fixtures' -RoleDefinitionId '{arm.COSMOS_DATA_CONTRIBUTOR}' -Scope "
        f"'/dbs/enterprise_memory' -PrincipalId '{mi}'"
    )
    assert f"Set-AzContext -Subscription '{SUB}'" in commands.powershell
    bicep = commands.bicep
    assert "'Microsoft.DocumentDB/databaseAccounts@2024-11-15' existing" in bicep
    assert "'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = {" in bicep
    [account] = re.findall(r"^resource (target_\w+) ", bicep, re.MULTILINE)
    assert f"  parent: {account}\n" in bicep
    assert re.search(
        rf"name: guid\({account}\.id, '{mi}', '{arm.COSMOS_DATA_CONTRIBUTOR}', "
        r"'/dbs/enterprise_memory'\)",
        bicep,
    )
    assert f"    scope: '{MEMORY}'" in bicep
    terraform = commands.terraform
    assert 'resource "azurerm_cosmosdb_sql_role_assignment"' in terraform
    for line in (
        f'role_definition_id  = "{ACCOUNT}/sqlRoleDefinitions/{arm.COSMOS_DATA_CONTRIBUTOR}"',
        f'scope               = "{MEMORY}"',
        'account_name        = "cosmos-agents"',
        'resource_group_name = "rg-ai-fixtures"',
    ):
        assert line in terraform
    name = re.search(r'name\s+= "([0-9a-f-]{36})"', terraform)
    assert name is not None
    # the same change, written with the full path, is the same text (and the same name)
    assert commands_for(cosmos_fix(mi, arm.COSMOS_DATA_CONTRIBUTOR)).terraform == terraform


def test_values_from_the_snapshot_stay_data_in_every_language():
    hostile = "p'; rm -rf / #\n$(id)"
    commands = commands_for(cosmos_fix(hostile, arm.COSMOS_DATA_CONTRIBUTOR))
    assert "--principal-id $'p\\'; rm -rf / #\\x0a$(id)'" in commands.azure_cli
    assert "-PrincipalId ('p''; rm -rf / #' + [char]0x000A + '$(id)')" in commands.powershell
    assert "principalId: 'p\\'; rm -rf / #\\n$(id)'" in commands.bicep
    assert 'principal_id        = "p\'; rm -rf / #\\n$(id)"' in commands.terraform


def test_a_fix_that_is_no_cosmos_assignment_is_refused():
    mi = "11111111-2222-3333-4444-555555555555"
    search = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Search/searchServices/s"
    with pytest.raises(ValueError, match="Cosmos DB account"):
        classify(dataclasses.replace(cosmos_fix(mi, "r"), resource=search))
    with pytest.raises(ValueError, match="no path of"):
        classify(cosmos_fix(mi, "r", f"{ACCOUNT}x/dbs/enterprise_memory"))
    with pytest.raises(ValueError, match="needs resource"):
        classify(dataclasses.replace(cosmos_fix(mi, "r"), resource=None))


# -- the whole plan as one script or template ------------------------------------------------------
@pytest.mark.parametrize("language", EXPORTS)
def test_every_export_of_the_plan_runs_the_cosmos_assignment(language, tmp_path):
    diagnosis = diagnose(SnapshotSource(str(FIXTURES / "fail.json"), InputLimits()))
    plan = diagnosis.report.fix_plan
    export = export_plan(diagnosis, language)
    check_builds(language, export.text, tmp_path)
    every_step_once(plan, export.text, "//" if language == "bicep" else "#")
    assert export.runnable == len(plan) == 1
    code = "\n".join(ln for ln in export.text.splitlines() if not ln.startswith(("#", "//")))
    if language == "az":
        assert "az cosmosdb sql role assignment create" in code
    elif language == "powershell":
        assert export.text.startswith("#Requires -Modules Az.Accounts, Az.CosmosDB\n")
        assert "New-AzCosmosDBSqlRoleAssignment" in code
    elif language == "bicep":
        assert re.search(r"parent: target_cosmos_agents_\w+\n", code)
        assert re.search(r"name: guid\(target_cosmos_agents_\w+\.id, principal_\w+, ", code)
    else:
        [address] = [
            a
            for a in terraform_addresses(export.text)
            if a.startswith("azurerm_cosmosdb_sql_role_assignment.")
        ]
        assert address.endswith(plan[0].remediation.fix_id)
        assert "principal_id        = var.principal_" in code


def test_the_bicep_export_leaves_a_cosmos_account_of_another_group_to_its_own_template(tmp_path):
    mi = "11111111-2222-3333-4444-555555555555"
    search = (
        f"/subscriptions/{SUB}/resourceGroups/rg-other/providers/Microsoft.Search/searchServices/s"
    )

    def fix(remediation: Remediation) -> Remediation:
        remediation = dataclasses.replace(remediation, verified=True)
        return dataclasses.replace(remediation, commands=commands_for(remediation))

    grant = Remediation(
        RemediationKind.ROLE_ASSIGNMENT,
        "Assign Reader",
        principal_id=mi,
        principal_type="User",
        role_definition_id=arm.READER,
        scope=search,
    )
    plan = [
        _item(fix(grant), "X"),
        _item(fix(dataclasses.replace(grant, principal_id=arm.guid("b"))), "X"),
        _item(fix(cosmos_fix(mi, arm.COSMOS_DATA_CONTRIBUTOR)), "AGT002"),
    ]
    export = write_plan(plan, "bicep")
    check_builds("bicep", export.text, tmp_path)
    assert export.runnable == 2
    assert "its Cosmos DB account is outside this template's resource group" in export.text


# -- explain -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Request blocked by Auth cosmos-agents : principal [{mi}] does not have required RBAC "
        "permissions to perform action [Microsoft.DocumentDB/databaseAccounts/readMetadata] on "
        "resource [dbs/enterprise_memory]",
        "Run failed: Response status code does not indicate success: Forbidden (403); "
        "Substatus: 5301; Reason: (Request is blocked because principal [{mi}] does not have "
        "required RBAC permissions to perform action "
        "[Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/create] on "
        "resource [dbs/enterprise_memory/colls/thread-message-store].)",
    ],
)
def test_explain_names_the_identity_and_gives_the_cosmos_fix(text):
    snapshot = load_snapshot(FIXTURES / "fail.json")
    mi = project_identity(snapshot.data)
    explanation = explain_error(text.format(mi=mi), snapshot)
    assert explanation.pattern is not None and "Cosmos DB" in explanation.pattern.name
    assert explanation.pattern.checks == ("AGT002",)
    assert explanation.extracted["principal"] == mi
    if "Request blocked by Auth cosmos-agents" in text:
        # the account the message names is evaluated with its SQL role assignments (not Azure
        # RBAC), and the least built-in SQL role that grants the action is proven
        assert explanation.decision is not None
        assert explanation.decision.decision is Outcome.DENIED
        assert explanation.decision.scope.endswith("/cosmos-agents/dbs/enterprise_memory")
        assert explanation.finding is not None
        [fix] = explanation.finding.remediations
        assert fix.kind == RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT and fix.verified
    else:  # no account named: nothing is guessed
        assert explanation.decision is None and explanation.finding is None
    [finding] = explanation.related
    assert finding.check_id == "AGT002" and finding.principal.id == mi  # type: ignore[union-attr]
    assert finding.remediations[0].kind == RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT


def test_explain_recognises_the_substatus_alone():
    explanation = explain_error("Forbidden (403); Substatus: 5301", None)
    assert explanation.pattern is not None and "5301" in explanation.pattern.name


def test_the_fixture_snapshots_parse():
    for path in sorted(FIXTURES.glob("*.json")):
        parse_snapshot(copy.deepcopy(json.loads(path.read_text(encoding="utf-8"))), path.name)


def test_the_plan_says_who_can_write_the_cosmos_sql_role_assignment(capsys):
    from diagnose.cli import main

    fixture = FIXTURES / "fail.json"
    main(["--snapshot", str(fixture), "--json", "--select", "AGT002"])
    report = json.loads(capsys.readouterr().out)
    [step] = [p for p in report["fixPlan"] if p["remediation"]["kind"] == "cosmosSqlRoleAssignment"]
    assert (
        step["permissionNeeded"] == "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments/write"
    )


def test_two_fixes_on_databases_whose_names_differ_in_case_are_two_changes():
    fix = Remediation(
        kind=RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT,
        summary="",
        principal_id="p",
        role_definition_id="r",
        scope=f"{ACCOUNT}/dbs/Memory",
        resource=ACCOUNT,
    )
    other = dataclasses.replace(fix, scope=f"{ACCOUNT}/dbs/memory")
    assert fix.dedupe_key != other.dedupe_key and fix.fix_id != other.fix_id
