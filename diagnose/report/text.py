"""The report as readable text: a summary line, each finding with its fix, then the fix plan."""

from __future__ import annotations

import textwrap
from typing import Any

from diagnose.engine.api import Finding, PrincipalRef, Status
from diagnose.report.formats import DEFAULT_WIDTH, MIN_WIDTH, RenderOptions
from diagnose.report.model import PlannedFix, Report
from diagnose.safe import safe_block, safe_message, safe_text

WIDTH = DEFAULT_WIDTH
AFFECTED_SHOWN = 20
"""Affected principals named in a text or Markdown finding; the rest are counted."""


def who(finding: Finding) -> str | None:
    """The persona of the finding's principal and why, e.g. "builder (Azure AI Developer at
    project 'p1')", or None when the check judged none."""
    judged = finding.persona
    if judged is None:
        return None
    return judged.reason.removeprefix(f"{judged.persona.article} ")


def affected(finding: Finding, limit: int = AFFECTED_SHOWN) -> str | None:
    """The principals a finding stands for, with their personas, when it stands for more than
    one: "group grp-a (builder), user Ana Lopez (administrator)"."""
    principals = finding.affected_principals
    if len(principals) < 2:
        return None
    names = [
        PrincipalRef(a.id, a.type, a.display_name).label + (f" ({a.persona})" if a.persona else "")
        for a in principals[:limit]
    ]
    more = len(principals) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def scope_lines(target: dict[str, Any]) -> list[str]:
    """What narrowed or declared the run (--principal, --personas), in words; none when
    nothing did."""
    lines = []
    if target.get("focus"):
        names = ", ".join(
            PrincipalRef(p["id"], p["type"], p.get("displayName")).label for p in target["focus"]
        )
        whose = (
            "its requirements, as a builder whatever roles it holds"
            if len(target["focus"]) == 1
            else "their requirements, each as a builder whatever roles it holds"
        )
        lines.append(
            f"focus (--principal): {names}: only {whose}, and those of the service identities"
        )
    if target.get("personas"):
        lines.append(f"personas declared by {target['personas']}, over those the roles suggest")
    return lines


