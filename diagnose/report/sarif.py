"""The report as SARIF 2.1.0, for code-scanning dashboards.

What a viewer shows (a result's message, its location's name) is plain text with control and
invisible characters escaped and square brackets escaped (SARIF reads `[text](id)` in a
message as a link). The property bags are data for scripts and keep Azure's strings as they
are, with every control, bidi or invisible character written as a JSON escape (safe_json), so
a parser reads the same strings and a terminal shows nothing raw."""

from __future__ import annotations

import json
from typing import Any

from diagnose.engine.api import CheckInfo, Finding, Severity, Status
from diagnose.jsonable import to_jsonable
from diagnose.report.formats import RenderOptions
from diagnose.report.model import Report
from diagnose.report.text import who
from diagnose.safe import safe_json, safe_text, sarif_text

LEVELS = {Status.FAIL: "error", Status.WARN: "warning", Status.UNKNOWN: "note", Status.INFO: "note"}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.0",
    Severity.HIGH: "7.0",
    Severity.MEDIUM: "5.0",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
INFORMATION_URI = "https://github.com/ai-hub-diagnose/ai-hub-diagnose"
MAX_RESULTS = 5_000
"""GitHub code scanning refuses a run with more than 25,000 results and keeps only the 5,000
most severe: the report is sorted most severe first, so the first 5,000 are the ones kept, and
the run says how many more the JSON report has."""
MAX_LOCATIONS = 1
"""Each result has one location (GitHub refuses more than 1,000 per result)."""
HUB_URI_BASE = "AZURE"
"""The uriBaseId of the artifacts: ARM resource ids are not files in a repository, so their
URIs are relative to this base (SARIF 2.1.0 §3.4.4), which the run's originalUriBaseIds
points at the Azure Resource Manager."""


def render_sarif(report: Report, options: RenderOptions | None = None) -> str:
    rules = [_rule(c) for c in report.checks]
    index = {rule["id"]: number for number, rule in enumerate(rules)}
    hub_uri = resource_uri(str(report.target.get("hub") or ""))
    results = []
    for finding in report.findings[:MAX_RESULTS]:
        result: dict[str, Any] = {
            "ruleId": finding.check_id,
            "level": LEVELS[finding.status],
            "kind": "fail"
            if finding.status in (Status.FAIL, Status.WARN)
            else ("review" if finding.status is Status.UNKNOWN else "informational"),
            "message": {"text": sarif_text(finding.message)},
            "locations": [_location(hub_uri, finding.resource)],
            "partialFingerprints": {"findingId/v1": report.id_of(finding)},
            **(
                {"baselineState": "unchanged" if report.in_baseline(finding) else "new"}
                if report.baseline is not None
                else {}
            ),
            "properties": {
                "status": finding.status.value,
                "severity": finding.severity.value,
                "cause": finding.cause.value,
                "principal": (
                    {
                        "id": finding.principal.id,
                        "type": finding.principal.type,
                        "displayName": finding.principal.display_name,
                    }
                    if finding.principal
                    else None
                ),
                **_people(finding),
                "fixes": [
                    {
                        "summary": f.summary,
                        "verified": f.verified,
                        "azureCli": f.commands.azure_cli if f.commands else None,
                    }
                    for f in finding.remediations
                ],
            },
        }
        if finding.check_id in index:
            result["ruleIndex"] = index[finding.check_id]
        results.append(result)
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": report.tool["name"],
                        "version": report.tool["version"],
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {
                    HUB_URI_BASE: {
                        "uri": "https://management.azure.com/",
                        "description": {
                            "text": "Azure Resource Manager: artifact URIs are ARM ids"
                        },
                    }
                },
                "artifacts": [
                    {
                        "location": {"uri": hub_uri, "uriBaseId": HUB_URI_BASE},
                        "description": {"text": sarif_text(f"the hub {report.target.get('hub')}")},
                    }
                ],
                "results": results,
                "properties": {
                    "target": report.target,
                    "summary": report.summary,
                    "resultsLeftOut": max(0, len(report.findings) - MAX_RESULTS),
                },
            }
        ],
    }
    return safe_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


def resource_uri(resource_id: str) -> str:
    """An ARM id as a relative URI reference: the id without its leading slash, each segment
    percent-encoded (a name may hold a space, `#` or `%`), so that `uriBaseId` AZURE resolves
    it to the resource's ARM URL."""
    from urllib.parse import quote

    segments = [quote(part, safe="") for part in resource_id.split("/") if part]
    return "/".join(segments) or "."


def _location(hub_uri: str, resource: str) -> dict[str, Any]:
    """Where a finding is: the hub as the physical artifact (a code-scanning upload needs one
    on every result) and the resource it is about, by its whole ARM id, as the logical
    location."""
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": hub_uri, "uriBaseId": HUB_URI_BASE, "index": 0},
            "region": {"startLine": 1},
        },
        "logicalLocations": [{"fullyQualifiedName": safe_text(resource), "kind": "resource"}],
    }


def _people(finding: Finding) -> dict[str, Any]:
    """The persona of the finding's principal (and why) and the principals it stands for, as
    the JSON report writes them (`persona`, `affectedPrincipals`), when there are any."""
    out: dict[str, Any] = {}
    if finding.persona is not None:
        out["persona"] = {**to_jsonable(finding.persona), "reason": who(finding)}
    if finding.affected_principals:
        out["affectedPrincipals"] = to_jsonable(finding.affected_principals)
    return out


def _rule(check: CheckInfo) -> dict[str, Any]:
    sections = check.sections
    return {
        "id": check.id,
        "name": check.title,
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": sections["What it checks"]},
        "help": {
            "text": f"Why it matters: {sections['Why it matters']}\n"
            f"How to fix: {sections['How to fix']}"
        },
        "helpUri": check.docs[0] if check.docs else INFORMATION_URI,
        "defaultConfiguration": {"level": "error" if check.severity.rank <= 2 else "warning"},
        "properties": {
            "tags": ["security", "azure-rbac", check.area.lower()],
            "security-severity": SECURITY_SEVERITY[check.severity],
            "scenario": check.scenario,
        },
    }
