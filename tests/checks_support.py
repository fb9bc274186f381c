"""Running a check's fixtures through the real engine, for tests/test_checks_fixtures.py (the
fixtures scripts/make_check_fixtures.py writes) and each per-check test (tests/test_check_<id>.py,
whose fixtures scripts/new_check.py scaffolded in their own folder).

A fixture is fixtures/checks/<CHECK>/<variant>.json; the variant's name says what must happen:

- fail*, warn*: the check reports the finding its Expect describes (status, cause, principal,
  resource and, for a missing role, the role the docs name, by GUID, at the right scope);
- unknown*: the check answers `unknown`, never fail;
- pass*, trap-*: the check reports nothing.

Every fixture runs with every registered check (a check must not be disturbed by the others). A
fix is checked twice: the engine must have proven it (`verified`), and applying it here as a
plain ARM object (a role assignment appended to roleAssignments, a property set on the resource,
an assignment removed) and loading the snapshot again must clear the finding.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from diagnose.arm.scopes import resource_group_key, scope_key
from diagnose.engine.api import (
    Cause,
    CheckInfo,
    Finding,
    Remediation,
    Severity,
    Status,
    check,
)
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine, RunResult
from diagnose.model.model import Model
from diagnose.remediation.plan import FixPlan
from diagnose.snapshot import Snapshot, load_snapshot, parse_snapshot
from tests import arm

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "checks"
TESTS = ROOT / "tests"
KINDS = ("fail", "warn", "unknown", "pass", "trap")

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


def role(
    status: Status,
    principal: str,
    resource: str,
    role_id: str,
    scope: Literal["resource", "resourceGroup"] = "resource",
    cause: Cause = Cause.MISSING_ROLE,
) -> Expect:
    return Expect(status, cause, principal, resource, role_id, scope)


def setting(
    resource: str,
    fix: str,
    principal: str | None = None,
    status: Status = FAIL,
    cause: Cause = Cause.CONFIGURATION,
) -> Expect:
    return Expect(status, cause, principal, resource, fix=fix)


def unknown(resource: str, principal: str | None = None, cause: Cause = Cause.UNREADABLE) -> Expect:
    return Expect(UNKNOWN, cause, principal, resource)


# -- the fixture set ---------------------------------------------------------------------------
def own_test_of(check_id: str) -> Path:
    """The per-check test that owns a fixture folder scaffolded by scripts/new_check.py."""
    return TESTS / f"test_check_{check_id.lower()}.py"


def fixtures_of(check_id: str) -> list[Path]:
    return sorted((FIXTURES / check_id).glob("*.json"))


def all_fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*/*.json"))


def key_of(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def kind_of(variant: str) -> str:
    return variant.split("-", 1)[0]


def needing_expectation(paths: list[Path]) -> set[str]:
    """The fixtures of these whose variant says a finding is expected."""
    return {key_of(p) for p in paths if kind_of(p.stem) in ("fail", "warn", "unknown")}


# -- building more scenarios -------------------------------------------------------------------
@cache
def fixture_generator() -> Any:
    """scripts/make_check_fixtures.py as a module: its healthy hub (`base`) and `Fixture`, for
    tests that build their own scenarios on it without writing a fixture file."""
    import importlib.util
    import sys

    path = ROOT / "scripts" / "make_check_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_check_fixtures_for_tests", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def snapshot_of(fixture: Any, what: str = "a test scenario") -> Snapshot:
    """A generator Fixture as a snapshot, through the same parser as a user's file."""
    return parse_snapshot(fixture.build("TEST", "test", what), "<test scenario>")


# -- running -----------------------------------------------------------------------------------
@cache
def all_checks() -> tuple[CheckInfo, ...]:
    checks, errors = load_checks()
    assert not errors, f"checks that do not load: {errors}"
    return tuple(checks)


def run_snapshot(snapshot: Snapshot, checks: tuple[CheckInfo, ...] | None = None) -> RunResult:
    creator = snapshot.target.get("creator")
    return Engine(Model(snapshot), creator=creator, fixes=FixPlan).run(checks or all_checks())


def run_data(data: dict[str, Any]) -> RunResult:
    return run_snapshot(parse_snapshot(copy.deepcopy(data), "<fixture variant>"))


def own(result: RunResult, check_id: str) -> list[Finding]:
    return [f for f in result.findings if f.check_id == check_id]


def show(findings: list[Finding]) -> str:
    return (
        "\n".join(
            f"  {f.check_id} {f.status.value} {f.cause.value} "
            f"{f.principal.label if f.principal else '-'} {f.resource}: {f.message}"
            for f in findings
        )
        or "  (none)"
    )


def principal_id(data: dict[str, Any], display_name: str) -> str:
    found = [p["id"].lower() for p in data["principals"] if p.get("displayName") == display_name]
    assert len(found) == 1, f"{display_name!r} names {len(found)} principals in the fixture"
    return str(found[0])


