"""The terminal UI: the hub as a tree, the findings as a table, the selected finding's
explanation, evidence and fix.

Keys (also in the footer, the help screen and the command palette, ctrl+p):

    up/down j/k  move in the findings table (the detail pane follows)
    /            search the findings by text (Enter or Esc returns to the table)
    f            filter by severity (Tab moves on to the status and check pickers)
    x            clear every filter (search, pickers, hub tree selection)
    c            copy the selected finding's fix, in the language shown
                 (the system clipboard, else the terminal's by OSC 52 where it is likely
                 honoured, else a new file here; the message says which)
    C            copy the whole fix plan (each change once), in the language shown
    1 2 3 4      show the fix as Azure CLI, PowerShell, Bicep, Terraform (left/right on the tabs)
    n            show the finding's next fix, when it has several
    e            export the report (JSON or Markdown)
    b            write a support bundle (.zip), redacted unless unticked; says its full path
    r            re-run: re-collect a live hub, re-evaluate a snapshot or the demo
    d            open the selected finding's documentation (copied when no browser can open)
    a            access check: does a principal hold an operation on a resource, and why
    p            focus on a principal ("why can't P ...?", as --principal): only its
                 requirements, as a builder; Everyone (or an empty answer) shows all again
    v            fold or unfold the evidence (it starts folded below 110 columns or 32 rows, so
                 the fix stays in view)
    z            zoom the explanation and evidence to the whole screen (z or Esc: back)
    t            show or hide the hub tree (Enter on a node narrows the findings to it, space
                 folds it; the tree starts hidden below 110 columns)
    Tab          move between the tree, the filter bar, the table, the explanation (the
                 arrow keys then scroll it) and the fix tabs
    Esc          back to the findings table (on a screen: close it)
    ?            help, and what the selected check looks at
    ctrl+p       command palette
    q            quit (exit code as on the command line)

The app shows a Diagnosis (diagnose.app): given one (tests, benchmarks), or loaded from a
Source in a worker through the application layer, as the command line does. It re-runs
through the same layer, renders exports through the report format registry and writes
bundles through diagnose.bundle; it never imports the command line, and the core never
imports Textual.

The App class holds the keys, the layout, the exit code and the state, and composes its parts:
diagnose.tui.view (showing a run, the filter and search), diagnose.tui.loading (the worker that
loads and re-runs, and its progress) and diagnose.tui.actions (copy, export, bundle, access).
The data it shows is computed without Textual in diagnose.tui.data and diagnose.tui.tree.
"""

from __future__ import annotations

import os
import sys

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.widgets import Footer, LoadingIndicator, Static

from diagnose.app import DiagnoseOptions, Diagnosis, Source
from diagnose.exitcodes import ExitCode
from diagnose.safe import safe_message, safe_text
from diagnose.tui.actions import Actions
from diagnose.tui.commands import DiagnoseCommands
from diagnose.tui.data import LANGUAGES, FindingFilter
from diagnose.tui.loading import Loader, Loading
from diagnose.tui.view import RunView
from diagnose.tui.widgets.detail import DetailPane
from diagnose.tui.widgets.filters import FilterBar
from diagnose.tui.widgets.findings import FindingsTable
from diagnose.tui.widgets.hub_tree import HubTree

INTERRUPTED = 130
"""Quit before the first run finished (as the command line on ctrl+c)."""
RUN_ACTIONS = frozenset(
    {
        "search",
        "filter",
        "clear_filters",
        "copy_fix",
        "copy_plan",
        "export",
        "bundle",
        "rerun",
        "docs",
        "access",
        "focus_principal",
        "next_fix",
        "toggle_tree",
        "toggle_evidence",
        "zoom",
        "language",
        "set_filter",
    }
)
"""Actions that need a run on screen."""

KEYS: list[tuple[str, str]] = [
    ("/", "search the findings by text"),
    ("f", "filter by severity, status or check"),
    ("x", "clear every filter"),
    ("c", "copy the selected fix (language shown)"),
    ("C", "copy the whole fix plan (language shown)"),
    (
        " ".join(str(number) for number in range(1, len(LANGUAGES) + 1)),
        ", ".join(title for _, title, _ in LANGUAGES),
    ),
    ("n", "next fix of the finding"),
    ("e", "export the report (JSON / Markdown)"),
    ("b", "write a support bundle (redacted by default)"),
    ("r", "re-run (live: re-collect; snapshot, demo: re-evaluate)"),
    ("d", "open the finding's documentation"),
    ("a", "access check"),
    ("p", "focus on a principal: why can't P ...? (Everyone: back to all)"),
    ("t", "show or hide the hub tree; Enter on a node narrows the findings"),
    ("v", "fold or unfold the evidence (folded below 110 columns or 32 rows)"),
    ("z", "zoom the explanation to the whole screen (again or Esc: back)"),
    ("?", "this help"),
    ("ctrl+p", "command palette"),
    ("q", "quit"),
]


