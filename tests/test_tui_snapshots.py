"""SVG snapshots of the main screens (pytest-textual-snapshot). Fixed terminal size, no clock,
no notification and no blinking cursor in view, so they are deterministic. After an intended
change of the layout: `pytest tests/test_tui_snapshots.py --snapshot-update`, then look at the
SVGs in tests/__snapshots__/test_tui_snapshots/."""

from __future__ import annotations

from textual.widgets import Input

from diagnose.tui.app import DiagnoseApp
from diagnose.tui.widgets.filters import FilterBar
from diagnose.tui.widgets.findings import FindingsTable
from tests.test_tui_support import demo_run, hostile_run

SIZE = (160, 48)


def _app(run=None) -> DiagnoseApp:
    return DiagnoseApp(run if run is not None else demo_run())


def _row_of(check_id: str, run=None) -> int:
    findings = (run or demo_run()).report.findings
    return next(i for i, f in enumerate(findings) if f.check_id == check_id and f.evidence)


def test_main_screen(snap_compare) -> None:
    """The demo hub: tree, findings table, first finding's explanation and its fix."""
    assert snap_compare(_app(), terminal_size=SIZE)


def test_main_screen_filtered_with_evidence_and_powershell(snap_compare) -> None:
    """Only failing CON002 findings; a finding with evidence; the PowerShell tab."""

    async def run_before(pilot) -> None:
        bar = pilot.app.query_one(FilterBar)
        bar.set_value("check", "CON002")
        await pilot.pause()
        pilot.app.query_one(FindingsTable).move_cursor(row=1)

    assert snap_compare(_app(), press=["2"], terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare) -> None:
    assert snap_compare(_app(), press=["question_mark"], terminal_size=SIZE)


def test_access_screen(snap_compare) -> None:
    """The access check, prefilled from a CON001 finding and answered."""
    row = _row_of("CON001")

    async def run_before(pilot) -> None:
        pilot.app.query_one(FindingsTable).move_cursor(row=row)

    assert snap_compare(_app(), press=["a"], terminal_size=SIZE, run_before=run_before)


def test_export_prompt(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await pilot.press("e")
        await pilot.pause()
        path = pilot.app.screen.query_one("#prompt-path", Input)
        path.cursor_blink = False

    assert snap_compare(_app(), terminal_size=SIZE, run_before=run_before)


def test_hostile_names_shown_literally(snap_compare) -> None:
    """Markup and escape sequences in Azure names appear as text, never as styles."""
    run = hostile_run()
    row = next(
        i
        for i, f in enumerate(run.report.findings)
        if f.principal and "evil.example" in (f.principal.display_name or "")
    )

    async def run_before(pilot) -> None:
        pilot.app.query_one(FindingsTable).move_cursor(row=row)

    assert snap_compare(_app(run), terminal_size=SIZE, run_before=run_before)


def test_bad_input_screen(snap_compare) -> None:
    """A snapshot that does not exist: the message, and how to leave."""
    from diagnose.app import SnapshotSource

    app = DiagnoseApp(source=SnapshotSource("does-not-exist.json"))

    async def run_before(pilot) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def _on_evidence_finding(pilot) -> None:
    """The cursor on a finding with a long explanation, several decisions and a fix."""
    findings = pilot.app.diagnosis.report.findings
    index = next(i for i, f in enumerate(findings) if len(f.evidence) > 4 and f.remediations)
    table = pilot.app.query_one(FindingsTable)
    table.move_cursor(row=table.order.index(index))


def test_small_terminal_80x24_keeps_the_fix_in_view(snap_compare) -> None:
    """At 80x24: a few findings, a short explanation with the evidence folded, and the fix
    below it with most of the height."""

    async def run_before(pilot) -> None:
        _on_evidence_finding(pilot)

    assert snap_compare(_app(), terminal_size=(80, 24), run_before=run_before)


def test_small_terminal_80x24_zoomed_explanation(snap_compare) -> None:
    """z: the explanation and the unfolded evidence on the whole screen."""

    async def run_before(pilot) -> None:
        _on_evidence_finding(pilot)
        await pilot.pause()
        await pilot.press("v", "z")

    assert snap_compare(_app(), terminal_size=(80, 24), run_before=run_before)


def test_large_terminal_200x50(snap_compare) -> None:
    """At 200x50: the hub tree, the table, the explanation with its evidence beside the fix."""

    async def run_before(pilot) -> None:
        _on_evidence_finding(pilot)

    assert snap_compare(_app(), terminal_size=(200, 50), run_before=run_before)


def test_bundle_prompt_80x24(snap_compare, tmp_path, monkeypatch) -> None:
    """The bundle modal: the file name, the full path it goes to, redaction ticked."""
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot) -> None:
        await pilot.press("b")
        await pilot.pause()
        pilot.app.screen.query_one("#prompt-path", Input).value = "/shared/support/bundle.zip"
        pilot.app.screen.query_one("#prompt-path", Input).cursor_blink = False
        await pilot.pause()

    assert snap_compare(_app(), terminal_size=(80, 24), run_before=run_before)


def test_principal_focus_80x24(snap_compare) -> None:
    """--principal (or p): the focus in the top bar, each person's persona in the table."""
    from diagnose.app import focus

    run = focus(demo_run(), ("chen.wei@contoso.com",))
    assert snap_compare(_app(run), terminal_size=(80, 24))
