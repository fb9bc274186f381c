"""The terminal UI: the hub as a tree, the findings as a table, the selected finding's
explanation, evidence and fix.

Keys (also in the footer, the help screen and the command palette, ctrl+p):

    up/down j/k  move in the findings table (the detail pane follows)
    /            search the findings by text (Enter or Esc returns to the table)
    f            filter by severity (Tab moves on to the status and check pickers)
    x            clear every filter (search, pickers, hub tree selection)
    c            copy the selected finding's fix, in the language shown
    C            copy the whole fix plan (each change once), in the language shown
    1 2 3 4      show the fix as Azure CLI, PowerShell, Bicep, Terraform (left/right on the tabs)
    n            show the finding's next fix, when it has several
    e            export the report (JSON or Markdown)
    b            write a support bundle (.zip)
    r            re-run: re-collect a live hub, re-evaluate a snapshot or the demo
    d            open the selected finding's documentation (copied when no browser can open)
    a            access check: does a principal hold an operation on a resource, and why
    t            show or hide the hub tree (Enter on a node narrows the findings to it, space
                 folds it; the tree starts hidden below 110 columns)
    Tab          move between the tree, the filter bar, the table and the fix tabs
    Esc          back to the findings table (on a screen: close it)
    ?            help, and what the selected check looks at
    ctrl+p       command palette
    q            quit (exit code as on the command line)

The app shows a Diagnosis (diagnose.app): given one (tests, benchmarks), or loaded from a
Source in a worker through the application layer, as the command line does. It re-runs
through the same layer, renders exports through the report format registry and writes
bundles through diagnose.bundle; it never imports the command line, and the core never
imports Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import threading
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.widgets import DataTable, Footer, Input, LoadingIndicator, Select, Static, Tree

from diagnose.app import DiagnoseOptions, Diagnosis, LiveSource, Source
from diagnose.collect.progress import RequestTally
from diagnose.errors import BadInput
from diagnose.exitcodes import ExitCode
from diagnose.safe import safe_message, safe_text
from diagnose.tui.commands import DiagnoseCommands
from diagnose.tui.data import (
    LANGUAGES,
    FindingFilter,
    FindingIndex,
    TreeItem,
    build_tree,
    finding_counts,
    fix_plan_text,
)
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
        "next_fix",
        "toggle_tree",
        "language",
        "set_filter",
    }
)
"""Actions that need a run on screen."""
Loader = Callable[[Any], Diagnosis]
"""Given a progress object (stage(text), request_done(entry)), returns a Diagnosis."""

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
    ("b", "write a support bundle"),
    ("r", "re-run (live: re-collect; snapshot, demo: re-evaluate)"),
    ("d", "open the finding's documentation"),
    ("a", "access check"),
    ("t", "show or hide the hub tree; Enter on a node narrows the findings"),
    ("?", "this help"),
    ("ctrl+p", "command palette"),
    ("q", "quit"),
]


class UiProgress:
    """The collector's Progress protocol, shown in the UI. Called from worker threads: it
    posts (thread-safe) at most one pending update, and the UI reads the latest text."""

    def __init__(self, app: DiagnoseApp) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._stage = ""
        self._tally = RequestTally()
        self._pending = False

    def __enter__(self) -> UiProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def stage(self, text: str) -> None:
        with self._lock:
            self._stage = text
        self._post()

    def request_done(self, entry: dict[str, Any]) -> None:
        self._tally.record(entry)
        self._post()

    @property
    def text(self) -> str:
        with self._lock:
            self._pending = False
            stage = self._stage
        counts = self._tally.summary()
        return f"{stage}: {counts}" if counts else stage

    def _post(self) -> None:
        with self._lock:
            if self._pending:
                return
            self._pending = True
        self._app.post_message(Progressed(self))


class Progressed(Message):
    """The loading worker made progress (posted from its thread)."""

    def __init__(self, progress: UiProgress) -> None:
        super().__init__()
        self.progress = progress


class DiagnoseApp(App[int]):
    """Built from a Diagnosis (tests, benchmarks), a Source to load (the command line) or a
    loader."""

    CSS_PATH = "app.tcss"
    TITLE = "ai-hub-diagnose"
    COMMANDS = App.COMMANDS | {DiagnoseCommands}
    ENABLE_COMMAND_PALETTE = True
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    """Below 110 columns the hub tree starts hidden (t shows it)."""
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
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("n", "next_fix", "Next fix", show=False),
        Binding("t", "toggle_tree", "Tree", show=False),
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
        self.diagnosis: Diagnosis | None = diagnosis
        self.source = source
        self.options = options or DiagnoseOptions()
        self.fail_on = fail_on
        self.strict = strict
        self.loader: Loader | None = loader or (self._loader_of(source) if source else None)
        self.argv = list(argv) if argv is not None else []
        self.error: BadInput | None = None
        """Why the first load failed: the app then exits with code 2."""
        self.crash: BaseException | None = None
        """A bug in the first load: run_tui re-raises it after the UI is gone."""
        self.index: FindingIndex | None = None
        self.filter = FindingFilter()
        self.shown: int | None = None
        """The finding index the detail pane shows."""
        self.detail_renders = 0
        """How many times the detail pane was rendered (tests check filtering does not)."""
        self.busy = False

    def _loader_of(self, source: Source) -> Loader:
        """Read or collect the source and run the checks, through the application layer; a
        live collection reports to the UI's progress instead of drawing on stderr."""
        from diagnose.app import diagnose

        options = self.options
        return lambda progress: diagnose(source, options, progress=progress)

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

    # -- loading --------------------------------------------------------------------------
    def on_progressed(self, message: Progressed) -> None:
        self.set_progress(message.progress.text)

    def set_progress(self, text: str) -> None:
        self.query_one("#progress", Static).update(Text(safe_text(text), end=""))
        if self.diagnosis is not None:
            self.query_one("#top-bar", Static).update(self._top_bar(f"re-running: {text}"))

    @work(exclusive=True, group="load")
    async def _load(self, first: bool = False, rerun: Loader | None = None) -> None:
        """Load (collect or read, then run the checks) in a daemon thread and wait for it
        here: quitting mid-collection leaves at once instead of waiting for Azure."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()
        progress = UiProgress(self)
        load = rerun or self.loader
        assert load is not None, "__init__ takes a diagnosis, a source or a loader"

        def settle(result: Any, error: BaseException | None) -> None:
            if done.done():
                return
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(result)

        def target() -> None:
            result, error = None, None
            try:
                result = load(progress)
            except BaseException as exc:  # handed to the UI, which decides
                error = exc
            with contextlib.suppress(RuntimeError):  # the app (and its loop) is gone
                loop.call_soon_threadsafe(settle, result, error)

        threading.Thread(target=target, name="diagnose-load", daemon=True).start()
        try:
            run = await done
        except BadInput as exc:
            self._failed(exc, first)
            return
        except Exception as exc:
            self._crashed(exc, first)
            return
        self._loaded(run)

    def _from_thread(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the app is gone
            self.call_from_thread(callback, *args, **kwargs)

    def _loaded(self, run: Diagnosis) -> None:
        self.busy = False
        self.query_one(FindingsTable).loading = False
        self._populate(run)
        report = run.report
        if report.collection_errors or report.check_errors:
            self.notify(
                f"The report is partial: {len(report.collection_errors)} read(s) failed "
                f"and {len(report.check_errors)} check(s) could not run; see 'could "
                "not be read' in the hub tree.",
                severity="warning",
                timeout=8,
            )

    def _failed(self, exc: BadInput, first: bool) -> None:
        self.busy = False
        self.query_one(FindingsTable).loading = False
        if not first:
            self.notify(str(exc), title="Re-run failed", severity="error", markup=False)
            self.query_one("#top-bar", Static).update(self._top_bar())
            return
        self.error = exc
        message = Text(end="")
        message.append("diagnose: error\n\n", style="bold red")
        message.append(safe_message(str(exc)))
        message.append("\n\nNothing to show. Press q to quit (exit code 2).", style="dim")
        self.query_one("#loading").display = False
        error = self.query_one("#error", Static)
        error.update(message)
        error.display = True

    def _crashed(self, exc: BaseException, first: bool) -> None:
        self.busy = False
        self.query_one(FindingsTable).loading = False
        if first:
            self.crash = exc
            self.exit(ExitCode.INTERNAL_ERROR, return_code=ExitCode.INTERNAL_ERROR)
            return
        self.query_one("#top-bar", Static).update(self._top_bar())
        self.notify(
            f"{type(exc).__name__}: {exc}",
            title="Re-run failed (a bug)",
            severity="error",
            markup=False,
        )

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

    # -- showing a run --------------------------------------------------------------------
    def _top_bar(self, state: str = "") -> Text:
        out = Text(end="")
        out.append("ai-hub-diagnose", style="bold")
        run = self.diagnosis
        if run is None:
            return out
        from diagnose.report.text import summary_line

        target = run.report.target
        out.append("  hub ")
        out.append(safe_text(target.get("hubName") or "?"), style="bold")
        if target.get("project"):
            out.append("  project ")
            out.append(safe_text(target["project"]), style="bold")
        out.append(f"  ({safe_text(target.get('snapshot') or 'live')})", style="dim")
        out.append("\n")
        out.append(
            safe_text(summary_line(run.report)),
            style="bold red" if run.report.summary.get("partial") else "",
        )
        if state:
            out.append(f"  [{safe_text(state)}]", style="italic")
        return out

    def _populate(self, run: Diagnosis) -> None:
        keep_id = None
        if self.diagnosis is not None and self.selected_finding is not None:
            keep_id = self.diagnosis.report.id_of(self.selected_finding)
        self.diagnosis = run
        self.index = FindingIndex(run.report.findings)
        directory = run.model.authorization.directory

        def name_of(principal_id: str) -> str | None:
            entry = directory.get(principal_id)
            return entry.display_name if entry else None

        self.name_of = name_of
        self.query_one("#top-bar", Static).update(self._top_bar())
        self.query_one(HubTree).load(build_tree(run, finding_counts(run.report.findings)))
        self.query_one(FilterBar).set_checks(self.index.checks())
        keep = next(
            (
                i
                for i, f in enumerate(run.report.findings)
                if keep_id is not None and run.report.id_of(f) == keep_id
            ),
            None,
        )
        self.shown = None
        self.query_one("#loading").display = False
        self.query_one("#main").display = True
        self.query_one(FindingsTable).fit_columns(self.index.rows)
        self._apply_filter(keep, force=True)
        self.query_one(FindingsTable).focus()
        self.refresh_bindings()

    def _apply_filter(self, keep: int | None = None, force: bool = False) -> None:
        """Rebuild the rows for the filter; the detail pane is re-rendered only when the
        selected finding changes (it stays put when it is still visible)."""
        if self.index is None:
            return
        table = self.query_one(FindingsTable)
        visible = self.index.select(self.filter)
        table.show(self.index.rows, visible, keep=self.shown if keep is None else keep, force=force)
        self.query_one(FilterBar).set_count(len(visible), len(self.index))
        if not visible:
            self._show_detail(None)
        elif self.shown is None or self.shown not in visible:
            self._show_detail(table.selected)

    def _show_detail(self, index: int | None) -> None:
        if index == self.shown and (index is not None or self.detail_renders):
            return
        self.shown = index
        self.detail_renders += 1
        detail = self.query_one(DetailPane)
        if index is None or self.index is None or self.diagnosis is None:
            empty = (
                "No findings: every access requirement the checks stated is met."
                if self.index is not None and not len(self.index)
                else "No finding matches the filter."
            )
            detail.show(None, "", self.name_of, empty)
            return
        finding = self.index.findings[index]
        detail.show(finding, self.diagnosis.report.id_of(finding), self.name_of)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = self.query_one(FindingsTable)
        if event.data_table is not table or event.cursor_row != table.cursor_row:
            return  # a stale event from before the rows were rebuilt
        index = table.finding_of_key(event.row_key)
        if index is not None:
            self._show_detail(index)

    def on_filter_bar_changed(self, event: FilterBar.Changed) -> None:
        new = self.query_one(FilterBar).apply_to(self.filter)
        if new != self.filter:
            self.filter = new
            self._apply_filter()

    def on_tree_node_selected(self, event: Tree.NodeSelected[TreeItem]) -> None:
        item = event.node.data
        resource = item.resource if item else None
        principal = item.principal if item else None
        if (resource, principal) == (self.filter.resource, self.filter.principal):
            return
        from dataclasses import replace

        self.filter = replace(self.filter, resource=resource, principal=principal)
        self._apply_filter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            self.query_one(FindingsTable).focus()

    # -- helpers --------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Until a run is shown, and while another screen is open, only help and quit make
        sense (the footer hides the rest)."""
        blocked = self.diagnosis is None or len(self.screen_stack) > 1
        return not (action in RUN_ACTIONS and blocked)

    @property
    def selected_finding(self) -> Any:
        if self.index is None or self.shown is None:
            return None
        return self.index.findings[self.shown]

    def _need_run(self) -> Diagnosis | None:
        """The Diagnosis shown; None (and a notification) before the first one."""
        if self.diagnosis is None:
            self.notify("Nothing loaded yet.", severity="warning")
        return self.diagnosis

    def _language_title(self, tab: str) -> str:
        return next(title for key, title, _ in LANGUAGES if key == tab)

    def filter_entries(self) -> list[tuple[str, str, str]]:
        """Palette entries that set one filter."""
        from diagnose.engine.api import Severity, Status

        entries = [
            (
                f"Filter: status {s.value}",
                "show only this status",
                f"set_filter('status', '{s.value}')",
            )
            for s in Status
        ]
        entries += [
            (
                f"Filter: severity {s.value}",
                "show only this severity",
                f"set_filter('severity', '{s.value}')",
            )
            for s in Severity
        ]
        if self.index is not None:
            entries += [
                (f"Filter: check {c}", "show only this check", f"set_filter('check', '{c}')")
                for c in self.index.checks()
            ]
        return entries

    # -- actions --------------------------------------------------------------------------
    def action_search(self) -> None:
        if self.index is not None:
            self.query_one("#search", Input).focus()

    def action_filter(self) -> None:
        """Open the severity picker; Tab moves on to status and check."""
        if self.index is not None:
            select = self.query_one("#severity", Select)
            select.focus()
            select.action_show_overlay()

    def action_set_filter(self, name: str, value: str) -> None:
        if self.index is not None:
            self.query_one(FilterBar).set_value(name, value)

    def action_clear_filters(self) -> None:
        if self.index is None:
            return
        bar = self.query_one(FilterBar)
        with self.prevent(Input.Changed, Select.Changed):
            bar.text = ""
            for name in ("severity", "status", "check"):
                bar.set_value(name, None)
        if self.filter != FindingFilter():
            self.filter = FindingFilter()
            self._apply_filter()

    async def action_back(self) -> None:
        if self.index is not None:
            self.query_one(FindingsTable).focus()

    def action_language(self, tab: str) -> None:
        if self.index is not None:
            self.query_one(DetailPane).language = tab

    def action_next_fix(self) -> None:
        self.query_one(DetailPane).next_fix()

    def action_toggle_tree(self) -> None:
        tree = self.query_one(HubTree)
        tree.display = not tree.display

    def action_copy_fix(self) -> None:
        if not self._need_run():
            return
        detail = self.query_one(DetailPane)
        fix = detail.fix
        text = detail.fix_text()
        if fix is None or not text:
            self.notify("The selected finding has no fix to copy.", severity="warning")
            return
        self.copy_to_clipboard(text)
        state = "verified" if fix.verified else "NOT verified"
        self.notify(f"Copied the {self._language_title(detail.language)} fix ({state}).", timeout=3)

    def action_copy_plan(self) -> None:
        diagnosis = self._need_run()
        if diagnosis is None:
            return
        plan = diagnosis.report.fix_plan
        if not plan:
            self.notify("The fix plan is empty: nothing to change.", severity="warning")
            return
        language = self.query_one(DetailPane).language
        self.copy_to_clipboard(fix_plan_text(plan, language))
        verified = sum(1 for item in plan if item.remediation.verified)
        self.notify(
            f"Copied the fix plan: {len(plan)} changes ({verified} verified), "
            f"{self._language_title(language)}.",
            timeout=3,
        )

    @staticmethod
    def _file_stem(diagnosis: Diagnosis) -> str:
        name = str(diagnosis.report.target.get("hubName") or "hub")
        return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "hub"

    def action_export(self, fmt: str = "json") -> None:
        diagnosis = self._need_run()
        if diagnosis is None:
            return
        from diagnose.tui.screens.prompt import EXTENSIONS, PathPrompt

        default = f"diagnose-report-{self._file_stem(diagnosis)}{EXTENSIONS[fmt]}"
        self.push_screen(
            PathPrompt(
                "Export the report",
                default,
                [("JSON", "json"), ("Markdown", "markdown")],
                fmt,
                button="Export",
            ),
            self._export_to,
        )

    def _export_to(self, answer: tuple[str, str] | None) -> None:
        if answer is None:
            return
        path, fmt = answer
        self.export(path, fmt)

    def export(self, path: str, fmt: str) -> bool:
        """Write the report as JSON or Markdown; says what happened in a notification."""
        from diagnose.outfile import write_text
        from diagnose.report.formats import render_report

        assert self.diagnosis is not None  # export is an action that needs a run
        try:
            write_text(_typed_path(path), render_report(self.diagnosis.report, fmt))
        except (BadInput, OSError) as exc:
            self.notify(str(exc), title="Export failed", severity="error", markup=False)
            return False
        self.notify(f"Wrote the {fmt} report to {path}", markup=False, timeout=4)
        return True

    def action_bundle(self) -> None:
        diagnosis = self._need_run()
        if diagnosis is None:
            return
        from diagnose.tui.screens.prompt import PathPrompt

        default = f"diagnose-bundle-{self._file_stem(diagnosis)}.zip"
        self.push_screen(
            PathPrompt(
                "Write a support bundle (snapshot, reports, request log; not redacted)",
                default,
                button="Write",
            ),
            self._bundle_to,
        )

    def _bundle_to(self, answer: tuple[str, str] | None) -> None:
        if answer is not None and self.diagnosis is not None:
            self._write_bundle(answer[0], self.diagnosis)

    @work(thread=True, group="bundle")
    def _write_bundle(self, path: str, diagnosis: Diagnosis) -> None:
        """In a thread (a bundle re-renders every report); quitting waits for the zip."""
        from diagnose.bundle import write_bundle

        try:
            write_bundle(
                _typed_path(path), diagnosis, argv=self.argv, redact=False, redaction_map=None
            )
        except (BadInput, OSError) as exc:
            self._from_thread(
                self.notify, str(exc), title="Bundle failed", severity="error", markup=False
            )
            return
        except Exception as exc:  # a bug in the bundle writer: say so, keep the session
            self._from_thread(
                self.notify,
                f"{type(exc).__name__}: {exc} (a bug in ai-hub-diagnose; please report it)",
                title="Bundle failed",
                severity="error",
                markup=False,
            )
            return
        self._from_thread(
            self.notify, f"Wrote the support bundle to {path}", markup=False, timeout=4
        )

    def action_rerun(self) -> None:
        if self.busy or self.diagnosis is None:
            self.notify("Already running.", severity="warning")
            return
        self.busy = True
        self.query_one(FindingsTable).loading = True
        if isinstance(self.source, LiveSource):
            self.query_one("#top-bar", Static).update(self._top_bar("re-collecting"))
            self._load()
        else:
            from diagnose.app import rediagnose

            shown = self.diagnosis
            self.query_one("#top-bar", Static).update(self._top_bar("re-evaluating"))
            self._load(rerun=lambda progress: rediagnose(shown))

    def action_docs(self) -> None:
        finding = self.selected_finding
        if finding is None or not finding.docs:
            self.notify("No documentation link for this finding.", severity="warning")
            return
        url = finding.docs[0]
        if not _graphical_browser():
            self.copy_to_clipboard(url)
            self.notify(f"No graphical browser here: copied the link {url}", markup=False)
            return
        import webbrowser

        webbrowser.open(url, new=2)
        self.notify(f"Opened {url}", markup=False, timeout=3)

    def action_access(self) -> None:
        if not self._need_run():
            return
        from diagnose.tui.screens.access import AccessScreen

        finding = self.selected_finding
        options: dict[str, Any] = {}
        if finding is not None and finding.evidence:
            decision = finding.evidence[0]
            options = {
                "principal": decision.principal,
                "scope": decision.scope,
                "operation": decision.operation,
                "data_action": decision.data_action,
            }
        elif finding is not None:
            options = {
                "principal": finding.principal.id if finding.principal else None,
                "scope": finding.resource,
            }
        self.push_screen(AccessScreen(self.diagnosis, **options))

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


def _typed_path(path: str) -> str:
    """A path typed in the UI. `-` would mean standard output, which the UI is drawing on."""
    if path.strip() == "-":
        raise BadInput("standard output is the screen here", where="-", fix="give a file name")
    return os.path.expanduser(path)
