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


def _rendered_lines(renderable: object) -> list[str]:
    import io

    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(renderable)
    return [line.rstrip() for line in out.getvalue().splitlines() if line.strip()]


@sync
async def test_the_identity_chain_of_a_failing_finding_is_a_tree_in_the_explanation() -> None:
    """The chain the Markdown report draws in Mermaid (diagnose.report.chain), shown as a tree
    with groups by name: here HUB001's group that holds Contributor on its project only."""
    from diagnose.report.chain import identity_chain
    from diagnose.tui.widgets.detail import chain_tree

    run = demo_run()
    index, finding = next(
        (i, f)
        for i, f in enumerate(run.report.findings)
        if f.check_id == "HUB001" and f.status.value == "fail"
    )
    chain = identity_chain(finding)
    assert chain is not None
    directory = run.model.authorization.directory

    def name_of(principal_id: str) -> str | None:
        entry = directory.get(principal_id)
        return entry.display_name if entry else None

    lines = _rendered_lines(chain_tree(finding, name_of))
    assert lines[0] == f"Identity chain: {chain.outcome.value.upper()}"
    assert len(lines) == 1 + len(chain.nodes)  # one line per node, each deeper than the last
    indents = [len(line) - len(line.lstrip(" │└─├")) for line in lines[1:]]
    assert indents == sorted(indents) and len(set(indents)) == len(indents)
    assert "group grp-data-science" in " ".join(lines)  # a group by its name, not its id
    assert any("Contributor" in line for line in lines)
    app = DiagnoseApp(run)
    async with app.run_test(size=LARGE) as pilot:
        await pilot.pause()
        table = app.query_one(FindingsTable)
        table.move_cursor(row=table.order.index(index))
        await pilot.pause()
        assert app.query_one("#chain").display
        shown = " ".join(screen_text(app).split())
        assert lines[0] in shown and "group grp-data-science" in shown
    settings = next(f for f in run.report.findings if f.check_id == "CFG001")
    assert chain_tree(settings, name_of) is None  # no access decision, no chain
