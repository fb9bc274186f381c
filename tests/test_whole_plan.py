"""The plan as a whole (diagnose.remediation.whole_plan): every default step applied together to
a copy of the snapshot, every check run again; the plan converges, in order, with alternatives
beside their default and nothing that weakens security among its steps.

The checks of "applying the plan" here patch the snapshot's JSON themselves (role assignments
added, settings changed, orphaned assignments removed) and parse it again: they do not reuse the
code they check."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from diagnose.app.diagnosis import DiagnoseOptions, Diagnosis, diagnose_snapshot
from diagnose.demo import load_demo
from diagnose.engine.api import Cause, Finding, Remediation, RemediationKind, Status
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine, RunResult
from diagnose.model.model import Model
from diagnose.remediation.plan import FixPlan
from diagnose.remediation.proof import role_assignment_object
from diagnose.remediation.settings import security_cost
from diagnose.remediation.whole_plan import STAGES, _converge, apply, converge, units
from diagnose.report.json_format import report_json
from diagnose.report.model import build_report
from diagnose.report.schema import schema as report_schema
from diagnose.snapshot import parse_snapshot
from tests import arm

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "checks"
ROLE_KINDS = (RemediationKind.ROLE_ASSIGNMENT, RemediationKind.ACTIVATE_ELIGIBLE)


# -- applying a plan, independently of the code under test ------------------------------------
def _set(raw: dict[str, Any], path: str, value: Any) -> None:
    node = raw
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = copy.deepcopy(value)


def applied(data: dict[str, Any], fixes: list[Remediation]) -> dict[str, Any]:
    """The snapshot's JSON with these fixes made, as Azure would hold it afterwards."""
    data = copy.deepcopy(data)
    removed = {
        (f.resource or "").lower() for f in fixes if f.kind == RemediationKind.REMOVE_ASSIGNMENT
    }
    data["roleAssignments"] = [
        a for a in data["roleAssignments"] if a["id"].lower() not in removed
    ] + [
        role_assignment_object(
            f.principal_id or "", f.principal_type, f.role_definition_id or "", f.scope or ""
        )
        for f in fixes
        if f.kind in ROLE_KINDS
    ]
    by_id = {r["id"].lower(): r for r in data["resources"]}
    for fix in fixes:
        if fix.kind == RemediationKind.CONFIGURATION and fix.setting != "denyAssignment":
            _set(by_id[(fix.resource or "").lower()], fix.setting or "", fix.value)
        if fix.kind == RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT:
            # a child resource of the Cosmos DB account, as Azure lists it (not Azure RBAC)
            account = by_id[(fix.resource or "").lower()]["id"]
            data["resources"].append(
                arm.cosmos_sql_role_assignment(
                    account, fix.principal_id or "", fix.role_definition_id or "", fix.scope or ""
                )
            )
    return data


def rerun(diagnosis: Diagnosis, data: dict[str, Any]) -> RunResult:
    ran = set(diagnosis.report.target["checks"])
    checks = [c for c in diagnosis.checks if c.id in ran]
    model = Model(parse_snapshot(data, "<patched>"))
    return Engine(
        model, creator=diagnosis.creator, fixes=FixPlan, declarations=diagnosis.declarations
    ).run(checks)


def all_units(findings: tuple[Finding, ...] | list[Finding]) -> set[Any]:
    return set().union(*(units(f) for f in findings)) if findings else set()


@pytest.fixture(scope="module")
def demo() -> Diagnosis:
    return diagnose_snapshot(load_demo())


