"""The terminal UI, driven headlessly: navigation, filters, copying fixes, exports, the access
screen, loading in a worker, exit codes, and names from Azure shown literally."""

from __future__ import annotations

import html
import json
import sys
import threading
import types
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, Input, Select

from diagnose.engine.api import Status
from diagnose.errors import BadInput
from diagnose.render.decision_text import render_decision
from diagnose.report.formats import render_report
from diagnose.report.model import exit_code
from diagnose.safe import safe_text
from diagnose.tui.app import DiagnoseApp
from diagnose.tui.data import fix_plan_text
from diagnose.tui.screens.access import AccessScreen
from diagnose.tui.screens.help import HelpScreen
from diagnose.tui.screens.prompt import PathPrompt
from diagnose.tui.widgets.filters import FilterBar
from diagnose.tui.widgets.findings import FindingsTable
from diagnose.tui.widgets.hub_tree import HubTree
from tests.test_tui_support import (
    HOSTILE,
    demo_args,
    demo_run,
    execute,
    hostile_run,
    isolate_clipboard,
    plain,
    sync,
    table_cells,
)

SIZE = (120, 36)


@pytest.fixture(autouse=True)
def _no_real_clipboard(monkeypatch, tmp_path: Path) -> None:
    """Copies land in a file in the test's folder, never on the clipboard of the machine."""
    isolate_clipboard(monkeypatch, tmp_path)


def app_for(run=None, **kwargs) -> DiagnoseApp:
    return DiagnoseApp(run if run is not None else demo_run(), **kwargs)


def explain_text(app: DiagnoseApp) -> str:
    """The explanation pane: the finding, its evidence (folded or not) and its links."""
    parts = [plain(app.query_one(f"#{part}")) for part in ("explain-text", "explain-more")]
    if app.query_one("#evidence").display:
        parts.insert(1, plain(app.query_one("#evidence-text")))
    return "\n".join(parts)


def shown_findings(app: DiagnoseApp) -> list:
    table = app.query_one(FindingsTable)
    return [app.index.findings[i] for i in table.order]


# -- opening and navigating -------------------------------------------------------------------


@sync
async def test_opens_with_every_finding_the_tree_and_the_first_detail() -> None:
    run = demo_run()
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(FindingsTable)
        assert table.row_count == len(run.report.findings) > 20
        cells = table_cells(app)
        first = run.report.findings[0]
        assert cells[0][:3] == [first.status.value.upper(), first.severity.value, first.check_id]
        assert app.shown == 0
        assert " ".join(first.message.split()) in " ".join(explain_text(app).split())
        tree = app.query_one(HubTree)
        assert "hub-contoso" in tree.root.label.plain
        labels = [node.label.plain for node in _walk(tree.root)]
        assert any(label.startswith("project proj-chat") for label in labels)
        assert any(label.startswith("aoai-shared  AzureOpenAI · AAD") for label in labels)
        assert any(label.startswith("hub hub-contoso  system ") for label in labels)
        top = plain(app.query_one("#top-bar"))
        assert "hub hub-contoso" in top and f"{len(run.report.findings)} findings" in top
        assert app.focused is table


def _walk(node):
    for child in node.children:
        yield child
        yield from _walk(child)


@sync
async def test_moving_the_cursor_shows_that_findings_explanation_and_evidence() -> None:
    run = demo_run()
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "down")
        await pilot.pause()
        finding = run.report.findings[3]
        assert app.shown == 3
        text = explain_text(app)
        assert finding.check_id in text and safe_text(finding.resource) in text
        assert finding.evidence, "the demo's fourth finding carries the evaluator's evidence"

        def name_of(principal_id: str) -> str | None:
            entry = run.model.authorization.directory.get(principal_id)
            return entry.display_name if entry else None

        for line in render_decision(finding.evidence[0], name_of).splitlines():
            assert safe_text(line) in text
        await pilot.press("up")
        await pilot.pause()
        assert app.shown == 2


@sync
async def test_evidence_names_the_deny_assignment_that_blocks() -> None:
    run = demo_run()
    denied = next(f for f in run.report.findings if any(d.denies for d in f.evidence))
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(FindingsTable).move_cursor(row=run.report.findings.index(denied))
        await pilot.pause()
        text = explain_text(app)
        deny = next(d for e in denied.evidence for d in e.denies)
        assert "Deny assignments:" in text and safe_text(deny.name) in text
        assert "DENIED" in text


# -- filtering and searching ------------------------------------------------------------------


