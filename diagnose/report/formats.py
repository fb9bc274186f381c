"""The report formats: one registry that the command line (-o/--output), the terminal UI's
export and the support bundle all read.

A format is a pure function of the report model (diagnose.report.model.Report) and the
rendering options (RenderOptions: the width of a terminal, the size a Markdown report must fit
in, whether colour is wanted) to text. Adding one is its renderer module and one entry in
REPORT_FORMATS; -o lists it from here. The renderers are named, not imported, so reading this
registry (the argument parser does) costs nothing: a renderer is imported when a report is
rendered in its format.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from diagnose.report.model import Report

DEFAULT_WIDTH = 100
"""Text wraps at this width off a terminal (and when the terminal's cannot be told)."""
MIN_WIDTH = 40
"""Narrower than this, a wrapped line would hold one word: wrap at this width instead."""
DEFAULT_MARKDOWN_LIMIT = 60_000
"""Bytes: a GitHub comment, issue or pull request body holds 65,536 characters; the rest of
the text around a pasted report needs room too."""


@dataclass(frozen=True)
class RenderOptions:
    width: int = DEFAULT_WIDTH
    """Columns to wrap text and fit tables to (text, table)."""
    markdown_limit: int = DEFAULT_MARKDOWN_LIMIT
    """The most bytes a Markdown report may take (markdown)."""
    colour: bool = True
    """Whether a coloured format may colour (jsonc); False for NO_COLOR."""
    evidence: str = "summary"
    """The evidence per finding of the JSON report's document (json, jsonc, yaml): --evidence,
    diagnose.report.evidence.EVIDENCE_LEVELS."""


@dataclass(frozen=True)
class ReportFormat:
    name: str
    """What -o/--output takes."""
    renderer: str
    """`module:function`, a function (Report, RenderOptions) -> str."""
    extension: str
    """The usual file extension, with its dot."""
    description: str
    """What --help says of it."""

    def render(self, report: Report, options: RenderOptions | None = None) -> str:
        module, _, function = self.renderer.partition(":")
        render: Callable[[Report, RenderOptions], str] = getattr(
            importlib.import_module(module), function
        )
        return render(report, options or RenderOptions())


REPORT_FORMATS: dict[str, ReportFormat] = {
    format_.name: format_
    for format_ in (
        ReportFormat("text", "diagnose.report.text:render_text", ".txt", "readable text"),
        ReportFormat("json", "diagnose.report.formats:_json", ".json", "the JSON report"),
        ReportFormat(
            "jsonc", "diagnose.report.formats:_jsonc", ".json", "the JSON report, coloured"
        ),
        ReportFormat("table", "diagnose.report.table:render_table", ".txt", "one line per finding"),
        ReportFormat(
            "markdown", "diagnose.report.markdown:render_markdown", ".md", "for tickets and PRs"
        ),
        ReportFormat(
            "sarif", "diagnose.report.sarif:render_sarif", ".sarif", "SARIF 2.1.0 for code scanning"
        ),
        ReportFormat("yaml", "diagnose.report.formats:_yaml", ".yaml", "the JSON report as YAML"),
    )
}
"""Every format, by name, in the order --help lists them (text, the default, first)."""


DOCUMENT_FORMATS = ("text", "json", "jsonc", "yaml")
"""What -o takes on a command that answers with one document (access, explain, checks,
explain-check): its own text, or the document as JSON, coloured JSON or YAML
(diagnose.report.document)."""


def render_report(report: Report, fmt: str, options: RenderOptions | None = None) -> str:
    """The report in the named format. KeyError for a name that is not in REPORT_FORMATS
    (front ends only offer the names listed there)."""
    return REPORT_FORMATS[fmt].render(report, options)


def _json(report: Report, options: RenderOptions) -> str:
    from diagnose.report.json_format import render_json

    return render_json(report, options.evidence)


def _jsonc(report: Report, options: RenderOptions) -> str:
    from diagnose.report.document import colour_json

    text = _json(report, options)
    return colour_json(text) if options.colour else text


def _yaml(report: Report, options: RenderOptions) -> str:
    from diagnose.report.document import yaml_text
    from diagnose.report.json_format import report_json

    return yaml_text(report_json(report, options.evidence))
