"""Every check on the ARM-shaped fixtures scripts/make_check_fixtures.py writes, run through
the real engine together with every other check (tests/checks_support.py says what each variant
must show and how a fix is checked twice).

Fixture folders a check's own test owns (tests/test_check_<id>.py, scaffolded with their folder
by scripts/new_check.py) are run by that test; every fixture, theirs too, must be a snapshot in
ARM shape, and every pass or trap fixture healthy for every check.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from diagnose.engine.api import Cause
from tests import arm
from tests.checks_support import (
    FAIL,
    FIXTURES,
    INFO,
    ROOT,
    WARN,
    Expect,
    all_checks,
    all_fixtures,
    assert_arm_shape,
    assert_check_on_fixture,
    assert_fix_clears_the_finding,
    assert_healthy_for_every_check,
    key_of,
    kind_of,
    needing_expectation,
    own_test_of,
    role,
    setting,
    unknown,
)

ALL_FIXTURES = all_fixtures()
BUILT = [p for p in ALL_FIXTURES if not own_test_of(p.parent.name).is_file()]
"""The fixtures scripts/make_check_fixtures.py writes (the folders no per-check test owns)."""
CREATOR_CHECKS = {"HUB004", "INS001", "CMK003", "FDY003"}

KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
FOUNDRY_PROJECT_MANAGER = "eadc314b-1a2d-4efa-be10-5d325db5065e"
FOUNDRY_AGENT_CONSUMER = "eed3b665-ab3a-47b6-8f48-c9382fb1dad6"
COSMOS_DB_OPERATOR = "230815da-be43-4aae-9cb4-875f7bd000aa"
STORAGE_ACCOUNT_CONTRIBUTOR = "17d1049b-9a84-46fb-8f53-869881c3d3ab"
FPROJ, FOUNDRY, HELPDESK = "fproj-agents", "ais-foundry", "svc-helpdesk"
AZURE_AI_ADMINISTRATOR = "b78c5d69-af96-48a3-bf8d-a8b4d589de94"
AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER = "b556d68e-0be0-4f35-a333-ad7ee1ce17ea"
LOG_ANALYTICS_READER = "73c42c96-874c-492b-b04d-ab87d138a893"
LOG_ANALYTICS_DATA_READER = "3b03c2da-16b3-4a49-8834-0f8130efdd3b"

ANA, CARA, FINN, GUS = "Ana Alvarez", "Cara Creator", "Finn Foundry", "Gus Lead"
HUB_MI, UAMI, AOAI_MI, SEARCH_MI = "hub-fixture", "id-hub-fixture", "aoai-chat", "srch-fixture"
HUB, PROJECT, SEARCH, AOAI = "hub-fixture", "proj-alpha", "srch-fixture", "aoai-chat"
ST_HUB, ST_DATA, KV_CMK = "sthubfixture", "stdatafixture", "kv-cmk-fixture"
COSMOS, FPROJ, COSMOS_FIX = "cosmos-agents", "fproj-agents", "cosmosSqlRoleAssignment"
APPI, LAW = "appi-hub-fixture", "law-hub-fixture"

# What each failing, warning or unknown fixture must produce, from the docs (GUIDE section 4 and
# the seed page), not from the fixtures.
EXPECTED: dict[str, Expect] = {
    "ACR001/fail": role(FAIL, UAMI, "crhubfixture", arm.ACR_PULL),
    # Standard agent setup: the project's identity on the capability host's resources.
    "AGT001/fail": role(FAIL, FPROJ, "srch-agents", arm.SEARCH_SERVICE_CONTRIBUTOR),
    "AGT001/fail-cosmos-operator": role(FAIL, FPROJ, "cosmos-agents", COSMOS_DB_OPERATOR),
    "AGT001/fail-docs-pattern-account": role(
        FAIL, FPROJ, "stagentsfixture", STORAGE_ACCOUNT_CONTRIBUTOR
    ),
    "AGT001/unknown-capability-hosts-unreadable": unknown(FPROJ),
    # An agent application's callers need applications/invoke/action (Foundry User), or Foundry
    # Agent Consumer's endpoints/interact/action (the docs differ: either counts).
    "AGT003/fail": role(FAIL, HELPDESK, "app-support", arm.FOUNDRY_USER),
    "AGT003/fail-agent-identity": role(
        WARN, "app-support agent", "srch-agents", arm.SEARCH_INDEX_DATA_CONTRIBUTOR
    ),
    # Cosmos DB data access is Cosmos SQL RBAC: the Built-in Data Contributor on the database.
    "AGT002/fail": setting(COSMOS, COSMOS_FIX, FPROJ, cause=Cause.MISSING_ROLE),
    "AGT002/fail-sibling-database": setting(COSMOS, COSMOS_FIX, FPROJ, cause=Cause.MISSING_ROLE),
    "AGT002/unknown-assignments-not-read": unknown(COSMOS, FPROJ),
    "CFG001/fail": setting(SEARCH, "properties.authOptions"),
    "CFG001/unknown-auth-options-missing": unknown(SEARCH),
    "CFG002/fail": setting("conn-aoai", "properties.authType"),
    "CFG002/fail-storage-shared-key": setting("conn-blob", "properties.authType"),
    "CFG002/fail-foundry-project-connection": setting("conn-fproj-aoai", "properties.authType"),
    "CFG003/fail": setting(AOAI, "properties.customSubDomainName"),
    # The hub's own datastores on a storage refusing keys: the identity mode, never keys again.
    "CFG004/fail": setting(HUB, "properties.systemDatastoresAuthMode"),
    "CFG004/fail-mode-unset": setting(HUB, "properties.systemDatastoresAuthMode"),
    "CMK001/fail": role(FAIL, HUB_MI, KV_CMK, KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER),
    "CMK001/fail-access-policy": setting(KV_CMK, "properties.accessPolicies", HUB_MI),
    "CMK001/fail-access-policy-compound": setting(KV_CMK, "properties.accessPolicies", HUB_MI),
    "CMK001/unknown-access-policy-memberships": unknown(KV_CMK, HUB_MI),
    "CMK001/fail-access-policy-user-entry": setting(KV_CMK, "properties.accessPolicies", HUB_MI),
    "CMK001/fail-user-assigned": role(FAIL, UAMI, KV_CMK, KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER),
    # Service-side CMK needs no write; in the subscription, the narrowest built-in role with
    # the Storage, Search and Cosmos DB account writes, never Contributor.
    "CMK002/fail": role(FAIL, UAMI, HUB, AZURE_AI_ADMINISTRATOR, "resourceGroup"),
    "CMK002/unknown-mode": unknown(HUB, UAMI),
    "CMK003/fail": role(FAIL, CARA, KV_CMK, arm.CONTRIBUTOR),
    "CMK003/fail-access-policy": setting(KV_CMK, "properties.accessPolicies", CARA),
    "CMK004/fail": setting(KV_CMK, "properties.enablePurgeProtection"),
    "CMK004/fail-soft-delete": setting(KV_CMK, "properties.enableSoftDelete"),
    "CMK004/unknown-vault-missing": unknown(KV_CMK),
    "CON001/fail": role(FAIL, ANA, AOAI, arm.OPENAI_USER),
    "CON001/unknown-target-missing": unknown("conn-aoai"),
    "CON001/unknown-read-error": unknown(AOAI, ANA),
    "CON001/warn-propagation": Expect(WARN, Cause.PROPAGATION, ANA, AOAI),
    # A ManagedIdentity connection naming no identity: the project's identity calls (FAIL).
    "CON001/fail-managed-identity": role(FAIL, PROJECT, AOAI, arm.OPENAI_USER),
    # Reading documents is the need of a builder (Search Index Data Reader); writing them is a
    # warning (Search Index Data Contributor); index definitions need no data role.
    "CON002/fail": role(FAIL, ANA, SEARCH, arm.SEARCH_INDEX_DATA_READER),
    "CON002/warn-index-data-reader-only": role(
        WARN, ANA, SEARCH, arm.SEARCH_INDEX_DATA_CONTRIBUTOR
    ),
    "CON003/fail": role(FAIL, ANA, ST_DATA, arm.STORAGE_BLOB_DATA_READER),
    "CON003/warn-deny-assignment": Expect(
        WARN, Cause.DENY_ASSIGNMENT, ANA, ST_DATA, fix="denyAssignment"
    ),
    "CON003/unknown-conditional": unknown(ST_DATA, ANA, Cause.CONDITIONAL),
    "CON004/fail": Expect(INFO, Cause.OUTSIDE_ARM, None, "conn-onelake"),
    "FDY001/fail": role(FAIL, FINN, "fproj-agents", arm.FOUNDRY_USER),
    "FDY001/fail-administrator": role(WARN, FINN, "fproj-agents", arm.FOUNDRY_USER),
    "FDY001/fail-project-identity": role(FAIL, "fproj-agents", "fproj-agents", arm.FOUNDRY_USER),
    # Foundry Account Owner on the project is an administrator there: warned, never failed.
    "FDY001/fail-account-owner-on-project": role(WARN, GUS, FPROJ, arm.FOUNDRY_USER),
    # Model inference is authorized at the account. The docs name Foundry User there; for an
    # OpenAI-format deployment the least role with the chat data action is OpenAI User (Foundry
    # User adds listKeys: secrets), which the planner proposes first.
    "FDY002/fail": role(FAIL, FINN, FOUNDRY, arm.OPENAI_USER),
    "FDY002/fail-project-identity": role(FAIL, FPROJ, FOUNDRY, arm.OPENAI_USER),
    "FDY003/fail": role(FAIL, CARA, FOUNDRY, FOUNDRY_PROJECT_MANAGER),
    "FDY003/fail-project-scope": role(FAIL, CARA, FOUNDRY, FOUNDRY_PROJECT_MANAGER),
    "FPA001/fail": role(WARN, "Azure Machine Learning", AOAI, arm.READER),
    "FPA001/unknown-app-missing": unknown(HUB),
    "HUB001/fail": role(FAIL, ANA, HUB, arm.READER),
    "HUB001/fail-group": role(FAIL, "grp-ai-developers", HUB, arm.READER),
    "HUB001/fail-reader": role(WARN, GUS, HUB, arm.READER),
    "HUB001/fail-resource-group-builder": role(FAIL, GUS, HUB, arm.READER),
    "HUB001/unknown-memberof-null": unknown(HUB, ANA),
    "HUB002/fail": role(FAIL, ANA, PROJECT, arm.AI_INFERENCE_DEPLOYMENT_OPERATOR, "resourceGroup"),
    "HUB002/fail-hub-builder": role(
        FAIL, GUS, PROJECT, arm.AI_INFERENCE_DEPLOYMENT_OPERATOR, "resourceGroup"
    ),
    "HUB003/fail": role(WARN, GUS, HUB, arm.AZURE_AI_DEVELOPER),
    "HUB003/fail-eligible": role(WARN, GUS, HUB, arm.AZURE_AI_DEVELOPER, cause=Cause.ELIGIBLE_ONLY),
    "HUB003/fail-resource-group": role(WARN, GUS, HUB, arm.AZURE_AI_DEVELOPER),
    # By the actions the hub's creation needs: Azure AI Administrator for a basic hub; a
    # private endpoint or a user-assigned identity needs more (Contributor, as the docs say).
    "HUB004/fail": role(FAIL, CARA, HUB, AZURE_AI_ADMINISTRATOR, "resourceGroup"),
    "HUB004/fail-private-endpoint": role(FAIL, CARA, HUB, arm.NETWORK_CONTRIBUTOR, "resourceGroup"),
    "HUB004/fail-user-assigned-identity": role(FAIL, CARA, UAMI, arm.CONTRIBUTOR),
    "IDN001/fail": setting(AOAI, "identity.type", cause=Cause.IDENTITY),
    "IDN001/fail-hub-identity": setting(HUB, "identity.type", cause=Cause.IDENTITY),
    "IDN001/fail-foundry-project-identity": setting(FPROJ, "identity.type", cause=Cause.IDENTITY),
    "IDN002/fail": setting(PROJECT, "removeAssignment", "Former Contractor", WARN, Cause.ORPHANED),
    "IDN002/unknown-deletion-unconfirmed": unknown(PROJECT, "Former Contractor"),
    # Azure AI Administrator (hubs since 2024-11-19) or Contributor (before) grant the writes;
    # the fix is the narrower of the two, for a user-assigned identity as well.
    "IDN003/fail": role(FAIL, HUB_MI, HUB, AZURE_AI_ADMINISTRATOR, "resourceGroup"),
    "IDN003/fail-user-assigned": role(FAIL, UAMI, HUB, AZURE_AI_ADMINISTRATOR, "resourceGroup"),
    "INS001/fail": role(FAIL, CARA, HUB, arm.CONTRIBUTOR, "resourceGroup"),
    # Tracing is optional: warnings only.
    "INS002/fail": role(WARN, ANA, LAW, LOG_ANALYTICS_READER),
    "INS002/warn-app-insights": role(WARN, ANA, APPI, LOG_ANALYTICS_READER),
    "INS002/warn-project-identity": role(WARN, PROJECT, APPI, arm.READER),
    "INS002/warn-resource-permissions": role(WARN, ANA, LAW, LOG_ANALYTICS_DATA_READER),
    "INS002/unknown-workspace-missing": unknown(LAW),
    "NET001/fail": setting(SEARCH, "properties.networkRuleSet.bypass"),
    "NET001/fail-storage": setting(ST_DATA, "properties.networkAcls.bypass"),
    "NET001/fail-pending-shared-link": setting(AOAI, "properties.networkAcls.bypass"),
    "NET001/warn-key-connection": Expect(WARN, Cause.CONFIGURATION, None, SEARCH),
    "NET002/fail": role(FAIL, HUB_MI, KV_CMK, AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER),
    # A connection that is not approved blocks the call whatever the roles: on the target.
    "NET002/fail-pending": setting(AOAI, "properties.privateLinkServiceConnectionState.status"),
    "NET002/fail-rejected-embedded": Expect(FAIL, Cause.CONFIGURATION, None, AOAI),
    "NET002/unknown-approved-beside-pending": unknown(AOAI, cause=Cause.CONFIGURATION),
    "NET002/unknown-target-missing": unknown("srch-private"),
    "OYD001/fail": role(FAIL, AOAI_MI, SEARCH, arm.SEARCH_INDEX_DATA_READER),
    # Reading the index schema is a control-plane read: Reader grants it, while the Search Service
    # Contributor the docs name can also read and regenerate the admin keys (issue 12).
    "OYD001/fail-index-schema": role(FAIL, AOAI_MI, SEARCH, arm.READER),
    "OYD001/unknown-search-missing": unknown("conn-search"),
    "OYD002/fail": role(WARN, AOAI_MI, SEARCH, arm.SEARCH_INDEX_DATA_CONTRIBUTOR),
    "OYD002/fail-storage": role(WARN, AOAI_MI, ST_DATA, arm.STORAGE_BLOB_DATA_CONTRIBUTOR),
    "OYD003/fail": role(WARN, SEARCH_MI, AOAI, arm.OPENAI_USER),
    # At the account, the OpenAI Contributor the docs name can also write deployments (control
    # plane); Azure AI Developer grants only data actions there, a lower tier (issue 12).
    "OYD003/fail-ingestion": role(WARN, SEARCH_MI, AOAI, arm.AZURE_AI_DEVELOPER),
    "OYD004/fail": role(WARN, SEARCH_MI, ST_DATA, arm.STORAGE_BLOB_DATA_READER),
    "OYD005/fail": role(FAIL, AOAI_MI, "aoai-embed", arm.OPENAI_USER),
    "OYD005/fail-key-connection": setting("conn-aoai-embeddings", "properties.authType"),
    "OYD005/warn-no-hint": role(WARN, AOAI_MI, "aoai-second", arm.OPENAI_USER),
    "PFL001/fail": role(FAIL, ANA, ST_HUB, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR),
    "PFL001/fail-smb-share-contributor": role(
        FAIL, ANA, ST_HUB, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR
    ),
    "PFL001/fail-resource-group-builder": role(
        FAIL, GUS, ST_HUB, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR
    ),
    "PFL001/fail-administrator": role(
        WARN, CARA, ST_HUB, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR
    ),
    "STG001/fail": role(FAIL, HUB_MI, ST_HUB, arm.STORAGE_BLOB_DATA_CONTRIBUTOR),
    "STG001/fail-private-project-identity": role(
        FAIL, PROJECT, ST_HUB, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR
    ),
    "STG001/unknown-storage-missing": unknown(ST_HUB),
    "STG002/fail": role(FAIL, HUB_MI, ST_DATA, arm.STORAGE_BLOB_DATA_READER),
    "STG003/fail": role(FAIL, PROJECT, "pe-sthubfixture-blob", arm.READER),
    "STG003/fail-files-deny-by-default": role(
        FAIL, PROJECT, ST_HUB, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR
    ),
    "STG003/warn-services": role(WARN, AOAI_MI, ST_HUB, arm.STORAGE_BLOB_DATA_CONTRIBUTOR),
    "STG003/unknown-endpoints-missing": unknown(ST_HUB),
}


# Passing fixtures of role checks where the check rightly states no requirement at all.
NO_REQUIREMENT = {
    "CMK001/pass-access-policy": "an access-policy vault is checked as a setting, not a role",
    "CMK001/pass-access-policy-group": "an access-policy vault is checked as a setting, not a role",
    "CMK002/pass-service-side": "service-side encryption creates nothing in the subscription",
    "OYD001/pass-key-connections": "with key connections no service calls another as itself",
    "HUB003/pass-reader": "a Reader on the hub is no builder of it: nothing is asked of anyone",
    "NET002/pass-no-managed-network": "without a managed network nothing needs approving",
}


# -- the fixture set ---------------------------------------------------------------------------
def test_every_check_has_a_failing_and_a_passing_fixture() -> None:
    ids = {c.id for c in all_checks()}
    assert ids
    for check_id in sorted(ids):
        for variant in ("fail", "pass"):
            assert (FIXTURES / check_id / f"{variant}.json").is_file(), (
                f"{check_id} has no {variant}.json"
            )
    assert {p.name for p in FIXTURES.iterdir() if p.is_dir()} == ids


def test_every_failing_fixture_has_an_expectation_and_the_reverse() -> None:
    assert needing_expectation(BUILT) == set(EXPECTED)
    kinds = {kind_of(p.stem) for p in ALL_FIXTURES}
    assert kinds <= {"fail", "warn", "unknown", "pass", "trap"}, kinds


def test_fixtures_are_what_the_generator_writes() -> None:
    path = ROOT / "scripts" / "make_check_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_check_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        files = module.render_all()
    finally:
        sys.modules.pop(spec.name, None)
    assert set(files) == set(BUILT), (
        "run scripts/make_check_fixtures.py (a folder it does not write belongs to a per-check "
        "test, tests/test_check_<id>.py)"
    )
    stale = [key_of(p) for p, text in files.items() if p.read_text(encoding="utf-8") != text]
    assert not stale, f"stale fixtures (run scripts/make_check_fixtures.py): {stale}"


@pytest.mark.parametrize("path", ALL_FIXTURES, ids=key_of)
def test_fixture_is_a_snapshot_in_arm_shape(path: Path) -> None:
    snapshot = assert_arm_shape(path)
    if path in BUILT:
        assert (path.parent.name in CREATOR_CHECKS) == ("creator" in snapshot.target)


# -- each fixture through the engine -------------------------------------------------------------
@pytest.mark.parametrize("path", BUILT, ids=key_of)
def test_check_on_fixture(path: Path) -> None:
    assert_check_on_fixture(path, EXPECTED, NO_REQUIREMENT)


FIXABLE = [p for p in BUILT if key_of(p) in EXPECTED and EXPECTED[key_of(p)].fixable]


@pytest.mark.parametrize("path", FIXABLE, ids=key_of)
def test_applying_the_fix_to_the_arm_objects_clears_the_finding(path: Path) -> None:
    assert_fix_clears_the_finding(path)


@pytest.mark.parametrize(
    "path", [p for p in ALL_FIXTURES if kind_of(p.stem) in ("pass", "trap")], ids=key_of
)
def test_healthy_fixtures_are_clean_for_every_check(path: Path) -> None:
    assert_healthy_for_every_check(path)
