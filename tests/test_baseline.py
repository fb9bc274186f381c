"""--baseline REPORT through the real command line: findings in the baseline are shown,
marked, and left out of the exit code; new ones still fail the run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from diagnose.cli import main
from diagnose.demo import load_demo
from diagnose.snapshot import dump_snapshot
from tests.test_diff import after_data

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.fixture
def estate(tmp_path, monkeypatch, capsys):
    """snapshot.json (the demo), baseline.json (its report), after.json (one assignment
    removed, one setting fixed)."""
    monkeypatch.chdir(tmp_path)
    Path("snapshot.json").write_text(dump_snapshot(load_demo().data), encoding="utf-8")
    Path("after.json").write_text(dump_snapshot(after_data()), encoding="utf-8")
    assert main(["--snapshot", "snapshot.json", "--json", "--output-file", "baseline.json"]) == 1
    capsys.readouterr()
    return tmp_path


def test_the_same_findings_pass_and_are_marked(estate, capsys):
    assert main(["--snapshot", "snapshot.json", "--baseline", "baseline.json", "--no-tui"]) == 0
    out, err = capsys.readouterr()
    assert "baseline: 40 finding(s) already in it, marked (in baseline); 0 new" in out
    assert out.count("(in baseline)") == 41  # the summary line and every finding
    assert "diagnose: baseline baseline.json: 40 finding(s) already in it, 0 new" in err


def test_a_new_finding_fails_the_run_and_is_not_marked(estate, capsys):
    assert main(["--snapshot", "after.json", "--baseline", "baseline.json", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    new = [f["checkId"] for f in report["findings"] if not f["inBaseline"]]
    assert new == ["STG001"]
    assert all(f["inBaseline"] for f in report["findings"] if f["checkId"] != "STG001")


def test_fail_on_and_strict_count_only_new_findings(estate, capsys):
    argv = ["--snapshot", "after.json", "--baseline", "baseline.json", "--no-tui"]
    assert main([*argv, "--fail-on", "never"]) == 0
    # without the baseline, warnings of the demo fail --fail-on warn; with it, only STG001
    assert main(["--snapshot", "snapshot.json", "--fail-on", "warn", "--no-tui"]) == 1
    assert (
        main(
            [
                "--snapshot",
                "snapshot.json",
                "--baseline",
                "baseline.json",
                "--fail-on",
                "info",
                "--strict",
                "--no-tui",
            ]
        )
        == 0
    )
    capsys.readouterr()


def test_every_format_marks_them(estate, capsys):
    argv = ["--snapshot", "after.json", "--baseline", "baseline.json"]
    assert main([*argv, "--format", "markdown"]) == 1
    markdown = capsys.readouterr().out
    assert re.search(r"^## \d+\. CFG002: .* \(in baseline\)$", markdown, re.MULTILINE)
    assert not re.search(r"^## \d+\. STG001: .* \(in baseline\)$", markdown, re.MULTILINE)
    assert main([*argv, "--format", "sarif"]) == 1
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    states = {r["ruleId"]: r["baselineState"] for r in results}
    assert states["STG001"] == "new" and states["CFG002"] == "unchanged"
    assert main([*argv, "-o", "table"]) == 1
    table = capsys.readouterr().out.splitlines()
    [stg001] = [line for line in table if " STG001 " in line]
    cfg002 = [line for line in table if " CFG002 " in line]
    assert stg001.startswith("fail (new) ") and cfg002
    assert all(line.startswith("fail (in baseline) ") for line in cfg002)


def test_without_a_baseline_nothing_is_marked(estate, capsys):
    assert main(["--snapshot", "after.json", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert all("inBaseline" not in f for f in report["findings"])


def test_the_marked_report_matches_its_schema(estate, capsys):
    import jsonschema

    from diagnose.report.schema import schema

    main(["--snapshot", "after.json", "--baseline", "baseline.json", "--json"])
    jsonschema.validate(json.loads(capsys.readouterr().out), schema())
    assert schema()["definitions"]["finding"]["properties"]["inBaseline"]["type"] == "boolean"


@pytest.mark.parametrize(
    ("baseline", "message"),
    [
        ("snapshot.json", "--baseline snapshot.json: is a snapshot, not a report"),
        ("missing.json", "missing.json: no such file"),
    ],
)
def test_a_baseline_that_is_not_a_report_is_exit_2(estate, capsys, baseline, message):
    assert main(["--snapshot", "after.json", "--baseline", baseline, "--no-tui"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_report_without_ids_is_refused(estate, capsys):
    report = json.loads(Path("baseline.json").read_text(encoding="utf-8"))
    del report["findings"][3]["id"]
    Path("odd.json").write_text(json.dumps(report), encoding="utf-8")
    assert main(["--snapshot", "after.json", "--baseline", "odd.json", "--no-tui"]) == 2
    assert "finding 3 has no id" in capsys.readouterr().err


def test_the_baseline_example_of_the_readme_runs(estate, capsys):
    section = README[README.index("### Baselines") :]
    lines = [line for line in section.splitlines() if line.startswith("diagnose --snapshot")]
    first, second = (re.sub(r"\s+#.*$", "", line).split()[1:] for line in lines[:2])
    assert first[-2:] == [">", "baseline.json"] and "--baseline" in second
    Path("baseline.json").unlink()
    assert main(first[:-2]) == 1
    Path("baseline.json").write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(second) == 0
    Path("snapshot.json").write_text(Path("after.json").read_text(encoding="utf-8"))
    assert main(second) == 1  # a role assignment went: STG001 is new