@sync
async def test_filter_by_status_severity_and_check() -> None:
    run = demo_run()
    findings = run.report.findings
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        bar = app.query_one(FilterBar)
        bar.set_value("status", "warn")
        await pilot.pause()
        expected = [f for f in findings if f.status is Status.WARN]
        assert 0 < len(expected) < len(findings)
        assert shown_findings(app) == expected
        assert all(row[0] == "WARN" for row in table_cells(app))
        assert plain(app.query_one("#filter-count")) == f"{len(expected)} of {len(findings)}"

        bar.set_value("status", None)
        bar.set_value("severity", "critical")
        await pilot.pause()
        assert shown_findings(app) == [f for f in findings if f.severity.value == "critical"]

        bar.set_value("severity", None)
        bar.set_value("check", "CON002")
        await pilot.pause()
        assert shown_findings(app) == [f for f in findings if f.check_id == "CON002"]
        assert len(shown_findings(app)) >= 2

        await pilot.press("x")
        await pilot.pause()
        assert len(shown_findings(app)) == len(findings)
        assert bar.value("check") is None

        await pilot.press("f")
        await pilot.pause()
        severity = app.query_one("#severity", Select)
        assert app.focused is not None and severity.expanded
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(severity.value, str)
        assert shown_findings(app) == [f for f in findings if f.severity.value == severity.value]


@sync
async def test_search_keeps_only_matching_findings_and_enter_returns_to_the_table() -> None:
    run = demo_run()
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        assert isinstance(app.focused, Input) and app.focused.id == "search"
        await pilot.press(*"ana lopez")
        await pilot.pause()
        shown = shown_findings(app)
        about_ana = [
            f
            for f in run.report.findings
            if f.principal and f.principal.display_name == "Ana Lopez"
        ]
        assert about_ana and all(f in shown for f in about_ana)
        assert all(
            "ana lopez" in (f.message + (f.principal.label if f.principal else "")).lower()
            for f in shown
        )
        assert len(shown) < len(run.report.findings)
        await pilot.press("enter")
        assert app.focused is app.query_one(FindingsTable)
        await pilot.press("slash")
        app.query_one("#search", Input).value = "no-such-thing-anywhere"
        await pilot.pause()
        assert app.query_one(FindingsTable).row_count == 0
        assert "No finding matches" in explain_text(app)


@sync
async def test_filtering_keeps_the_selected_finding_without_re_rendering_the_detail() -> None:
    run = demo_run()
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        target = next(i for i, f in enumerate(run.report.findings) if f.status is Status.WARN)
        app.query_one(FindingsTable).move_cursor(row=target)
        await pilot.pause()
        assert app.shown == target
        renders = app.detail_renders
        app.query_one(FilterBar).set_value("status", "warn")
        await pilot.pause()
        table = app.query_one(FindingsTable)
        assert table.selected == target
        assert app.shown == target and app.detail_renders == renders
        app.query_one(FilterBar).set_value("status", None)
        await pilot.pause()
        assert table.selected == target and app.detail_renders == renders


@sync
async def test_selecting_a_tree_node_narrows_the_findings_to_it() -> None:
    run = demo_run()
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.query_one(HubTree)
        search = next(n for n in _walk(tree.root) if n.label.plain.startswith("Search "))
        tree.select_node(search)
        await pilot.pause()
        expected = [f for f in run.report.findings if f.resource.lower() == search.data.resource]
        assert expected and shown_findings(app) == expected
        identity = next(
            n
            for n in _walk(tree.root)
            if n.data and n.data.principal and n.label.plain.startswith("Azure OpenAI")
        )
        tree.select_node(identity)
        await pilot.pause()
        assert shown_findings(app) == [
            f
            for f in run.report.findings
            if f.principal and f.principal.id == identity.data.principal
        ]
        await pilot.press("x")
        await pilot.pause()
        assert len(shown_findings(app)) == len(run.report.findings)


# -- copying fixes ----------------------------------------------------------------------------


@sync
async def test_copy_fix_copies_the_shown_language_and_the_chosen_fix() -> None:
    run = demo_run()
    index, finding = next(
        (i, f) for i, f in enumerate(run.report.findings) if len(f.remediations) > 1
    )
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(FindingsTable).move_cursor(row=index)
        await pilot.pause()
        await pilot.press("c")
        assert app.clipboard == finding.remediations[0].commands.azure_cli
        await pilot.press("2", "c")
        assert app.clipboard == finding.remediations[0].commands.powershell
        await pilot.press("4", "c")
        assert app.clipboard == finding.remediations[0].commands.terraform
        await pilot.press("n", "3", "c")
        assert app.clipboard == finding.remediations[1].commands.bicep
        head = plain(app.query_one("#fix-head"))
        assert head.startswith(f"Fix 2 of {len(finding.remediations)}")
        assert ("✓ verified" if finding.remediations[1].verified else "✗ not verified") in head


