"""A diff (diagnose.app.diff.Diff) as the JSON value `diagnose diff --json` writes and the MCP
diff tool returns, and the summary lines both front ends open with: one shape, in one place.
Values are Azure's and the files' as they are; each front end escapes and scrubs on output."""

from __future__ import annotations

from typing import Any

from diagnose.app.diff import ABSENT, ADDED, CHANGED, REMOVED, Change, Diff, Section
from diagnose.app.reports import FindingSummary


def diff_json(found: Diff) -> dict[str, Any]:
    findings = found.findings
    return {
        "schemaVersion": 1,
        "before": found.before,
        "after": found.after,
        "notes": list(found.notes),
        "summary": {
            "findings": {
                "fixed": len(findings.fixed),
                "new": len(findings.new),
                "unchanged": len(findings.unchanged),
                "statusChanged": len(findings.status_changed),
            },
            "state": {s.name: section_counts(s) if s.compared else None for s in found.sections},
        },
        "state": {
            s.name: {
                "compared": s.compared,
                **{
                    kind: [_change_json(c) for c in s.changes if c.kind == kind]
                    for kind in (ADDED, REMOVED, CHANGED)
                },
            }
            for s in found.sections
        },
        "findings": {
            "fixed": [_finding_json(f) for f in findings.fixed],
            "new": [_finding_json(f) for f in findings.new],
            "unchanged": [_finding_json(f) for f in findings.unchanged],
            "statusChanged": [
                {"before": _finding_json(c.before), "after": _finding_json(c.after)}
                for c in findings.status_changed
            ],
        },
    }


def section_counts(section: Section) -> dict[str, int]:
    return {
        kind: sum(1 for c in section.changes if c.kind == kind)
        for kind in (ADDED, REMOVED, CHANGED)
    }


def _change_json(change: Change) -> dict[str, Any]:
    body: dict[str, Any] = {"id": change.key, "label": change.label}
    if change.kind == CHANGED:
        # a side that does not have the field has no key: null is a value a field can hold
        body["fields"] = [
            {"path": f.path}
            | ({} if f.before is ABSENT else {"before": f.before})
            | ({} if f.after is ABSENT else {"after": f.after})
            for f in change.fields
        ]
    return body


def _finding_json(finding: FindingSummary) -> dict[str, Any]:
    return {
        "id": finding.id,
        "checkId": finding.check_id,
        "status": finding.status,
        "severity": finding.severity,
        "title": finding.title,
        "resource": finding.resource,
        "principal": finding.principal,
        "message": finding.message,
    }


def summary_lines(found: Diff) -> list[str]:
    findings = found.findings
    state = [
        f"{s.title.lower()}: "
        + ", ".join(f"{n} {kind}" for kind, n in section_counts(s).items() if n)
        for s in found.sections
        if s.compared and s.changes
    ]
    lines = [
        f"findings: {len(findings.new)} new, {len(findings.fixed)} fixed, "
        f"{len(findings.unchanged)} unchanged"
        + (
            f", {len(findings.status_changed)} with another status"
            if findings.status_changed
            else ""
        )
    ]
    if all(s.compared for s in found.sections):
        lines.append("state: " + ("; ".join(state) if state else "no change"))
    return lines
