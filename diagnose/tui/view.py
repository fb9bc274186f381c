"""Showing a run in the terminal UI: the top bar, the findings table narrowed by the filter
bar, the search and the hub tree, and the selected finding in the detail pane. A part of
DiagnoseApp (diagnose.tui.app), which holds the state declared here and composes this class
with the loading and the actions.

The detail pane is re-rendered only when the selected finding changes, so typing in the search
box rebuilds rows, never the pane.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import DataTable, Input, Select, Static, Tree

from diagnose.app import Diagnosis
from diagnose.safe import safe_text
from diagnose.tui.data import FindingFilter, FindingIndex
from diagnose.tui.tree import TreeItem, build_tree, finding_counts, target_word
from diagnose.tui.widgets.detail import DetailPane
from diagnose.tui.widgets.filters import FilterBar
from diagnose.tui.widgets.findings import FindingsTable
from diagnose.tui.widgets.hub_tree import HubTree

if TYPE_CHECKING:
    from textual.app import App

    AppBase = App[int]
    """What the parts of DiagnoseApp are, to the type checker: at run time they are plain
    classes, composed with App by DiagnoseApp (Textual finds their handlers and actions
    through its MRO)."""
else:
    AppBase = object


class RunView(AppBase):
    """The run on screen and how the findings are narrowed."""

    diagnosis: Diagnosis | None
    """The run shown; None until the first load finishes."""
    index: FindingIndex | None
    filter: FindingFilter
    shown: int | None
    """The finding index the detail pane shows."""
    detail_renders: int
    """How many times the detail pane was rendered (tests check filtering does not)."""
    name_of: Callable[[str], str | None]
    """A principal's display name from the snapshot's directory, for the detail pane."""

    # -- showing a run --------------------------------------------------------------------
    def _top_bar(self, state: str = "") -> Text:
        out = Text(end="")
        out.append("ai-hub-diagnose", style="bold")
        run = self.diagnosis
        if run is None:
            return out
        from diagnose.report.text import summary_line

        target = run.report.target
        out.append(f"  {target_word(run)} ")
        out.append(safe_text(target.get("hubName") or "?"), style="bold")
        if target.get("project"):
            out.append("  project ")
            out.append(safe_text(target["project"]), style="bold")
        if target.get("focus"):  # "why can't P ...?": say so, the table holds only P's needs
            from diagnose.engine.api import PrincipalRef

            out.append("  focus ")
            names = ", ".join(
                PrincipalRef(p["id"], p["type"], p.get("displayName")).label
                for p in target["focus"]
            )
            out.append(safe_text(names), style="bold yellow")
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

    # -- narrowing and moving around ----------------------------------------------------
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
        if self.screen.maximized is not None:
            self.screen.minimize()
        if self.index is not None:
            self.query_one(FindingsTable).focus()

    def action_zoom(self) -> None:
        """The explanation and its evidence on the whole screen (v unfolds the evidence), or
        back."""
        if self.screen.maximized is not None:
            self.screen.minimize()
            self.query_one(FindingsTable).focus()
            return
        explain = self.query_one("#explain")
        explain.focus()
        self.screen.maximize(explain, container=False)

    def action_language(self, tab: str) -> None:
        if self.index is not None:
            self.query_one(DetailPane).language = tab

    def action_next_fix(self) -> None:
        self.query_one(DetailPane).next_fix()

    def action_toggle_evidence(self) -> None:
        self.query_one(DetailPane).toggle_evidence()

    def action_toggle_tree(self) -> None:
        tree = self.query_one(HubTree)
        tree.display = not tree.display
