"""The hub scenarios of issue 14 beyond their fixtures (tests/test_checks_fixtures.py runs those):
managed-network endpoints (NET002), private hub storage (STG003), a hub using keys its storage
refuses (CFG004), the hub's identity on its resource group (IDN003), the customer-managed key's
vault (CMK004), tracing (INS002), and what the CON checks already do for connections
authenticated with a managed identity.

Each test builds on the healthy hub of scripts/make_check_fixtures.py (its `base`) and changes
the one thing the scenario is about. Role facts were checked against Azure's built-in role list
(the Azure AI Enterprise Network Connection Approver lists a separate approval action for
storage but none for Cognitive Services; Log Analytics Data Reader holds the table data action
and not analytics/query; Azure AI Administrator grants Storage, Key Vault, Cognitive Services,
Container Registry and Insights components writes), never read at test time.
"""

from __future__ import annotations

from typing import Any

from diagnose.arm import types
from diagnose.engine.api import Cause, Finding, RemediationKind, Status
from diagnose.engine.runner import RunResult
from tests import arm
from tests.checks_support import fixture_generator, own, run_snapshot, show, snapshot_of

GEN = fixture_generator()
HUB_MI, PROJECT_MI, ANA, GUS = GEN.HUB_MI, GEN.PROJECT_MI, GEN.ANA, GEN.GUS
APPROVER = "b556d68e-0be0-4f35-a333-ad7ee1ce17ea"
LOG_ANALYTICS_READER = "73c42c96-874c-492b-b04d-ab87d138a893"


def run(fixture: Any) -> RunResult:
    return run_snapshot(snapshot_of(fixture))


def findings(result: RunResult, check_id: str) -> list[Finding]:
    return own(result, check_id)


def only(result: RunResult, check_id: str) -> Finding:
    found = findings(result, check_id)
    assert len(found) == 1, show(found)
    return found[0]


# -- NET002: managed network private endpoints --------------------------------------------------
def test_storage_needs_the_approval_action_beside_the_write() -> None:
    """On storage, a role with privateEndpointConnections/write alone cannot approve: the
    provider has its own approval action (the approver role lists both)."""
    f = GEN.base(blob=True)
    f.props(GEN.HUB)["managedNetwork"] = {
        "isolationMode": "AllowInternetOutbound",
        "outboundRules": {
            "pe-data": {
                "type": "PrivateEndpoint",
                "destination": {"serviceResourceId": GEN.ST_DATA, "subresourceTarget": "blob"},
            }
        },
    }
    f.drop("hub-mi/rg/ai-administrator")
    f.grant("hub-mi/rg/contributor-free", GEN.RG, HUB_MI, arm.READER)
    role = f.define(
        arm.custom_role(
            "PE writer",
            actions=["Microsoft.Storage/storageAccounts/privateEndpointConnections/write"],
            role_id=arm.guid("hub-scenarios:pe-writer"),
        )
    )
    f.grant("hub-mi/stdata/pe-writer", GEN.ST_DATA, HUB_MI, role)
    finding = next(x for x in findings(run(f), "NET002") if x.status is Status.FAIL and x.principal)
    assert finding.principal is not None and finding.principal.id == HUB_MI
    assert "PrivateEndpointConnectionsApproval/action" in finding.message
    assert finding.remediations[0].role_definition_id == APPROVER


def test_cognitive_services_approves_with_the_write_alone() -> None:
    """Cognitive Services lists no approval action in the approver role: the write is enough,
    and the approver role itself passes there."""
    f = GEN.base(aoai=True)
    f.props(GEN.HUB)["managedNetwork"] = {
        "isolationMode": "AllowOnlyApprovedOutbound",
        "outboundRules": [
            {
                "name": "pe-aoai",
                "type": "PrivateEndpoint",
                "destination": {"serviceResourceId": GEN.AOAI, "subresourceTarget": "account"},
            }
        ],
    }
    f.drop("hub-mi/rg/ai-administrator")
    f.grant("hub-mi/aoai/approver", GEN.AOAI, HUB_MI, APPROVER)
    result = run(f)
    assert not findings(result, "NET002"), show(findings(result, "NET002"))
    assert result.requirements >= 1


