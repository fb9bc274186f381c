"""`diagnose recheck` through the real command line: the demo's plan, some of its role
assignments applied to a copy of the demo snapshot, and the recheck's verdict per step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from diagnose.app.recheck import FAILED, NOT_YET, read_plan, recheck
from diagnose.cli import main
from diagnose.demo import load_demo
from diagnose.errors import BadInput
from diagnose.snapshot import parse_snapshot


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    assert main(["fix-plan", "--demo", "--as", "json", "--output-file", str(path)]) == 0
    return path


def _assignment(rem: dict[str, Any], n: int) -> dict[str, Any]:
    """A role assignment as ARM returns it for the step."""
    sub = rem["scope"].split("/")[2]
    name = f"00000000-0000-4000-8000-{n:012d}"
    return {
        "id": f"{rem['scope']}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "principalId": rem["principalId"],
            "principalType": rem["principalType"],
            "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/"
            f"roleDefinitions/{rem['roleDefinitionId']}",
            "scope": rem["scope"],
            "condition": None,
            "conditionVersion": None,
            "createdOn": "2026-12-03T14:00:00.0000000Z",
        },
    }


def _after(tmp_path: Path, steps: list[dict[str, Any]]) -> Path:
    data = load_demo().data
    data["roleAssignments"] = data["roleAssignments"] + [
        _assignment(s["remediation"], i) for i, s in enumerate(steps)
    ]
    path = tmp_path / "after.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _by_id(plan_path: Path) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in json.loads(plan_path.read_text())}


# Single role-assignment steps that alone clear the findings they are for.
APPLIED = ("e44313b80dfe", "0be9f159f3ab", "e09d4a91c8bb")
DENIED = "ca73f1db67cc"  # Ana Lopez, Storage Blob Data Reader on stcontosodata (deny: blob write)


def test_applied_steps_are_done_the_others_not_yet_visible(
    plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = _by_id(plan_file)
    after = _after(tmp_path, [steps[i] for i in APPLIED])
    code, out = _run(
        capsys, "recheck", "--plan", str(plan_file), "--snapshot", str(after), "--json"
    )
    result = {s["id"]: s for s in json.loads(out)["steps"]}
    for step_id in APPLIED:
        assert result[step_id]["status"] == "done", result[step_id]
    others = [s for i, s in result.items() if i not in APPLIED and s["status"] != "failed"]
    assert others and all(s["status"] == NOT_YET for s in others)
    assert code == 3  # only not-yet-visible steps besides the done ones


def test_without_the_changes_nothing_is_done(
    plan_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(capsys, "recheck", "--plan", str(plan_file), "--demo", "-o", "json")
    assert json.loads(out)["summary"]["done"] == 0
    assert code == 3


def test_a_step_a_deny_assignment_contradicts_fails(
    plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    step = _by_id(plan_file)[APPLIED[0]]
    rem = step["remediation"]
    after = _after(tmp_path, [step])
    data = json.loads(after.read_text())
    deny = json.loads(json.dumps(data["denyAssignments"][0]))
    deny["id"] = rem["scope"] + "/providers/Microsoft.Authorization/denyAssignments/d1"
    deny["name"] = "d1"
    props = deny["properties"]
    props.update(denyAssignmentName="no search data", scope=rem["scope"], excludePrincipals=[])
    props["principals"] = [{"id": rem["principalId"], "type": rem["principalType"]}]
    props["permissions"] = [
        {"actions": [], "notActions": [], "dataActions": ["*"], "notDataActions": []}
    ]
    data["denyAssignments"].append(deny)
    after.write_text(json.dumps(data), encoding="utf-8")
    code, out = _run(
        capsys, "recheck", "--plan", str(plan_file), "--snapshot", str(after), "--json"
    )
    result = {s["id"]: s for s in json.loads(out)["steps"]}[APPLIED[0]]
    assert result["status"] == "failed", result
    assert "deny assignment 'no search data'" in result["reason"]
    assert code == 1


def test_a_deny_that_does_not_bite_leaves_the_step_done(
    plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's deny covers Ana Lopez on stcontosodata but denies blob writes only: her
    Storage Blob Data Reader assignment is done, the deny only noted."""
    after = _after(tmp_path, [_by_id(plan_file)[DENIED]])
    _code, out = _run(
        capsys, "recheck", "--plan", str(plan_file), "--snapshot", str(after), "--json"
    )
    result = {s["id"]: s for s in json.loads(out)["steps"]}[DENIED]
    assert result["status"] == "done", result


