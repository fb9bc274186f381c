"""The report through the command line: formats, output file, exit codes, selection."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from diagnose.cli import main
from diagnose.engine.registry import load_checks
from diagnose.report.schema import schema as report_schema


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_json_report_matches_its_schema(capsys):
    code, out, err = run(capsys, "--demo", "--json")
    report = json.loads(out)
    jsonschema.Draft7Validator(report_schema()).validate(report)
    assert code == 1, "the demo hub has failing findings"
    assert report["summary"]["byStatus"]["fail"] > 0
    assert "findings" in err  # the summary goes to stderr, the data to stdout


def test_every_failing_role_finding_in_the_demo_has_a_verified_fix(capsys):
    _, out, _ = run(capsys, "--demo", "--json")
    report = json.loads(out)
    role_findings = [
        f for f in report["findings"] if f["status"] == "fail" and f["cause"] == "missingRole"
    ]
    assert role_findings
    for finding in role_findings:
        fixes = finding["remediations"]
        assert fixes and all(f["verified"] for f in fixes), finding["message"]
        for fix in fixes:
            # a Cosmos DB data role is a Cosmos DB SQL role assignment, not Azure RBAC
            command = (
                "az cosmosdb sql role assignment create"
                if fix["kind"] == "cosmosSqlRoleAssignment"
                else "az role assignment create"
            )
            assert fix["commands"]["azureCli"].count(command) == 1, finding["message"]


def test_fix_plan_has_one_entry_per_principal_role_and_scope(capsys):
    _, out, _ = run(capsys, "--demo", "--json")
    plan = json.loads(out)["fixPlan"]
    keys = [
        (
            p["remediation"]["principalId"],
            p["remediation"]["roleDefinitionId"],
            (p["remediation"]["scope"] or "").lower(),
        )
        for p in plan
        if p["remediation"]["kind"] == "roleAssignment"
    ]
    assert len(keys) == len(set(keys))
    assert all(p["whoCanRun"] for p in plan if p["remediation"]["kind"] == "roleAssignment")


def test_the_same_snapshot_gives_byte_identical_json(capsys):
    _, first, _ = run(capsys, "--demo", "--json")
    _, second, _ = run(capsys, "--demo", "--json")
    assert first == second


@pytest.mark.parametrize("fmt", ["text", "markdown", "sarif", "json"])
def test_output_file_is_written_only_on_success(capsys, tmp_path, fmt):
    target = tmp_path / f"report.{fmt}"
    code, out, _ = run(capsys, "--demo", "--format", fmt, "--output-file", str(target))
    assert code == 1 and out == ""
    text = target.read_text(encoding="utf-8")
    if fmt in ("json", "sarif"):
        json.loads(text)
    assert "hub-contoso" in text
    missing = tmp_path / "nope" / "report.json"
    code, _, err = run(
        capsys, "--snapshot", str(tmp_path / "absent.json"), "--output-file", str(missing)
    )
    assert code == 2 and not missing.exists()
    assert "no such file" in err and "Traceback" not in err


def test_sarif_has_a_rule_for_every_result(capsys):
    _, out, _ = run(capsys, "--demo", "--format", "sarif")
    sarif = json.loads(out)
    run_ = sarif["runs"][0]
    rules = {r["id"] for r in run_["tool"]["driver"]["rules"]}
    assert run_["results"] and all(r["ruleId"] in rules for r in run_["results"])
    assert {r["level"] for r in run_["results"]} <= {"error", "warning", "note"}


def test_fail_on_and_strict_decide_the_exit_code(capsys, tmp_path):
    assert run(capsys, "--demo", "--json", "--fail-on", "never")[0] == 0
    assert run(capsys, "--demo", "--json", "--select", "CON004")[0] == 0  # info only
    assert run(capsys, "--demo", "--json", "--select", "CON004", "--fail-on", "info")[0] == 1
    # An unreadable target makes a check unknown: exit 3 only with --strict.
    from diagnose.demo import load_demo

    data = load_demo().data
    data["resources"] = [  # the hub alone (no Foundry resource), without its Search service
        r
        for r in data["resources"]
        if not r["id"].endswith("/searchServices/srch-contoso")
        and "/resourceGroups/rg-contoso-agents/" not in r["id"]
    ]
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run(capsys, "--snapshot", str(path), "--json", "--select", "CON002")
    statuses = {f["status"] for f in json.loads(out)["findings"]}
    assert statuses == {"unknown"} and code == 0
    assert run(capsys, "--snapshot", str(path), "--json", "--select", "CON002", "--strict")[0] == 3


def test_select_and_ignore_by_prefix(capsys):
    _, out, _ = run(capsys, "--demo", "--json", "--select", "OYD,CFG001", "--ignore", "OYD002")
    report = json.loads(out)
    oyd = {c.id for c in load_checks()[0] if c.id.startswith("OYD")}
    assert {"OYD001", "OYD002", "OYD003"} <= oyd  # the registry's, so a new OYD check fits
    assert set(report["target"]["checks"]) == {"CFG001", *oyd} - {"OYD002"}
    assert {f["checkId"] for f in report["findings"]} <= set(report["target"]["checks"])
    code, _, err = run(capsys, "--demo", "--select", "NOPE1")
    assert code == 2 and "matches no check" in err


def test_project_narrows_the_run(capsys):
    _, out, _ = run(capsys, "--demo", "--json", "--project", "proj-docs", "--select", "HUB")
    findings = json.loads(out)["findings"]
    assert findings and all("proj-chat" not in f["message"] for f in findings)
    code, _, err = run(capsys, "--demo", "--project", "nope")
    assert code == 2 and "proj-chat" in err


def test_no_source_is_a_usage_error(capsys):
    code, _, err = run(capsys)
    assert code == 2 and "--demo" in err


def test_conflicting_formats_are_refused(capsys):
    code, _, err = run(capsys, "--demo", "--json", "--format", "markdown")
    assert code == 2 and "two formats" in err


def test_markdown_escapes_names_from_azure(capsys, tmp_path):
    from diagnose.demo import load_demo

    data = load_demo().data
    for principal in data["principals"]:
        if principal["displayName"] == "Ana Lopez":
            principal["displayName"] = "<img src=x onerror=alert(1)> [link](http://x) `tick`"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    _, out, _ = run(capsys, "--snapshot", str(path), "--format", "markdown")
    prose = re.sub(r"(?ms)^(`{3,})[a-z]*\n.*?^\1$", "", out)  # code blocks show names verbatim
    assert not re.search(r"(?<!\\)<img", prose), "an unescaped HTML tag reached the Markdown"
    assert not re.search(r"(?<!\\)\[link(?<!\\)\]\(", prose), "a live link reached the Markdown"
    assert r"\<img src=x onerror=alert(1)\>" in prose


def test_text_shows_control_characters_literally(capsys, tmp_path):
    from diagnose.demo import load_demo

    data = load_demo().data
    for principal in data["principals"]:
        if principal["displayName"] == "Ana Lopez":
            principal["displayName"] = "Ana\x1b[31mRED\x1b[0m\nsecond line"
    path = tmp_path / "escape.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    _, out, _ = run(capsys, "--snapshot", str(path), "--no-tui")
    assert "\x1b" not in out and "Ana\\x1b[31mRED" in out


def test_checks_and_explain_check(capsys):
    code, out, _ = run(capsys, "checks")
    assert code == 0 and "CON001" in out and "HUB001" in out
    code, out, _ = run(capsys, "explain-check", "con001")
    assert code == 0
    for section in ("What it checks:", "Why it matters:", "How to fix:"):
        assert section in out
    assert run(capsys, "explain-check", "XYZ999")[0] == 2


def test_schema_command_prints_both_schemas(capsys):
    for name in ("snapshot", "report"):
        code, out, _ = run(capsys, "schema", name)
        assert code == 0 and json.loads(out)["$schema"].startswith("http://json-schema.org")


def test_bundle_records_the_command_line_given_to_main(capsys, tmp_path):
    bundle = tmp_path / "b.zip"
    argv = ["--demo", "--json", "--select", "HUB", "--bundle", str(bundle)]
    assert main(argv) == 1
    import zipfile

    with zipfile.ZipFile(bundle) as archive:
        command = json.loads(archive.read("command.json"))
    assert command["argv"] == argv  # not the test runner's own command line


def test_an_unwritable_bundle_path_fails_before_any_work(capsys, tmp_path):
    code, out, err = run(
        capsys, "--demo", "--json", "--bundle", str(tmp_path / "missing-folder" / "b.zip")
    )
    assert code == 2 and out == "" and "Traceback" not in err


def demo_with_hub_connections_timed_out() -> tuple[dict, str]:
    """The demo snapshot as a collection leaves it when listing the hub's connections timed
    out (the errors entry added), and the hub's id."""
    from diagnose.demo import load_demo

    data = load_demo().data
    hub = next(r["id"] for r in data["resources"] if r.get("kind", "").lower() == "hub")
    data["errors"] = [
        *data["errors"],
        {
            "scope": hub,
            "operation": "Microsoft.MachineLearningServices/workspaces/connections/read",
            "status": None,
            "code": "Timeout",
            "message": "not read before the --timeout of 3 s ran out",
        },
    ]
    return data, hub


