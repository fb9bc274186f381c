"""The report as JSON (the contract for scripts and CI: report-v1.schema.json)."""

from __future__ import annotations

from typing import Any

from diagnose.bulk import bulk_allocation
from diagnose.engine.api import Finding
from diagnose.jsonable import to_jsonable
from diagnose.report.model import REPORT_SCHEMA_VERSION, Report
from diagnose.safe import safe_json


def finding_json(report: Report, finding: Finding) -> dict[str, Any]:
    body = to_jsonable(finding)
    if report.baseline is not None:
        body["inBaseline"] = report.in_baseline(finding)
    return {"id": report.id_of(finding), **body}


def report_json(report: Report) -> dict[str, Any]:
    return {
        "schemaVersion": REPORT_SCHEMA_VERSION,
        "tool": report.tool,
        "target": report.target,
        "summary": report.summary,
        "findings": [finding_json(report, f) for f in report.findings],
        "fixPlan": [to_jsonable(p) for p in report.fix_plan],
        "planCheck": report.plan_check,
        "checkErrors": [to_jsonable(e) for e in report.check_errors],
        "collectionErrors": [to_jsonable(e) for e in report.collection_errors],
    }


def render_json(report: Report) -> str:
    """The report as indented JSON. orjson writes the same bytes as json.dumps(indent=2,
    ensure_ascii=False), several times faster: the standard library indents in pure Python."""
    import orjson

    with bulk_allocation():
        text = orjson.dumps(report_json(report), option=orjson.OPT_INDENT_2).decode()
    # Lossless: a parser reads the same strings; a terminal gets no raw C1, bidi or invisible
    # character from Azure's names (orjson escapes only C0 controls).
    return safe_json(text) + "\n"