# -- the plan converges --------------------------------------------------------------------
def test_the_demos_plan_is_verified_as_a_whole(demo: Diagnosis) -> None:
    """Apply every step the plan vouches for, run every check again: the failures the verified
    fixes address are gone and no new failure or warning appears. (Before, every fix was
    "verified" alone, and applying them all left new failures: the users of the connection
    switched to Entra ID, the firewall it then meets, the needs of a role just activated.)"""
    plan = demo.report.fix_plan
    claimed = [
        p.remediation
        for p in plan
        if p.remediation.verified and p.remediation.alternative_to is None
    ]
    assert claimed, "the demo's plan vouches for nothing"
    after = rerun(demo, applied(load_demo().data, claimed)).findings
    verified_keys = {f.dedupe_key for f in claimed}
    addressed = [
        f
        for f in demo.findings
        if any(r.dedupe_key in verified_keys for r in f.remediations if r.alternative_to is None)
    ]
    left = all_units(after)
    still = [f for f in addressed if units(f) & left]
    assert not still, [(f.check_id, f.message[:120]) for f in still]
    before = all_units(demo.findings)
    new = [f for f in after if f.status in (Status.FAIL, Status.WARN) and units(f) - before]
    # what only a deny assignment stands in the way of is outside the claim, and said so
    outside = [
        f
        for f in new
        if f.remediations and all(r.setting == "denyAssignment" for r in f.remediations)
    ]
    assert [f for f in new if f not in outside] == [], [(f.check_id, f.message[:160]) for f in new]
    summary = demo.summary
    assert summary["planVerified"] is True, summary["planVerification"]
    assert demo.report.plan_check["remaining"] == [] and demo.report.plan_check["appeared"] == []
    assert demo.report.plan_check["converged"] is True and demo.report.plan_check["rounds"] >= 2


def test_the_steps_only_the_plan_raises_are_in_it_and_say_why(demo: Diagnosis) -> None:
    """Switching 'aoai-embeddings' to Entra ID gives its users a need no finding names yet:
    the plan carries their roles, each naming the finding it forestalls."""
    added = [p for p in demo.report.fix_plan if not p.fixes and p.anticipates]
    assert added
    assert any(
        p.remediation.role_name == "Cognitive Services OpenAI User"
        and (p.remediation.scope or "").endswith("/aoai-contoso-embed")
        for p in added
    )
    assert all(p.remediation.verified for p in added)
    # a finding of the report that only grew (one more person) is named once, as a finding
    for item in demo.report.fix_plan:
        named = {r.finding_id for r in item.fixes}
        assert not named & {a.finding_id for a in item.anticipates}, item.remediation.summary


def test_a_default_is_verified_only_when_the_whole_plan_proves_it() -> None:
    """A fix proven alone is not proven in the plan: when the re-run still reports what it
    addresses, the fix and the plan are not verified, and the report says what remains."""
    snapshot = parse_snapshot(
        json.loads((FIXTURES / "HUB001" / "fail.json").read_text("utf-8")), "<test>"
    )
    model = Model(snapshot)
    checks = [c for c in load_checks()[0] if c.id == "HUB001"]
    result = Engine(model, fixes=FixPlan).run(checks)
    assert result.findings and result.findings[0].remediations[0].verified  # alone: proven
    whole = _converge(model, result.findings, lambda patched, *_: result)  # nothing changes
    assert not whole.verified and whole.remaining
    assert "remain" in whole.why
    step = whole.steps[0]
    assert not step.remediation.verified
    assert step.remediation.verification.startswith("not verified")
    assert not whole.findings[0].remediations[0].verified


def test_a_step_that_only_makes_a_finding_unknown_has_not_cleared_it() -> None:
    """A finding the plan addresses that comes back `unknown` (say, assigned a role the copy
    cannot read) is still there: neither the step nor the plan is verified."""
    snapshot = parse_snapshot(
        json.loads((FIXTURES / "HUB001" / "fail.json").read_text("utf-8")), "<test>"
    )
    model = Model(snapshot)
    checks = [c for c in load_checks()[0] if c.id == "HUB001"]
    result = Engine(model, fixes=FixPlan).run(checks)
    finding = result.findings[0]
    unknown = dataclasses.replace(
        finding, status=Status.UNKNOWN, cause=Cause.UNREADABLE, remediations=()
    )
    whole = _converge(
        model, (finding,), lambda patched, *_: dataclasses.replace(result, findings=(unknown,))
    )
    assert not whole.verified and whole.remaining
    assert not whole.steps[0].remediation.verified