def test_an_endpoint_connection_held_twice_is_reported_once() -> None:
    """A connection in resources[] and embedded in its target's properties is one connection."""
    f = GEN.base(aoai=True)
    GEN._managed_network(f, GEN.AOAI)
    GEN._endpoint_connection(f, GEN.AOAI, "pe-hub-fixture-aoai", "Pending")
    GEN._endpoint_connection(f, GEN.AOAI, "pe-hub-fixture-aoai", "Pending", embedded=True)
    finding = only(run(f), "NET002")
    assert finding.status is Status.FAIL and finding.cause is Cause.CONFIGURATION
    fix = finding.remediations[0]
    assert fix.kind is RemediationKind.CONFIGURATION and fix.verified, fix.verification
    assert fix.resource is not None and fix.resource.endswith("/pe-hub-fixture-aoai")


def test_a_rejected_connection_is_not_approved_again() -> None:
    f = GEN.base(aoai=True)
    GEN._managed_network(f, GEN.AOAI)
    GEN._endpoint_connection(f, GEN.AOAI, "pe-hub-fixture-aoai", "Disconnected")
    finding = only(run(f), "NET002")
    assert finding.status is Status.FAIL and not finding.remediations
    assert "provision the managed network again" in finding.message


def test_no_managed_network_asks_nothing_even_with_pending_connections() -> None:
    f = GEN.base(aoai=True)
    GEN._endpoint_connection(f, GEN.AOAI, "pe-someone-else", "Pending")
    assert not findings(run(f), "NET002")


# -- STG003: private hub storage --------------------------------------------------------------
def test_a_private_endpoint_the_snapshot_lacks_is_still_evaluated() -> None:
    """The collector does not read private endpoints: the project's identity is asked Reader on
    the endpoint's id all the same, from the storage's private endpoint connections."""
    f = GEN.base()
    GEN._private_hub_storage(f)
    f.remove(GEN.PE_ST_HUB)
    f.drop("project-mi/pe-sthub/reader")
    finding = only(run(f), "STG003")
    assert finding.status is Status.FAIL and finding.principal is not None
    assert finding.principal.id == PROJECT_MI
    assert finding.resource.lower() == GEN.PE_ST_HUB.lower()
    fix = finding.remediations[0]
    assert fix.role_definition_id == arm.READER and fix.verified, fix.verification


def test_stg003_does_not_ask_the_file_role_stg001_asks() -> None:
    """Identity-based hub storage with public access disabled: STG001 asks the project's
    identity the file role; STG003 asks only Reader on the endpoint, so one finding, not two."""
    f = GEN.base(identity_storage=True)
    GEN._private_hub_storage(f, files=False)
    result = run(f)
    assert [x.check_id for x in result.findings if x.principal and x.principal.id == PROJECT_MI]
    assert not findings(result, "STG003"), show(findings(result, "STG003"))
    stg001 = only(result, "STG001")
    assert stg001.principal is not None and stg001.principal.id == PROJECT_MI


def test_a_public_storage_that_only_denies_by_default_without_endpoints_is_not_private() -> None:
    f = GEN.base()
    f.props(GEN.ST_HUB)["networkAcls"]["defaultAction"] = "Deny"
    f.props(GEN.ST_HUB)["privateEndpointConnections"] = []
    assert not findings(run(f), "STG003")


def test_developers_read_private_hub_storage_through_an_entra_id_connection() -> None:
    """The developers' Storage Blob Data Reader on private hub storage is asked through the
    Entra ID connection to it: CON003 asks it of the builder (a failure), STG003 does not ask
    it again, and a reader of the project is asked nothing."""
    f = GEN.base()
    GEN._private_hub_storage(f)
    f.add(
        GEN.connection(
            GEN.PROJECT,
            "conn-hub-blob",
            "AzureBlob",
            "AAD",
            "https://sthubfixture.blob.core.windows.net/data",
            GEN.ST_HUB,
            AccountName="sthubfixture",
            ContainerName="data",
        )
    )
    f.user(GUS)
    f.grant("gus/project/reader", GEN.PROJECT, GUS, arm.READER)
    result = run(f)
    con003 = [
        x
        for x in findings(result, "CON003")
        if x.resource.lower() == GEN.ST_HUB.lower() and x.status is Status.FAIL
    ]
    assert len(con003) == 1, show(con003)
    assert con003[0].principal is not None and con003[0].principal.id == ANA
    assert con003[0].remediations[0].role_definition_id == arm.STORAGE_BLOB_DATA_READER
    assert not findings(result, "STG003")
    assert not [
        x
        for x in result.findings
        if x.check_id in ("CON003", "STG003") and any(a.id == GUS for a in x.affected_principals)
    ]


