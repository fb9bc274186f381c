"""Reports that fit where they are pasted or uploaded: SARIF that GitHub code scanning accepts
(valid against the SARIF 2.1.0 schema, within its upload limits), Markdown under 60 KB for any
hub with identity chains as Mermaid diagrams, text wrapped to the terminal."""

from __future__ import annotations

import gzip
import html
import json
import re
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from diagnose.app import DemoSource, DiagnoseOptions, Diagnosis, SnapshotSource, diagnose
from diagnose.engine.api import PrincipalRef, Status
from diagnose.rbac.decision import Decision, Outcome
from diagnose.report import sarif as sarif_module
from diagnose.report.chain import LinkState, NodeKind, identity_chain
from diagnose.report.formats import RenderOptions, render_report
from diagnose.report.markdown import DETAILED_PER_CHECK
from diagnose.report.mermaid import mermaid_text, render_chain

ROOT = Path(__file__).resolve().parent.parent
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-2.1.0-rtm.5.json"
ARM_ID = re.compile(r"/subscriptions/[^\s`'\"),]+")


@pytest.fixture(scope="module")
def demo() -> Diagnosis:
    return diagnose(DemoSource())


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Diagnosis:
    """benchmarks/synthetic.py's hub, small enough for a test, broken enough for ~1,700
    findings and ~3,000 fix plan steps."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.synthetic import write

    path = write(
        tmp_path_factory.mktemp("large") / "hub.json",
        projects=12,
        connections=120,
        resources=50,
        principals=600,
        assignments=3000,
        broken=0.6,
    )
    return diagnose(SnapshotSource(str(path)), DiagnoseOptions())


# -- SARIF ---------------------------------------------------------------------------------
def sarif(diagnosis: Diagnosis) -> dict:
    return json.loads(render_report(diagnosis.report, "sarif"))


def test_sarif_is_valid_against_the_sarif_2_1_0_schema(demo: Diagnosis) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(sarif(demo))


def test_every_sarif_result_has_a_physical_and_a_logical_location(demo: Diagnosis) -> None:
    document = sarif(demo)
    run = document["runs"][0]
    hub = demo.report.target["hub"]
    assert run["artifacts"][0]["location"]["uri"] == hub.lstrip("/")
    ids = {demo.report.id_of(f): f for f in demo.report.findings}
    assert len(run["results"]) == len(ids)
    for result in run["results"]:
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert (
            artifact["uri"] == hub.lstrip("/")
            and artifact["uriBaseId"] in run["originalUriBaseIds"]
        )
        finding = ids[result["partialFingerprints"]["findingId/v1"]]
        assert location["logicalLocations"][0]["fullyQualifiedName"] == finding.resource
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["helpUri"].startswith("https://")


def test_resource_uris_are_escaped() -> None:
    assert sarif_module.resource_uri("/subscriptions/s/resourceGroups/r g#1/x%") == (
        "subscriptions/s/resourceGroups/r%20g%231/x%25"
    )


def test_sarif_of_a_large_hub_fits_githubs_upload_limits(large: Diagnosis) -> None:
    """GitHub code scanning: at most 20 runs per file, 25,000 results per run (5,000 kept),
    25,000 rules, 1,000 locations per result, 20 tags per rule, 10 MB of gzipped SARIF."""
    text = render_report(large.report, "sarif")
    document = json.loads(text)
    assert len(large.report.findings) > 1_000
    assert len(document["runs"]) <= 20
    for run in document["runs"]:
        assert 0 < len(run["results"]) <= 5_000
        assert len(run["tool"]["driver"]["rules"]) <= 25_000
        for rule in run["tool"]["driver"]["rules"]:
            assert len(rule["properties"]["tags"]) <= 20
        for result in run["results"]:
            # Code scanning needs a physical location with an artifact URI on every result.
            assert 1 <= len(result["locations"]) <= 1_000
            physical = result["locations"][0]["physicalLocation"]
            assert physical["artifactLocation"]["uri"] and physical["region"]["startLine"] >= 1
            assert result["partialFingerprints"]["findingId/v1"]
    assert len(gzip.compress(text.encode("utf-8"))) < 10 * 1024 * 1024


def test_sarif_keeps_the_most_severe_results_and_counts_the_rest(
    large: Diagnosis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sarif_module, "MAX_RESULTS", 100)
    run = sarif(large)["runs"][0]
    assert len(run["results"]) == 100
    assert run["properties"]["resultsLeftOut"] == len(large.report.findings) - 100
    kept = [f.check_id for f in large.report.findings[:100]]
    assert [r["ruleId"] for r in run["results"]] == kept


# -- Markdown ------------------------------------------------------------------------------
LIMIT = 60_000


@pytest.mark.parametrize("which", ["demo", "large"])
def test_markdown_fits_in_60_kb_with_the_summary_first(
    which: str, request: pytest.FixtureRequest
) -> None:
    diagnosis: Diagnosis = request.getfixturevalue(which)
    text = render_report(diagnosis.report, "markdown")
    assert len(text.encode("utf-8")) <= LIMIT
    first_section = text.index("\n## ")
    assert text.index("| Check | Title | Fail |") < first_section
    checks = {f.check_id for f in diagnosis.report.findings}
    table = text[:first_section]
    assert all(f"| {check_id} |" in table for check_id in checks)
    assert "The JSON report has every one" in text  # both leave findings out


def test_markdown_limit_is_kept_and_a_large_limit_details_everything(demo: Diagnosis) -> None:
    small = render_report(demo.report, "markdown", RenderOptions(markdown_limit=20_000))
    assert len(small.encode("utf-8")) <= 20_000 and "`--markdown-limit`" in small
    whole = render_report(demo.report, "markdown", RenderOptions(markdown_limit=10**7))
    per_check = Counter(f.check_id for f in demo.report.findings)
    detailed = sum(min(n, DETAILED_PER_CHECK) for n in per_check.values())
    assert whole.count("\n## ") == detailed + 1  # + the fix plan
    assert f"{len(demo.report.findings) - detailed} of 40 findings" in whole
    assert "fix plan steps" not in whole  # every step fits


def test_the_smallest_limit_holds_on_a_large_hub(large: Diagnosis) -> None:
    from diagnose.report.markdown import MIN_LIMIT

    text = render_report(large.report, "markdown", RenderOptions(markdown_limit=MIN_LIMIT))
    assert len(text.encode("utf-8")) <= MIN_LIMIT
    assert text.startswith("# ai-hub-diagnose report: hub-bench") and "| Check | Title |" in text
    assert "The JSON report has every one" in text


def test_markdown_limit_through_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    from diagnose.cli import main

    assert main(["--demo", "-o", "markdown", "--markdown-limit", "15K"]) == 1
    assert len(capsys.readouterr().out.encode("utf-8")) <= 15 * 1024


def test_failing_findings_detailed_show_their_identity_chain(demo: Diagnosis) -> None:
    text = render_report(demo.report, "markdown", RenderOptions(markdown_limit=10**7))
    sections = {s.split(".", 1)[0]: s for s in text.split("\n## ")[1:]}
    rank: Counter[str] = Counter()
    shown = 0
    for number, finding in enumerate(demo.report.findings, 1):
        rank[finding.check_id] += 1
        if rank[finding.check_id] > DETAILED_PER_CHECK:
            assert str(number) not in sections
        elif finding.status in (Status.FAIL, Status.WARN) and finding.evidence:
            assert "```mermaid\nflowchart LR\n" in sections[str(number)]
            shown += 1
    assert shown >= 20


# -- identity chains -----------------------------------------------------------------------
def test_the_chain_of_a_near_miss_goes_from_principal_through_role_and_scope(
    demo: Diagnosis,
) -> None:
    finding = next(
        f for f in demo.report.findings if f.check_id == "FDY002" and f.status is Status.FAIL
    )
    chain = identity_chain(finding)
    assert chain is not None and chain.outcome is Outcome.DENIED
    assert [n.kind for n in chain.nodes] == [
        NodeKind.PRINCIPAL,
        NodeKind.ROLE,
        NodeKind.SCOPE,
        NodeKind.TARGET,
    ]
    assert chain.nodes[0].label == "user Gus Novak"
    assert [link.state for link in chain.links] == [
        LinkState.HOLDS,
        LinkState.HOLDS,
        LinkState.ELSEWHERE,
    ]


def test_a_pim_eligible_role_and_a_missing_one_are_said_so(demo: Diagnosis) -> None:
    eligible = next(f for f in demo.report.findings if f.check_id == "HUB003")
    chain = identity_chain(eligible)
    assert chain is not None and LinkState.ELIGIBLE in {link.state for link in chain.links}
    setting = next(f for f in demo.report.findings if f.check_id == "CFG001")
    assert identity_chain(setting) is None  # a setting: no access decision behind it


def test_unknown_parts_are_said_to_be_unknown(demo: Diagnosis) -> None:
    decision = Decision(Outcome.UNKNOWN, "", "/subscriptions/s", "Microsoft.X/read", False)
    finding = replace(
        demo.report.findings[0], principal=None, evidence=(decision,), remediations=()
    )
    chain = identity_chain(finding)
    assert chain is not None
    assert [n.known for n in chain.nodes] == [False, False, True]
    assert chain.nodes[0].label == "unknown principal"
    assert {link.state for link in chain.links} == {LinkState.UNKNOWN}


HOSTILE = 'a"] --> B[evil] |x| `` ``` <img src=x>\nclick n0 "http://x" #35; %%{init}%% &amp;'


def test_mermaid_labels_cannot_break_out(demo: Diagnosis) -> None:
    escaped = mermaid_text(HOSTILE)
    assert not set(escaped) & set('"[]|`<>\n{}%&;') - {";"}
    assert html.unescape(re.sub(r"#(\d+);", r"&#\1;", escaped)).replace("\\n", "\n") == HOSTILE
    finding = next(f for f in demo.report.findings if f.check_id == "FDY002")
    hostile = replace(finding, principal=PrincipalRef(finding.principal.id, "User", HOSTILE))
    chain = identity_chain(hostile)
    assert chain is not None
    block = render_chain(chain)
    lines = block.splitlines()
    assert lines[0] == "```mermaid" and lines[-1] == "```"
    assert all(line.count('"') == 2 for line in lines[2:-1])
    assert "evil" in block and "-->|" in block and "```" not in block[3:-3]


# -- text and table ------------------------------------------------------------------------
COMMAND = re.compile(r"^\s+(az |#|\$|--|')")


@pytest.mark.parametrize("width", [60, 80, 120])
def test_text_wraps_to_the_width_without_splitting_an_id_or_a_command(
    demo: Diagnosis, width: int
) -> None:
    text = render_report(demo.report, "text", RenderOptions(width=width))
    fixes = [fix for f in demo.report.findings for fix in f.remediations]
    fixes += [item.remediation for item in demo.report.fix_plan]
    commands = {
        line for fix in fixes if fix.commands for line in fix.commands.azure_cli.splitlines()
    }
    for line in text.splitlines():
        if len(line) <= width or line.strip() in commands:
            continue
        # Longer only when one word (an ARM id, a URL) is longer than the line.
        assert len(line.split()) <= 3, line
    for resource in {f.resource for f in demo.report.findings}:
        assert resource in text  # whole, on one line
    for line in commands:
        assert line in text  # never wrapped


def test_text_continuation_lines_are_indented_under_their_item(demo: Diagnosis) -> None:
    text = render_report(demo.report, "text", RenderOptions(width=60))
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("FAIL "))
    assert lines[start + 1].startswith("        ")


def test_the_command_line_wraps_text_to_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from diagnose.cli import main

    monkeypatch.setenv("COLUMNS", "70")
    main(["--demo", "-o", "text"])
    narrow = capsys.readouterr().out
    monkeypatch.delenv("COLUMNS")
    main(["--demo", "-o", "text"])
    wide = capsys.readouterr().out
    assert max(len(line) for line in narrow.splitlines() if " " in line.strip()[:20]) > 0
    assert narrow.splitlines()[1] != wide.splitlines()[1]  # the summary line wraps at 70
    assert all(len(line) <= 70 for line in narrow.splitlines()[:3])


def test_table_fits_the_width(demo: Diagnosis) -> None:
    for width in (60, 100, 160):
        table = render_report(demo.report, "table", RenderOptions(width=width))
        assert all(len(line) <= width for line in table.splitlines())
        assert len(table.splitlines()) <= len(demo.report.findings) + 6
