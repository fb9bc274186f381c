"""The terminal UI's support bundle: a small modal that offers redaction (on by default) and a
redaction map, shows the full path the file goes to, and says where it went."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from textual.widgets import Checkbox, Input

from diagnose.tui.app import DiagnoseApp
from diagnose.tui.screens.bundle import BundlePrompt
from tests.test_tui_support import demo_run, plain, sync

SIZE = (120, 36)


def _messages(app: DiagnoseApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def _open(app: DiagnoseApp, pilot) -> BundlePrompt:
    await pilot.press("b")
    await pilot.pause()
    assert isinstance(app.screen, BundlePrompt)
    return app.screen


async def _write(app: DiagnoseApp, pilot) -> None:
    await pilot.click("#prompt-ok")
    await app.workers.wait_for_complete()
    await pilot.pause()


def _manifest(path: Path) -> dict:
    with zipfile.ZipFile(path) as bundle:
        return json.loads(bundle.read("manifest.json"))


@sync
async def test_bundle_is_redacted_by_default_and_says_its_full_path(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run = demo_run()
    app = DiagnoseApp(run, argv=["--demo"])
    async with app.run_test(size=SIZE) as pilot:
        prompt = await _open(app, pilot)
        assert prompt.query_one("#bundle-redact", Checkbox).value is True
        typed = prompt.query_one("#prompt-path", Input).value
        assert typed == "diagnose-bundle-hub-contoso.zip"  # a relative name...
        where = tmp_path / typed  # ...shown, and written, with its full path
        assert plain(prompt.query_one("#bundle-where")) == f"Goes to {where}"
        await _write(app, pilot)
        assert _manifest(where)["redacted"] is True
        with zipfile.ZipFile(where) as bundle:
            snapshot = bundle.read("snapshot.json").decode()
        assert "hub-contoso" not in snapshot and "Chen Wei" not in snapshot
        assert f"Wrote the redacted support bundle to {where}" in _messages(app)
        assert sorted(p.name for p in tmp_path.iterdir()) == [where.name]  # no map unasked


@sync
async def test_bundle_unredacted_when_unticked_and_says_so(tmp_path: Path) -> None:
    app = DiagnoseApp(demo_run(), argv=["--demo"])
    target = tmp_path / "plain.zip"
    async with app.run_test(size=SIZE) as pilot:
        prompt = await _open(app, pilot)
        prompt.query_one("#prompt-path", Input).value = str(target)
        await pilot.click("#bundle-redact")
        await pilot.pause()
        assert prompt.query_one("#bundle-redact", Checkbox).value is False
        assert prompt.query_one("#bundle-map", Checkbox).disabled
        assert "Not redacted" in plain(prompt.query_one("#bundle-where"))
        await _write(app, pilot)
        assert _manifest(target)["redacted"] is False
        assert f"Wrote the support bundle (NOT redacted) to {target}" in _messages(app)


@sync
async def test_bundle_with_a_redaction_map_beside_it(tmp_path: Path) -> None:
    app = DiagnoseApp(demo_run(), argv=["--demo"])
    target = tmp_path / "shared.zip"
    mapped = tmp_path / "shared.redaction-map.json"
    async with app.run_test(size=SIZE) as pilot:
        prompt = await _open(app, pilot)
        prompt.query_one("#prompt-path", Input).value = str(target)
        await pilot.click("#bundle-map")
        await pilot.pause()
        assert f"Map to {mapped}" in plain(prompt.query_one("#bundle-where"))
        await _write(app, pilot)
        assert _manifest(target)["redacted"] is True
        document = json.loads(mapped.read_text())
        assert "hub-contoso" in json.dumps(document["aliases"])
        assert any(str(mapped) in m and "keep it private" in m for m in _messages(app))


@sync
async def test_bundle_prompt_refuses_standard_output_and_can_be_cancelled(tmp_path: Path) -> None:
    app = DiagnoseApp(demo_run(), argv=["--demo"])
    async with app.run_test(size=SIZE) as pilot:
        prompt = await _open(app, pilot)
        prompt.query_one("#prompt-path", Input).value = "-"
        await pilot.pause()
        assert "standard output" in plain(prompt.query_one("#bundle-where"))
        await _write(app, pilot)
        assert any("standard output is the screen here" in m for m in _messages(app))
        prompt = await _open(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, BundlePrompt)
        await app.workers.wait_for_complete()
    assert list(tmp_path.iterdir()) == []
