"""A diff (diagnose.app.diff.Diff) as text, JSON or Markdown. Every name and value comes
from Azure or a file: shown as data (diagnose.safe), credentials removed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from diagnose.app.diff import ABSENT, ADDED, CHANGED, REMOVED, Change, Diff, Section
from diagnose.app.reports import FindingSummary
from diagnose.safe import markdown_code, markdown_text, safe_json, safe_text
from diagnose.secrets import scrub_text

VALUE_SHOWN = 160
"""Characters of a changed value shown in text and Markdown (JSON has all of it)."""


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
            "state": {s.name: _counts(s) if s.compared else None for s in found.sections},
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


def _counts(section: Section) -> dict[str, int]:
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


def render_json(found: Diff) -> str:
    from diagnose.secrets import scrub_json

    text = json.dumps(scrub_json(diff_json(found)), indent=2, ensure_ascii=False)
    return safe_json(text) + "\n"


def _shown(value: object) -> str:
    """One line of text, credentials removed and unsafe characters escaped."""
    return safe_text(scrub_text(str(value)))


def _md(value: object) -> str:
    return markdown_text(scrub_text(str(value)))


def _value(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= VALUE_SHOWN else text[: VALUE_SHOWN - 3] + "..."


def _summary(found: Diff) -> list[str]:
    findings = found.findings
    state = [
        f"{s.title.lower()}: " + ", ".join(f"{n} {kind}" for kind, n in _counts(s).items() if n)
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


SIGNS = {ADDED: "+", REMOVED: "-", CHANGED: "~"}


def render_text(found: Diff) -> str:
    lines = [f"diagnose diff: {_shown(found.before)} -> {_shown(found.after)}"]
    lines += _summary(found)
    lines += [f"note: {_shown(note)}" for note in found.notes]
    for section in found.sections:
        if not section.compared or not section.changes:
            continue
        lines += ["", f"{section.title}:"]
        for change in section.changes:
            lines.append(f"  {SIGNS[change.kind]} {change.kind}: {_shown(change.label)}")
            for field in change.fields:
                lines.append(
                    f"      {_shown(field.path)}: {_shown(_value(field.before))} -> "
                    f"{_shown(_value(field.after))}"
                )
    findings = found.findings
    for title, sign, listed in (
        ("New findings", "+", findings.new),
        ("Fixed findings", "-", findings.fixed),
    ):
        if listed:
            lines += ["", f"{title} ({len(listed)}):"]
            lines += [f"  {sign} {_finding_line(f)}" for f in listed]
    if findings.status_changed:
        lines += ["", f"Findings with another status ({len(findings.status_changed)}):"]
        lines += [
            f"  ~ {c.before.status.upper()} -> {_finding_line(c.after)}"
            for c in findings.status_changed
        ]
    return "\n".join(lines) + "\n"


def _finding_line(finding: FindingSummary) -> str:
    return (
        f"{finding.status.upper()} {_shown(finding.check_id)} [{_shown(finding.id)}] "
        f"{_shown(finding.message)}"
    )


def render_markdown(found: Diff) -> str:
    lines = [
        f"# diagnose diff: {markdown_code(found.before)} → {markdown_code(found.after)}",
        "",
    ]
    lines += [f"- {_md(line)}" for line in _summary(found)]
    lines += [f"- **Note:** {_md(note)}" for note in found.notes]
    for section in found.sections:
        if not section.compared or not section.changes:
            continue
        lines += ["", f"## {section.title}", "", "| | What | Changed |", "|---|---|---|"]
        for change in section.changes:
            fields = "<br>".join(
                f"{_md(f.path)}: {_md(_value(f.before))} → {_md(_value(f.after))}"
                for f in change.fields
            )
            lines.append(f"| {change.kind} | {_md(change.label)} | {fields} |")
    findings = found.findings
    for title, listed in (("New findings", findings.new), ("Fixed findings", findings.fixed)):
        if listed:
            lines += [
                "",
                f"## {title} ({len(listed)})",
                "",
                "| Status | Check | Id | Finding |",
                "|---|---|---|---|",
            ]
            lines += [
                f"| {f.status} | {_md(f.check_id)} | {_md(f.id)} | {_md(f.message)} |"
                for f in listed
            ]
    if findings.status_changed:
        lines += [
            "",
            f"## Findings with another status ({len(findings.status_changed)})",
            "",
            "| Before | After | Check | Id | Finding |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {c.before.status} | {c.after.status} | {_md(c.after.check_id)} | "
            f"{_md(c.after.id)} | {_md(c.after.message)} |"
            for c in findings.status_changed
        ]
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[Diff], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}
