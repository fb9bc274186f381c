"""A snapshot that cannot say who holds which role on its target, through the command line.

Three ways the basis goes missing: the target hub (or project) is not in the snapshot, the role
assignments above it could not be read, or none at all reach it (someone always holds a role
on a subscription, so none means they were not collected). Then the checks about people say
`unknown` with the reason, no missing role becomes a failure with a fix, and the summary says
why once; never a clean pass that asked about nobody. The unchanged demo is the control: the
same checks give real passes and failures there.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from diagnose.cli import main
from diagnose.demo import load_demo
from diagnose.engine.registry import load_checks
from diagnose.report.schema import schema as report_schema


def _hub_alone(data: dict[str, Any]) -> dict[str, Any]:
    """The demo without its Foundry resource group: these tests take away the hub's basis, and
    the Foundry resource beside the hub would be a second one."""
    apart = "/resourcegroups/rg-contoso-agents/"
    data["resources"] = [r for r in data["resources"] if apart not in r["id"].lower()]
    data["roleAssignments"] = [
        a for a in data["roleAssignments"] if apart not in a["properties"]["scope"].lower() + "/"
    ]
    return data


DEMO = _hub_alone(load_demo().data)
HUB = DEMO["target"]["hub"]
SUBSCRIPTION = "/".join(HUB.split("/")[:3])
GROUP = "/".join(HUB.split("/")[:5])
BEN = "704ac2e4-5c6e-5587-97c3-bda22b4c22c6"
"""Ben Carter: no role that creates hubs in the demo."""
PEOPLE = {"HUB001", "HUB002", "HUB003", "CON001", "CON002", "CON003", "PFL001"}
"""The checks about the people who use the hub; each applies to the demo hub."""
PEOPLE_SELECTION = ["--select", "HUB001,HUB002,HUB003,CON001,CON002,CON003,PFL001"]
UNDECIDED = "cannot be decided"
"""Words of the summary's sentence, which must appear once."""


def test_the_people_checks_are_the_ones_declared_about_people() -> None:
    checks, errors = load_checks()
    assert not errors
    assert {c.id for c in checks if c.people} == PEOPLE


# -- the snapshots ---------------------------------------------------------------------------
def without_target() -> dict[str, Any]:
    data = copy.deepcopy(DEMO)
    data["resources"] = [r for r in data["resources"] if r["id"].lower() != HUB.lower()]
    return data


def without_project() -> dict[str, Any]:
    data = copy.deepcopy(DEMO)
    data["target"] = {**data["target"], "project": "proj-gone"}
    return data


def without_any_hub() -> dict[str, Any]:
    data = copy.deepcopy(DEMO)
    data["target"] = {}
    data["resources"] = [
        r for r in data["resources"] if "/microsoft.machinelearningservices/" not in r["id"].lower()
    ]
    return data


def unreadable_at(scope: str) -> dict[str, Any]:
    """What a collection gives when listing role assignments at this scope is refused: an
    errors entry, and none of the assignments that listing would have returned."""
    data = copy.deepcopy(DEMO)
    data["roleAssignments"] = [
        a
        for a in data["roleAssignments"]
        if not a["properties"]["scope"].lower().startswith(SUBSCRIPTION.lower())
    ]
    data["errors"].append(
        {
            "scope": scope,
            "operation": "Microsoft.Authorization/roleAssignments/read",
            "status": 403,
            "code": "AuthorizationFailed",
            "message": "The client 'ana@contoso.example' does not have authorization to perform "
            "action 'Microsoft.Authorization/roleAssignments/read' over scope "
            f"'{scope}' or the scope is invalid.",
        }
    )
    return data


def without_assignments() -> dict[str, Any]:
    data = copy.deepcopy(DEMO)
    data["roleAssignments"] = []
    return data


