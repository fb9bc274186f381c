"""`diagnose diff BEFORE AFTER` through the real command line, on snapshots derived from the
demo: one role assignment removed and one setting fixed."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from diagnose.cli import main
from diagnose.demo import load_demo
from diagnose.snapshot import dump_snapshot

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
HUB_IDENTITY = "618ff4b8-7f66-5b48-a118-86066e1df4f7"
BLOB_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
SEARCH = (
    "/subscriptions/6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a/resourceGroups/rg-contoso-ai/"
    "providers/Microsoft.Search/searchServices/srch-contoso"
)


def after_data() -> dict:
    """The demo with the hub identity's Storage Blob Data Contributor removed (STG001 appears)
    and Search accepting Entra ID tokens (CFG001 is fixed)."""
    data = load_demo().data
    data["roleAssignments"] = [
        a
        for a in data["roleAssignments"]
        if not (
            a["properties"]["principalId"] == HUB_IDENTITY
            and a["properties"]["roleDefinitionId"].endswith(BLOB_CONTRIBUTOR)
        )
    ]
    search = next(r for r in data["resources"] if r["id"] == SEARCH)
    search["properties"]["authOptions"] = {
        "aadOrApiKey": {"aadAuthFailureMode": "http401WithBearerChallenge"}
    }
    return data


@pytest.fixture
def sides(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("before.json").write_text(dump_snapshot(load_demo().data), encoding="utf-8")
    Path("after.json").write_text(dump_snapshot(after_data()), encoding="utf-8")
    return tmp_path


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["diff", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_removed_assignment_and_a_fixed_setting(sides, capsys):
    code, found = run_json(capsys, "before.json", "after.json")
    assert code == 1  # a new failure
    removed = found["state"]["roleAssignments"]["removed"]
    assert [r["label"].split(" at ")[0] for r in removed] == [
        "Storage Blob Data Contributor for service principal hub-contoso"
    ]
    assert found["state"]["roleAssignments"]["added"] == []
    [setting] = found["state"]["settings"]["changed"]
    assert setting["id"] == SEARCH.lower()
    paths = {f["path"]: (f.get("before", "-"), f.get("after", "-")) for f in setting["fields"]}
    assert paths["properties.authOptions.apiKeyOnly"] == ({}, "-")  # gone, not null
    assert paths["properties.authOptions.aadOrApiKey.aadAuthFailureMode"] == (
        "-",
        "http401WithBearerChallenge",
    )
    assert [f["checkId"] for f in found["findings"]["new"]] == ["STG001"]
    assert [f["checkId"] for f in found["findings"]["fixed"]] == ["CFG001"]
    assert found["summary"]["findings"] == {
        "fixed": 1,
        "new": 1,
        "unchanged": 39,
        "statusChanged": 0,
    }
    for name in ("denyAssignments", "roleEligibilities", "roleDefinitions", "identities"):
        assert found["summary"]["state"][name] == {"added": 0, "removed": 0, "changed": 0}


def test_the_same_snapshot_twice_changes_nothing(sides, capsys):
    code, found = run_json(capsys, "before.json", "before.json")
    assert code == 0
    assert all(
        not s["added"] and not s["removed"] and not s["changed"] for s in found["state"].values()
    )
    assert found["findings"]["new"] == found["findings"]["fixed"] == []


def test_the_reverse_diff_fixes_what_the_forward_one_broke(sides, capsys):
    code, found = run_json(capsys, "after.json", "before.json")
    assert code == 1  # CFG001 comes back
    assert [f["checkId"] for f in found["findings"]["fixed"]] == ["STG001"]
    assert len(found["state"]["roleAssignments"]["added"]) == 1
    assert main(["diff", "after.json", "before.json", "--fail-on", "never"]) == 0


def test_identities_eligibilities_and_denies_are_compared(sides, capsys):
    data = load_demo().data
    ana = next(p for p in data["principals"] if p["displayName"] == "Ana Lopez")
    ana["memberOf"] = [*ana["memberOf"], "grp-new"]
    data["roleEligibilities"] = []
    data["denyAssignments"][0]["properties"]["doNotApplyToChildScopes"] = True
    hub = next(r for r in data["resources"] if r.get("identity") and r["name"] == "hub-contoso")
    hub["identity"]["type"] = "None"
    Path("changed.json").write_text(dump_snapshot(data), encoding="utf-8")
    _, found = run_json(capsys, "before.json", "changed.json")
    state = found["state"]
    labels = [c["label"] for c in state["identities"]["changed"]]
    assert "user Ana Lopez" in labels and "managed identity of hub-contoso" in labels
    assert len(state["roleEligibilities"]["removed"]) == 1
    [deny] = state["denyAssignments"]["changed"]
    assert [f["path"] for f in deny["fields"]] == ["doNotApplyToChildScopes"]


def test_a_report_side_compares_findings_only_and_says_so(sides, capsys):
    assert main(["--snapshot", "before.json", "--json", "--output-file", "before-report.json"]) == 1
    capsys.readouterr()
    code, found = run_json(capsys, "before-report.json", "after.json")
    assert code == 1
    assert [f["checkId"] for f in found["findings"]["new"]] == ["STG001"]
    assert all(not s["compared"] for s in found["state"].values())
    assert found["summary"]["state"]["roleAssignments"] is None
    assert any("BEFORE is a report" in note for note in found["notes"])
    main(["diff", "before-report.json", "after.json"])
    assert "note: BEFORE is a report" in capsys.readouterr().out


def test_a_bundle_is_a_side(sides, capsys):
    assert main(["--snapshot", "after.json", "--bundle", "after.zip", "--no-tui"]) == 1
    capsys.readouterr()
    assert zipfile.is_zipfile("after.zip")
    _, found = run_json(capsys, "before.json", "after.zip")
    assert [f["checkId"] for f in found["findings"]["new"]] == ["STG001"]


def test_text_and_markdown(sides, capsys):
    assert main(["diff", "before.json", "after.json"]) == 1
    text = capsys.readouterr().out
    assert "findings: 1 new, 1 fixed, 39 unchanged" in text
    assert "state: role assignments: 1 removed; settings: 1 changed" in text
    assert "  - removed: Storage Blob Data Contributor for service principal hub-contoso" in text
    assert "properties.authOptions.apiKeyOnly: {} -> (absent)" in text
    assert re.search(r"\+ FAIL STG001 \[[0-9a-f]{16}\]", text)
    assert main(["diff", "before.json", "after.json", "-o", "markdown"]) == 1
    markdown = capsys.readouterr().out
    assert markdown.startswith("# diagnose diff: `before.json` → `after.json`")
    assert "## New findings (1)" in markdown and "## Role assignments" in markdown


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope.json", "after.json"], "nope.json: no such file"),
        (["before.json", "."], ".: is a directory"),
        (["before.json", "after.json", "--json", "-o", "markdown"], "ask for two formats"),
    ],
)
def test_bad_input_is_exit_2_with_one_line(sides, capsys, argv, message):
    assert main(["diff", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_not_json_at_all_is_exit_2(sides, capsys):
    Path("notes.txt").write_text("hello", encoding="utf-8")
    assert main(["diff", "before.json", "notes.txt"]) == 2
    assert "notes.txt" in capsys.readouterr().err


def _command(after: str) -> list[str]:
    block = README[README.index(after) :]
    command = block[: block.index("\n")]
    return [a.strip('"') for a in re.findall(r'"[^"]*"|\S+', command)[1:]]


def test_the_diff_examples_of_the_readme_run(sides, capsys):
    argv = _command("diagnose diff before.json after.json\n")
    assert argv == ["diff", "before.json", "after.json"]
    assert main(argv) == 1
    assert "STG001" in capsys.readouterr().out
    argv = _command("diagnose diff before.json after.json -o markdown")
    assert main(argv) == 1
    assert Path("diff.md").read_text(encoding="utf-8").startswith("# diagnose diff:")


def test_a_report_of_other_checks_or_a_focus_is_said_to_be_one(sides, capsys):
    main(["--snapshot", "before.json", "--select", "CFG", "--json", "--output-file", "cfg.json"])
    main(
        [
            "--snapshot",
            "before.json",
            "--principal",
            "Chen Wei",
            "--json",
            "--output-file",
            "chen.json",
        ]
    )
    capsys.readouterr()
    _, found = run_json(capsys, "cfg.json", "after.json")
    assert any(n.startswith("the two sides ran different checks (ACR001") for n in found["notes"])
    _, found = run_json(capsys, "chen.json", "after.json")
    assert any("focused on principals" in n for n in found["notes"])


def test_select_and_ignore_narrow_the_findings_of_both_kinds_of_side(sides, capsys):
    code, found = run_json(capsys, "before.json", "after.json", "--select", "CFG")
    assert code == 0  # STG001, the new failure, is not selected
    assert [f["checkId"] for f in found["findings"]["fixed"]] == ["CFG001"]
    assert found["findings"]["new"] == []
    assert {f["checkId"] for f in found["findings"]["unchanged"]} <= {"CFG002", "CFG003"}
    # the state is compared whatever the selection
    assert found["summary"]["state"]["roleAssignments"]["removed"] == 1
    assert main(["--snapshot", "after.json", "--json", "--output-file", "after-report.json"]) == 1
    capsys.readouterr()
    code, found = run_json(capsys, "before.json", "after-report.json", "--ignore", "CFG001,HUB")
    assert [f["checkId"] for f in found["findings"]["new"]] == ["STG001"]
    assert found["findings"]["fixed"] == []
    assert not any(
        f["checkId"].startswith(("CFG001", "HUB")) for f in found["findings"]["unchanged"]
    )
    assert not any("different checks" in note for note in found["notes"])


def test_a_selection_that_matches_no_check_is_bad_input(sides, capsys):
    assert main(["diff", "before.json", "after.json", "--select", "NOPE9"]) == 2
    assert "--select NOPE9 matches no check" in capsys.readouterr().err


def test_creator_runs_the_creator_checks_on_snapshot_sides(sides, capsys):
    """Without --creator the creator checks ask nothing (a diff of them is empty); with it,
    both snapshot sides are judged for that principal, as the main command judges one."""
    _, alone = run_json(capsys, "before.json", "after.json", "--select", "FDY003,HUB004")
    assert alone["findings"]["unchanged"] == []
    main(
        [
            "--snapshot",
            "before.json",
            "--json",
            "--creator",
            "Dana Smith",
            "--select",
            "FDY003,HUB004",
        ]
    )
    expected = {f["id"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert expected  # Dana Smith lacks what creating hubs and Foundry projects takes
    _, found = run_json(
        capsys, "before.json", "after.json", "--select", "FDY003,HUB004", "--creator", "Dana Smith"
    )
    assert {f["id"] for f in found["findings"]["unchanged"]} == expected


def _creator_report(capsys, path: str, *creator: str, select: str = "FDY003,HUB004") -> dict:
    """The JSON report of the creator checks on the before side, for `creator` (if given)."""
    main(["--snapshot", "before.json", "--json", "--select", select, *creator])
    report = json.loads(capsys.readouterr().out)
    Path(path).write_text(json.dumps(report), encoding="utf-8")
    return report


def test_a_report_of_a_creator_run_is_compared_for_the_same_creator(sides, capsys):
    """A report made with --creator holds that creator's findings: the snapshot side it is
    compared with is run for the same creator (its object id, recorded in the report), so
    unchanged state shows as unchanged, not as the creator's findings fixed."""
    report = _creator_report(capsys, "report.json", "--creator", "Dana Smith")
    creator = report["target"]["creator"]
    assert re.fullmatch(r"[0-9a-f-]{36}", creator)
    assert report["findings"]  # Dana Smith lacks what creating hubs and projects takes
    _, found = run_json(capsys, "report.json", "before.json", "--select", "FDY003,HUB004")
    assert found["findings"]["fixed"] == [] and found["findings"]["new"] == []
    assert {f["id"] for f in found["findings"]["unchanged"]} == {
        f["id"] for f in report["findings"]
    }
    assert any(creator in note for note in found["notes"])