def test_strict_counts_a_listing_that_was_not_read(capsys, tmp_path):
    """A refused or timed-out read leaves the report partial even where no selected check
    turned unknown: --strict must not pass it off as complete."""
    data, _ = demo_with_hub_connections_timed_out()
    path = tmp_path / "timed-out.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run(capsys, "--snapshot", str(path), "--json", "--select", "CON004")
    assert code == 0 and json.loads(out)["summary"]["partial"] is True
    assert run(capsys, "--snapshot", str(path), "--json", "--select", "CON004", "--strict")[0] == 3
    # The demo as collected is complete: --strict changes nothing there.
    assert run(capsys, "--demo", "--json", "--select", "CON004", "--strict")[0] == 0


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        ("Timeout", "collect again with a longer --timeout"),
        ("BundleHashMismatch", "ask for the bundle again"),
    ],
)
def test_errors_the_tool_wrote_itself_get_their_own_advice(capsys, tmp_path, code, advice):
    from diagnose.demo import load_demo

    data = load_demo().data
    data["errors"] = [
        {
            "scope": "snapshot.json",
            "operation": "read",
            "status": None,
            "code": code,
            "message": "what happened",
        }
    ]
    path = tmp_path / "errors.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    _, out, _ = run(capsys, "--snapshot", str(path), "--json", "--select", "CON004")
    [error] = json.loads(out)["collectionErrors"]
    assert error["retry"].startswith(advice)
    assert "retry the collection" not in error["retry"]