def test_a_fix_added_for_what_remains_is_verified_only_when_that_goes() -> None:
    """A finding that remains with the plan applied may carry another fix, which joins the
    plan: it is verified only when the re-run no longer reports that finding."""
    model, result, default, owner = _with_alternative()
    owner = dataclasses.replace(owner, alternative_to=None, summary="Assign Owner.")
    finding = dataclasses.replace(result.findings[0], remediations=(default,))
    still = dataclasses.replace(finding, remediations=(owner,))

    def holds_owner(patched: Model) -> bool:
        return any(a.role_id == owner.role_definition_id for a in patched.authorization.assignments)

    stuck = _converge(
        model, (finding,), lambda patched, *_: dataclasses.replace(result, findings=(still,))
    )
    added = stuck.step(owner)
    assert added is not None and not added.remediation.verified
    assert not stuck.verified and stuck.rounds == 2

    def clears(patched: Model, *_: object) -> RunResult:
        return dataclasses.replace(result, findings=() if holds_owner(patched) else (still,))

    cleared = _converge(model, (finding,), clears)
    added = cleared.step(owner)
    assert added is not None and added.remediation.verified and cleared.verified


def test_applying_one_step_alone_never_raises_the_findings_count(demo: Diagnosis) -> None:
    """Each step on its own leaves at most as many findings as before (a "Reader on the hub"
    fix once raised them from 27 to 29)."""
    count = len(demo.findings)
    data = load_demo().data
    for item in demo.report.fix_plan:
        if not item.in_claim:
            continue
        after = rerun(demo, applied(data, [item.remediation])).findings
        assert len(after) <= count, (item.remediation.summary, len(after), count)


# -- ordered --------------------------------------------------------------------------------
def test_the_plan_is_ordered_prerequisites_first(demo: Diagnosis) -> None:
    plan = demo.report.fix_plan
    orders = [p.order for p in plan]
    assert orders == sorted(orders) and orders[0] == 1
    defaults = [p for p in plan if p.remediation.alternative_to is None]
    assert [p.order for p in defaults] == list(range(1, len(defaults) + 1))
    stages = [STAGES.index(p.stage) for p in defaults]
    assert stages == sorted(stages)

    def order(predicate: Any) -> list[int]:
        return [p.order for p in plan if predicate(p.remediation)]

    switch = order(lambda f: f.setting == "properties.authType")
    embed_users = order(
        lambda f: (
            f.role_name == "Cognitive Services OpenAI User"
            and (f.scope or "").endswith("/aoai-contoso-embed")
        )
    )
    assert switch and embed_users and max(switch) < min(embed_users)
    search_rbac = order(lambda f: f.setting == "properties.authOptions")
    search_roles = order(
        lambda f: (
            (f.role_name or "").startswith("Search Index Data")
            and (f.scope or "").endswith("/srch-contoso")
        )
    )
    assert search_rbac and search_roles and max(search_rbac) < min(search_roles)
    activation = order(lambda f: f.kind == RemediationKind.ACTIVATE_ELIGIBLE)
    roles = order(lambda f: f.kind == RemediationKind.ROLE_ASSIGNMENT)
    assert activation and max(activation) < min(roles)
    # what cannot be done from here comes last
    assert plan[-1].stage == "outsidePlan"


def test_an_identity_is_enabled_before_anything_else_and_keeps_the_plan_unverified() -> None:
    data = json.loads((FIXTURES / "IDN001" / "fail.json").read_text("utf-8"))
    diagnosis = diagnose_snapshot(parse_snapshot(data, "<test>"))
    plan = diagnosis.report.fix_plan
    assert plan[0].stage == "identity" and plan[0].order == 1
    # its roles need the object id Azure gives it: the plan cannot vouch for them
    assert diagnosis.summary["planVerified"] is False
    assert "run diagnose again" in diagnosis.summary["planVerification"]


