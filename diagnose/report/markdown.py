"""The report as Markdown, for tickets and pull requests. Names from Azure are escaped: they
are data, never markup (diagnose.safe: markdown_text for prose and table cells,
markdown_code for code spans, which show backslashes literally, so they are never fed
markdown_text)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

from diagnose.engine.api import Commands, Finding, Status
from diagnose.rbac.decision import Decision
from diagnose.remediation.languages import fix_languages
from diagnose.report.chain import identity_chain
from diagnose.report.formats import RenderOptions
from diagnose.report.mermaid import render_chain
from diagnose.report.model import PlannedFix, Report
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


DETAILED_PER_CHECK = 3
"""Findings of one check detailed in full; the others are counted (the JSON has them all)."""
DETAILS_SHARE = 0.6
"""Of the bytes left after the summary, what the findings' details may take at most; the fix
plan has the rest (and what the details leave)."""
FIX_LANGUAGES_NOTE = (
    "_The fixes are shown as Azure CLI commands; `diagnose fix-plan --as powershell` (or "
    "`bicep`, `terraform`) writes the whole plan in another language._\n"
)
MIN_LIMIT = 4_000
"""The smallest --markdown-limit: the header, the summary and the note on what was left out."""
_NOTE_ROOM = 1_000
"""Bytes kept for the notes (what was left out, the languages of the fixes, the checks the
table could not list), which are written after the budget is spent."""


class _Budget:
    """Blocks of Markdown taken while they fit in a number of bytes."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, block: str) -> bool:
        size = len(block.encode("utf-8")) + 1  # and the line break that joins it
        if size > self.left:
            return False
        self.left -= size
        return True


def render_markdown(report: Report, options: RenderOptions | None = None) -> str:
    """The report in at most options.markdown_limit bytes: the header and a summary table by
    check first, then the first DETAILED_PER_CHECK findings of each check in full (with the
    identity chain of a failing one as a Mermaid diagram), the fix plan, what failed and what
    could not be read, as far as they fit; what does not fit is counted, with a pointer to the
    JSON report, which has everything."""
    limit = max((options or RenderOptions()).markdown_limit, MIN_LIMIT)
    budget = _Budget(limit - _NOTE_ROOM)
    head = "\n".join(_head(report))
    budget.take(head)
    counts = _counts(report)
    # The table is sized with every finding detailed, so the real one is never larger.
    titles = {check.id: check.title for check in report.checks}
    rows = _table(counts, {check: sum(c.values()) for check, c in counts.items()}, titles)
    shown_rows = 0
    for row in rows:
        if not budget.take(row):
            break
        shown_rows += 1
    problems = _problems(report, budget)
    # The details may take DETAILS_SHARE of what is left, so that the fix plan keeps room;
    # they are chosen in rounds (the first finding of every check, then the second, ...), so
    # that the first checks' findings do not crowd out every other check's.
    share = _Budget(int(budget.left * DETAILS_SHARE) if report.fix_plan else budget.left)
    rank: Counter[str] = Counter()
    rounds: list[list[int]] = [[] for _ in range(DETAILED_PER_CHECK)]
    for index, finding in enumerate(report.findings):
        rank[finding.check_id] += 1
        if rank[finding.check_id] <= DETAILED_PER_CHECK:
            rounds[rank[finding.check_id] - 1].append(index)
    chosen: dict[int, str] = {}
    for round_ in rounds:
        for index in round_:
            block = "\n".join(_finding(report, index + 1, report.findings[index]))
            if share.take(block) and budget.take(block):
                chosen[index] = block
    details = [chosen[index] for index in sorted(chosen)]
    detailed = Counter(report.findings[index].check_id for index in chosen)
    plan, planned = _plan(report, budget)
    out = [head]
    if report.findings:
        table = _table(counts, detailed, titles)
        if shown_rows > 2:  # the header rows and at least one check
            out += table[:shown_rows]
        if shown_rows < len(table):
            more = len(table) - max(shown_rows, 2)
            out.append(f"\n_{more} more checks with findings: see the JSON report._")
        out.append("")
    else:
        out += ["No findings: every access requirement the checks stated is met.", ""]
    if details:
        details.insert(0, FIX_LANGUAGES_NOTE)
    out += details + plan + problems
    left_out = len(report.findings) - sum(detailed.values())
    if left_out or planned < len(report.fix_plan):
        out += ["", _left_out_note(report, limit, left_out, len(report.fix_plan) - planned)]
    return "\n".join(out).rstrip() + "\n"