@pytest.mark.parametrize("check", ["CON001", "CON002", "CON003"])
def test_an_unlisted_workspace_connections_make_the_connection_checks_unknown(
    capsys, tmp_path, check
):
    """A connections listing that failed hides the connections themselves: the checks about
    their users say unknown for that workspace instead of passing on what they cannot see."""
    data, hub = demo_with_hub_connections_timed_out()
    data["resources"] = [
        r
        for r in data["resources"]
        if not r["id"].lower().startswith(f"{hub.lower()}/connections/")
    ]
    path = tmp_path / "unlisted.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    _, out, _ = run(capsys, "--snapshot", str(path), "--json", "--select", check)
    unknown = [
        f
        for f in json.loads(out)["findings"]
        if f["status"] == "unknown" and f["resource"].lower() == hub.lower()
    ]
    assert len(unknown) == 1 and "could not be listed" in unknown[0]["message"]
    assert "Timeout" in unknown[0]["message"]
    # Without the error the same snapshot (no hub connections) asks nothing of the hub.
    data["errors"] = data["errors"][:-1]
    path.write_text(json.dumps(data), encoding="utf-8")
    _, out, _ = run(capsys, "--snapshot", str(path), "--json", "--select", check)
    assert not [
        f
        for f in json.loads(out)["findings"]
        if f["status"] == "unknown" and f["resource"].lower() == hub.lower()
    ]