@sync
async def test_copy_fix_plan_copies_every_change_once() -> None:
    run = demo_run()
    plan = run.report.fix_plan
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        copied = app.clipboard
        hub = run.report.target["hubName"]
        # the text `diagnose fix-plan --as az` writes: one script, every change once
        assert copied == fix_plan_text(plan, "cli", hub=hub)
        assert copied.startswith("#!/usr/bin/env bash\n")
        for number, item in enumerate(plan, 1):
            header = f"# Step {number}/{len(plan)} [{item.remediation.fix_id}] ("
            assert copied.count(header) == 1
            command = item.remediation.commands.azure_cli.rstrip().splitlines()[-1]
            assert command in copied  # run, or kept as a comment that says why
        await pilot.press("3", "C")
        assert app.clipboard == fix_plan_text(plan, "bicep", hub=hub)
        assert "\ntargetScope = 'resourceGroup'\n" in app.clipboard


# -- exports, bundle, re-run, docs --------------------------------------------------------------


@sync
async def test_export_json_and_markdown(tmp_path: Path) -> None:
    run = demo_run()
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, PathPrompt)
        path_input = prompt.query_one("#prompt-path", Input)
        assert path_input.value == "diagnose-report-hub-contoso.json"
        target = tmp_path / "report.json"
        path_input.value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, PathPrompt)
        data = json.loads(target.read_text(encoding="utf-8"))
        assert len(data["findings"]) == len(run.report.findings)
        assert data["summary"]["fixes"] == len(run.report.fix_plan)

        await pilot.press("e")
        await pilot.pause()
        prompt = app.screen
        prompt.query_one("#prompt-format", Select).value = "markdown"
        await pilot.pause()
        path_input = prompt.query_one("#prompt-path", Input)
        assert path_input.value == "diagnose-report-hub-contoso.md"
        path_input.value = str(tmp_path / "report.md")
        await pilot.click("#prompt-ok")
        await pilot.pause()
        markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
        assert markdown.startswith("# ai-hub-diagnose report: hub-contoso")
        # What `-o markdown` writes: a summary by check, then the details that fit 60 KB.
        assert markdown == render_report(run.report, "markdown")
        assert "| Check | Title |" in markdown and len(markdown.encode()) <= 60_000

        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#prompt-path", Input).value = str(tmp_path / "no" / "x.json")
        await pilot.press("enter")
        await pilot.pause()
        assert not (tmp_path / "no").exists()
        assert any("does not exist" in str(n.message) for n in app._notifications)


@sync
async def test_export_prompt_can_be_cancelled(tmp_path: Path) -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PathPrompt)
        assert list(tmp_path.iterdir()) == []


@sync
async def test_bundle_calls_write_bundle_with_the_run(monkeypatch, tmp_path: Path) -> None:
    calls = []
    fake = types.ModuleType("diagnose.bundle")

    def write_bundle(path, run, *, argv, redact, redaction_map):
        calls.append((path, run, argv, redact, redaction_map))
        Path(path).write_bytes(b"PK")

    fake.write_bundle = write_bundle
    monkeypatch.setitem(sys.modules, "diagnose.bundle", fake)
    run = demo_run()
    app = app_for(run, argv=["--demo"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        await pilot.pause()
        target = tmp_path / "bundle.zip"
        app.screen.query_one("#prompt-path", Input).value = str(target)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        # redaction is on unless unticked (tests/test_tui_bundle.py)
        assert calls == [(str(target), run, ["--demo"], True, None)]
        assert target.exists()


@sync
async def test_rerun_re_evaluates_the_snapshot_in_a_worker() -> None:
    run = demo_run()
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down")
        await pilot.pause()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.diagnosis is not run
        assert app.diagnosis.snapshot is run.snapshot
        assert [run.report.id_of(f) for f in run.report.findings] == [
            app.diagnosis.report.id_of(f) for f in app.diagnosis.report.findings
        ]
        assert app.query_one(FindingsTable).row_count == len(run.report.findings)
        assert app.shown == 2 and not app.busy


@sync
async def test_docs_opens_the_findings_link(monkeypatch) -> None:
    import webbrowser

    import diagnose.tui.app as tui_app

    run = demo_run()
    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url, new=0: opened.append(url))
    monkeypatch.setattr(tui_app, "_graphical_browser", lambda: True)
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        assert opened == [run.report.findings[0].docs[0]]
        # in a text console a browser would take over the terminal: copy the link instead
        monkeypatch.setattr(tui_app, "_graphical_browser", lambda: False)
        await pilot.press("d")
        assert opened == [run.report.findings[0].docs[0]]
        assert app.clipboard == run.report.findings[0].docs[0]


def test_graphical_browser_detection(monkeypatch) -> None:
    from diagnose.tui.app import _graphical_browser

    for name in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert _graphical_browser() is False
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert _graphical_browser() is True
    monkeypatch.delenv("WAYLAND_DISPLAY")
    monkeypatch.setattr(sys, "platform", "darwin")
    assert _graphical_browser() is True


# -- help, access, palette ----------------------------------------------------------------------


@sync
async def test_help_shows_the_keys_and_the_selected_check() -> None:
    run = demo_run()
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = plain(app.screen.query_one("#help-text"))
        for key in ("/", "copy the whole fix plan", "access check", "ctrl+p"):
            assert key in text
        check = next(c for c in run.checks if c.id == run.report.findings[0].check_id)
        assert f"About {check.id}" in text and check.sections["Why it matters"][:40] in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


@sync
async def test_access_screen_prefilled_from_the_finding_answers_like_the_cli() -> None:
    run = demo_run()
    index, finding = next((i, f) for i, f in enumerate(run.report.findings) if f.evidence)
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(FindingsTable).move_cursor(row=index)
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AccessScreen)
        expected = finding.evidence[0]
        assert screen.decision is not None
        assert screen.decision.decision is expected.decision
        answer = plain(screen.query_one("#access-answer"))
        assert answer.startswith(expected.decision.value.upper())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, AccessScreen)


