"""The report as Markdown, for tickets and pull requests. Names from Azure are escaped: they
are data, never markup (diagnose.safe: markdown_text for prose and table cells,
markdown_code for code spans, which show backslashes literally, so they are never fed
markdown_text)."""

from __future__ import annotations

import re

from diagnose.engine.api import Commands, Finding
from diagnose.rbac.decision import Decision
from diagnose.remediation.languages import fix_languages
from diagnose.report.model import Report
from diagnose.report.text import (
    affected,
    plan_lines,
    scope_lines,
    step_label,
    summary_line,
    target_word,
    who,
)
from diagnose.safe import markdown_code, markdown_text, safe_block, safe_message

md = markdown_text
"""Escape text so Markdown shows it literally (and no HTML can slip in)."""
span = markdown_code
"""An inline code span that shows text verbatim."""


def code(text: str, language: str = "") -> str:
    """A fenced block long enough that no backtick run inside can close it; its lines hold
    no control or invisible character (see text._lines)."""
    text = safe_block(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def render_markdown(report: Report) -> str:
    target = report.target
    out = [
        f"# ai-hub-diagnose report: {md(target['hubName'] or '?')}",
        "",
        f"- {target_word(target).capitalize()}: {span(target['hub'] or '?')}"
        + (f"\n- Project: {md(target['project'])}" if target["project"] else ""),
        f"- Snapshot: {md(target['snapshot'])}"
        + (f", collected {md(target['collectedAt'])}" if target["collectedAt"] else ""),
        f"- Tool: {md(report.tool['name'])} {md(report.tool['version'])}",
        "",
        f"**{summary_line(report)}**",
        "",
    ]  # the tool's own words and numbers
    scoped = scope_lines(target)  # names from Azure in them: escaped
    if scoped:
        out += [*(f"- {md(line[:1].upper() + line[1:])}" for line in scoped), ""]
    if report.summary.get("unknownBecause"):  # why checks about people could not be decided
        out += [md(report.summary["unknownBecause"]), ""]
    if report.findings:
        out += [
            "| # | Status | Severity | Check | Principal | Resource |",
            "|---|---|---|---|---|---|",
        ]
        for number, finding in enumerate(report.findings, 1):
            several = len(finding.affected_principals)
            principal = (
                md(finding.principal.label)
                if finding.principal
                else (f"{several} principals" if several > 1 else "")
            )
            out.append(
                f"| {number} | {finding.status.value} | {finding.severity.value} | "
                f"{finding.check_id} | {principal} | {md(_short(finding.resource))} |"
            )
        out.append("")
    else:
        out += ["No findings: every access requirement the checks stated is met.", ""]
    for number, finding in enumerate(report.findings, 1):
        out += _finding(report, number, finding)
    if report.fix_plan:
        out += ["## Fix plan", ""]
        out += [line for text in plan_lines(report) for line in (md(text), "")]
        for item in report.fix_plan:
            fix = item.remediation
            out += [f"### {step_label(item)} {md(fix.summary)}", ""]  # the label: our words
            if item.fixes:
                out.append(
                    f"Clears {len(item.fixes)} finding(s): "
                    + ", ".join(f"{r.check_id} {span(r.finding_id)}" for r in item.fixes)
                    + "."
                )
            if item.anticipates:
                out.append(
                    f"Needed once the plan's other steps are applied: clears "
                    f"{len(item.anticipates)} finding(s) they raise: "
                    + ", ".join(f"{a.check_id} {span(a.finding_id)}" for a in item.anticipates)
                    + "."
                )
            if not item.in_claim and fix.alternative_to is None:
                out.append(f"_{md(fix.verification)}_")
            if item.permission_needed:
                holders = (
                    ", ".join(
                        f"{md(h.display_name or h.principal_id)} ({md(h.role_name)}"
                        + (", if its condition allows" if h.conditional else "")
                        + ")"
                        for h in item.who_can_run
                    )
                    or "nobody in the snapshot"
                )
                out.append(f"Who can run it ({md(item.permission_needed)}): {holders}.")
            out.append("")
            if fix.commands:
                out += [code(fix.commands.azure_cli, "bash"), ""]
    if report.check_errors:
        out += ["## Checks that failed to run", ""]
        out += [
            f"- **{e.check_id}** {md(e.title)}: {md(safe_message(e.error))}"
            for e in report.check_errors
        ]
        out.append("")
    if report.collection_errors:
        out += ["## Could not be read (the report is partial)", ""]
        out += [
            f"- {span(e.operation)} at {span(e.scope)}: {e.status or ''} "
            f"{md(safe_message(e.message))}. "
            f"{md(e.retry)}."
            for e in report.collection_errors
        ]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _short(resource_id: str) -> str:
    parts = resource_id.rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) > 2 else resource_id


