"""The terminal UI's focus on a principal ("why can't P ...?", as `--principal P`), driven
headlessly: asking for one, showing everyone again, a name no one answers to, and who a
finding is about in the detail pane."""

from __future__ import annotations

from textual.widgets import Input

from diagnose.tui.app import DiagnoseApp
from diagnose.tui.screens.focus import FocusPrompt
from diagnose.tui.widgets.findings import FindingsTable
from tests.test_tui_support import demo_run, plain, sync

SIZE = (120, 36)
CHEN = "cf95c68a-43bf-5b4f-8740-afe7c420fa60"


async def _ask(app: DiagnoseApp, pilot, text: str) -> None:
    await pilot.press("p")
    await pilot.pause()
    assert isinstance(app.screen, FocusPrompt)
    app.screen.query_one("#focus-principal", Input).value = text
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


@sync
async def test_p_focuses_the_run_on_a_principal_and_everyone_undoes_it() -> None:
    run = demo_run()
    app = DiagnoseApp(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await _ask(app, pilot, "chen.wei@contoso.com")
        focused = app.diagnosis
        assert focused is not run and focused.snapshot is run.snapshot
        assert focused.declarations is not None
        assert [p.id for p in focused.declarations.focus] == [CHEN]
        assert focused.options.principals == ("chen.wei@contoso.com",)
        assert "focus user Chen Wei" in plain(app.query_one("#top-bar"))
        judged = [f for f in focused.report.findings if f.persona is not None]
        assert judged and all(
            f.persona.declared == "--principal" and f.principal.id == CHEN for f in judged
        )
        assert app.query_one(FindingsTable).row_count == len(focused.report.findings)
        assert not app.busy

        # a re-run keeps the focus
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [p.id for p in app.diagnosis.declarations.focus] == [CHEN]

        # Everyone: back to the whole run
        await pilot.press("p")
        await pilot.pause()
        assert "Chen Wei" in plain(app.screen.query_one("#focus-now"))
        await pilot.click("#focus-clear")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.diagnosis.declarations is None
        assert "focus" not in plain(app.query_one("#top-bar")).split("(")[0]
        assert [run.report.id_of(f) for f in run.report.findings] == [
            app.diagnosis.report.id_of(f) for f in app.diagnosis.report.findings
        ]


@sync
async def test_a_name_no_one_answers_to_is_told_and_the_run_stays() -> None:
    run = demo_run()
    app = DiagnoseApp(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await _ask(app, pilot, "Nobody Here")
        assert app.diagnosis is run and not app.busy
        messages = [(n.title, str(n.message)) for n in app._notifications]
        assert any(
            title == "Focus failed" and "'Nobody Here' is neither an object id" in message
            for title, message in messages
        ), messages


@sync
async def test_the_palette_action_shows_everyone_again() -> None:
    app = DiagnoseApp(demo_run())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.action_focus_principal(CHEN)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.diagnosis.options.principals == (CHEN,)
        await app.run_action("focus_principal('')")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.diagnosis.options.principals == ()


@sync
async def test_the_detail_pane_says_who_a_finding_is_about() -> None:
    run = demo_run()
    app = DiagnoseApp(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(FindingsTable)
        order = list(table.order)
        judged = next(
            i for i in order if run.report.findings[i].persona is not None
        )  # a finding about one person, with the reason for its persona
        table.move_cursor(row=order.index(judged))
        await pilot.pause()
        text = " ".join(plain(app.query_one("#explain-text")).split())
        assert "Who builder (" in text or "Who administrator (" in text
        # a finding that stands for several people missing the same grant lists them
        several = next(i for i in order if len(run.report.findings[i].affected_principals) > 1)
        table.move_cursor(row=order.index(several))
        await pilot.pause()
        text = " ".join(plain(app.query_one("#explain-text")).split())
        count = len(run.report.findings[several].affected_principals)
        assert f"Affects {count}: " in text and "(builder)" in text


def test_a_finding_for_several_principals_is_found_by_each_of_them() -> None:
    """The table names how many it stands for; picking one of them (hub tree) or searching
    for a name or a persona finds it, not only its first principal."""
    from diagnose.tui.data import FindingFilter, FindingIndex, principal_text

    run = demo_run()
    index = FindingIndex(run.report.findings)
    several = next(
        i
        for i, f in enumerate(index.findings)
        if f.principal is None and len(f.affected_principals) > 1
    )
    finding = index.findings[several]
    assert principal_text(finding) == f"{len(finding.affected_principals)} builders"
    for affected in finding.affected_principals:
        assert several in index.select(FindingFilter(principal=affected.id.upper()))
        assert several in index.select(FindingFilter(text=affected.display_name or affected.id))
    assert several in index.select(FindingFilter(text="builder"))


def test_the_table_names_each_persons_persona() -> None:
    """Who a finding is about and as what: a person with the persona that makes it matter,
    several people counted by persona, a managed identity as MI."""
    from diagnose.tui.data import principal_text

    findings = demo_run().report.findings
    texts = {principal_text(f) for f in findings}
    assert "Gus Novak (builder)" in texts
    assert "Ana Lopez (administrator)" in texts
    assert "2 builders, 1 administrator" in texts
    assert "MI hub-contoso" in texts
    # a person whose persona no check judged is named alone: no guess
    assert "Former Contractor" in texts


def test_cli_principal_opens_the_ui_focused_with_each_persona_shown(monkeypatch) -> None:
    """`diagnose --demo --principal P` (the TUI on a terminal): the top bar says the focus,
    the table holds only P among the people, as a builder, beside the service identities."""
    from diagnose.program import main
    from tests.test_tui import quit_after_load
    from tests.test_tui_support import table_cells

    seen: dict[str, object] = {}

    def check(app: DiagnoseApp) -> None:
        seen["top"] = plain(app.query_one("#top-bar"))
        seen["principals"] = [row[3] for row in table_cells(app)]

    quit_after_load(monkeypatch, check)
    assert main(["--demo", "--tui", "--fail-on", "never", "--principal", CHEN]) == 0
    assert "focus user Chen Wei" in str(seen["top"])
    principals = seen["principals"]
    assert isinstance(principals, list) and principals
    people = [p for p in principals if p and not p.startswith("MI ")]
    assert people and set(people) == {"Chen Wei (builder)"}, principals
