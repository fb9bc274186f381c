"""A diff (diagnose.app.diff.Diff) as text, JSON or Markdown. Every name and value comes
from Azure or a file: shown as data (diagnose.safe), credentials removed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from diagnose.app.diff import ABSENT, ADDED, CHANGED, REMOVED, Diff
from diagnose.app.diff_json import diff_json, summary_lines
from diagnose.app.reports import FindingSummary
from diagnose.safe import markdown_code, markdown_text, safe_json, safe_text
from diagnose.secrets import scrub_text

VALUE_SHOWN = 160
"""Characters of a changed value shown in text and Markdown (JSON has all of it)."""


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


SIGNS = {ADDED: "+", REMOVED: "-", CHANGED: "~"}


def render_text(found: Diff) -> str:
    lines = [f"diagnose diff: {_shown(found.before)} -> {_shown(found.after)}"]
    lines += summary_lines(found)
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
    lines += [f"- {_md(line)}" for line in summary_lines(found)]
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