def _head(report: Report) -> list[str]:
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
    return out


STATUSES = ("fail", "warn", "unknown", "info")


def _counts(report: Report) -> dict[str, Counter[str]]:
    """Findings by check (in the order the report lists them) and status."""
    counts: dict[str, Counter[str]] = {}
    for finding in report.findings:
        counts.setdefault(finding.check_id, Counter())[finding.status.value] += 1
    return counts


def _table(
    counts: dict[str, Counter[str]], detailed: Mapping[str, int], titles: Mapping[str, str]
) -> list[str]:
    rows = [
        "| Check | Title | Fail | Warn | Unknown | Info | Detailed below |",
        "|---|---|---|---|---|---|---|",
    ]
    for check_id, by in counts.items():
        total = sum(by.values())
        rows.append(
            f"| {md(check_id)} | {md(titles.get(check_id, ''))} | "
            + " | ".join(str(by[s]) if by[s] else "" for s in STATUSES)
            + f" | {detailed.get(check_id, 0)} of {total} |"
        )
    return rows


def _plan(report: Report, budget: _Budget) -> tuple[list[str], int]:
    """The fix plan's steps that fit, and how many that is."""
    if not report.fix_plan:
        return [], 0
    intro = "\n".join(
        ["## Fix plan", "", *(line for text in plan_lines(report) for line in (md(text), ""))]
    )
    if not budget.take(intro):
        return [], 0
    out, planned = [intro], 0
    for item in report.fix_plan:
        block = "\n".join(_step(item))
        if budget.take(block):
            out.append(block)
            planned += 1
    return out, planned


def _step(item: PlannedFix) -> list[str]:
    fix = item.remediation
    out = [f"### {step_label(item)} {md(fix.summary)}", ""]  # the label: our words
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
    return out


def _problems(report: Report, budget: _Budget) -> list[str]:
    """Checks that failed to run and what could not be read: they say how far to trust the
    rest, so they come before the details in the budget (and after them in the text)."""
    out: list[str] = []
    sections = (
        (
            "## Checks that failed to run",
            [
                f"- **{e.check_id}** {md(e.title)}: {md(safe_message(e.error))}"
                for e in report.check_errors
            ],
        ),
        (
            "## Could not be read (the report is partial)",
            [
                f"- {span(e.operation)} at {span(e.scope)}: {e.status or ''} "
                f"{md(safe_message(e.message))}. {md(e.retry)}."
                for e in report.collection_errors
            ],
        ),
    )
    for title, items in sections:
        if not items or not budget.take(f"\n{title}\n"):
            continue
        out += ["", title, ""]
        taken = [item for item in items if budget.take(item)]
        out += taken
        if len(taken) < len(items):
            out.append(f"- ... and {len(items) - len(taken)} more: see the JSON report")
    return out


def _left_out_note(report: Report, limit: int, findings: int, steps: int) -> str:
    parts = []
    if findings:
        parts.append(f"{findings} of {len(report.findings)} findings")
    if steps:
        parts.append(f"{steps} of {len(report.fix_plan)} fix plan steps")
    return (
        f"_Not detailed here, to keep this report under {limit:,} bytes (`--markdown-limit`): "
        f"{' and '.join(parts)}. The JSON report has every one (`-o json`, or report.json in "
        "a support bundle)._"
    )


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
    chain = identity_chain(finding) if finding.status in (Status.FAIL, Status.WARN) else None
    if chain is not None:
        out += ["Identity chain:", "", render_chain(chain), ""]
    evidence = [_decision(d) for d in finding.evidence]
    if evidence:
        out += ["<details><summary>Evidence</summary>", "", *evidence, "", "</details>", ""]
    for fix in finding.remediations:
        state = "verified" if fix.verified else "not verified"
        kind = "Or instead" if fix.alternative_to is not None else "Fix"
        out += [f"**{kind} ({state}):** {md(fix.summary)}", ""]
        if not fix.verified:  # why not: a verified fix says how in the JSON and the plan
            out += [f"_{md(fix.verification)}_", ""]
        if fix.commands:  # PowerShell, Bicep, Terraform: `diagnose fix-plan --as ...`
            out += [code(fix.commands.azure_cli, "bash"), ""]
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