@sync
async def test_access_screen_evaluates_a_chosen_question() -> None:
    run = demo_run()
    directory = run.model.authorization.directory
    # Ben Carter reads the hub through his group's Reader assignment: the answer names the chain
    ben = next(p for p in directory.principals.values() if p.display_name == "Ben Carter")
    hub = run.model.hubs[0]
    operation = "Microsoft.MachineLearningServices/workspaces/read"
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#access-principal", Select).value = ben.id
        screen.query_one("#access-scope", Select).value = hub.id
        screen.query_one("#access-operation", Input).value = operation
        await pilot.pause()
        assert screen.query_one("#access-data").value is False
        await pilot.click("#access-evaluate")
        await pilot.pause()
        decision = run.evaluator.check(ben.id, hub.id, operation, data_action=False)

        def name_of(principal_id: str) -> str | None:
            entry = directory.get(principal_id)
            return entry.display_name if entry else None

        answer = plain(screen.query_one("#access-answer"))
        assert answer == render_decision(decision, name_of).rstrip("\n")
        assert answer.startswith("ALLOWED: Ben Carter")
        assert "through group grp-ai-developers" in answer

        data_op = "Microsoft.Search/searchServices/indexes/documents/read"
        screen.query_one("#access-operation", Input).value = data_op
        await pilot.pause()
        assert screen.query_one("#access-data").value is True
        screen.query_one("#access-operation", Input).value = "Microsoft.Search/*"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "is not an operation name" in plain(screen.query_one("#access-answer"))


@sync
async def test_access_screen_refuses_what_the_cli_refuses() -> None:
    """The same checks as `diagnose access`: a data action asked as a control-plane action
    (Owner's '*' would wrongly look like it grants it) and a misspelt operation are refused
    with the reason, not answered; an operation with ':' is taken as Azure writes it."""
    run = demo_run()
    directory = run.model.authorization.directory
    ana = next(p for p in directory.principals.values() if p.display_name == "Ana Lopez")
    hub = run.model.hubs[0]
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#access-principal", Select).value = ana.id
        screen.query_one("#access-scope", Select).value = hub.id
        data_op = "Microsoft.Search/searchServices/indexes/documents/read"
        screen.query_one("#access-operation", Input).value = data_op
        await pilot.pause()
        screen.query_one("#access-data", Checkbox).value = False  # forced to the wrong plane
        await pilot.click("#access-evaluate")
        await pilot.pause()
        answer = " ".join(plain(screen.query_one("#access-answer")).split())
        assert "ask with --data-action" in answer and not answer.startswith("ALLOWED")
        screen.query_one(
            "#access-operation", Input
        ).value = "Microsoft.MachineLearningServices/workspaces/raed"
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        answer = " ".join(plain(screen.query_one("#access-answer")).split())
        assert "did you mean" in answer and "workspaces/read" in answer
        screen.query_one(
            "#access-operation", Input
        ).value = (
            "Microsoft.CognitiveServices/accounts/FormRecognizer/documentmodels:analyze/action"
        )
        await pilot.pause()
        assert screen.query_one("#access-data", Checkbox).value is True
        await pilot.press("ctrl+r")
        await pilot.pause()
        answer = plain(screen.query_one("#access-answer"))
        assert answer.startswith(("ALLOWED", "DENIED")), answer


@sync
async def test_command_palette_runs_actions() -> None:
    from textual.command import CommandPalette

    from diagnose.tui.commands import DiagnoseCommands

    run = demo_run()
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("escape")
        await pilot.pause()
        provider = DiagnoseCommands(app.screen)
        titles = [hit.text async for hit in provider.discover()]
        assert "Copy fix plan" in titles and "Filter: check CON002" in titles
        hits = [hit async for hit in provider.search("copy fix plan")]
        best = max(hits, key=lambda hit: hit.score)
        assert best.text == "Copy fix plan"
        best.command()
        await pilot.pause()
        assert app.clipboard == fix_plan_text(
            run.report.fix_plan, "cli", hub=run.report.target["hubName"]
        )
        hit = next(
            hit
            for hit in [h async for h in provider.search("status warn")]
            if hit.text == "Filter: status warn"
        )
        hit.command()
        await pilot.pause()
        assert {f.status for f in shown_findings(app)} == {Status.WARN}


