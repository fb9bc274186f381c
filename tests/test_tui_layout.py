"""The terminal UI at 80x24 and at 200x50 (Pilot): the selected finding's fix is on screen
without scrolling anything, the evidence folds (v) and starts folded where room is short, and
the explanation zooms to the whole screen (z, Esc back)."""

from __future__ import annotations

import pytest
from textual.widgets import Collapsible

from diagnose.tui.app import DiagnoseApp
from diagnose.tui.widgets.findings import FindingsTable
from tests.test_tui_support import demo_run, screen_text, sync

SMALL, LARGE = (80, 24), (200, 50)


def _with_evidence() -> int:
    """A demo finding with a long explanation, several evidence decisions and a fix."""
    findings = demo_run().report.findings
    return next(i for i, f in enumerate(findings) if len(f.evidence) > 4 and f.remediations)


def _fix_lines(index: int) -> list[str]:
    commands = demo_run().report.findings[index].remediations[0].commands
    assert commands is not None
    return [line for line in commands.azure_cli.splitlines() if line.strip()]


@pytest.mark.parametrize("size", [SMALL, LARGE, (160, 24)], ids=["80x24", "200x50", "160x24"])
@sync
async def test_the_selected_findings_fix_is_on_screen(size: tuple[int, int]) -> None:
    index = _with_evidence()
    app = DiagnoseApp(demo_run())
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        table = app.query_one(FindingsTable)
        table.move_cursor(row=table.order.index(index))
        await pilot.pause()
        assert app.shown == index
        text = screen_text(app)
        assert "Fix 1 of 1" in text and "verified" in text
        assert "Azure CLI" in text and "Terraform" in text  # every language tab
        # the fix's command lines start on screen (they wrap at 80 columns: their first words)
        shown = " ".join(text.split())
        first = _fix_lines(index)[0]
        assert " ".join(first.split()[:8]) in shown
        assert table.region.height >= 4  # the table still shows a few findings
        code = app.query_one("#code-cli")
        visible = code.region.intersection(app.screen.region)
        assert visible.height >= 4, (code.region, app.screen.region)


@sync
async def test_evidence_folded_at_80x24_unfolded_at_200x50_and_v_toggles_it() -> None:
    index = _with_evidence()
    for size, folded in ((SMALL, True), (LARGE, False)):
        app = DiagnoseApp(demo_run())
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            table = app.query_one(FindingsTable)
            table.move_cursor(row=table.order.index(index))
            await pilot.pause()
            evidence = app.query_one("#evidence", Collapsible)
            assert evidence.display and evidence.collapsed is folded
            assert "Evidence: " in evidence.title
            await pilot.press("v")
            await pilot.pause()
            assert evidence.collapsed is not folded
            # the choice holds for the next finding
            await pilot.press("up")
            await pilot.pause()
            if app.query_one("#evidence").display:
                assert evidence.collapsed is not folded


@sync
async def test_z_zooms_the_explanation_and_escape_returns() -> None:
    index = _with_evidence()
    finding = demo_run().report.findings[index]
    app = DiagnoseApp(demo_run())
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        table = app.query_one(FindingsTable)
        table.move_cursor(row=table.order.index(index))
        await pilot.pause()
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is app.query_one("#explain")
        shown = " ".join(screen_text(app).split())
        assert " ".join(finding.message.split()[:12]) in shown
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.maximized is None
        assert app.focused is table