def _finding(report: Report, number: int, finding: Finding) -> list[str]:
    out = [
        f"## {number}. {finding.check_id}: {md(finding.title)}"
        + (" (in baseline)" if report.in_baseline(finding) else ""),
        "",
        f"- Status: **{finding.status.value}**, severity {finding.severity.value}, cause "
        f"{span(finding.cause.value)}",
        f"- Resource: {span(finding.resource)}",
    ]
    if finding.principal:
        out.append(
            f"- Principal: {md(finding.principal.label)} ({span(finding.principal.id)}, "
            f"{md(finding.principal.type)})"
        )
    persona = who(finding)
    if persona:
        out.append(f"- Who: {md(persona)}")
    everyone = affected(finding)
    if everyone:
        out.append(f"- Affects {len(finding.affected_principals)}: {md(everyone)}")
    out += [f"- Finding id: {span(report.id_of(finding))}", "", md(finding.message), ""]
    evidence = [_decision(d) for d in finding.evidence]
    if evidence:
        out += ["<details><summary>Evidence</summary>", "", *evidence, "", "</details>", ""]
    for fix in finding.remediations:
        state = "verified" if fix.verified else "not verified"
        kind = "Or instead" if fix.alternative_to is not None else "Fix"
        out += [f"**{kind} ({state}):** {md(fix.summary)}", "", f"_{md(fix.verification)}_", ""]
        if fix.commands:
            out += _commands(fix.commands)
    if finding.docs:
        out += ["Docs: " + ", ".join(_link(d) for d in finding.docs), ""]
    return out


_PLAIN_URL = re.compile(r"https?://[^\s<>`\\\"']+")


def _link(url: str) -> str:
    """A documentation link as an autolink when it is a plain web address, else as text."""
    return f"<{url}>" if _PLAIN_URL.fullmatch(url) else md(url)


def _decision(decision: Decision) -> str:
    plane = "data action" if decision.data_action else "action"
    lines = [f"- {span(decision.operation)} ({plane}): **{decision.decision.value}**"]
    for grant in decision.grants:
        via = f" via {' > '.join(md(g) for g in grant.via)}" if grant.via else ""
        lines.append(
            f"  - granted by {md(grant.role_name)} at {span(grant.scope)}{via} "
            f"(pattern {span(grant.matched_pattern)})"
        )
    for deny in decision.denies:
        lines.append(f"  - blocked by deny assignment {md(deny.name)} at {span(deny.scope)}")
    for grant in decision.conditions:
        lines.append(f"  - conditional: {md(grant.role_name)}: {span(grant.condition or '')}")
    for eligible in decision.eligible:
        lines.append(f"  - eligible (PIM): {md(eligible.role_name)} at {span(eligible.scope)}")
    for miss in decision.near_misses:
        lines.append(f"  - near miss ({miss.kind}): {md(miss.detail)}")
    for unknown in decision.unknowns:
        lines.append(f"  - unknown: {md(unknown)}")
    return "\n".join(lines)


def _commands(commands: Commands) -> list[str]:
    out = ["<details><summary>Commands</summary>", ""]
    for language in fix_languages():
        out += [f"{language.label}:", "", code(commands[language.key], language.fence), ""]
    return [*out, "</details>", ""]
