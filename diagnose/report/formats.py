"""The report formats: one registry that the command line (--format), the terminal UI's export
and the support bundle all read.

A format is a pure function of the report model (diagnose.report.model.Report) to text. Adding
one is its renderer module and one entry in REPORT_FORMATS; --format lists it from here. The
renderers are named, not imported, so reading this registry (the argument parser does) costs
nothing: a renderer is imported when a report is rendered in its format.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from diagnose.report.model import Report


@dataclass(frozen=True)
class ReportFormat:
    name: str
    """What --format takes."""
    renderer: str
    """`module:function`, a function Report -> str."""
    extension: str
    """The usual file extension, with its dot."""

    def render(self, report: Report) -> str:
        module, _, function = self.renderer.partition(":")
        render: Callable[[Report], str] = getattr(importlib.import_module(module), function)
        return render(report)


REPORT_FORMATS: dict[str, ReportFormat] = {
    format_.name: format_
    for format_ in (
        ReportFormat("text", "diagnose.report.text:render_text", ".txt"),
        ReportFormat("json", "diagnose.report.json_format:render_json", ".json"),
        ReportFormat("markdown", "diagnose.report.markdown:render_markdown", ".md"),
        ReportFormat("sarif", "diagnose.report.sarif:render_sarif", ".sarif"),
    )
}
"""Every format, by name, in the order --help lists them (text, the default, first)."""


def render_report(report: Report, fmt: str) -> str:
    """The report in the named format. KeyError for a name that is not in REPORT_FORMATS
    (front ends only offer the names listed there)."""
    return REPORT_FORMATS[fmt].render(report)
