"""Every check on ARM-shaped fixtures, run through the real engine together with every other
check (a check must not be disturbed by the others).

The fixtures are fixtures/checks/<CHECK>/<variant>.json, written by
scripts/make_check_fixtures.py. The variant's name says what must happen:

- fail*, warn*: the check reports the finding EXPECTED describes (status, cause, principal,
  resource and, for a missing role, the role the docs name, by GUID, at the right scope);
- unknown*: the check answers `unknown`, never fail;
- pass*, trap-*: the check reports nothing.

A fix is checked twice: the engine must have proven it (`verified`), and applying it here as a
plain ARM object (a role assignment appended to roleAssignments, a property set on the resource,
an assignment removed) and loading the snapshot again must clear the finding.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pytest

from diagnose.engine.api import Cause, CheckInfo, Finding, Remediation, Status
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine, RunResult
from diagnose.model.model import Model
from diagnose.model.scopes import resource_group_key, scope_key
from diagnose.snapshot import Snapshot, load_snapshot, parse_snapshot
from tests import arm

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "checks"
ALL_FIXTURES = sorted(FIXTURES.glob("*/*.json"))
CREATOR_CHECKS = {"HUB004", "INS001", "CMK003"}

KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"

FAIL, WARN, UNKNOWN, INFO = Status.FAIL, Status.WARN, Status.UNKNOWN, Status.INFO


@dataclass(frozen=True)
class Expect:
    status: Status
    cause: Cause
    principal: str | None
    """Display name of the principal the finding names (None: a finding about a resource)."""
    resource: str
    """Name of the resource the finding is about."""
    role: str | None = None
    """For a role finding: the GUID of the role the docs name, which the first fix assigns."""
    scope: Literal["resource", "resourceGroup"] = "resource"
    """Where that role goes: on the resource itself, or on its resource group."""
    fix: str | None = None
    """For other findings: the setting the first fix changes (or its kind)."""

    @property
    def fixable(self) -> bool:
        return self.role is not None or self.fix not in (None, "denyAssignment")


def role(status: Status, principal: str, resource: str, role_id: str,
         scope: Literal["resource", "resourceGroup"] = "resource",
         cause: Cause = Cause.MISSING_ROLE) -> Expect:
    return Expect(status, cause, principal, resource, role_id, scope)


def setting(resource: str, fix: str, principal: str | None = None,
            status: Status = FAIL, cause: Cause = Cause.CONFIGURATION) -> Expect:
    return Expect(status, cause, principal, resource, fix=fix)


def unknown(resource: str, principal: str | None = None,
            cause: Cause = Cause.UNREADABLE) -> Expect:
    return Expect(UNKNOWN, cause, principal, resource)


ANA, CARA, FINN, GUS = "Ana Alvarez", "Cara Creator", "Finn Foundry", "Gus Lead"
HUB_MI, UAMI, AOAI_MI, SEARCH_MI = "hub-fixture", "id-hub-fixture", "aoai-chat", "srch-fixture"
HUB, PROJECT, SEARCH, AOAI = "hub-fixture", "proj-alpha", "srch-fixture", "aoai-chat"
ST_HUB, ST_DATA, KV_CMK = "sthubfixture", "stdatafixture", "kv-cmk-fixture"

# What each failing, warning or unknown fixture must produce, from the docs (GUIDE section 4 and
# the seed page), not from the fixtures.
EXPECTED: dict[str, Expect] = {
    "ACR001/fail": role(FAIL, UAMI, "crhubfixture", arm.ACR_PULL),
    "CFG001/fail": setting(SEARCH, "properties.authOptions"),
    "CFG001/unknown-auth-options-missing": unknown(SEARCH),
    "CFG002/fail": setting("conn-aoai", "properties.authType"),
    "CFG002/fail-storage-shared-key": setting("conn-blob", "properties.authType"),
    "CFG003/fail": setting(AOAI, "properties.customSubDomainName"),
    "CMK001/fail": role(FAIL, HUB_MI, KV_CMK, KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER),
    "CMK001/fail-access-policy": setting(KV_CMK, "properties.accessPolicies", HUB_MI),
    "CMK001/fail-user-assigned": role(FAIL, UAMI, KV_CMK,
                                      KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER),
    "CMK002/fail": role(FAIL, UAMI, HUB, arm.CONTRIBUTOR, "resourceGroup"),
    "CMK003/fail": role(FAIL, CARA, KV_CMK, arm.CONTRIBUTOR),
    "CMK003/fail-access-policy": setting(KV_CMK, "properties.accessPolicies", CARA),
    "CON001/fail": role(FAIL, ANA, AOAI, arm.OPENAI_USER),
    "CON001/unknown-target-missing": unknown("conn-aoai"),
    "CON001/unknown-read-error": unknown(AOAI, ANA),
    "CON001/warn-propagation": Expect(WARN, Cause.PROPAGATION, ANA, AOAI),
    "CON002/fail": role(FAIL, ANA, SEARCH, arm.SEARCH_INDEX_DATA_CONTRIBUTOR),
    # Listing indexes: the check names no role; its docstring (and the seed) name Search
    # Service Contributor (or Contributor), the least built-in role that grants indexes/read.
    "CON002/fail-no-index-read": role(FAIL, ANA, SEARCH, arm.SEARCH_SERVICE_CONTRIBUTOR),
    "CON003/fail": role(FAIL, ANA, ST_DATA, arm.STORAGE_BLOB_DATA_CONTRIBUTOR),
    "CON003/fail-deny-assignment": Expect(FAIL, Cause.DENY_ASSIGNMENT, ANA, ST_DATA,
                                          fix="denyAssignment"),
    "CON003/unknown-conditional": unknown(ST_DATA, ANA, Cause.CONDITIONAL),
    "CON004/fail": Expect(INFO, Cause.OUTSIDE_ARM, None, "conn-onelake"),
    "FDY001/fail": role(FAIL, FINN, "fproj-agents", arm.FOUNDRY_USER),
    "FDY001/fail-project-identity": role(FAIL, "fproj-agents", "fproj-agents", arm.FOUNDRY_USER),
    "FPA001/fail": role(WARN, "Azure Machine Learning", AOAI, arm.READER),
    "FPA001/unknown-app-missing": unknown(HUB),
    "HUB001/fail": role(FAIL, ANA, HUB, arm.READER),
    "HUB001/fail-group": role(FAIL, "grp-ai-developers", HUB, arm.READER),
    "HUB001/unknown-memberof-null": unknown(HUB, ANA),
    "HUB002/fail": role(FAIL, ANA, PROJECT, arm.AI_INFERENCE_DEPLOYMENT_OPERATOR,
                        "resourceGroup"),
    "HUB003/fail": role(WARN, GUS, HUB, arm.AZURE_AI_DEVELOPER),
    "HUB003/fail-eligible": role(WARN, GUS, HUB, arm.AZURE_AI_DEVELOPER,
                                 cause=Cause.ELIGIBLE_ONLY),
    "HUB004/fail": role(FAIL, CARA, HUB, arm.CONTRIBUTOR, "resourceGroup"),
    "IDN001/fail": setting(AOAI, "identity.type", cause=Cause.IDENTITY),
    "IDN001/fail-hub-identity": setting(HUB, "identity.type", cause=Cause.IDENTITY),
    "IDN002/fail": setting(PROJECT, "removeAssignment", "Former Contractor", WARN,
                           Cause.ORPHANED),
    "IDN002/unknown-deletion-unconfirmed": unknown(PROJECT, "Former Contractor"),
    "INS001/fail": role(FAIL, CARA, HUB, arm.CONTRIBUTOR, "resourceGroup"),
    "NET001/fail": setting(SEARCH, "properties.networkRuleSet.bypass"),
    "NET001/fail-storage": setting(ST_DATA, "properties.networkAcls.bypass"),
    "OYD001/fail": role(FAIL, AOAI_MI, SEARCH, arm.SEARCH_INDEX_DATA_READER),
    "OYD001/fail-index-schema": role(FAIL, AOAI_MI, SEARCH, arm.SEARCH_SERVICE_CONTRIBUTOR),
    "OYD001/unknown-search-missing": unknown("conn-search"),
    "OYD002/fail": role(WARN, AOAI_MI, SEARCH, arm.SEARCH_INDEX_DATA_CONTRIBUTOR),
    "OYD002/fail-storage": role(WARN, AOAI_MI, ST_DATA, arm.STORAGE_BLOB_DATA_CONTRIBUTOR),
    "OYD003/fail": role(WARN, SEARCH_MI, AOAI, arm.OPENAI_USER),
    "OYD004/fail": role(WARN, SEARCH_MI, ST_DATA, arm.STORAGE_BLOB_DATA_READER),
    "OYD005/fail": role(FAIL, AOAI_MI, "aoai-embed", arm.OPENAI_USER),
    "OYD005/fail-key-connection": setting("conn-aoai-embeddings", "properties.authType"),
    "OYD005/warn-no-hint": role(WARN, AOAI_MI, "aoai-second", arm.OPENAI_USER),
    "PFL001/fail": role(FAIL, ANA, ST_HUB, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR),
    "PFL001/fail-smb-share-contributor": role(FAIL, ANA, ST_HUB,
                                              arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR),
    "STG001/fail": role(FAIL, HUB_MI, ST_HUB, arm.STORAGE_BLOB_DATA_CONTRIBUTOR),
    "STG001/fail-files": role(FAIL, HUB_MI, ST_HUB, arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR),
    "STG001/unknown-storage-missing": unknown(ST_HUB),
    "STG002/fail": role(FAIL, HUB_MI, ST_DATA, arm.STORAGE_BLOB_DATA_READER),
}


# Passing fixtures of role checks where the check rightly states no requirement at all.
NO_REQUIREMENT = {
    "CMK001/pass-access-policy": "an access-policy vault is checked as a setting, not a role",
    "OYD001/pass-key-connections": "with key connections no service calls another as itself",
}


# -- running -----------------------------------------------------------------------------------
@cache
def all_checks() -> tuple[CheckInfo, ...]:
    checks, errors = load_checks()
    assert not errors, f"checks that do not load: {errors}"
    return tuple(checks)


def run_snapshot(snapshot: Snapshot) -> RunResult:
    creator = snapshot.target.get("creator")
    return Engine(Model(snapshot), creator=creator).run(all_checks())


def run_data(data: dict[str, Any]) -> RunResult:
    return run_snapshot(parse_snapshot(copy.deepcopy(data), "<fixture variant>"))


def key_of(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def kind_of(variant: str) -> str:
    return variant.split("-", 1)[0]


def own(result: RunResult, check_id: str) -> list[Finding]:
    return [f for f in result.findings if f.check_id == check_id]


def show(findings: list[Finding]) -> str:
    return "\n".join(f"  {f.check_id} {f.status.value} {f.cause.value} "
                     f"{f.principal.label if f.principal else '-'} {f.resource}: {f.message}"
                     for f in findings) or "  (none)"


def principal_id(data: dict[str, Any], display_name: str) -> str:
    found = [p["id"].lower() for p in data["principals"] if p.get("displayName") == display_name]
    assert len(found) == 1, f"{display_name!r} names {len(found)} principals in the fixture"
    return found[0]


def resource_id(data: dict[str, Any], name: str) -> str:
    """The id of the resource with this name: from the resources, or, for a resource the
    snapshot could not read, from its read errors."""
    found = [r["id"] for r in data["resources"] if r.get("name") == name]
    found += [e["scope"] for e in data["errors"]
              if e["scope"].startswith("/") and e["scope"].rstrip("/").rsplit("/", 1)[-1] == name]
    assert len(set(found)) == 1, f"{name!r} names {len(set(found))} resources in the fixture"
    return found[0]


def matching(findings: list[Finding], expect: Expect, data: dict[str, Any]) -> list[Finding]:
    resource = scope_key(resource_id(data, expect.resource))
    principal = principal_id(data, expect.principal) if expect.principal else None
    return [f for f in findings
            if f.status is expect.status and f.cause is expect.cause
            and scope_key(f.resource) == resource
            and (f.principal.id if f.principal else None) == principal]


def expected_scope(finding: Finding, expect: Expect) -> str:
    if expect.scope == "resource":
        return scope_key(finding.resource)
    group = resource_group_key(scope_key(finding.resource))
    assert group is not None
    return group


# -- applying a fix to the ARM objects themselves ---------------------------------------------
def apply_fix(data: dict[str, Any], fix: Remediation) -> None:
    """Change the snapshot the way Azure would look once the fix is done."""
    if fix.kind in ("roleAssignment", "activateEligible"):
        assert fix.scope and fix.principal_id and fix.role_definition_id
        data["roleAssignments"].append(arm.role_assignment(
            fix.scope, fix.principal_id, fix.role_definition_id,
            principal_type=fix.principal_type or "User"))
    elif fix.kind == "removeAssignment":
        assert fix.resource
        before = len(data["roleAssignments"])
        data["roleAssignments"] = [a for a in data["roleAssignments"]
                                   if a["id"].lower() != fix.resource.lower()]
        assert len(data["roleAssignments"]) == before - 1, "the fix names no assignment"
    elif fix.kind == "configuration":
        assert fix.resource and fix.setting and fix.setting != "denyAssignment"
        items = [r for r in data["resources"] if scope_key(r["id"]) == scope_key(fix.resource)]
        assert len(items) == 1, f"the fix names {fix.resource}, which is not in the snapshot"
        node = items[0]
        *path, last = fix.setting.split(".")
        for part in path:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = copy.deepcopy(fix.value)
    else:
        raise AssertionError(f"no way to apply a {fix.kind!r} fix")


# -- the fixture set ---------------------------------------------------------------------------
def test_every_check_has_a_failing_and_a_passing_fixture() -> None:
    ids = {c.id for c in all_checks()}
    assert ids
    for check_id in sorted(ids):
        for variant in ("fail", "pass"):
            assert (FIXTURES / check_id / f"{variant}.json").is_file(), \
                f"{check_id} has no {variant}.json"
    assert {p.name for p in FIXTURES.iterdir() if p.is_dir()} == ids


def test_every_failing_fixture_has_an_expectation_and_the_reverse() -> None:
    needing = {key_of(p) for p in ALL_FIXTURES
               if kind_of(p.stem) in ("fail", "warn", "unknown")}
    assert needing == set(EXPECTED)
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
    assert set(files) == set(ALL_FIXTURES), "run scripts/make_check_fixtures.py"
    stale = [key_of(p) for p, text in files.items() if p.read_text(encoding="utf-8") != text]
    assert not stale, f"stale fixtures (run scripts/make_check_fixtures.py): {stale}"


@pytest.mark.parametrize("path", ALL_FIXTURES, ids=key_of)
def test_fixture_is_a_snapshot_in_arm_shape(path: Path) -> None:
    snapshot = load_snapshot(path)
    data = snapshot.data
    assert data["fixture"] == {"check": path.parent.name, "variant": path.stem,
                               "description": data["fixture"]["description"]}
    assert data["fixture"]["description"]
    assert (path.parent.name in CREATOR_CHECKS) == ("creator" in snapshot.target)
    if "creator" in snapshot.target:
        creator = snapshot.target["creator"]
        assert any(p["id"] == creator for p in data["principals"])
    # ARM shape: every assignment is a full roleAssignments object on a scope that exists.
    for item in data["roleAssignments"]:
        properties = item["properties"]
        assert item["type"] == "Microsoft.Authorization/roleAssignments"
        assert item["id"].lower().startswith(properties["scope"].lower().rstrip("/") +
                                             "/providers/microsoft.authorization/")
        assert "/providers/Microsoft.Authorization/roleDefinitions/" in \
            properties["roleDefinitionId"]
        assert any(p["id"] == properties["principalId"] for p in data["principals"])
    subscriptions = [r for r in data["resources"]
                     if r["type"].lower() == "microsoft.resources/subscriptions"]
    assert subscriptions and subscriptions[0]["properties"]["managementGroupAncestorsChain"]


# -- each fixture through the engine -------------------------------------------------------------
@pytest.mark.parametrize("path", ALL_FIXTURES, ids=key_of)
def test_check_on_fixture(path: Path) -> None:
    check_id, variant = path.parent.name, path.stem
    snapshot = load_snapshot(path)
    result = run_snapshot(snapshot)
    assert not result.check_errors, result.check_errors
    mine = own(result, check_id)
    kind = kind_of(variant)
    if kind in ("pass", "trap"):
        assert not mine, f"{check_id} reports on {variant}:\n{show(mine)}"
        if EXPECTED[f"{check_id}/fail"].role is not None and key_of(path) not in NO_REQUIREMENT:
            # not vacuous: the check states requirements here, and they are all met
            info = next(c for c in all_checks() if c.id == check_id)
            alone = Engine(Model(snapshot), creator=snapshot.target.get("creator")).run([info])
            assert alone.requirements >= 1, f"{check_id} states no requirement on {variant}"
            assert alone.met == alone.requirements
        return
    expect = EXPECTED[key_of(path)]
    found = matching(mine, expect, snapshot.data)
    assert found, (f"{check_id} on {variant}: expected {expect}, got:\n{show(mine)}")
    if kind == "unknown":
        failing = [f for f in mine if f.status in (FAIL, WARN)]
        assert not failing, f"{check_id} must say unknown, not:\n{show(failing)}"
        return
    for finding in found:
        if expect.role is not None:
            assert finding.remediations, f"no fix for:\n{show([finding])}"
            first = finding.remediations[0]
            expected_kind = "activateEligible" if expect.cause is Cause.ELIGIBLE_ONLY \
                else "roleAssignment"
            assert first.kind == expected_kind
            assert first.verified, first.verification
            assert first.role_definition_id == expect.role, (first.role_name, first.summary)
            assert first.principal_id == finding.principal.id
            assert scope_key(first.scope or "") == expected_scope(finding, expect)
            assert finding.evidence, "a role finding carries the evaluator's decisions"
        elif expect.fix is not None:
            assert finding.remediations, f"no fix for:\n{show([finding])}"
            first = finding.remediations[0]
            if expect.fix == "removeAssignment":
                assert first.kind == "removeAssignment"
                assert first.principal_id == finding.principal.id
            elif expect.fix == "denyAssignment":
                assert first.kind == "configuration" and first.setting == "denyAssignment"
                assert not first.verified, "a deny assignment cannot be changed from here"
            else:
                assert first.kind == "configuration"
                assert first.setting == expect.fix
                assert first.verified, first.verification
        else:
            assert not any(r.kind == "roleAssignment" for r in finding.remediations), \
                f"{expect.cause} is not fixed with a role:\n{show([finding])}"


FIXABLE = [p for p in ALL_FIXTURES if key_of(p) in EXPECTED and EXPECTED[key_of(p)].fixable]


@pytest.mark.parametrize("path", FIXABLE, ids=key_of)
def test_applying_the_fix_to_the_arm_objects_clears_the_finding(path: Path) -> None:
    """Independent of the engine's proof: the first fix of every finding of the check (alone: the
    one a reader would apply), applied as Azure would hold it, and the snapshot loaded and run
    again from scratch."""
    check_id = path.parent.name
    data = json.loads(path.read_text(encoding="utf-8"))
    result = run_data(data)
    mine = [f for f in own(result, check_id) if f.status in (FAIL, WARN)]
    assert mine
    fixed = copy.deepcopy(data)
    for finding in mine:
        assert finding.remediations, f"no fix for:\n{show([finding])}"
        apply_fix(fixed, finding.remediations[0])
    after = run_data(fixed)
    assert not after.check_errors, after.check_errors
    left = own(after, check_id)
    assert not left, f"{check_id} still reports after its fixes were applied:\n{show(left)}"


@pytest.mark.parametrize("path", [p for p in ALL_FIXTURES if kind_of(p.stem) in ("pass", "trap")],
                         ids=key_of)
def test_healthy_fixtures_are_clean_for_every_check(path: Path) -> None:
    """The healthy hub the fixtures start from is healthy for every check, not only for the one
    the fixture is about: no check reports a false problem on it."""
    result = run_snapshot(load_snapshot(path))
    assert not result.findings, f"findings on a healthy fixture:\n{show(list(result.findings))}"
    assert result.requirements == result.met
