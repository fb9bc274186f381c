"""The detail pane: the selected finding in plain words, the evaluator's evidence, and its
fixes as commands in four languages, each marked verified or not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from diagnose.engine.api import Finding, Remediation
from diagnose.render.decision_text import render_decision
from diagnose.report.text import affected, who
from diagnose.safe import safe_block, safe_text
from diagnose.tui.data import LANGUAGES, SEVERITY_STYLE, STATUS_STYLE, commands_text, display_code

NameOf = Callable[[str], str | None]


def finding_text(finding: Finding, finding_id: str, name_of: NameOf) -> Text:
    """The explanation and the evidence of one finding, as literal text."""
    out = Text(end="")
    out.append(finding.status.value.upper(), style=STATUS_STYLE.get(finding.status, ""))
    out.append(" · ")
    out.append(finding.severity.value, style=SEVERITY_STYLE.get(finding.severity, ""))
    out.append(f" · {safe_text(finding.check_id)}  ")
    out.append(safe_text(finding.title), style="bold")
    out.append("\n\n")

    def field(name: str, value: str) -> None:
        out.append(f"{name:<10}", style="dim")
        out.append(safe_text(value))
        out.append("\n")

    field("Resource", finding.resource)
    if finding.principal is not None:
        principal = finding.principal
        field("Principal", f"{principal.label} ({principal.id}, {principal.type})")
    persona = who(finding)
    if persona:
        field("Who", persona)
    everyone = affected(finding)
    if everyone:
        field("Affects", f"{len(finding.affected_principals)}: {everyone}")
    field("Cause", finding.cause.value)
    field("Finding", finding_id)
    out.append("\n")
    out.append(safe_text(finding.message))
    out.append("\n")
    if finding.evidence:
        out.append("\nEvidence\n", style="bold underline")
        for decision in finding.evidence:
            out.append(safe_block(render_decision(decision, name_of).removesuffix("\n")))
            out.append("\n")
    if finding.details:
        out.append("\nDetails\n", style="bold underline")
        for key, value in sorted(finding.details.items()):
            out.append(f"  {safe_text(key)}: ", style="dim")
            out.append(safe_text(value))
            out.append("\n")
    if finding.docs:
        out.append("\nDocs (d opens the first)\n", style="bold underline")
        for link in finding.docs:
            out.append(f"  {safe_text(link)}\n")
    return out


def fix_header(fix: Remediation | None, number: int, total: int) -> Text:
    out = Text(end="")
    if fix is None:
        out.append("No command for this finding: the explanation says what to do.", style="dim")
        return out
    out.append(
        f"Fix {number} of {total}" + ("  (n: next)" if total > 1 else "") + "  ", style="bold"
    )
    if fix.verified:
        out.append("✓ verified", style="bold green")
    else:
        out.append("✗ not verified", style="bold yellow")
    out.append("\n")
    out.append(safe_text(" ".join(fix.summary.split())))
    if fix.verification:
        out.append("\n")
        out.append(safe_text(fix.verification), style="dim")
    return out


class DetailPane(Horizontal):
    """Left: the finding and its evidence. Right: the fix, one tab per language."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.finding: Finding | None = None
        self.fix_number = 0

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="explain"):
            yield Static(
                Text(
                    "Select a finding to see why it fails and how to fix it.", style="dim", end=""
                ),
                id="explain-text",
            )
        with Vertical(id="fix"):
            yield Static(Text("", end=""), id="fix-head")
            with TabbedContent(id="fix-tabs"):
                for tab, title, _ in LANGUAGES:
                    with TabPane(title, id=tab), VerticalScroll(classes="code-scroll"):
                        yield Static(Text("", end=""), id=f"code-{tab}", classes="code")

    @property
    def fix(self) -> Remediation | None:
        if self.finding is None or not self.finding.remediations:
            return None
        return self.finding.remediations[self.fix_number % len(self.finding.remediations)]

    @property
    def language(self) -> str:
        return self.query_one("#fix-tabs", TabbedContent).active or LANGUAGES[0][0]

    @language.setter
    def language(self, tab: str) -> None:
        self.query_one("#fix-tabs", TabbedContent).active = tab

    def fix_text(self, language: str | None = None) -> str:
        """The raw commands of the shown fix (what 'copy fix' puts on the clipboard)."""
        fix = self.fix
        return commands_text(fix.commands if fix else None, language or self.language)

    def show(
        self,
        finding: Finding | None,
        finding_id: str,
        name_of: NameOf,
        empty: str = "No finding matches the filter.",
    ) -> None:
        self.finding = finding
        self.fix_number = 0
        explain = self.query_one("#explain-text", Static)
        if finding is None:
            explain.update(Text(empty, style="dim", end=""))
        else:
            explain.update(finding_text(finding, finding_id, name_of))
        self.query_one("#explain", VerticalScroll).scroll_home(animate=False)
        self._show_fix()

    def next_fix(self) -> None:
        if self.finding is not None and len(self.finding.remediations) > 1:
            self.fix_number = (self.fix_number + 1) % len(self.finding.remediations)
            self._show_fix()

    def _show_fix(self) -> None:
        fix = self.fix
        total = len(self.finding.remediations) if self.finding else 0
        self.query_one("#fix-head", Static).update(fix_header(fix, self.fix_number + 1, total))
        for tab, _, _ in LANGUAGES:
            text = commands_text(fix.commands if fix else None, tab)
            self.query_one(f"#code-{tab}", Static).update(
                display_code(text) if text else Text("(no command)", style="dim", end="")
            )