class DiagnoseApp(Loading, Actions, RunView, App[int]):
    """Built from a Diagnosis (tests, benchmarks), a Source to load (the command line) or a
    loader."""

    CSS_PATH = "app.tcss"
    TITLE = "ai-hub-diagnose"
    COMMANDS = App.COMMANDS | {DiagnoseCommands}
    ENABLE_COMMAND_PALETTE = True
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    """Below 110 columns the hub tree starts hidden (t shows it) and the fix goes below the
    explanation."""
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    """Below 32 rows the table and the fix's heading shrink, and the evidence starts folded,
    so that the fix stays in view."""
    BINDINGS = [
        Binding("slash", "search", "Search"),
        Binding("f", "filter", "Filter"),
        Binding("x", "clear_filters", "Clear"),
        Binding("c", "copy_fix", "Copy fix"),
        Binding("C", "copy_plan", "Copy plan", key_display="C"),
        Binding("e", "export", "Export"),
        Binding("b", "bundle", "Bundle"),
        Binding("r", "rerun", "Re-run"),
        Binding("d", "docs", "Docs"),
        Binding("a", "access", "Access"),
        Binding("p", "focus_principal", "Focus"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("n", "next_fix", "Next fix", show=False),
        Binding("t", "toggle_tree", "Tree", show=False),
        Binding("v", "toggle_evidence", "Evidence", show=False),
        Binding("z", "zoom", "Zoom", show=False),
        *(
            Binding(str(number), f"language('{tab}')", title, show=False)
            for number, (tab, title, _) in enumerate(LANGUAGES, 1)
        ),
        Binding("escape", "back", "Back", show=False),
    ]

    def __init__(
        self,
        diagnosis: Diagnosis | None = None,
        *,
        source: Source | None = None,
        options: DiagnoseOptions | None = None,
        fail_on: str = "fail",
        strict: bool = False,
        loader: Loader | None = None,
        argv: list[str] | None = None,
    ) -> None:
        """With a source, the first load and a live re-run read or collect it with options;
        a loader replaces that load. fail_on and strict (--fail-on, --strict) decide the exit
        code; argv is the command line, recorded in the support bundles the UI writes."""
        super().__init__()
        if diagnosis is None and source is None and loader is None:
            raise ValueError("DiagnoseApp needs a diagnosis, a source or a loader")
        # the state the parts declare (view: the run shown; loading: where it comes from)
        self.diagnosis = diagnosis
        self.source = source
        self.options = options or DiagnoseOptions()
        self.fail_on = fail_on
        self.strict = strict
        self.loader = loader or (self._loader_of(source) if source else None)
        self.argv = list(argv) if argv is not None else []
        self.error = None
        self.crash = None
        self.index = None
        self.filter = FindingFilter()
        self.shown = None
        self.detail_renders = 0
        self.busy = False
        self.last_copy = None

    # -- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(Text("ai-hub-diagnose", style="bold", end=""), id="top-bar")
        with Vertical(id="loading"):
            yield LoadingIndicator()
            yield Static(Text("Starting...", end=""), id="progress")
        yield Static("", id="error")
        with Horizontal(id="main"):
            yield HubTree(id="tree")
            with Vertical(id="right"):
                yield FilterBar(id="filters")
                yield FindingsTable(id="findings")
                yield DetailPane(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#main").display = False
        self.query_one("#error").display = False
        if self.diagnosis is not None:
            self._populate(self.diagnosis)
        else:
            self.busy = True
            self._load(first=True)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification without markup quotes something the tool did not write (an
        exception, a path, a link): shown as data, credentials removed and control
        characters escaped. Those with markup hold only the tool's own words."""
        if not markup:
            message, title = safe_message(message), safe_text(title)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # -- helpers --------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Until a run is shown, and while another screen is open, only help and quit make
        sense (the footer hides the rest)."""
        blocked = self.diagnosis is None or len(self.screen_stack) > 1
        return not (action in RUN_ACTIONS and blocked)

    # -- help, docs, quit (the other actions: view, actions, loading) ----------------------
    # help lists this module's KEYS and docs asks its _graphical_browser, so both stay here
    def action_docs(self) -> None:
        finding = self.selected_finding
        if finding is None or not finding.docs:
            self.notify("No documentation link for this finding.", severity="warning")
            return
        url = finding.docs[0]
        if not _graphical_browser():
            self.copy_out(url, f"the link {url} (no graphical browser here)")
            return
        import webbrowser

        webbrowser.open(url, new=2)
        self.notify(f"Opened {url}", markup=False, timeout=3)

    def action_help(self) -> None:
        from diagnose.tui.screens.help import HelpScreen

        finding = self.selected_finding
        check = None
        if finding is not None and self.diagnosis is not None:
            check = next((c for c in self.diagnosis.checks if c.id == finding.check_id), None)
        self.push_screen(HelpScreen(KEYS, check))

    async def action_quit(self) -> None:
        code = self.exit_code
        self.exit(code, return_code=code)

    @property
    def exit_code(self) -> int:
        """As on the command line: 2 bad input, 130 quit while loading, else by --fail-on and
        --strict."""
        if self.error is not None:
            return ExitCode.BAD_INPUT
        if self.crash is not None:
            return ExitCode.INTERNAL_ERROR
        if self.diagnosis is None:
            return INTERRUPTED
        from diagnose.report.model import exit_code

        return exit_code(self.diagnosis.report, self.fail_on, self.strict)


def _graphical_browser() -> bool:
    """Whether webbrowser would open a window rather than a text browser in this terminal."""
    if os.environ.get("BROWSER"):
        return True
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
