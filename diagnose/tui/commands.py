"""Command palette entries (ctrl+p) for everything the keys do, and the filters."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from diagnose.remediation.languages import fix_languages

PALETTE: tuple[tuple[str, str, str], ...] = (
    ("Copy fix", "copy the selected finding's fix in the shown language", "copy_fix"),
    (
        "Copy fix plan",
        "copy the whole fix plan, each change once, in the shown language",
        "copy_plan",
    ),
    ("Export report as JSON", "write the report as JSON", "export('json')"),
    ("Export report as Markdown", "write the report as Markdown", "export('markdown')"),
    (
        "Write support bundle",
        "snapshot, reports and request log in one zip, redacted by default",
        "bundle",
    ),
    ("Re-run", "re-collect (live) or re-evaluate (snapshot, demo)", "rerun"),
    ("Open docs", "open the selected finding's documentation in a browser", "docs"),
    ("Access check", "does a principal hold an operation on a resource, and why", "access"),
    (
        "Focus on a principal",
        "why can't P ...? only its requirements, as a builder (as --principal)",
        "focus_principal",
    ),
    ("Clear the principal focus", "show everyone again", "focus_principal('')"),
    ("Help", "keys and what the selected check looks at", "help"),
    ("Search findings", "search the findings by text", "search"),
    ("Filter findings", "filter by severity, status or check", "filter"),
    ("Clear filters", "show every finding", "clear_filters"),
    ("Next fix", "show the finding's next fix", "next_fix"),
    ("Toggle hub tree", "show or hide the hub tree", "toggle_tree"),
    (
        "Fold or unfold the evidence",
        "the evaluator's decisions behind the finding",
        "toggle_evidence",
    ),
    ("Zoom the explanation", "the explanation and evidence on the whole screen", "zoom"),
    *(
        (f"Show {language.label}", language.description, f"language('{language.name}')")
        for language in fix_languages()
    ),
    ("Quit", "leave, with the same exit code as the command line", "quit"),
)
"""(title, help, action on the app)."""


class DiagnoseCommands(Provider):
    def _entries(self) -> list[tuple[str, str, str]]:
        entries = list(PALETTE)
        findings = getattr(self.app, "filter_entries", None)
        if callable(findings):
            entries += findings()
        return entries

    def _run(self, action: str) -> None:
        self.app.call_later(self.app.run_action, action)

    async def discover(self) -> Hits:
        for title, help_text, action in self._entries():
            yield DiscoveryHit(title, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self._run, action),
                    text=title,
                    help=help_text,
                )