def test_a_creator_given_apart_from_the_reports_is_said(sides, capsys):
    """--creator naming someone else than the report's creator (or a report without one) is
    run as asked, and the notes say the creator checks' findings differ by whom."""
    checks = "FDY003,HUB004,CFG001"  # the creator checks alone would do nothing without one
    _creator_report(capsys, "plain.json", select=checks)
    _, found = run_json(
        capsys, "plain.json", "before.json", "--select", checks, "--creator", "Dana Smith"
    )
    assert {f["checkId"] for f in found["findings"]["new"]} <= {"FDY003", "HUB004"}
    assert found["findings"]["new"]  # Dana's, which the plain report never asked about
    assert any("differ by whom" in note for note in found["notes"])
    _, quiet = run_json(capsys, "plain.json", "before.json", "--select", checks)
    assert quiet["findings"]["new"] == [] and quiet["findings"]["fixed"] == []
    assert not any("creator" in note for note in quiet["notes"])


def test_a_report_whose_creator_is_no_object_id_is_not_used(sides, capsys):
    report = _creator_report(capsys, "report.json", "--creator", "Dana Smith")
    report["target"]["creator"] = "$(rm -rf ~)"
    Path("report.json").write_text(json.dumps(report), encoding="utf-8")
    _, found = run_json(capsys, "report.json", "before.json", "--select", "FDY003,HUB004")
    assert {f["id"] for f in found["findings"]["fixed"]} == {f["id"] for f in report["findings"]}
    assert not any("rm -rf" in note for note in found["notes"])