def write(tmp_path: Path, data: dict[str, Any], name: str = "snapshot.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, _ = capsys.readouterr()
    return code, out


def report_of(capsys, path: str, *more: str) -> tuple[int, dict[str, Any]]:
    code, out = run(capsys, "--snapshot", path, "--json", *more)
    report = json.loads(out)
    jsonschema.Draft7Validator(report_schema()).validate(report)
    return code, report


def by_check(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        found.setdefault(finding["checkId"], []).append(finding)
    return found


def assert_people_unknown(report: dict[str, Any], reason: str, only: bool = True) -> None:
    """Every check about people answers `unknown` with the reason, so none passes (a check that
    reports nothing has passed); with `only`, it answers nothing else: no fail, no warning."""
    findings = by_check(report)
    for check_id in sorted(PEOPLE):
        mine = findings.get(check_id, [])
        assert mine, f"{check_id} passed on a snapshot that cannot say who the people are"
        unknown = [f for f in mine if f["status"] == "unknown"]
        assert any(reason in f["message"] for f in unknown), (check_id, mine)
        if only:
            assert unknown == mine, (check_id, mine)
            assert all(f["cause"] == "unreadable" and not f["remediations"] for f in mine)


def assert_no_role_conclusion(report: dict[str, Any]) -> None:
    """No check says anyone lacks a role, and the plan assigns none."""
    assert not [f for f in report["findings"] if f["cause"] in ("missingRole", "eligibleOnly")]
    assert not [
        p
        for p in report["fixPlan"]
        if p["remediation"]["kind"] in ("roleAssignment", "activateEligible")
    ]


def assert_summary_says(capsys, path: str, report: dict[str, Any], words: str) -> None:
    summary = report["summary"]
    assert summary["partial"] is True
    assert words in summary["unknownBecause"]
    assert UNDECIDED in summary["unknownBecause"]
    _, text = run(capsys, "--snapshot", path)
    flat = " ".join(text.split())
    assert flat.count(UNDECIDED) == summary["unknownBecause"].count(UNDECIDED)
    assert " ".join(summary["unknownBecause"].split()) in flat
    _, markdown = run(capsys, "--snapshot", path, "--format", "markdown")
    assert words in " ".join(markdown.split())


def assert_exit_codes(capsys, path: str) -> None:
    """Unknown is not a failure (exit 0), unless --strict asks for complete answers (exit 3),
    as for every other unknown."""
    code, _ = run(capsys, "--snapshot", path, "--json", *PEOPLE_SELECTION)
    assert code == 0
    code, _ = run(capsys, "--snapshot", path, "--json", "--strict", *PEOPLE_SELECTION)
    assert code == 3
    code, _ = run(capsys, "--snapshot", path, "--json", "--fail-on", "unknown", *PEOPLE_SELECTION)
    assert code == 1


# -- the control -----------------------------------------------------------------------------
def test_control_with_the_data_present_the_people_checks_really_pass_and_fail(capsys, tmp_path):
    path = write(tmp_path, DEMO)
    code, report = report_of(capsys, path, *PEOPLE_SELECTION)
    assert code == 1
    assert "unknownBecause" not in report["summary"]
    assert report["summary"]["byStatus"]["unknown"] == 0
    assert report["summary"]["requirementsMet"] > 0, "some requirements really pass"
    statuses = {
        f["checkId"]: {g["status"] for g in by_check(report)[f["checkId"]]}
        for f in report["findings"]
    }
    # CON001: the builders fail; Ana Lopez, Owner on the hub, administers it and is warned.
    assert statuses["HUB001"] == {"fail"} and statuses["CON001"] == {"fail", "warn"}
    assert statuses["HUB003"] == {"warn"}
    code, _ = run(capsys, "--snapshot", path, "--json", "--strict", *PEOPLE_SELECTION)
    assert code == 1


def test_control_an_unreadable_listing_elsewhere_takes_nothing_away(capsys, tmp_path):
    """Role assignments that could not be read in a subscription above nothing the hub is in:
    the people checks still decide, and the summary does not say otherwise."""
    data = copy.deepcopy(DEMO)
    other = "/subscriptions/99999999-8888-7777-6666-555555555555"
    data["errors"].append(
        {
            "scope": other,
            "operation": "Microsoft.Authorization/roleAssignments/read",
            "status": 403,
            "code": "AuthorizationFailed",
            "message": "denied",
        }
    )
    _, control = report_of(capsys, write(tmp_path, DEMO, "control.json"))
    _, report = report_of(capsys, write(tmp_path, data))
    assert "unknownBecause" not in report["summary"]
    assert report["findings"] == control["findings"]


# -- the target is missing ---------------------------------------------------------------------
def test_without_the_target_hub_the_people_checks_are_unknown(capsys, tmp_path):
    path = write(tmp_path, without_target())
    _, report = report_of(capsys, path)
    reason = "the hub the snapshot names as its target is not among its resources"
    assert_people_unknown(report, reason)
    assert all(f["resource"] == HUB for f in report["findings"] if f["checkId"] in PEOPLE)
    assert_summary_says(
        capsys, path, report, "The hub the snapshot names as its target is not among its resources"
    )
    assert_exit_codes(capsys, path)


def test_without_the_target_project_the_people_checks_are_unknown(capsys, tmp_path):
    """The hub is there: what its own members lack is still said; what the project's would,
    cannot be."""
    path = write(tmp_path, without_project())
    _, report = report_of(capsys, path)
    assert_people_unknown(
        report,
        "the project the snapshot names as its target is not a project of its hub",
        only=False,
    )
    assert not [f for f in by_check(report)["HUB001"] if f["status"] != "unknown"]
    assert_summary_says(capsys, path, report, "The project the snapshot names as its target")


def test_a_snapshot_of_no_hub_asks_nothing_and_does_not_pass(capsys, tmp_path):
    path = write(tmp_path, without_any_hub())
    _, report = report_of(capsys, path)
    assert report["summary"]["requirements"] == 0
    assert_people_unknown(
        report, "the snapshot names no hub or Foundry resource as its target and holds none"
    )
    assert_summary_says(capsys, path, report, "names no hub or Foundry resource")
    assert_exit_codes(capsys, path)


def test_without_the_target_a_creator_check_given_a_creator_is_unknown(capsys, tmp_path):
    path = write(tmp_path, without_target())
    _, report = report_of(capsys, path, "--creator", BEN)
    [finding] = by_check(report)["HUB004"]
    assert finding["status"] == "unknown"
    _, report = report_of(capsys, path)
    assert "HUB004" not in by_check(report), "without --creator it asks about nobody"


# -- role assignments that could not be read -------------------------------------------------
@pytest.mark.parametrize(
    ("scope", "place", "named"),
    [
        (SUBSCRIPTION, "the hub's subscription", f"subscription '{SUBSCRIPTION.split('/')[2]}'"),
        (GROUP, "the hub's resource group", "resource group 'rg-contoso-ai'"),
    ],
    ids=["subscription", "resource-group"],
)
def test_unreadable_assignments_above_the_hub_make_the_people_checks_unknown(
    capsys, tmp_path, scope, place, named
):
    path = write(tmp_path, unreadable_at(scope))
    _, report = report_of(capsys, path)
    assert_people_unknown(
        report, f"role assignments at {named} (403 AuthorizationFailed) could not be read"
    )
    assert_no_role_conclusion(report)
    assert_summary_says(
        capsys,
        path,
        report,
        f"Role assignments at {place} could not be read (403 AuthorizationFailed)",
    )
    assert_exit_codes(capsys, path)


def test_unreadable_assignments_leave_the_grants_that_were_read(capsys, tmp_path):
    """The listing failed, yet what another listing returned still counts: a grant that is
    there is not in doubt, only a missing one is."""
    data = unreadable_at(SUBSCRIPTION)
    data["roleAssignments"] = copy.deepcopy(DEMO["roleAssignments"])
    _, control = report_of(capsys, write(tmp_path, DEMO, "control.json"))
    _, report = report_of(capsys, write(tmp_path, data))
    assert control["summary"]["requirementsMet"] > 0
    assert report["summary"]["requirementsMet"] == control["summary"]["requirementsMet"]
    assert_no_role_conclusion(report)
    assert "Role assignments at the hub's subscription" in report["summary"]["unknownBecause"]


# -- no role assignment at all -----------------------------------------------------------------
def test_without_any_role_assignment_nothing_is_a_missing_role(capsys, tmp_path):
    path = write(tmp_path, without_assignments())
    _, report = report_of(capsys, path)
    reason = "no role assignment at all was read for the hub"
    assert_people_unknown(report, reason)
    assert_no_role_conclusion(report)
    # The service identities' requirements too: unknown, with the same reason.
    storage = [f for f in report["findings"] if f["checkId"] == "STG002"]
    assert storage and all(f["status"] == "unknown" and reason in f["message"] for f in storage)
    # Settings are still checked: they do not depend on who holds which role.
    assert {f["status"] for f in by_check(report)["CFG001"]} == {"fail"}
    assert_summary_says(capsys, path, report, "No role assignment at all was read")
    assert_exit_codes(capsys, path)


def test_without_any_role_assignment_the_creator_is_not_said_to_lack_a_role(capsys, tmp_path):
    _, control = report_of(capsys, write(tmp_path, DEMO, "control.json"), "--creator", BEN)
    _, report = report_of(capsys, write(tmp_path, without_assignments()), "--creator", BEN)
    for check_id in ("HUB004", "INS001"):
        assert {f["status"] for f in by_check(control)[check_id]} == {"fail"}
        [finding] = by_check(report)[check_id]
        assert finding["status"] == "unknown" and not finding["remediations"]
        assert (
            "Whether it has them cannot be told: no role assignment at all was read"
            in finding["message"]
        )


def test_a_listing_that_timed_out_asks_for_a_longer_timeout_not_for_a_role(capsys, tmp_path):
    """A read that ran out of time was not refused: the advice is time, not Reader."""
    data = unreadable_at(SUBSCRIPTION)
    data["errors"][-1].update(
        status=None, code="Timeout", message="not read before the --timeout of 3 s ran out"
    )
    _, report = report_of(capsys, write(tmp_path, data))
    because = report["summary"]["unknownBecause"]
    assert "longer --timeout" in because and "Reader on the subscription" not in because
    _, refused = report_of(capsys, write(tmp_path, unreadable_at(SUBSCRIPTION), "refused.json"))
    assert "Reader on the subscription" in refused["summary"]["unknownBecause"]
