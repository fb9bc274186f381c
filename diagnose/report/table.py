"""The report as a table, one line per finding, for a one-screen overview (`-o table`, as `az
... -o table`): status, severity, check, principal and resource, fitted to the width; the
text or JSON report has the rest (message, fixes, evidence)."""

from __future__ import annotations

import textwrap

from diagnose.engine.api import Finding
from diagnose.report.formats import MIN_WIDTH, RenderOptions
from diagnose.report.model import Report
from diagnose.report.text import summary_line
from diagnose.safe import safe_text

HEADERS = ("STATUS", "SEVERITY", "CHECK", "PRINCIPAL", "RESOURCE")
ELLIPSIS = "…"


def render_table(report: Report, options: RenderOptions | None = None) -> str:
    width = max((options or RenderOptions()).width, MIN_WIDTH)
    rows = [_row(report, finding) for finding in report.findings]
    fixed = [max(len(HEADERS[column]), *(len(row[column]) for row in rows)) for column in range(3)]
    # The principal and the resource share what is left; the resource (the last column) gets
    # what the principal does not need, so short principals leave room for long names.
    left = width - sum(fixed) - 2 * 4
    principal_width = min(
        max([len(HEADERS[3]), *(len(row[3]) for row in rows)]), max(left // 2, len(HEADERS[3]))
    )
    resource_width = max(left - principal_width, len(HEADERS[4]))
    widths = (*fixed, principal_width, resource_width)
    lines = [_line(HEADERS, widths), _line(tuple("-" * w for w in widths), widths)]
    lines += [_line(row, widths) for row in rows]
    if not rows:
        lines = ["No findings: every access requirement the checks stated is met."]
    summary = textwrap.wrap(summary_line(report), width, break_long_words=False)
    return "\n".join([*lines, "", *summary]) + "\n"


def _row(report: Report, finding: Finding) -> tuple[str, str, str, str, str]:
    several = len(finding.affected_principals)
    status = finding.status.value
    if report.baseline is not None:  # --baseline: which findings decide the exit code
        status += " (in baseline)" if report.in_baseline(finding) else " (new)"
    principal = (
        finding.principal.label
        if finding.principal
        else (f"{several} principals" if several > 1 else "-")
    )
    return (
        status,
        finding.severity.value,
        finding.check_id,
        safe_text(principal),
        safe_text(_short(finding.resource)),
    )


def _short(resource_id: str) -> str:
    """A resource's type and name (`workspaces/hub-a`): the whole ARM id is in the other
    formats."""
    parts = resource_id.rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) > 2 else resource_id


def _line(cells: tuple[str, ...], widths: tuple[int, ...]) -> str:
    return "  ".join(_fit(cell, width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def _fit(cell: str, width: int) -> str:
    return cell.ljust(width) if len(cell) <= width else cell[: width - 1] + ELLIPSIS