def resource_id(data: dict[str, Any], name: str) -> str:
    """The id of the resource with this name: from the resources, or, for a resource the
    snapshot could not read, from its read errors."""
    found = [r["id"] for r in data["resources"] if r.get("name") == name]
    found += [
        e["scope"]
        for e in data["errors"]
        if e["scope"].startswith("/") and e["scope"].rstrip("/").rsplit("/", 1)[-1] == name
    ]
    assert len(set(found)) == 1, f"{name!r} names {len(set(found))} resources in the fixture"
    return str(found[0])


def matching(findings: list[Finding], expect: Expect, data: dict[str, Any]) -> list[Finding]:
    resource = scope_key(resource_id(data, expect.resource))
    principal = principal_id(data, expect.principal) if expect.principal else None
    return [
        f
        for f in findings
        if f.status is expect.status
        and f.cause is expect.cause
        and scope_key(f.resource) == resource
        and names(f, principal)
    ]


def names(finding: Finding, principal: str | None) -> bool:
    """Whether a finding is about this principal (object id), or about no principal at all
    (None). A merged finding (diagnose.engine.shared) is about every principal it lists in
    affectedPrincipals: it names their group, or no principal when they share none."""
    if principal is None:
        return finding.principal is None and not finding.affected_principals
    if finding.principal is not None and finding.principal.id == principal:
        return True
    return any(a.id == principal for a in finding.affected_principals)


def is_key_path_warning(finding: Finding) -> bool:
    """A portal key-path warning (diagnose.checks._common.key_path_warning): a warning that a
    builder cannot take a path through a resource's keys (listAdminKeys, ...), with no fix and
    about no one principal. The GUIDE makes it a warning on a healthy hub, never a failure."""
    return (
        finding.status is WARN
        and finding.cause is Cause.MISSING_ROLE
        and finding.details.get("keyPath") is True
        and not finding.remediations
        and finding.principal is None
    )


def without_key_paths(findings: list[Finding]) -> list[Finding]:
    """The findings but the key-path warnings, of which each check may report one per resource
    and key operation, no more."""
    paths = [
        (f.check_id, scope_key(f.resource), f.details.get("operation"))
        for f in findings
        if is_key_path_warning(f)
    ]
    assert len(paths) == len(set(paths)), f"key-path warnings repeated: {sorted(paths)}"
    return [f for f in findings if not is_key_path_warning(f)]


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
        data["roleAssignments"].append(
            arm.role_assignment(
                fix.scope,
                fix.principal_id,
                fix.role_definition_id,
                principal_type=fix.principal_type or "User",
            )
        )
    elif fix.kind == "removeAssignment":
        assert fix.resource
        before = len(data["roleAssignments"])
        data["roleAssignments"] = [
            a for a in data["roleAssignments"] if a["id"].lower() != fix.resource.lower()
        ]
        assert len(data["roleAssignments"]) == before - 1, "the fix names no assignment"
    elif fix.kind == "cosmosSqlRoleAssignment":
        # a child resource of the account, as Azure lists it (not Azure RBAC)
        assert fix.resource and fix.scope and fix.principal_id and fix.role_definition_id
        accounts = [r for r in data["resources"] if scope_key(r["id"]) == scope_key(fix.resource)]
        assert len(accounts) == 1, f"the fix names {fix.resource}, which is not in the snapshot"
        data["resources"].append(
            arm.cosmos_sql_role_assignment(
                accounts[0]["id"], fix.principal_id, fix.role_definition_id, fix.scope
            )
        )
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


# -- what every fixture must show --------------------------------------------------------------
def assert_arm_shape(path: Path) -> Snapshot:
    """A snapshot v1 document in ARM shape, which says which check and variant it is for."""
    snapshot = load_snapshot(path)
    data = snapshot.data
    assert data["fixture"] == {
        "check": path.parent.name,
        "variant": path.stem,
        "description": data["fixture"]["description"],
    }
    assert data["fixture"]["description"]
    assert kind_of(path.stem) in KINDS, f"{key_of(path)}: a variant starts with one of {KINDS}"
    if "creator" in snapshot.target:
        creator = snapshot.target["creator"]
        assert any(p["id"] == creator for p in data["principals"])
    # ARM shape: every assignment is a full roleAssignments object on a scope that exists.
    for item in data["roleAssignments"]:
        properties = item["properties"]
        assert item["type"] == "Microsoft.Authorization/roleAssignments"
        assert (
            item["id"]
            .lower()
            .startswith(
                properties["scope"].lower().rstrip("/") + "/providers/microsoft.authorization/"
            )
        )
        assert (
            "/providers/Microsoft.Authorization/roleDefinitions/" in properties["roleDefinitionId"]
        )
        assert any(p["id"] == properties["principalId"] for p in data["principals"])
    subscriptions = [
        r for r in data["resources"] if r["type"].lower() == "microsoft.resources/subscriptions"
    ]
    assert subscriptions and subscriptions[0]["properties"]["managementGroupAncestorsChain"]
    return snapshot


