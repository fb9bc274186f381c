"""Who the connection checks (CON001-CON003) ask for data roles, run through the real engine
(GUIDE section 4, "people are not all builders"; issue 11, "Connection users"):

- the users of a project's connection are its builders, those of a hub connection the
  builders of the hub and of the projects it is shared with (isSharedToAll, sharedUserList);
  the hub Reader the portal adds does not make anyone a user;
- a builder missing a read data role fails, an administrator gets a warning, a reader nothing;
- a ManagedIdentity connection asks the identity it names (or the owning workspace's), a
  service identity, never merged with people; a key connection asks nobody;
- people missing the same grant share one finding (diagnose.engine.shared).

Scenarios are the fixture generator's healthy hub (scripts/make_check_fixtures.py `base`) with
one change each.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

from diagnose.checks._people import ADMINISTRATOR_NOTE
from diagnose.engine.api import Cause, Finding, PrincipalRef, Status
from diagnose.engine.personas import Persona
from diagnose.engine.runner import RunResult
from diagnose.secrets import scrub_json
from diagnose.snapshot import parse_snapshot
from tests import arm
from tests.checks_support import (
    Expect,
    all_checks,
    apply_fix,
    fixture_generator,
    is_key_path_warning,
    matching,
    names,
    run_snapshot,
    show,
    snapshot_of,
    without_key_paths,
)

G = fixture_generator()
ANA, GUS, PROJECT_MI, UAMI_MI = G.ANA, G.GUS, G.PROJECT_MI, G.UAMI_MI
OTHER = G.pid("test:other")
GRP_OUTER, GRP_INNER = G.pid("test:grp-outer"), G.pid("test:grp-inner")
CONN_AOAI = f"{G.PROJECT}/connections/conn-aoai"
SPEECH = G.account_id("speech-fixture")


# -- helpers -------------------------------------------------------------------------------------
def run(fixture: Any, *check_ids: str) -> tuple[RunResult, list[Finding], dict[str, Any]]:
    """The checks (CON001 by default) alone on a scenario: the result, their findings, and the
    snapshot document (to apply fixes to)."""
    data = fixture.build("TEST", "test", "a test scenario")
    wanted = set(check_ids or ("CON001",))
    checks = tuple(c for c in all_checks() if c.id in wanted)
    result = run_snapshot(parse_snapshot(copy.deepcopy(data), "<test>"), checks)
    assert not result.check_errors, result.check_errors
    return result, list(result.findings), data


def about(findings: list[Finding], principal_id: str) -> list[Finding]:
    return [f for f in findings if names(f, principal_id)]


def user(fixture: Any, object_id: str, name: str, *member_of: str) -> None:
    fixture.principals[object_id] = arm.principal(
        object_id, "User", name, list(member_of), userPrincipalName=f"{name}@contoso.com"
    )


def group(fixture: Any, object_id: str, name: str, *member_of: str) -> None:
    fixture.principals[object_id] = arm.principal(object_id, "Group", name, list(member_of))


def gus(fixture: Any, *member_of: str) -> None:
    fixture.user(GUS, list(member_of))


def fixes_clear(data: dict[str, Any], findings: list[Finding], check_id: str) -> None:
    """Applying every fix of the findings, as Azure would hold it, leaves the check silent (but
    for a key-path warning, which has no fix)."""
    fixed = copy.deepcopy(data)
    for finding in findings:
        for fix in finding.remediations:
            apply_fix(fixed, fix)
    info = next(c for c in all_checks() if c.id == check_id)
    after = run_snapshot(parse_snapshot(fixed, "<fixed>"), (info,))
    left = without_key_paths(list(after.findings))
    assert not left, show(left)


def hub_connection(fixture: Any, *, shared: bool, listed: list[str] | None = None) -> None:
    """Move the Azure OpenAI connection from the project to the hub (or change it there)."""
    for parent in (G.PROJECT, G.HUB):
        fixture.resources.pop(f"{parent}/connections/conn-aoai".lower(), None)
    item = G.connection(
        G.HUB, "conn-aoai", "AzureOpenAI", "AAD", "https://aoai-chat.openai.azure.com/", G.AOAI
    )
    item["properties"]["isSharedToAll"] = shared
    if listed is not None:
        item["properties"]["sharedUserList"] = listed
    fixture.add(item)


# -- personas ------------------------------------------------------------------------------------
def test_a_reader_of_the_project_is_asked_nothing() -> None:
    f = G.base(aoai=True)
    gus(f)
    f.grant("gus/project/reader", G.PROJECT, GUS, arm.READER)
    result, findings, _ = run(f)
    assert not about(findings, GUS), show(findings)
    assert result.requirements == result.met == 1  # Ana's alone


def test_an_administrator_is_warned_that_it_can_manage_but_not_use() -> None:
    f = G.base(aoai=True)
    gus(f)
    f.grant("gus/rg/owner", G.RG, GUS, arm.OWNER)
    _, findings, _ = run(f)
    found = about(findings, GUS)
    assert [(x.status, x.cause) for x in found] == [(Status.WARN, Cause.MISSING_ROLE)]
    assert found[0].persona is not None and found[0].persona.persona is Persona.ADMINISTRATOR
    assert "can manage this but cannot use it with Entra ID" in found[0].message
    assert ADMINISTRATOR_NOTE in found[0].message
    assert "an administrator (Owner at resource group 'rg-ai-fixtures')" in found[0].message


def test_a_builder_at_the_resource_group_is_a_connection_user() -> None:
    # (Azure AI Developer carries the OpenAI data actions itself: at the resource group it
    # covers an Azure OpenAI resource there, so storage shows the need.)
    f = G.base(blob=True)
    gus(f)
    f.grant("gus/rg/ai-developer", G.RG, GUS, arm.AZURE_AI_DEVELOPER)
    _, findings, data = run(f, "CON003")
    found = about(findings, GUS)
    assert [x.status for x in found] == [Status.FAIL, Status.WARN], show(findings)
    fix = found[0].remediations[0]
    assert (fix.principal_id, fix.role_definition_id, fix.verified) == (
        GUS,
        arm.STORAGE_BLOB_DATA_READER,
        True,
    )
    assert "a builder (Azure AI Developer at resource group 'rg-ai-fixtures')" in found[0].message
    fixes_clear(data, found, "CON003")
    # with the data role, nothing to say
    f.grant("gus/blob/data", G.ST_DATA, GUS, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)
    assert not run(f, "CON003")[1]


def test_a_shared_hub_connection_is_used_by_the_projects_builders_not_by_hub_readers() -> None:
    f = G.base(aoai=True)
    hub_connection(f, shared=True)
    gus(f)
    f.grant("gus/project/ai-developer", G.PROJECT, GUS, arm.AZURE_AI_DEVELOPER)
    f.grant("gus/hub/reader", G.HUB, GUS, arm.READER)
    user(f, OTHER, "Olga Other")  # the hub Reader the portal adds, and nothing else
    f.grant("other/hub/reader", G.HUB, OTHER, arm.READER)
    _, findings, _ = run(f)
    assert [x.status for x in about(findings, GUS)] == [Status.FAIL], show(findings)
    assert "connection 'conn-aoai' of hub 'hub-fixture'" in about(findings, GUS)[0].message
    assert not about(findings, OTHER)
    # Not shared: the project's builders do not use the hub's connection, and the hub has none.
    hub_connection(f, shared=False)
    result, findings, _ = run(f)
    assert not findings, show(findings)
    assert result.requirements == 0


def test_a_hub_connection_listed_for_a_project_or_a_principal() -> None:
    f = G.base(aoai=True)
    gus(f)
    f.grant("gus/project/ai-developer", G.PROJECT, GUS, arm.AZURE_AI_DEVELOPER)
    user(f, OTHER, "Olga Other")
    f.grant("other/hub/reader", G.HUB, OTHER, arm.READER)
    hub_connection(f, shared=False, listed=[G.PROJECT])
    _, findings, _ = run(f)
    assert [x.status for x in about(findings, GUS)] == [Status.FAIL], show(findings)
    assert not about(findings, OTHER)
    hub_connection(f, shared=False, listed=[OTHER])
    _, findings, _ = run(f)
    assert not about(findings, GUS), show(findings)
    found = about(findings, OTHER)
    assert [x.status for x in found] == [Status.FAIL], show(findings)
    assert found[0].persona is not None and found[0].persona.persona is Persona.BUILDER
    assert "sharedUserList" in (found[0].persona.declared or "")


def test_a_search_index_data_reader_only_builder_does_not_fail() -> None:
    f = G.base(search=True)
    f.drop("ana/search/data", "ana/search/reader")
    f.grant("ana/search/data-reader", G.SEARCH, ANA, arm.SEARCH_INDEX_DATA_READER)
    _, findings, _ = run(f, "CON002")
    assert not [x for x in findings if x.status is Status.FAIL], show(findings)
    # indexing is a warning, with the role that writes; the admin-key path one warning, no fix
    writes = about(findings, ANA)
    assert [(x.status, x.remediations[0].role_definition_id) for x in writes] == [
        (Status.WARN, arm.SEARCH_INDEX_DATA_CONTRIBUTOR)
    ]
    keys = [x for x in findings if is_key_path_warning(x)]
    assert len(keys) == 1 and "listAdminKeys" in keys[0].message
    assert len(findings) == 2


def test_no_key_path_warning_when_the_role_assignments_are_not_all_known() -> None:
    f = G.base(search=True)
    f.errors.append(arm.read_error(G.SUBSCRIPTION, "Microsoft.Authorization/roleAssignments/read"))
    _, findings, _ = run(f, "CON002")
    assert not [x for x in findings if x.details.get("keyPath")], show(findings)
    assert not [x for x in findings if x.cause is Cause.MISSING_ROLE], show(findings)


def test_nested_groups_make_a_builder_who_shares_the_groups_fix() -> None:
    f = G.base(aoai=True)
    group(f, GRP_OUTER, "grp-outer")
    group(f, GRP_INNER, "grp-inner", GRP_OUTER)
    user(f, OTHER, "Olga Other", GRP_INNER, GRP_OUTER)
    f.grant("outer/project/ai-developer", G.PROJECT, GRP_OUTER, arm.AZURE_AI_DEVELOPER)
    f.grant("other/hub/reader", G.HUB, OTHER, arm.READER)
    _, findings, data = run(f)
    found = about(findings, OTHER)
    assert len(found) == 1 and found[0].status is Status.FAIL, show(findings)
    assert found[0].principal is not None and found[0].principal.id == GRP_OUTER
    assert {a.id for a in found[0].affected_principals} == {GRP_OUTER, OTHER}
    fixes_clear(data, findings, "CON001")
    # the role on the outer group reaches the user through both groups
    f.grant("outer/aoai/openai-user", G.AOAI, GRP_OUTER, arm.OPENAI_USER)
    assert not run(f)[1]


def test_a_cognitive_service_connection_to_speech_asks_no_openai_role() -> None:
    f = G.base()
    f.add(G.openai_account(SPEECH, G.pid("sp:speech"), kind="SpeechServices"))
    f.add(
        G.connection(
            G.PROJECT,
            "conn-speech",
            "CognitiveService",
            "AAD",
            "https://speech-fixture.cognitiveservices.azure.com/",
            SPEECH,
        )
    )
    result, findings, _ = run(f)
    assert not findings, show(findings)
    assert result.requirements == 0


# -- one finding per missing grant -----------------------------------------------------------
def test_two_members_of_a_builder_group_share_one_finding_with_the_groups_fix() -> None:
    f = G.base(aoai=True)
    f.drop("ana/aoai/openai-user", "ana/project/ai-developer")
    f.group(G.GRP_DEVS)
    f.user(ANA, [G.GRP_DEVS])
    gus(f, G.GRP_DEVS)
    f.grant("devs/project/ai-developer", G.PROJECT, G.GRP_DEVS, arm.AZURE_AI_DEVELOPER)
    f.grant("gus/hub/reader", G.HUB, GUS, arm.READER)
    _, findings, data = run(f)
    assert len(findings) == 1, show(findings)
    merged = findings[0]
    assert merged.principal is not None and merged.principal.id == G.GRP_DEVS
    assert [(r.principal_id, r.role_definition_id) for r in merged.remediations] == [
        (G.GRP_DEVS, arm.OPENAI_USER)
    ]
    assert {a.id for a in merged.affected_principals} == {G.GRP_DEVS, ANA, GUS}
    assert "2 member(s) of this group" in merged.message
    # the test support finds it by any affected principal
    expect = Expect(Status.FAIL, Cause.MISSING_ROLE, "Gus Lead", "aoai-chat", arm.OPENAI_USER)
    assert matching(findings, expect, data) == [merged]
    fixes_clear(data, findings, "CON001")


def test_two_unrelated_people_share_one_finding_with_a_fix_each() -> None:
    f = G.base(aoai=True)
    f.drop("ana/aoai/openai-user")
    gus(f)
    f.grant("gus/project/ai-developer", G.PROJECT, GUS, arm.AZURE_AI_DEVELOPER)
    _, findings, data = run(f)
    assert len(findings) == 1, show(findings)
    merged = findings[0]
    assert merged.principal is None and merged.persona is None
    assert sorted(r.principal_id or "" for r in merged.remediations) == sorted([ANA, GUS])
    assert {a.id for a in merged.affected_principals} == {ANA, GUS}
    for name in ("Ana Alvarez", "Gus Lead"):
        expect = Expect(Status.FAIL, Cause.MISSING_ROLE, name, "aoai-chat", arm.OPENAI_USER)
        assert matching(findings, expect, data) == [merged]
    # a merged finding is about people: it is not a finding about the resource alone
    assert not matching(findings, Expect(Status.FAIL, Cause.MISSING_ROLE, None, "aoai-chat"), data)
    fixes_clear(data, findings, "CON001")


# -- managed identity and key connections --------------------------------------------------------
def managed_identity(fixture: Any, **credentials: str) -> None:
    conn = fixture.props(CONN_AOAI)
    conn["authType"] = "ManagedIdentity"
    if credentials:
        conn["credentials"] = dict(credentials)


def test_a_managed_identity_connection_asks_the_identity_its_resource_id_names() -> None:
    f = G.base(aoai=True, uami=True)
    managed_identity(f, resourceId=G.UAMI)
    f.drop("ana/aoai/openai-user")
    result, findings, data = run(f)
    assert not about(findings, ANA), "the person does not call as herself"
    assert result.requirements == 1
    [found] = findings
    assert found.status is Status.FAIL and found.principal is not None
    assert found.principal.id == UAMI_MI
    assert found.persona is not None and found.persona.persona is Persona.SERVICE_IDENTITY
    assert found.message.startswith("The user-assigned identity 'id-hub-fixture', a service")
    assert "authType ManagedIdentity" in found.message
    assert found.remediations[0].principal_id == UAMI_MI
    fixes_clear(data, findings, "CON001")


def test_a_managed_identity_connection_by_client_id() -> None:
    # the user-assigned identity's clientId, from its resource
    f = G.base(aoai=True, uami=True)
    managed_identity(f, clientId=G.pid("client:uami"))
    _, findings, _ = run(f)
    assert [x.principal.id for x in findings if x.principal] == [UAMI_MI], show(findings)
    # an application's appId, from the directory
    f = G.base(aoai=True)
    app = G.pid("test:app")
    f.principals[app] = arm.principal(
        app, "ServicePrincipal", "contoso-rag-app", [], appId=G.pid("test:app-client")
    )
    managed_identity(f, clientId=G.pid("test:app-client").upper())
    _, findings, _ = run(f)
    assert [(x.status, x.principal.id) for x in findings if x.principal] == [(Status.FAIL, app)], (
        show(findings)
    )


def test_a_managed_identity_connection_naming_none_asks_the_workspace_identity() -> None:
    f = G.base(aoai=True)
    managed_identity(f)
    f.drop("ana/aoai/openai-user")
    _, findings, _ = run(f)
    [found] = findings
    assert found.principal is not None and found.principal.id == PROJECT_MI
    assert found.status is Status.FAIL
    assert found.message.startswith("The managed identity of project 'proj-alpha', a service")
    assert "names no identity in the snapshot" in found.message
    f.grant("project-mi/aoai/openai-user", G.AOAI, PROJECT_MI, arm.OPENAI_USER)
    assert not run(f)[1]


def test_a_managed_identity_the_snapshot_does_not_hold_is_unknown() -> None:
    f = G.base(aoai=True)
    managed_identity(f, resourceId=f"{G.P}/Microsoft.ManagedIdentity/userAssignedIdentities/id-x")
    _, findings, _ = run(f)
    assert [(x.status, x.cause) for x in findings] == [(Status.UNKNOWN, Cause.UNREADABLE)]
    assert "id-x" in findings[0].message


def test_the_identity_a_connection_names_survives_the_scrub_of_collection_and_bundles() -> None:
    """What collection keeps (scrub_json drop=True) and what a bundle keeps (markers) of a
    ManagedIdentity connection still names its identity, as ARM spells the ids, and CON001
    still asks that identity; the key beside the ids is gone."""
    planted = "UGxhbnRlZEtleUJlc2lkZVRoZUlkZW50aXR5SWRzMDEyMzQ1Njc4OQ=="
    for ids in ({"resourceId": G.UAMI}, {"ResourceId": G.UAMI, "ClientId": G.pid("client:uami")}):
        f = G.base(aoai=True, uami=True)
        managed_identity(f, **ids, key=planted, clientSecret="xyz8Q~PlantedEntraSecret.AbC-1_zz")
        f.drop("ana/aoai/openai-user")
        data = f.build("TEST", "test", "a test scenario")
        for cleaned in (scrub_json(data, drop=True), scrub_json(scrub_json(data, drop=True))):
            assert planted not in json.dumps(cleaned)
            conn = next(r for r in cleaned["resources"] if r["id"] == CONN_AOAI)
            assert conn["properties"]["credentials"] == ids
            checks = tuple(c for c in all_checks() if c.id == "CON001")
            result = run_snapshot(parse_snapshot(cleaned, "<scrubbed>"), checks)
            assert [(x.status, x.principal.id) for x in result.findings if x.principal] == [
                (Status.FAIL, UAMI_MI)
            ], show(list(result.findings))


def test_service_identities_missing_the_same_grant_are_not_merged() -> None:
    f = G.base(aoai=True, uami=True)
    managed_identity(f, resourceId=G.UAMI)
    second = copy.deepcopy(f.get(CONN_AOAI))
    second["id"] = second["id"].replace("conn-aoai", "conn-aoai-project-identity")
    second["name"] = "conn-aoai-project-identity"
    del second["properties"]["credentials"]
    f.add(second)
    _, findings, _ = run(f)
    assert sorted(x.principal.id for x in findings if x.principal) == sorted(
        [UAMI_MI, PROJECT_MI]
    ), show(findings)
    assert all(len(x.affected_principals) == 1 for x in findings)


def test_managed_identity_search_and_blob_connections_fail_reads_and_warn_writes() -> None:
    f = G.base(search=True, blob=True)
    for name in ("conn-search", "conn-blob"):
        f.props(f"{G.PROJECT}/connections/{name}")["authType"] = "ManagedIdentity"
    _, findings, _ = run(f, "CON002", "CON003")
    seen = sorted(
        (x.check_id, x.status.value, x.principal.id if x.principal else None) for x in findings
    )
    assert seen == [
        ("CON002", "fail", PROJECT_MI),
        ("CON002", "warn", PROJECT_MI),
        ("CON003", "fail", PROJECT_MI),
        ("CON003", "warn", PROJECT_MI),
    ], show(findings)
    assert not [x for x in findings if is_key_path_warning(x)]


def test_a_key_connection_asks_nobody() -> None:
    f = G.base(aoai=True)
    f.props(CONN_AOAI)["authType"] = "ApiKey"
    f.drop("ana/aoai/openai-user")
    result, findings, _ = run(f)
    assert not findings and result.requirements == 0, show(findings)


# -- the healthy-fixture rule ----------------------------------------------------------------
def test_only_a_key_path_warning_is_tolerated_on_a_healthy_fixture() -> None:
    f = G.base(search=True)
    _, findings, _ = run(f, "CON002")
    [warning] = findings
    assert is_key_path_warning(warning) and without_key_paths(findings) == []
    for changed in (
        dataclasses.replace(warning, status=Status.FAIL),
        dataclasses.replace(warning, details={"operation": "x"}),
        dataclasses.replace(warning, principal=PrincipalRef(GUS, "User", "Gus Lead")),
    ):
        assert not is_key_path_warning(changed)
        assert without_key_paths([changed]) == [changed]
    try:
        without_key_paths([warning, warning])
    except AssertionError:
        pass
    else:
        raise AssertionError("two key-path warnings for one resource must not pass")


def test_snapshot_of_is_the_generators_document() -> None:
    assert snapshot_of(G.base()).data["fixture"]["check"] == "TEST"
