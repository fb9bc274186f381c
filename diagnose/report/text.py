"""The report as readable text: a summary line, each finding with its fix, then the fix plan."""

from __future__ import annotations

import textwrap

from diagnose.engine.api import Finding, Status
from diagnose.report.model import Report
from diagnose.safe import safe_block, safe_message, safe_text

WIDTH = 100


def _wrap(text: str, indent: str, first: str | None = None) -> list[str]:
    """Wrapped at spaces (an escape such as \\x1b[31m is never cut); `first` starts the first
    line instead of `indent` (a list item's dash)."""
    return textwrap.wrap(
        safe_text(text),
        WIDTH,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent if first is None else first]


def _lines(text: str) -> list[str]:
    """Command lines as printed. The quoting (diagnose.remediation.quoting) already writes
    controls, separators and bidi characters from Azure as escapes the shell understands;
    the few invisible characters it leaves (a soft hyphen, U+2061..U+2064, Unicode tags) are
    shown escaped here too: a command that no longer pastes is better than a hidden name."""
    return safe_block(text).splitlines()


def summary_line(report: Report) -> str:
    s = report.summary
    by = s["byStatus"]
    parts = [f"{by[k]} {k}" for k in ("fail", "warn", "unknown", "info")]
    line = (
        f"{s['checks']} checks, {s['requirements']} access requirements ("
        f"{s['requirementsMet']} met): {s['findings']} findings ({', '.join(parts)}); "
        f"{s['fixes']} fixes, {s['verifiedFixes']} verified"
    )
    if s["partial"]:
        line += " [PARTIAL: some data could not be read]"
    return line


def render_text(report: Report) -> str:
    target = report.target
    lines = [
        f"{report.tool['name']} {report.tool['version']}: hub "
        f"{safe_text(target['hubName'] or '?')}"
        + (f", project {safe_text(target['project'])}" if target["project"] else "")
        + f" ({safe_text(target['snapshot'])}"
        + (f", collected {safe_text(target['collectedAt'])}" if target["collectedAt"] else "")
        + ")",
        summary_line(report),
    ]
    if report.summary.get("unknownBecause"):  # why checks about people could not be decided
        lines += _wrap(report.summary["unknownBecause"], "")
    lines.append("")
    if not report.findings:
        lines += ["No findings: every access requirement the checks stated is met.", ""]
    for finding in report.findings:
        lines += _finding(report, finding)
    if report.fix_plan:
        lines += [
            f"Fix plan ({len(report.fix_plan)} changes; each once, whatever the number of "
            "findings it clears):",
            "",
        ]
        for number, item in enumerate(report.fix_plan, 1):
            fix = item.remediation
            state = "verified" if fix.verified else "not verified"
            lines += _wrap(f"{number}. [{state}] {fix.summary}", "  ")
            refs = ", ".join(sorted({f"{r.check_id}" for r in item.fixes}))
            lines += _wrap(f"clears: {len(item.fixes)} finding(s) ({refs})", "     ")
            if item.permission_needed:
                holders = ", ".join(
                    f"{h.display_name or h.principal_id} ({h.role_name}"
                    + (", if its condition allows" if h.conditional else "")
                    + ")"
                    for h in item.who_can_run
                )
                more = item.who_can_run_total - len(item.who_can_run)
                holders += f" and {more} more" if more > 0 else ""
                lines += _wrap(
                    f"who can run it ({item.permission_needed}): "
                    f"{holders or 'nobody in the snapshot'}",
                    "     ",
                )
            if fix.commands:
                lines += ["     " + line for line in _lines(fix.commands.azure_cli)]
            lines.append("")
    if report.check_errors:
        lines.append("Checks that failed to run (their results are missing):")
        for error in report.check_errors:
            lines += _wrap(
                f"{error.check_id} {error.title}: {safe_message(error.error)}", "    ", first="  - "
            )
        lines.append("")
    if report.collection_errors:
        lines.append("Could not be read (the report is partial):")
        for unread in report.collection_errors:
            status = f" {unread.status}" if unread.status else ""
            lines += _wrap(
                f"{unread.operation} at {unread.scope}:{status} "
                f"{safe_message(unread.message)} -> "
                f"{unread.retry}",
                "    ",
                first="  - ",
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _finding(report: Report, finding: Finding) -> list[str]:
    status = finding.status.value.upper()
    lines = [
        f"{status:<7} {finding.check_id}  {finding.severity.value:<8} {safe_text(finding.title)}"
    ]
    lines += _wrap(f"resource: {finding.resource}", "        ")
    if finding.principal:
        lines += _wrap(f"principal: {finding.principal.label} ({finding.principal.id})", "        ")
    lines += _wrap(finding.message, "        ")
    for fix in finding.remediations:
        state = "verified" if fix.verified else "not verified"
        lines += _wrap(f"fix ({state}): {fix.summary}", "        ")
        if fix.commands and finding.status is not Status.INFO:
            lines += ["          " + line for line in _lines(fix.commands.azure_cli)]
    lines.append("")
    return lines