def assert_check_on_fixture(
    path: Path, expected: Mapping[str, Expect], no_requirement: Mapping[str, str] | None = None
) -> None:
    """The fixture's check reports what its variant says, with a proven fix. `no_requirement`
    names passing fixtures on which the check rightly states no requirement at all."""
    check_id, variant = path.parent.name, path.stem
    snapshot = load_snapshot(path)
    result = run_snapshot(snapshot)
    assert not result.check_errors, result.check_errors
    mine = own(result, check_id)
    kind = kind_of(variant)
    if kind in ("pass", "trap"):
        problems = without_key_paths(mine)
        assert not problems, f"{check_id} reports on {variant}:\n{show(problems)}"
        if expected[f"{check_id}/fail"].role is not None and key_of(path) not in (
            no_requirement or {}
        ):
            # not vacuous: the check states requirements here, and they are all met
            info = next(c for c in all_checks() if c.id == check_id)
            alone = run_snapshot(snapshot, (info,))
            assert alone.requirements >= 1, f"{check_id} states no requirement on {variant}"
            assert alone.met == alone.requirements
        return
    expect = expected[key_of(path)]
    found = matching(mine, expect, snapshot.data)
    assert found, f"{check_id} on {variant}: expected {expect}, got:\n{show(mine)}"
    if kind == "unknown":
        failing = [f for f in mine if f.status in (FAIL, WARN)]
        assert not failing, f"{check_id} must say unknown, not:\n{show(failing)}"
        return
    for finding in found:
        _assert_first_fix(finding, expect)


def _assert_first_fix(finding: Finding, expect: Expect) -> None:
    if expect.role is not None:
        assert finding.remediations, f"no fix for:\n{show([finding])}"
        first = finding.remediations[0]
        expected_kind = (
            "activateEligible" if expect.cause is Cause.ELIGIBLE_ONLY else "roleAssignment"
        )
        assert first.kind == expected_kind
        assert first.verified, first.verification
        assert first.role_definition_id == expect.role, (first.role_name, first.summary)
        if finding.principal is not None:
            assert first.principal_id == finding.principal.id
        else:  # merged: one fix per principal, the first for one of them
            assert first.principal_id in {a.id for a in finding.affected_principals}
        assert scope_key(first.scope or "") == expected_scope(finding, expect)
        assert finding.evidence, "a role finding carries the evaluator's decisions"
    elif expect.fix is not None:
        assert finding.remediations, f"no fix for:\n{show([finding])}"
        first = finding.remediations[0]
        if expect.fix == "removeAssignment":
            assert first.kind == "removeAssignment"
            assert finding.principal is not None and first.principal_id == finding.principal.id
        elif expect.fix == "denyAssignment":
            assert first.kind == "configuration" and first.setting == "denyAssignment"
            assert not first.verified, "a deny assignment cannot be changed from here"
        elif expect.fix == "cosmosSqlRoleAssignment":
            assert first.kind == expect.fix and first.verified, first.verification
            assert finding.principal is not None and first.principal_id == finding.principal.id
            assert scope_key(first.resource or "") == scope_key(finding.resource)
        else:
            assert first.kind == "configuration"
            assert first.setting == expect.fix
            assert first.verified, first.verification
    else:
        assert not any(r.kind == "roleAssignment" for r in finding.remediations), (
            f"{expect.cause} is not fixed with a role:\n{show([finding])}"
        )


def assert_fix_clears_the_finding(path: Path) -> None:
    """Independent of the engine's proof: the first fix of every finding of the check (alone: the
    one a reader would apply), applied as Azure would hold it, and the snapshot loaded and run
    again from scratch."""
    check_id = path.parent.name
    data = json.loads(path.read_text(encoding="utf-8"))
    result = run_data(data)
    mine = [f for f in without_key_paths(own(result, check_id)) if f.status in (FAIL, WARN)]
    assert mine
    fixed = copy.deepcopy(data)
    for finding in mine:
        assert finding.remediations, f"no fix for:\n{show([finding])}"
        apply_fix(fixed, finding.remediations[0])
    after = run_data(fixed)
    assert not after.check_errors, after.check_errors
    left = without_key_paths(own(after, check_id))
    assert not left, f"{check_id} still reports after its fixes were applied:\n{show(left)}"


def assert_healthy_for_every_check(path: Path) -> None:
    """A pass or trap fixture is healthy for every check, not only for the one it is about: no
    check reports a false problem on it. The one exception is narrow: a portal key-path warning
    (is_key_path_warning: a warning with no fix, at most one per check, resource and key
    operation), which the GUIDE reports on a healthy hub whose builders hold data roles only."""
    result = run_snapshot(load_snapshot(path))
    problems = without_key_paths(list(result.findings))
    assert not problems, f"findings on a healthy fixture:\n{show(problems)}"
    assert result.requirements == result.met


def yielding(outputs: list[Any]) -> CheckInfo:
    """A registered-looking check (TST001) that yields these outputs, as they are, each run:
    for tests of what the engine makes of given Requirements, Needs and Drafts."""

    def run(ctx: Any) -> Any:
        return list(outputs)

    run.__doc__ = """
    What it checks: the test's outputs.
    Why it matters: the test.
    How to fix: nothing.
    """
    return check(id="TST001", title="test", severity=Severity.HIGH, scenario="test")(run)