# -- CFG004: keys refused while the hub uses keys ----------------------------------------------
def test_the_identity_mode_fix_moves_the_need_onto_stg001_and_pfl001() -> None:
    """Once the hub uses identity mode, CFG004 is silent and the roles that mode needs are
    asked by STG001 (the hub's identity) and PFL001 (the builder), never by re-enabling keys."""
    f = GEN.base()
    f.props(GEN.ST_HUB)["allowSharedKeyAccess"] = False
    finding = only(run(f), "CFG004")
    assert [r.setting for r in finding.remediations] == ["properties.systemDatastoresAuthMode"]
    assert "allowSharedKeyAccess true" not in finding.message
    f.props(GEN.HUB)["systemDatastoresAuthMode"] = "identity"
    after = run(f)
    assert not findings(after, "CFG004")
    assert {x.principal.id for x in findings(after, "STG001") if x.principal} == {HUB_MI}
    assert ANA in {x.principal.id for x in findings(after, "PFL001") if x.principal}


def test_a_hub_storage_that_accepts_keys_is_no_problem_in_key_mode() -> None:
    assert not findings(run(GEN.base()), "CFG004")


# -- IDN003: the hub's identity on its resource group -------------------------------------------
def test_the_message_says_which_role_azure_assigned_by_the_hubs_age() -> None:
    f = GEN.base()
    f.drop("hub-mi/rg/ai-administrator")
    f.get(GEN.HUB)["systemData"] = {"createdAt": "2024-03-05T10:00:00Z"}
    assert "Azure assigned it Contributor there" in only(run(f), "IDN003").message
    f.get(GEN.HUB)["systemData"] = {"createdAt": "2025-02-01T10:00:00Z"}
    finding = only(run(f), "IDN003")
    assert "Azure assigned it Azure AI Administrator there" in finding.message
    assert finding.remediations[0].role_definition_id == GEN.AZURE_AI_ADMINISTRATOR


def test_a_role_without_the_writes_is_not_enough_whatever_its_name() -> None:
    """Actions are evaluated, not names: a custom role named 'Azure AI Administrator' with only
    reads fails."""
    f = GEN.base()
    f.drop("hub-mi/rg/ai-administrator")
    fake = f.define(
        arm.custom_role(
            "Azure AI Administrator",
            actions=["*/read"],
            role_id=arm.guid("hub-scenarios:fake-admin"),
        )
    )
    f.grant("hub-mi/rg/fake", GEN.RG, HUB_MI, fake)
    assert only(run(f), "IDN003").status is Status.FAIL


def test_a_user_assigned_identity_is_told_it_needs_the_grant_explicitly() -> None:
    fixture = GEN._idn003_fail_user_assigned()
    finding = only(run(fixture), "IDN003")
    assert finding.principal is not None and finding.principal.id == GEN.UAMI_MI
    assert "explicitly" in finding.message


# -- CMK004: the key vault's prerequisites -----------------------------------------------------
def test_both_missing_settings_are_one_finding_with_a_fix_each_soft_delete_first() -> None:
    """Purge protection needs soft delete: one finding for the vault, its fixes in that order;
    neither alone clears it, so neither claims to."""
    f = GEN.base(cmk=True)
    f.props(GEN.KV_CMK)["enableSoftDelete"] = False
    del f.props(GEN.KV_CMK)["enablePurgeProtection"]
    finding = only(run(f), "CMK004")
    assert [r.setting for r in finding.remediations] == [
        "properties.enableSoftDelete",
        "properties.enablePurgeProtection",
    ]
    assert not any(r.verified for r in finding.remediations)
    assert "cannot be turned off" in finding.message


def test_one_missing_setting_has_a_proven_fix() -> None:
    f = GEN.base(cmk=True)
    f.props(GEN.KV_CMK)["enablePurgeProtection"] = False
    finding = only(run(f), "CMK004")
    assert [(r.setting, r.value, r.verified) for r in finding.remediations] == [
        ("properties.enablePurgeProtection", True, True)
    ]


def test_no_customer_managed_key_asks_nothing_of_the_vault() -> None:
    f = GEN.base(cmk=True)
    f.props(GEN.KV_CMK)["enablePurgeProtection"] = False
    f.props(GEN.HUB)["encryption"]["status"] = "Disabled"
    assert not findings(run(f), "CMK004")