def test_output_file(plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "recheck.json"
    code, out = _run(
        capsys,
        "recheck",
        "--plan",
        str(plan_file),
        "--demo",
        "--json",
        "--output-file",
        str(target),
    )
    assert out == "" and code == 3
    assert json.loads(target.read_text())["summary"]["not yet visible"] > 0


@pytest.mark.parametrize("text", ["{}", "[1, 2]", "not json", '[{"id": "x"}]'])
def test_a_file_that_is_not_a_plan_is_bad_input(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text(text, encoding="utf-8")
    assert main(["recheck", "--plan", str(bad), "--demo"]) == 2
    err = capsys.readouterr().err
    assert "is not" in err and "Traceback" not in err


def test_a_json_report_is_taken_as_its_fix_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    main(["--demo", "--json", "--output-file", str(report)])
    capsys.readouterr()
    code, out = _run(capsys, "recheck", "--plan", str(report), "--demo", "--json")
    assert code == 3 and json.loads(out)["steps"]


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_wait_polls_with_doubling_backoff_until_the_window_then_fails(plan_file: Path) -> None:
    plan = read_plan(plan_file.read_text(), "plan")
    step = next(s for s in plan if s["id"] == APPLIED[0])
    snapshot = load_demo()
    clock = _Clock()
    result = recheck([step], lambda: snapshot, wait=True, clock=clock, sleep=clock.sleep)
    assert clock.slept[:4] == [10.0, 20.0, 40.0, 80.0]
    assert max(clock.slept) <= 120.0 and sum(clock.slept) == pytest.approx(600.0)
    assert result.steps[0].status == FAILED and "propagation window" in result.steps[0].reason


def test_wait_stops_as_soon_as_the_step_shows(plan_file: Path) -> None:
    plan = read_plan(plan_file.read_text(), "plan")
    step = next(s for s in plan if s["id"] == APPLIED[0])
    before = load_demo()
    data = load_demo().data
    data["roleAssignments"].append(_assignment(step["remediation"], 1))
    after = parse_snapshot(data, "after")
    reads = iter([before, before, after])
    clock = _Clock()
    result = recheck([step], lambda: next(reads), wait=True, clock=clock, sleep=clock.sleep)
    assert result.polls == 3 and clock.slept == [10.0, 20.0]
    assert result.steps[0].status == "done"


def test_read_plan_rejects_a_list_of_non_steps() -> None:
    with pytest.raises(BadInput):
        read_plan('[{"id": "a", "remediation": {}}]', "plan")


def test_a_setting_made_and_an_assignment_removed_are_done(
    plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = _by_id(plan_file)
    setting, removal = steps["ec62a9d6d07b"]["remediation"], steps["87c4720b5d14"]["remediation"]
    data = load_demo().data
    search = next(r for r in data["resources"] if r["id"].lower() == setting["resource"].lower())
    search["properties"]["authOptions"] = setting["value"]
    data["roleAssignments"] = [
        a for a in data["roleAssignments"] if a["id"].lower() != removal["resource"].lower()
    ]
    after = tmp_path / "after.json"
    after.write_text(json.dumps(data), encoding="utf-8")
    code, out = _run(
        capsys, "recheck", "--plan", str(plan_file), "--snapshot", str(after), "-o", "json"
    )
    result = {s["id"]: s["status"] for s in json.loads(out)["steps"]}
    assert result["ec62a9d6d07b"] == "done" and result["87c4720b5d14"] == "done"
    assert result["fdd4a1862195"] == NOT_YET  # the firewall setting was not made
    assert code == 3
