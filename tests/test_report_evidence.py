"""The JSON report's evidence levels (--evidence summary|full) and its streamed writing.

A report of tens of thousands of findings must stay small and never exist as one string: the
default carries each decision in summary, `--evidence full` (and `diagnose access --json`)
the whole decision, and both are written one finding at a time, byte for byte what encoding
the whole report at once gives."""

from __future__ import annotations

import io
import json
from typing import Any

import jsonschema
import orjson
import pytest

from benchmarks.synthetic import build
from diagnose.app import Diagnosis
from diagnose.app.diagnosis import diagnose_snapshot
from diagnose.cli import main
from diagnose.report.evidence import MAX_DECIDING, MAX_NEAR_MISSES
from diagnose.report.json_format import render_json, report_json, write_json
from diagnose.report.schema import schema as report_schema
from diagnose.safe import safe_json
from diagnose.snapshot import parse_snapshot

SUMMARY_DECISION_BYTES = 2500
"""The most one decision may take in a summary (compact JSON): its lists are capped
(MAX_DECIDING, MAX_NEAR_MISSES) and near misses carry five short fields."""
SUMMARY_EVIDENCE_PER_FINDING = 1600
"""The most a finding's evidence may take on average in a summary (compact JSON); the same
snapshot's full evidence takes about twice that."""


@pytest.fixture(scope="module")
def many() -> Diagnosis:
    """A small synthetic hub with half its grants missing: hundreds of findings, most with
    near misses; one principal's name has characters a terminal must not get raw."""
    data = build(
        projects=6,
        connections=60,
        resources=40,
        principals=300,
        assignments=3000,
        broken=0.5,
        seed=3,
    )
    for entry in data["principals"]:
        if entry["type"] == "User":
            entry["displayName"] = "Zoë \u202eevil\u202c name"
    return diagnose_snapshot(parse_snapshot(data, "synthetic.json"))


def _whole(report_value: dict[str, Any]) -> str:
    """The report encoded at once, as render_json did before it streamed."""
    return safe_json(orjson.dumps(report_value, option=orjson.OPT_INDENT_2).decode()) + "\n"


def _compact(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


@pytest.mark.parametrize("evidence", ["summary", "full"])
def test_streamed_json_is_the_report_encoded_at_once(many: Diagnosis, evidence: str) -> None:
    out = io.BytesIO()
    write_json(many.report, out, evidence)
    streamed = out.getvalue().decode("utf-8")
    assert streamed == _whole(report_json(many.report, evidence))
    assert render_json(many.report, evidence) == streamed
    assert "\u202e" not in streamed and "\\u202e" in streamed  # escaped in every chunk
    assert json.loads(streamed) == json.loads(_whole(report_json(many.report, evidence)))


def test_default_report_is_small_per_finding(many: Diagnosis) -> None:
    findings = many.report.findings
    assert len(findings) > 300
    summary = json.loads(render_json(many.report))
    full = json.loads(render_json(many.report, "full"))
    assert summary["evidence"] == "summary" and "evidence" not in full
    decisions = [d for f in summary["findings"] for d in f["evidence"]]
    assert max(_compact(d) for d in decisions) <= SUMMARY_DECISION_BYTES
    per_finding = sum(_compact(f["evidence"]) for f in summary["findings"]) / len(findings)
    assert per_finding <= SUMMARY_EVIDENCE_PER_FINDING
    # The bounds bite: the whole decisions of the same findings exceed them.
    full_per_finding = sum(_compact(f["evidence"]) for f in full["findings"]) / len(findings)
    assert full_per_finding > 1.5 * SUMMARY_EVIDENCE_PER_FINDING
    for decision in decisions:
        assert len(decision["nearMisses"]) <= MAX_NEAR_MISSES
        assert all(len(decision[k]) <= MAX_DECIDING for k in ("grants", "denies", "eligible"))
    cut = [d for d in decisions if "omitted" in d]
    assert cut, "the fixture must have decisions a summary shortens"
    assert all(all(n >= 1 for n in d["omitted"].values()) for d in cut)


def test_full_evidence_is_the_whole_decision(many: Diagnosis) -> None:
    full = json.loads(render_json(many.report, "full"))
    for finding, body in zip(many.report.findings, full["findings"], strict=True):
        assert body["evidence"] == [d.to_json() for d in finding.evidence]
    summary = json.loads(render_json(many.report))
    shortened = [
        (s, f)
        for sf, ff in zip(summary["findings"], full["findings"], strict=True)
        for s, f in zip(sf["evidence"], ff["evidence"], strict=True)
        if s["nearMisses"]
    ]
    assert shortened
    for brief, whole in shortened:
        assert {k: brief[k] for k in ("decision", "principal", "scope", "operation")} == {
            k: whole[k] for k in ("decision", "principal", "scope", "operation")
        }
        assert brief["nearMisses"][0] == {
            k: whole["nearMisses"][0][k] for k in ("kind", "roleName", "scope", "via", "detail")
        }
        assert "roleAssignmentId" in whole["nearMisses"][0]


@pytest.mark.parametrize("evidence", ["summary", "full"])
def test_both_levels_match_the_schema(many: Diagnosis, evidence: str) -> None:
    jsonschema.Draft7Validator(report_schema()).validate(
        json.loads(render_json(many.report, evidence))
    )


def test_evidence_full_on_the_command_line_matches_diagnose_access(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--demo", "--json", "--evidence", "full"]) in (0, 1)
    full = json.loads(capsys.readouterr().out)
    assert main(["--demo", "--json"]) in (0, 1)
    default = json.loads(capsys.readouterr().out)
    assert default["evidence"] == "summary"
    decision = next(d for f in full["findings"] for d in f["evidence"] if d["nearMisses"])
    flag = "--data-action" if decision["dataAction"] else "--action"
    main(
        [
            "access",
            "--demo",
            "--principal",
            decision["principal"],
            "--scope",
            decision["scope"],
            flag,
            decision["operation"],
            "--json",
        ]
    )
    assert json.loads(capsys.readouterr().out) == decision
    briefs = [d for f in default["findings"] for d in f["evidence"]]
    assert all("roleAssignmentId" not in m for d in briefs for m in d["nearMisses"])


def test_the_report_file_is_what_standard_output_gets(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    for evidence in ("summary", "full"):
        path = tmp_path / f"{evidence}.json"
        main(["--demo", "--json", "--evidence", evidence, "--output-file", str(path)])
        capsys.readouterr()
        main(["--demo", "--json", "--evidence", evidence])
        assert path.read_text(encoding="utf-8") == capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["text", "markdown", "sarif"])
def test_evidence_applies_to_json_only(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    assert main(["--demo", "--format", fmt, "--evidence", "full"]) == 2
    err = capsys.readouterr().err
    assert "--evidence applies to the JSON report" in err
    assert "Traceback" not in err