# -- INS002: tracing ----------------------------------------------------------------------------
def test_without_a_tracing_connection_nobody_is_asked() -> None:
    """Tracing is optional: a hub's own Application Insights (every hub has one) asks nothing
    until a project sends traces to it (an AppInsights connection)."""
    f = GEN._tracing()
    f.remove(f"{GEN.PROJECT}/connections/conn-appinsights")
    f.drop("ana/appi/log-analytics-reader", "ana/law/log-analytics-reader")
    f.drop("project-mi/appi/reader")
    assert not findings(run(f), "INS002")


def test_tracing_gaps_are_warnings_never_failures() -> None:
    f = GEN._tracing()
    f.drop("ana/appi/log-analytics-reader", "ana/law/log-analytics-reader")
    f.drop("project-mi/appi/reader")
    found = findings(run(f), "INS002")
    assert len(found) == 3 and {x.status for x in found} == {Status.WARN}, show(found)


def test_an_administrator_is_not_asked_to_view_traces() -> None:
    """Only builders view traces: Contributor on the resource group (an administrator of the
    project) without Log Analytics roles gets nothing."""
    f = GEN._tracing()
    f.user(GUS)
    f.grant("gus/rg/contributor", GEN.RG, GUS, arm.CONTRIBUTOR)
    assert not [x for x in findings(run(f), "INS002") if x.principal and x.principal.id == GUS]


def test_a_component_without_its_workspace_id_is_unknown_for_the_workspace() -> None:
    f = GEN._tracing()
    del f.props(GEN.APPI)["WorkspaceResourceId"]
    found = findings(run(f), "INS002")
    assert [(x.status, x.cause) for x in found] == [(Status.UNKNOWN, Cause.UNREADABLE)], show(found)


def test_a_shared_hub_connection_asks_the_projects_identity() -> None:
    f = GEN._tracing()
    connection = f.get(f"{GEN.PROJECT}/connections/conn-appinsights")
    f.remove(connection["id"])
    hub_connection = GEN.connection(
        GEN.HUB, "conn-appinsights", "AppInsights", "ApiKey", GEN.APPI, GEN.APPI, shared=True
    )
    f.add(hub_connection)
    f.drop("project-mi/appi/reader")
    found = [x for x in findings(run(f), "INS002") if x.principal and x.principal.id == PROJECT_MI]
    assert [x.status for x in found] == [Status.WARN], show(found)
    assert found[0].remediations[0].role_definition_id == arm.READER


def test_the_log_analytics_workspace_type_has_its_canonical_name() -> None:
    assert types.LOG_ANALYTICS_WORKSPACE == "microsoft.operationalinsights/workspaces"
    assert types.canonical(types.LOG_ANALYTICS_WORKSPACE) == (
        "Microsoft.OperationalInsights/workspaces"
    )


# -- connections authenticated with a managed identity (CON001-CON003, not changed here) --------
def test_a_managed_identity_connection_asks_its_identity_not_the_people() -> None:
    """What exists: a ManagedIdentity blob connection naming a user-assigned identity
    (credentials.resourceId) asks that identity for the blob data role, says so in the finding,
    and asks nothing of the project's builder."""
    f = GEN.base(blob=True, uami=True)
    blob = f.get(f"{GEN.PROJECT}/connections/conn-blob")
    blob["properties"]["authType"] = "ManagedIdentity"
    blob["properties"]["credentials"] = {"resourceId": GEN.UAMI, "clientId": "x"}
    f.drop("ana/blob/data")
    found = findings(run(f), "CON003")
    assert found, "CON003 asks the connection's identity"
    assert {x.principal.id for x in found if x.principal} == {GEN.UAMI_MI}, show(found)
    assert all("credentials.resourceId" in x.message for x in found), show(found)
    failing = [x for x in found if x.status is Status.FAIL]
    assert failing and failing[0].remediations[0].role_definition_id in {
        arm.STORAGE_BLOB_DATA_READER,
        arm.STORAGE_BLOB_DATA_CONTRIBUTOR,
    }


def test_a_managed_identity_connection_naming_no_identity_asks_the_workspace_identity() -> None:
    """CON001's fail-managed-identity fixture: the project's identity calls, and the finding
    says it is the identity of the workspace that owns the connection."""
    import json

    from tests.checks_support import FIXTURES, run_data

    data = json.loads(
        (FIXTURES / "CON001" / "fail-managed-identity.json").read_text(encoding="utf-8")
    )
    found = [x for x in findings(run_data(data), "CON001") if x.status is Status.FAIL]
    assert [x.principal.id for x in found if x.principal] == [PROJECT_MI], show(found)
    assert "the identity of the workspace that owns it" in found[0].message
