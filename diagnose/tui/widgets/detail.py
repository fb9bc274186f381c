"""The detail pane: the selected finding in plain words, the evaluator's evidence, and its
fixes as commands in four languages, each marked verified or not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text
from rich.tree import Tree
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Collapsible, Static, TabbedContent, TabPane

from diagnose.engine.api import Finding, Remediation
from diagnose.render.decision_text import render_decision
from diagnose.report.chain import IdentityChain, LinkState, NodeKind, identity_chain
from diagnose.report.text import affected, who
from diagnose.safe import safe_block, safe_text
from diagnose.tui.data import LANGUAGES, SEVERITY_STYLE, STATUS_STYLE, commands_text, display_code

NameOf = Callable[[str], str | None]


def finding_text(finding: Finding, finding_id: str, name_of: NameOf) -> Text:
    """The explanation of one finding, as literal text: what, where, who, why (the evidence,
    the details and the links are in evidence_text and more_text)."""
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
    return out


LINK_STYLE = {
    LinkState.HOLDS: "green",
    LinkState.MISSING: "bold red",
    LinkState.ELSEWHERE: "yellow",
    LinkState.ELIGIBLE: "cyan",
    LinkState.CONDITIONAL: "yellow",
    LinkState.BLOCKED: "bold red",
    LinkState.UNKNOWN: "magenta",
}


def chain_tree(finding: Finding, name_of: NameOf) -> RenderableType | None:
    """The identity chain of the finding (diagnose.report.chain, what the Markdown report
    draws in Mermaid) as a tree: each link under the node it leaves, in the link's colour;
    None for a finding without an access decision."""
    chain = identity_chain(finding)
    if chain is None:
        return None
    return Group(
        Text(f"Identity chain: {chain.outcome.value.upper()}", style="bold"),
        _tree(chain, name_of),
    )


def _tree(chain: IdentityChain, name_of: NameOf) -> Tree:
    def label(index: int) -> Text:
        node = chain.nodes[index]
        text = node.label
        if node.kind is NodeKind.GROUP and node.id:
            text = f"group {name_of(node.id) or node.id}"
        out = Text(end="")
        if index:
            link = chain.links[index - 1]
            out.append(f"{safe_text(link.label)} ", style=LINK_STYLE[link.state])
            out.append(f"[{link.state.value}] ", style="dim")
        out.append(safe_text(text), style="" if node.known else "magenta")
        return out

    root = Tree(label(0), guide_style="dim")
    branch = root
    for index in range(1, len(chain.nodes)):
        branch = branch.add(label(index))
    return root


def evidence_text(finding: Finding, name_of: NameOf) -> Text:
    """The evaluator's decisions behind a finding, as literal text ('' when it has none)."""
    out = Text(end="")
    for number, decision in enumerate(finding.evidence):
        if number:
            out.append("\n")
        out.append(safe_block(render_decision(decision, name_of).removesuffix("\n")))
    return out


def more_text(finding: Finding) -> Text:
    """The details and documentation links of a finding."""
    out = Text(end="")
    if finding.details:
        out.append("Details\n", style="bold underline")
        for key, value in sorted(finding.details.items()):
            out.append(f"  {safe_text(key)}: ", style="dim")
            out.append(safe_text(value))
            out.append("\n")
    if finding.docs:
        out.append("\n" if finding.details else "")
        out.append("Docs (d opens the first)\n", style="bold underline")
        for link in finding.docs:
            out.append(f"  {safe_text(link)}\n")
    return out


def evidence_title(finding: Finding | None) -> str:
    count = len(finding.evidence) if finding is not None else 0
    return f"Evidence: {count} decision{'s' if count != 1 else ''}  (v: fold, z: zoom)"


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


class ExplainPane(VerticalScroll, can_focus=True):
    """The explanation and evidence, scrolled with the keys once focused; z zooms it."""

    ALLOW_MAXIMIZE = True

    def on_mount(self) -> None:
        self.watch(self.screen, "maximized", self._zoomed, init=False)

    def _zoomed(self, maximized: object) -> None:
        # Esc minimizes before any binding sees it: back to the findings, as z does
        if maximized is None and self.has_focus:
            self.screen.focus_next("#findings")


class EvidenceFold(Collapsible):
    """The evidence, folded or not. Collapsible scrolls itself into view whenever its fold
    changes; here only when the user asked (v), never when a new finding is shown."""

    follow = False

    def scroll_visible(self, *args: Any, **kwargs: Any) -> None:
        if self.follow:
            self.follow = False
            super().scroll_visible(*args, **kwargs)


class DetailPane(Horizontal):
    """Left: the finding and its evidence. Right: the fix, one tab per language. In a narrow
    terminal (the app's -narrow breakpoint) the fix is stacked below a short explanation and
    gets most of the height; in a narrow or short one the evidence starts folded, so the fix
    of the selected finding is in view at 80x24 without scrolling."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.finding: Finding | None = None
        self.fix_number = 0
        self.evidence_open: bool | None = None
        """The evidence's fold as the user last set it (v); None: by the terminal's width."""

    def compose(self) -> ComposeResult:
        with ExplainPane(id="explain"):
            yield Static(
                Text(
                    "Select a finding to see why it fails and how to fix it.", style="dim", end=""
                ),
                id="explain-text",
            )
            yield Static(Text("", end=""), id="chain")
            with EvidenceFold(title=evidence_title(None), collapsed=False, id="evidence"):
                yield Static(Text("", end=""), id="evidence-text")
            yield Static(Text("", end=""), id="explain-more")
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
        evidence = self.query_one("#evidence", EvidenceFold)
        more = self.query_one("#explain-more", Static)
        chain = self.query_one("#chain", Static)
        tree = chain_tree(finding, name_of) if finding is not None else None
        chain.display = tree is not None
        chain.update(tree if tree is not None else Text("", end=""))
        if finding is None:
            explain.update(Text(empty, style="dim", end=""))
            more.update(Text("", end=""))
        else:
            explain.update(finding_text(finding, finding_id, name_of))
            self.query_one("#evidence-text", Static).update(evidence_text(finding, name_of))
            more.update(more_text(finding))
        evidence.display = finding is not None and bool(finding.evidence)
        evidence.title = evidence_title(finding)
        folded = not self._evidence_open()
        if evidence.collapsed != folded:
            with self.prevent(Collapsible.Expanded, Collapsible.Collapsed):
                evidence.collapsed = folded
        self.query_one("#explain", VerticalScroll).scroll_home(animate=False)
        self._show_fix()

    def _evidence_open(self) -> bool:
        if self.evidence_open is not None:
            return self.evidence_open
        return not (self.screen.has_class("-narrow") or self.screen.has_class("-short"))

    def toggle_evidence(self) -> None:
        """Fold or unfold the evidence; the choice holds for the next findings."""
        evidence = self.query_one("#evidence", EvidenceFold)
        self.evidence_open = evidence.collapsed
        evidence.follow = self.evidence_open
        evidence.collapsed = not self.evidence_open

    def on_collapsible_toggled(self, event: Collapsible.Toggled) -> None:
        # a click on the title: remember it as v would
        self.evidence_open = not event.collapsible.collapsed

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