def test_palette_lists_every_key_action() -> None:
    from diagnose.tui.commands import PALETTE

    actions = {entry[2].split("(")[0] for entry in PALETTE}
    bound = {b.action.split("(")[0] for b in DiagnoseApp.BINDINGS if b.action != "back"}
    assert bound <= actions


# -- loading, errors and exit codes --------------------------------------------------------------


@sync
async def test_loads_in_a_worker_with_visible_progress() -> None:
    release = threading.Event()
    run = demo_run()

    def loader(progress):
        progress.stage("reading the bundled demo hub")
        assert release.wait(10)
        return run

    app = DiagnoseApp(loader=loader)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        assert app.query_one("#loading").display and not app.query_one("#main").display
        assert plain(app.query_one("#progress")) == "reading the bundled demo hub"
        assert app.check_action("copy_fix", ()) is False
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.query_one("#main").display and not app.query_one("#loading").display
        assert app.query_one(FindingsTable).row_count == len(run.report.findings)


@sync
async def test_bad_input_while_loading_is_shown_and_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    from diagnose.app import SnapshotSource

    app = DiagnoseApp(source=SnapshotSource(str(missing)))
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.error, BadInput)
        message = plain(app.query_one("#error"))
        assert "diagnose: error" in message and str(missing) in message
        assert app.query_one("#error").display and not app.query_one("#main").display
        await pilot.press("q")
    assert app.return_code == 2 and app.exit_code == 2


def test_a_bug_while_loading_exits_4_and_keeps_the_exception() -> None:
    def loader(progress):
        raise RuntimeError("boom")

    app = DiagnoseApp(loader=loader)
    assert app.run(headless=True, size=SIZE) == 4
    assert isinstance(app.crash, RuntimeError) and app.return_code == 4


@pytest.mark.parametrize(
    ("extra", "fail_on", "strict"), [((), "fail", False), (("--fail-on", "never"), "never", False)]
)
@sync
async def test_quit_returns_the_command_line_exit_code(extra, fail_on, strict) -> None:
    run = demo_run()
    args = demo_args(*extra)
    app = DiagnoseApp(run, fail_on=args.fail_on, strict=args.strict)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
    assert app.return_code == exit_code(run.report, fail_on, strict)
    assert app.return_code == (1 if fail_on == "fail" else 0)


def quit_after_load(monkeypatch, check=None) -> None:
    """Make the CLI's app.run() headless: wait for the load, run `check(app)`, press q."""
    original = DiagnoseApp.run

    def headless(self, *args, **kwargs):
        async def pilot(pilot):
            await self.workers.wait_for_complete()
            await pilot.pause()
            if check is not None:
                check(self)
            await pilot.press("q")

        return original(self, headless=True, size=SIZE, auto_pilot=pilot)

    monkeypatch.setattr(DiagnoseApp, "run", headless)


def test_cli_opens_the_ui_and_returns_its_exit_code(monkeypatch) -> None:
    from diagnose.program import main

    def has_rows(app: DiagnoseApp) -> None:
        assert app.query_one(FindingsTable).row_count > 0

    quit_after_load(monkeypatch, has_rows)
    assert main(["--demo", "--tui", "--fail-on", "never"]) == 0  # 1 without --fail-on never


def test_cli_bad_input_in_the_ui_exits_2_with_the_message(
    monkeypatch, capsys, tmp_path: Path
) -> None:
    from diagnose.program import main

    quit_after_load(monkeypatch)
    assert main(["--snapshot", str(tmp_path / "nope.json"), "--tui"]) == 2
    assert "diagnose: error:" in capsys.readouterr().err


def test_the_command_line_alone_has_no_ui_to_open(capsys) -> None:
    """The command line imports no other front end: without the viewer the program gives it,
    --tui says so (exit 2) instead of opening anything."""
    from diagnose.cli import main

    assert main(["--demo", "--tui"]) == 2
    err = capsys.readouterr().err
    assert "--tui: the terminal UI is not available here" in err


# -- names from Azure are data ------------------------------------------------------------------