# -- alternatives --------------------------------------------------------------------------
def _with_alternative() -> tuple[Model, RunResult, Remediation, Remediation]:
    """HUB001's fail fixture, its finding given an alternative (Owner instead of Reader),
    listed before its default."""
    snapshot = parse_snapshot(
        json.loads((FIXTURES / "HUB001" / "fail.json").read_text("utf-8")), "<test>"
    )
    model = Model(snapshot)
    checks = tuple(c for c in load_checks()[0] if c.id == "HUB001")
    result = Engine(model, fixes=FixPlan).run(checks)
    finding = result.findings[0]
    default = finding.remediations[0]
    alternative = dataclasses.replace(
        default,
        summary="Assign Owner instead (an alternative).",
        role_definition_id="8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        role_name="Owner",
        alternative_to=default.fix_id,
    )
    finding = dataclasses.replace(finding, remediations=(alternative, *finding.remediations))
    return model, dataclasses.replace(result, findings=(finding,)), default, alternative


def test_alternatives_come_after_their_default_in_json_and_name_it() -> None:
    model, result, default, alternative = _with_alternative()
    whole = converge(model, result, FixPlan)
    report = build_report(result, model, Engine(model).evaluator, None, whole)
    body = report_json(report)
    jsonschema.Draft7Validator(report_schema()).validate(body)
    fixes = body["findings"][0]["remediations"]
    assert "alternativeTo" not in fixes[0] and fixes[1]["alternativeTo"] == default.fix_id
    entries = body["fixPlan"]
    assert [e["id"] for e in entries] == [default.fix_id, alternative.fix_id]
    first, second = entries
    assert second["remediation"]["alternativeTo"] == first["id"]
    assert second["order"] == first["order"]  # choose one: the same step
    assert first["inClaim"] is True and second["inClaim"] is False
    assert first["remediation"]["verified"] is True


def test_the_whole_plan_applies_the_default_never_the_alternative() -> None:
    model, result, default, alternative = _with_alternative()
    seen: list[Model] = []

    def spy(patched: Model, *_: object) -> RunResult:
        seen.append(patched)
        return dataclasses.replace(result, findings=())

    whole = _converge(model, result.findings, spy)
    assert whole.verified and seen
    roles = {
        (a.principal_id, a.role_id)
        for a in seen[0].authorization.assignments
        if a.scope.lower() == (default.scope or "").lower()
    }
    assert ((default.principal_id or "").lower(), default.role_definition_id) in roles
    assert ((alternative.principal_id or "").lower(), alternative.role_definition_id) not in roles
    assert [s.remediation.fix_id for s in whole.steps] == [default.fix_id]


# -- what cannot be proven -----------------------------------------------------------------
def test_a_deny_assignment_is_left_out_of_the_claim(demo: Diagnosis) -> None:
    deny = [p for p in demo.report.fix_plan if p.remediation.setting == "denyAssignment"]
    assert deny and all(not p.in_claim and not p.remediation.verified for p in deny)
    assert all("left out of the plan's claim" in p.remediation.verification for p in deny)
    excluded = {e["checkId"] for e in demo.report.plan_check["excluded"]}
    assert {"CON003", "OYD002"} <= excluded
    assert "left out of the claim" in demo.summary["planVerification"]

    data = json.loads((FIXTURES / "CON003" / "warn-deny-assignment.json").read_text("utf-8"))
    only_deny = diagnose_snapshot(parse_snapshot(data, "<test>"))
    assert only_deny.summary["planVerified"] is False
    assert "no step of the plan can be applied" in only_deny.summary["planVerification"]


def test_a_setting_on_a_resource_the_snapshot_lacks_is_left_out_of_the_claim() -> None:
    model, result, default, _ = _with_alternative()
    elsewhere = Remediation(
        kind=RemediationKind.CONFIGURATION,
        summary="Change a setting of a resource the snapshot does not hold.",
        resource="/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/x/"
        "providers/Microsoft.Search/searchServices/elsewhere",
        setting="properties.authOptions",
        value={"aadOrApiKey": {"aadAuthFailureMode": "http403"}},
    )
    finding = dataclasses.replace(result.findings[0], remediations=(default, elsewhere))
    whole = _converge(
        model, (finding,), lambda patched, *_: dataclasses.replace(result, findings=())
    )
    step = whole.step(elsewhere)
    assert step is not None and not step.in_claim and not step.remediation.verified
    assert "outside ARM" in step.remediation.verification
    assert whole.step(default) is not None and whole.step(default).in_claim  # type: ignore[union-attr]
    assert whole.verified  # the default is proven; the other is out of the claim, and said so
    assert "left out of the claim" in whole.why