def _wrap(text: str, indent: str, first: str | None = None, width: int = WIDTH) -> list[str]:
    """Wrapped at spaces only, so an ARM id, a URL or an escape such as \\x1b[31m is never
    cut (a word longer than the line gets a line of its own); `first` starts the first line
    instead of `indent` (a list item's dash), and the lines after it are indented under the
    item's text."""
    return textwrap.wrap(
        safe_text(text),
        max(width, MIN_WIDTH),
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
    if s["fixes"]:
        line += (
            "; plan verified as a whole"
            if s.get("planVerified")
            else "; plan not verified as a whole"
        )
    if s["partial"]:
        line += " [PARTIAL: some data could not be read]"
    return line


def step_label(item: PlannedFix) -> str:
    """A fix plan entry's number and state: "3. [verified]", an alternative "3 (or). [...]",
    a step outside the claim "[not verified, outside the claim]"."""
    fix = item.remediation
    state = "verified" if fix.verified else "not verified"
    if fix.alternative_to is not None:
        return f"{item.order} (or, instead). [{state} alone]"
    if not item.in_claim:
        state += ", outside the claim"
    return f"{item.order}. [{state}]"


def plan_lines(report: Report) -> list[str]:
    """The whole-plan check in sentences: whether the plan is verified and why, and what is
    left out of it because it weakens security."""
    s = report.summary
    lines = [s.get("planVerification", "")]
    lines += report.plan_check.get("notPlanned", [])
    return [line for line in lines if line]


TARGET_WORDS = {"foundryResource": "Foundry resource", "foundryProject": "Foundry project"}


def target_word(target: dict[str, Any]) -> str:
    """What the report's target is, in words: hub, Foundry resource or Foundry project."""
    return TARGET_WORDS.get(str(target.get("targetKind") or ""), "hub")


def render_text(report: Report, options: RenderOptions | None = None) -> str:
    """The report as text, wrapped to options.width (commands are never wrapped: they must
    paste whole)."""
    width = (options or RenderOptions()).width
    target = report.target
    head = [
        f"{report.tool['name']} {report.tool['version']}: {target_word(target)} "
        f"{safe_text(target['hubName'] or '?')}"
        + (f", project {safe_text(target['project'])}" if target["project"] else "")
        + f" ({safe_text(target['snapshot'])}"
        + (f", collected {safe_text(target['collectedAt'])}" if target["collectedAt"] else "")
        + ")",
        summary_line(report),
    ]
    lines = [wrapped for line in head for wrapped in _wrap(line, "", width=width)]
    for line in scope_lines(target):
        lines += _wrap(line, "", width=width)
    if report.baseline is not None:
        known = len(report.baseline)
        lines += _wrap(
            f"baseline: {known} finding(s) already in it, marked (in baseline); "
            f"{len(report.findings) - known} new",
            "",
            width=width,
        )
    if report.summary.get("unknownBecause"):  # why checks about people could not be decided
        lines += _wrap(report.summary["unknownBecause"], "", width=width)
    lines.append("")
    if not report.findings:
        lines += ["No findings: every access requirement the checks stated is met.", ""]
    for finding in report.findings:
        lines += _finding(report, finding, width)
    if report.fix_plan:
        lines += _wrap(
            f"Fix plan ({len(report.fix_plan)} changes; each once, whatever the number of "
            "findings it clears):",
            "",
            width=width,
        )
        lines.append("")
        for line in plan_lines(report):
            lines += [*_wrap(line, "  ", width=width), ""]
        for item in report.fix_plan:
            fix = item.remediation
            lines += _wrap(f"{step_label(item)} {fix.summary}", "  ", width=width)
            if item.fixes:
                refs = ", ".join(sorted({f"{r.check_id}" for r in item.fixes}))
                lines += _wrap(
                    f"clears: {len(item.fixes)} finding(s) ({refs})", "     ", width=width
                )
            if item.anticipates:
                refs = ", ".join(sorted({a.check_id for a in item.anticipates}))
                lines += _wrap(
                    "needed once the plan's other steps are applied: clears "
                    f"{len(item.anticipates)} finding(s) they raise ({refs})",
                    "     ",
                    width=width,
                )
            if not item.in_claim and fix.alternative_to is None:
                lines += _wrap(fix.verification, "     ", width=width)
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
                    width=width,
                )
            if fix.commands:
                lines += ["     " + line for line in _lines(fix.commands.azure_cli)]
            lines.append("")
    if report.check_errors:
        lines.append("Checks that failed to run (their results are missing):")
        for error in report.check_errors:
            lines += _wrap(
                f"{error.check_id} {error.title}: {safe_message(error.error)}",
                "    ",
                first="  - ",
                width=width,
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
                width=width,
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _finding(report: Report, finding: Finding, width: int = WIDTH) -> list[str]:
    status = finding.status.value.upper()
    lines = _wrap(
        f"{finding.check_id}  {finding.severity.value:<8} {finding.title}",
        "        ",
        first=f"{status:<7} ",
        width=width,
    )
    if report.in_baseline(finding):  # one piece, never split over two lines
        mark = "(in baseline)"
        if len(lines[-1]) + 2 + len(mark) <= max(width, MIN_WIDTH):
            lines[-1] += f"  {mark}"
        else:
            lines.append(f"        {mark}")
    lines += _wrap(f"resource: {finding.resource}", "        ", width=width)
    if finding.principal:
        lines += _wrap(
            f"principal: {finding.principal.label} ({finding.principal.id})",
            "        ",
            width=width,
        )
    persona = who(finding)
    if persona:
        lines += _wrap(f"who: {persona}", "        ", width=width)
    everyone = affected(finding)
    if everyone:
        lines += _wrap(
            f"affects {len(finding.affected_principals)}: {everyone}", "        ", width=width
        )
    lines += _wrap(finding.message, "        ", width=width)
    for fix in finding.remediations:
        state = "verified" if fix.verified else "not verified"
        kind = "or instead" if fix.alternative_to is not None else "fix"
        lines += _wrap(f"{kind} ({state}): {fix.summary}", "        ", width=width)
        if fix.commands and finding.status is not Status.INFO:
            lines += ["          " + line for line in _lines(fix.commands.azure_cli)]
    lines.append("")
    return lines