@sync
async def test_hostile_names_are_shown_literally() -> None:
    run = hostile_run()
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        cells = [cell for row in table_cells(app) for cell in row]
        search = safe_text(HOSTILE["srch-contoso"])
        ana = safe_text(HOSTILE["Ana Lopez"])
        assert search == "[bold red]srch\\x1b[31mX" and search in cells
        assert f"{ana} (administrator)" in cells  # with her persona
        tree = app.query_one(HubTree)
        assert safe_text(HOSTILE["hub-contoso"]) in tree.root.label.plain
        labels = [n.label.plain for n in _walk(tree.root)]
        assert any(safe_text(HOSTILE["proj-docs"]) in label for label in labels)
        assert "hub hub-[blink]contoso[reverse]" in plain(app.query_one("#top-bar"))
        row = next(
            i
            for i, f in enumerate(run.report.findings)
            if f.principal and f.principal.display_name == HOSTILE["Ana Lopez"]
        )
        app.query_one(FindingsTable).move_cursor(row=row)
        await pilot.pause()
        assert ana in explain_text(app)
        screen = html.unescape(app.export_screenshot()).replace("\xa0", " ")
        assert "\x1b" not in screen and "\u202e" not in screen and "\x07" not in screen
        assert "hub-[blink]contoso[reverse]" in screen
        assert search in screen and "[link=https://evil.example]Ana[/link]" in screen
        await pilot.press("a")
        await pilot.pause()
        screen = app.export_screenshot()
        assert "\x1b" not in screen and "\u202e" not in screen


# -- live mode --------------------------------------------------------------------------------


@sync
async def test_live_mode_shows_collection_progress_and_re_run_collects_again(monkeypatch) -> None:
    import diagnose.collect
    from diagnose.app import LiveOptions, LiveSource
    from diagnose.collect.result import Collection

    run = demo_run()
    calls = []
    gate = threading.Event()

    def collect_live(settings, progress=None):
        calls.append(settings.hub.name)
        assert progress is not None, "under the UI the collector must not draw on stderr"
        progress.stage("reading the hub")
        for status in (200, 200, 403):
            progress.request_done({"status": status})
        assert gate.wait(10)
        return Collection(run.snapshot, [{"status": 200, "path": "/x"}])

    monkeypatch.setattr(diagnose.collect, "collect_live", collect_live)
    app = DiagnoseApp(source=LiveSource(LiveOptions(hub="hub-contoso")))
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            if "1 failed" in plain(app.query_one("#progress")):
                break
            await pilot.pause(0.02)
        assert plain(app.query_one("#progress")) == "reading the hub: 3 requests, 1 failed"
        gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.query_one(FindingsTable).row_count == len(run.report.findings)
        assert app.diagnosis.requests == ({"status": 200, "path": "/x"},)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert calls == ["hub-contoso", "hub-contoso"]