# -- nothing that weakens security -----------------------------------------------------------
@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("properties.disableLocalAuth", False),
        ("properties.allowSharedKeyAccess", True),
        ("properties.publicNetworkAccess", "Enabled"),
        ("properties.networkAcls.defaultAction", "Allow"),
        ("properties.allowBlobPublicAccess", True),
    ],
)
def test_a_fix_that_weakens_security_is_a_note_never_a_step(setting: str, value: Any) -> None:
    model, result, default, _ = _with_alternative()
    weakening = Remediation(
        kind=RemediationKind.CONFIGURATION,
        summary="Weaken the resource.",
        resource=result.findings[0].resource,
        setting=setting,
        value=value,
    )
    assert security_cost(weakening)
    finding = dataclasses.replace(result.findings[0], remediations=(default, weakening))
    whole = _converge(
        model, (finding,), lambda patched, *_: dataclasses.replace(result, findings=())
    )
    assert whole.step(weakening) is None
    assert [r.fix_id for r in whole.findings[0].remediations] == [default.fix_id]
    assert whole.notes and "not planned" in whole.notes[0]
    assert "not planned" in whole.findings[0].message


def test_the_checks_own_fixes_do_not_weaken_security(demo: Diagnosis) -> None:
    """Allowing trusted services (NET001) keeps public access off; aadOrApiKey (CFG001) adds
    Entra ID; a connection switched to Entra ID (CFG002, OYD005) drops its key."""
    assert demo.report.plan_check["notPlanned"] == []
    for item in demo.report.fix_plan:
        assert security_cost(item.remediation) is None, item.remediation.summary


# -- one cause, one step ------------------------------------------------------------------------
def test_findings_that_share_a_cause_share_a_step(demo: Diagnosis) -> None:
    keys = [p.remediation.dedupe_key for p in demo.report.fix_plan]
    assert len(keys) == len(set(keys))
    switch = [p for p in demo.report.fix_plan if p.remediation.setting == "properties.authType"]
    assert len(switch) == 1 and {r.check_id for r in switch[0].fixes} == {"CFG002", "OYD005"}
    # one step, and each finding keeps its own words for it (and the step's verdict)
    oyd005 = [f for f in demo.findings if f.check_id == "OYD005" and f.principal is None]
    fix = oyd005[0].remediations[0]
    assert fix.summary.endswith("to Entra ID (AAD).") and fix.verified


