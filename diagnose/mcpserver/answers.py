"""The app's answers as an MCP tool returns them: structured content (JSON values, the
report's own vocabulary) and a short text summary for a model that reads only text.

Every answer passes through scrub_json and safe_json's rules on its way out: a snapshot holds
no credential (the collector drops them), and this makes sure no message quoting Azure or a
file brings one back."""

from __future__ import annotations

from typing import Any

from diagnose.app import AccessAnswer, Diagnosis
from diagnose.app.checklist import CheckList
from diagnose.app.diff import Diff
from diagnose.engine.api import SECTION_TITLES, CheckInfo
from diagnose.explain.explain import Explanation, explanation_json
from diagnose.remediation.export import PlanExport
from diagnose.render.decision_text import render_decision
from diagnose.safe import safe_block, safe_text

Answer = tuple[str, dict[str, Any]]
"""(the text summary, the structured content)."""

FINDINGS_LISTED = 25
"""Findings the text summary lists one line each; the structured content holds them all."""


def diagnosis_answer(diagnosis: Diagnosis, detail: str) -> Answer:
    from diagnose.report.json_format import report_json
    from diagnose.report.text import summary_line

    report = report_json(diagnosis.report)
    warnings = list(diagnosis.snapshot.warnings)
    if detail == "full":
        data = {**report, "warnings": warnings}
    else:
        data = {
            "target": report["target"],
            "summary": report["summary"],
            "findings": [_finding(f) for f in report["findings"]],
            "fixPlan": [_step(s) for s in report["fixPlan"]],
            "checkErrors": report["checkErrors"],
            "collectionErrors": report["collectionErrors"],
            "warnings": warnings,
        }
    lines = [summary_line(diagnosis.report)]
    for finding in report["findings"][:FINDINGS_LISTED]:
        lines.append(
            f"- {finding['status'].upper()} {finding['checkId']} [{finding['id']}]: "
            f"{finding['message']}"
        )
    more = len(report["findings"]) - FINDINGS_LISTED
    if more > 0:
        lines.append(f"- and {more} more (see the structured content)")
    lines += [f"warning: {w}" for w in warnings]
    return "\n".join(safe_block(line) for line in lines), data


def _finding(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding without its evidence and the fixes' every language: what it is, and its
    first fix as a summary and an Azure CLI command (detail "full" has the rest)."""
    fixes = finding.get("remediations") or []
    first = fixes[0] if fixes else None
    return {
        "id": finding["id"],
        "checkId": finding["checkId"],
        "status": finding["status"],
        "severity": finding["severity"],
        "title": finding["title"],
        "resource": finding["resource"],
        "principal": finding["principal"],
        "message": finding["message"],
        "cause": finding["cause"],
        "fix": None
        if first is None
        else {
            "summary": first["summary"],
            "verified": first.get("verified"),
            "azureCli": (first.get("commands") or {}).get("azureCli"),
        },
    }


def _step(step: dict[str, Any]) -> dict[str, Any]:
    fix = step["remediation"]
    return {
        "order": step["order"],
        "id": step["id"],
        "stage": step["stage"],
        "summary": fix["summary"],
        "verified": fix.get("verified"),
        "clears": [ref["findingId"] for ref in step.get("fixes", [])],
        "azureCli": (fix.get("commands") or {}).get("azureCli"),
    }


def access_answer(answer: AccessAnswer, warnings: tuple[str, ...]) -> Answer:
    decision = answer.decision
    data = {
        **decision.to_json(),
        "planeWarning": answer.plane_warning,
        "warnings": list(warnings),
    }
    return render_decision(decision, answer.name_of).rstrip(), data


def explanation_answer(explanation: Explanation, warnings: tuple[str, ...]) -> Answer:
    data = {**explanation_json(explanation), "warnings": list(warnings)}
    pattern = explanation.pattern
    if pattern is None:
        return (
            "Not an error message ai-hub-diagnose recognises; try the access tool with the "
            "principal, scope and operation involved.",
            data,
        )
    lines = [f"Recognised: {pattern.name} ({pattern.where})", f"Cause: {pattern.cause}"]
    decision = explanation.decision
    if decision is not None:
        named = {decision.principal: decision.principal_name}
        lines.append(render_decision(decision, named.get).splitlines()[0])
    if explanation.finding is not None:
        lines += [f"Fix: {fix.summary}" for fix in explanation.finding.remediations[:2]]
    else:
        lines.append(f"Fix: {pattern.fix}")
    lines += list(explanation.notes)
    return "\n".join(safe_block(line) for line in lines), data


def diff_answer(found: Diff, warnings: tuple[str, ...]) -> Answer:
    from diagnose.app.diff_json import diff_json, summary_lines

    lines = [f"diff: {found.before} -> {found.after}", *summary_lines(found), *found.notes]
    data = {**diff_json(found), "warnings": list(warnings)}
    return "\n".join(safe_block(line) for line in lines), data


def check_json(check: CheckInfo) -> dict[str, Any]:
    return {
        "id": check.id,
        "title": check.title,
        "severity": check.severity.value,
        "scenario": check.scenario,
        "docs": list(check.docs),
        "sections": {
            title: check.sections[title] for title in SECTION_TITLES if title in check.sections
        },
        "explains": [text.to_json() for text in check.explains],
    }


def checks_answer(listing: CheckList) -> Answer:
    data = {
        "checks": [
            {k: v for k, v in check_json(c).items() if k != "sections"} for c in listing.checks
        ],
        "notLoaded": [{"entryPoint": e.entry_point, "error": e.error} for e in listing.errors],
    }
    lines = [f"{len(listing.checks)} checks:"]
    lines += [
        f"- {safe_text(c.id)} ({c.severity.value}): {safe_text(c.title)}" for c in listing.checks
    ]
    return "\n".join(lines), data


def check_answer(check: CheckInfo) -> Answer:
    lines = [f"{safe_text(check.id)}: {safe_text(check.title)} ({check.severity.value})"]
    for title in SECTION_TITLES:
        if title in check.sections:
            lines += ["", f"{title}:", safe_block(check.sections[title])]
    return "\n".join(lines), check_json(check)


def plan_answer(export: PlanExport) -> Answer:
    data = {
        "language": export.language,
        "steps": export.steps,
        "runnable": export.runnable,
        "commented": export.commented,
        "text": export.text,
    }
    head = (
        f"fix plan: {export.steps} steps, {export.runnable} runnable in the {export.language} "
        f"output, {export.commented} left as comments that say why; read-only: nothing was run"
    )
    return f"{head}\n\n{safe_block(export.text)}", data