@sync
async def test_bundle_written_by_the_real_module(tmp_path: Path) -> None:
    import zipfile

    pytest.importorskip("diagnose.bundle")
    run = demo_run()
    app = app_for(run, argv=["--demo"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        await pilot.pause()
        target = tmp_path / "bundle.zip"
        app.screen.query_one("#prompt-path", Input).value = str(target)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    with zipfile.ZipFile(target) as bundle:
        report = json.loads(bundle.read("report.json"))
    assert len(report["findings"]) == len(run.report.findings)


@sync
async def test_no_findings_says_so_and_has_nothing_to_copy() -> None:
    run = execute(demo_args("--select", "STG001"))
    assert not run.report.findings
    app = DiagnoseApp(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.query_one(FindingsTable).row_count == 0
        assert explain_text(app).startswith("No findings: every access requirement")
        await pilot.press("c")
        assert app.clipboard == ""
        await pilot.press("q")
    assert app.return_code == 0


@sync
async def test_a_partial_report_lists_what_could_not_be_read() -> None:
    from diagnose.snapshot import Snapshot

    run = demo_run()
    data = dict(run.snapshot.data)
    scope = run.model.hubs[0].id
    data["errors"] = [
        {
            "scope": scope,
            "operation": "Microsoft.Authorization/roleAssignments/read",
            "status": 403,
            "code": "AuthorizationFailed",
            "message": "no access",
        }
    ]
    partial = execute(demo_args(), snapshot=Snapshot(data, "<partial>"), requests=[])
    app = app_for(partial)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.query_one(HubTree)
        branch = next(
            n for n in tree.root.children if n.label.plain.startswith("could not be read")
        )
        assert branch.label.plain == "could not be read (1)"
        leaf = branch.children[0].label.plain
        assert leaf.startswith("403 Microsoft.Authorization/roleAssignments/read")
        assert "PARTIAL" in plain(app.query_one("#top-bar"))


def test_cli_with_tui_and_output_also_writes_the_report(monkeypatch, tmp_path: Path) -> None:
    from diagnose.program import main

    quit_after_load(monkeypatch)
    target = tmp_path / "report.json"
    assert main(["--demo", "--tui", "--json", "-o", str(target)]) == 1
    assert len(json.loads(target.read_text(encoding="utf-8"))["findings"]) == len(
        demo_run().report.findings
    )


# -- the data behind the widgets (no app) -----------------------------------------------------


def _tree_labels(item, depth=0):
    yield depth, item.label.plain
    for child in item.children:
        yield from _tree_labels(child, depth + 1)


def test_tree_shows_foundry_accounts_with_their_projects() -> None:
    from diagnose.snapshot import load_snapshot
    from diagnose.tui.data import build_tree, finding_counts

    root = Path(__file__).resolve().parent.parent
    snapshot = load_snapshot(str(root / "fixtures" / "checks" / "FDY001" / "fail.json"))
    run = execute(demo_args(), snapshot=snapshot, requests=[])
    labels = list(_tree_labels(build_tree(run, finding_counts(run.report.findings))))
    account = next(i for i, (_, label) in enumerate(labels) if label.startswith("Foundry "))
    depth = labels[account][0]
    below = []  # the account's children (its deployments, then its projects)
    for level, label in labels[account + 1 :]:
        if level <= depth:
            break
        if level == depth + 1:
            below.append(label)
    [project] = [label for label in below if label.startswith("project ")]
    fdy = [f for f in run.report.findings if f.check_id == "FDY001"]
    assert fdy and f"{len(fdy)} finding" in project


def _foundry_demo(target: str) -> Any:
    """The demo snapshot with its Foundry resource or project as the target."""
    from diagnose.snapshot import parse_snapshot

    text = resources.files("diagnose.demo").joinpath("demo_hub.json").read_text("utf-8")
    data = json.loads(text)
    data["target"] = {"hub": f"{DEMO_FOUNDRY}{target}", "project": None}
    return execute(demo_args(), snapshot=parse_snapshot(data, "<demo>"), requests=[])


DEMO_RG = "/subscriptions/6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a/resourceGroups/rg-contoso-agents"
DEMO_FOUNDRY = f"{DEMO_RG}/providers/Microsoft.CognitiveServices/accounts/aif-contoso"


def _node(item, prefix: str):
    return next(i for i in _tree_items(item) if i.label.plain.startswith(prefix))


def _tree_items(item):
    yield item
    for child in item.children:
        yield from _tree_items(child)


def test_the_demo_tree_shows_its_foundry_resource_beside_the_hub() -> None:
    """The Foundry resource with its deployments and identity, its project with identity,
    connections and capability host, the capability host's connections with what each is for
    and the resource it names (selecting one narrows to that resource), finding counts."""
    from diagnose.tui.data import build_tree, finding_counts

    run = demo_run()
    counts = finding_counts(run.report.findings)
    root = build_tree(run, counts)
    assert root.label.plain.startswith("hub hub-contoso")
    account = _node(root, "Foundry aif-contoso")
    assert account in root.children and account.resource == DEMO_FOUNDRY.lower()
    assert "2 deployments" in account.label.plain
    assert "identity: system-assigned" in account.label.plain
    deployments = _node(account, "deployments (2)")
    assert [d.label.plain.split()[0] for d in deployments.children] == [
        "gpt-4o",
        "text-embedding-3-large",
    ]
    assert "OpenAI gpt-4o 2024-11-20" in deployments.children[0].label.plain
    project = _node(account, "project proj-agents")
    assert project in account.children
    assert project.resource == f"{DEMO_FOUNDRY}/projects/proj-agents".lower()
    assert "identity: system-assigned" in project.label.plain
    on_project = [f for f in run.report.findings if f.resource.lower() == project.resource]
    assert on_project and f"{len(on_project)} finding" in project.label.plain
    assert _node(project, "connections (3)") in project.children
    host = _node(project, "capability host caphost-agents")
    assert host in project.children and "Agents" in host.label.plain
    providers = f"{DEMO_RG}/providers/".lower()
    named = [(c.label.plain, c.resource) for c in host.children]
    assert [(label.split(" -> ")[0], rid) for label, rid in named] == [
        (
            "thread storage cosmos-agents",
            providers + "microsoft.documentdb/databaseaccounts/cosmos-contoso-agents",
        ),
        (
            "vector store search-agents",
            providers + "microsoft.search/searchservices/srch-agents-contoso",
        ),
        (
            "file storage storage-agents",
            providers + "microsoft.storage/storageaccounts/stcontosoagents",
        ),
    ]
    assert "-> Cosmos DB cosmos-contoso-agents" in named[0][0]
    search = counts[named[1][1]]
    assert search and f"{search} finding" in named[1][0]
    identities = _node(root, "identities")
    owners = [c.label.plain.split("  ")[0] for c in identities.children]
    assert "Foundry aif-contoso" in owners and "project proj-agents" in owners


def test_a_foundry_resource_or_project_as_target_is_the_root() -> None:
    from diagnose.tui.data import build_tree, finding_counts
    from diagnose.tui.tree import target_word

    run = _foundry_demo("")
    root = build_tree(run, finding_counts(run.report.findings))
    assert root.label.plain.startswith("Foundry aif-contoso  2 deployments")
    assert root.resource == DEMO_FOUNDRY.lower() and target_word(run) == "Foundry"
    labels = [i.label.plain for i in _tree_items(root)]
    assert "project proj-agents" in " ".join(labels)
    assert not any(label.startswith(("hub ", "project proj-chat")) for label in labels)

    run = _foundry_demo("/projects/proj-agents")
    root = build_tree(run, finding_counts(run.report.findings))
    assert root.label.plain.startswith("project proj-agents  identity: system-assigned")
    assert root.resource == f"{DEMO_FOUNDRY}/projects/proj-agents".lower()
    assert target_word(run) == "Foundry project"
    assert _node(root, "capability host caphost-agents") in root.children
    account = _node(root, "Foundry aif-contoso")
    assert account in root.children
    assert not any(c.label.plain.startswith("project ") for c in account.children)


def test_the_benchmarks_foundry_resource_is_a_valid_snapshot_the_tree_shows() -> None:
    """benchmarks/synthetic.py's Foundry resource, small: every project with its capability
    host naming a Cosmos DB account, a Search service and a storage account."""
    from benchmarks.synthetic import build_foundry
    from diagnose.snapshot import parse_snapshot
    from diagnose.tui.data import build_tree, finding_counts

    data = build_foundry(projects=3, principals=60, assignments=200, resources=10, targets=2)
    run = execute(
        demo_args("--select", "STG001"),
        snapshot=parse_snapshot(data, "<bench>"),
        requests=[],
    )
    root = build_tree(run, finding_counts(run.report.findings))
    assert root.label.plain.startswith("Foundry aif-bench  3 deployments")
    projects = [c for c in root.children if c.label.plain.startswith("project ")]
    assert len(projects) == 3
    for project in projects:
        host = _node(project, "capability host caphost")
        kinds = [c.label.plain.split(" -> ")[1].split()[0] for c in host.children]
        assert kinds == ["Cosmos", "Search", "Storage"]


@sync
async def test_selecting_a_foundry_project_narrows_the_findings_to_it() -> None:
    run = demo_run()
    app = app_for(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()  # mounted: under load the tree is not there at the first await
        tree = app.query_one(HubTree)
        node = next(n for n in _walk(tree.root) if n.label.plain.startswith("project proj-agents"))
        tree.select_node(node)
        await pilot.pause()
        project = node.data.resource
        expected = [
            f
            for f in run.report.findings
            if f.resource.lower() == project or f.resource.lower().startswith(project + "/")
        ]
        assert expected and shown_findings(app) == expected
        assert len(expected) < len(run.report.findings)


def test_finding_index_filters_combine() -> None:
    from diagnose.tui.data import FindingFilter, FindingIndex

    run = demo_run()
    findings = run.report.findings
    index = FindingIndex(findings)
    assert index.select(FindingFilter()) == list(range(len(findings)))
    both = index.select(FindingFilter(status="fail", severity="high", text="grp-ai"))
    assert both == [
        i
        for i, f in enumerate(findings)
        if f.status.value == "fail"
        and f.severity.value == "high"
        and "grp-ai" in (f.message + (f.principal.label if f.principal else "")).lower()
    ]
    assert both
    hub = run.model.hubs[0]
    under_hub = index.select(FindingFilter(resource=hub.id.upper()))
    assert under_hub == [
        i
        for i, f in enumerate(findings)
        if f.resource.lower() == hub.id.lower()
        or f.resource.lower().startswith(hub.id.lower() + "/")
    ]
    assert not index.select(FindingFilter(check="NOPE001"))


def test_quit_while_loading_does_not_wait_for_the_collection() -> None:
    import time

    release = threading.Event()

    def loader(progress):
        release.wait(30)
        return demo_run()

    async def pilot(pilot):
        await pilot.pause(0.2)
        await pilot.press("q")

    app = DiagnoseApp(loader=loader)
    start = time.perf_counter()
    code = app.run(headless=True, size=SIZE, auto_pilot=pilot)
    elapsed = time.perf_counter() - start
    release.set()
    assert code == 130 and app.return_code == 130
    assert elapsed < 10, "quitting must not wait for the collection to finish"


@sync
async def test_a_failed_re_run_keeps_the_shown_report() -> None:
    run = demo_run()
    attempts = []

    def loader(progress):
        attempts.append(1)
        raise BadInput("the hub is gone", where="--hub x", fix="check the name")

    from diagnose.app import LiveOptions, LiveSource

    # live: re-run re-collects through the loader
    app = DiagnoseApp(run, source=LiveSource(LiveOptions(hub="x")), loader=loader)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert attempts == [1]
        assert app.diagnosis is run and app.error is None and not app.busy
        assert app.query_one(FindingsTable).row_count == len(run.report.findings)
        assert any("the hub is gone" in str(n.message) for n in app._notifications)
        assert "re-" not in plain(app.query_one("#top-bar"))