# -- the report ---------------------------------------------------------------------------------
def test_the_new_fields_follow_the_schema(demo: Diagnosis) -> None:
    body = report_json(demo.report)
    validator = jsonschema.Draft7Validator(report_schema())
    validator.validate(body)
    entry = body["fixPlan"][0]
    assert {"id", "order", "stage", "inClaim", "anticipates"} <= set(entry)
    assert entry["id"] == demo.report.fix_plan[0].remediation.fix_id
    for broken in (
        {**body, "summary": {k: v for k, v in body["summary"].items() if k != "planVerified"}},
        {**body, "fixPlan": [{**entry, "order": 0}]},
        {**body, "fixPlan": [{**entry, "stage": "someday"}]},
        {**body, "fixPlan": [{k: v for k, v in entry.items() if k != "id"}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(broken)


def test_a_custom_role_in_a_report_follows_the_schema(demo: Diagnosis) -> None:
    """A roleAssignment that creates a custom role carries its definition in `value`: the
    schema documents that shape (and a broken one is rejected; before, any `value` passed)."""
    body = report_json(demo.report)
    validator = jsonschema.Draft7Validator(report_schema())
    validator.validate(body)
    [entry] = [  # the hub's (the demo's Foundry project may offer one too)
        e
        for e in body["fixPlan"]
        if e["remediation"]["kind"] == "roleAssignment"
        and e["remediation"]["value"]
        and "/resourceGroups/rg-contoso-ai/" in e["remediation"]["scope"]
    ]
    value = entry["remediation"]["value"]
    assert value["name"] == entry["remediation"]["roleDefinitionId"]
    assert value["properties"]["type"] == "CustomRole"
    definition = report_schema()["definitions"]["customRoleDefinition"]
    assert (
        "assigning it"
        in report_schema()["definitions"]["remediation"]["properties"]["value"]["description"]
    )
    jsonschema.Draft7Validator(
        {**definition, "definitions": report_schema()["definitions"]}
    ).validate(value)

    def with_value(changed: Any) -> dict[str, Any]:
        broken = copy.deepcopy(body)
        for item in broken["fixPlan"]:
            if item["id"] == entry["id"]:
                item["remediation"]["value"] = changed
        return broken

    no_permissions = copy.deepcopy(value)
    del no_permissions["properties"]["permissions"]
    built_in = copy.deepcopy(value)
    built_in["properties"]["type"] = "BuiltInRole"
    for changed in (no_permissions, built_in, {"anything": 1}, "a string"):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(with_value(changed))
    validator.validate(with_value(None))  # a built-in role: no definition to create


def test_text_and_markdown_show_the_verdict_and_the_steps(demo: Diagnosis) -> None:
    from diagnose.report.markdown import render_markdown
    from diagnose.report.text import render_text, summary_line

    text = render_text(demo.report)
    head = " ".join(text.split("\n\n")[0].split())  # header and summary, wrapped at spaces
    assert summary_line(demo.report) in head and "plan verified as a whole" in head
    assert "Verified as a whole" in text
    assert "needed once the plan's other steps are applied" in text
    assert "outside the claim" in text
    markdown = render_markdown(demo.report)
    assert "Verified as a whole" in markdown and "### 1. [verified] " in markdown


def test_a_focused_run_checks_its_plan_the_same_way() -> None:
    """With --principal the re-run keeps the focus: the plan of a focused run converges too."""
    diagnosis = diagnose_snapshot(load_demo(), DiagnoseOptions(principals=("Chen Wei",)))
    assert diagnosis.report.plan_check["rounds"] >= 1
    assert diagnosis.report.plan_check["appeared"] == [], diagnosis.summary["planVerification"]


def test_a_plan_whose_default_is_a_custom_role_is_verified(demo: Diagnosis) -> None:
    """A custom role travels in its step (`value`, the role definition): applying the step
    creates the role in the copy before assigning it, so a plan whose default is the custom
    role converges and is verified. (Before, the copy held an assignment of a role it did not
    know: the finding stayed, turned "unknown".)"""
    [finding] = [  # Azure OpenAI's identity on Search (other findings offer one too)
        f
        for f in demo.findings
        if any(r.alternative_to and isinstance(r.value, dict) for r in f.remediations)
        and f.check_id == "OYD002"
    ]
    [custom] = [r for r in finding.remediations if isinstance(r.value, dict)]
    assert custom.value["properties"]["type"] == "CustomRole"
    chosen = dataclasses.replace(custom, alternative_to=None)
    own = dataclasses.replace(finding, remediations=(chosen,))
    model = Model(load_demo())
    checks = [c for c in demo.checks if c.id == finding.check_id]
    before = Engine(model, fixes=FixPlan).run(checks)
    assert units(finding) & all_units(before.findings)

    def rerun(patched: Model, *_: object) -> RunResult:
        return Engine(patched, fixes=FixPlan).run(checks)

    def about(f: Finding) -> set[Any]:  # the finding whatever its status or cause
        return {(f.check_id, u[1], u[3], u[4]) for u in units(f)}

    after = rerun(apply(model, [chosen])).findings
    left = [f for f in after if about(f) & about(finding)]
    assert not left, [(f.status, f.message[:160]) for f in left]  # not even as "unknown"
    whole = _converge(model, (own,), rerun)
    step = whole.step(chosen)
    assert step is not None and step.remediation.verified, whole.why
    assert whole.verified and not whole.remaining and not whole.appeared, whole.why
