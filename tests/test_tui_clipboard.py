"""Copying from the terminal UI (diagnose.tui.clipboard): each clipboard tool with a fake
executable on PATH in a temporary folder, only with the environment it needs; OSC 52 only for
terminals likely to honour it; else a new file that never replaces another. And the UI's
message says which way worked."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from diagnose.tui import clipboard
from diagnose.tui.clipboard import FILE, SYSTEM, TERMINAL, copy_text, write_new_file
from tests.test_tui_support import demo_run, isolate_clipboard, sync

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fake tools are sh scripts")

TEXT = "az role assignment create --role 'Azure AI Developer' # é ✓\n"


def fake_tool(folder: Path, name: str, body: str = 'cat > "$CLIP_OUT/{name}"') -> Path:
    """An executable that records its stdin (and its arguments) in $CLIP_OUT."""
    path = folder / name
    path.write_text(
        '#!/bin/sh\necho "$@" > "$CLIP_OUT/{name}.args"\n'.replace("{name}", name)
        + body.replace("{name}", name)
        + "\n"
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    (tmp_path / "out").mkdir()
    return folder


def env_with(bin_dir: Path, **extra: str) -> dict[str, str]:
    """Only what the test gives: PATH is the fake tools' folder (and /bin for sh, cat)."""
    return {"PATH": f"{bin_dir}:/bin:/usr/bin", "CLIP_OUT": str(bin_dir.parent / "out"), **extra}


class Emitted(list[str]):
    def __call__(self, text: str) -> None:
        self.append(text)


def received(bin_dir: Path, name: str) -> bytes:
    return (bin_dir.parent / "out" / name).read_bytes()


def test_macos_uses_pbcopy(bin_dir: Path, tmp_path: Path) -> None:
    fake_tool(bin_dir, "pbcopy")
    osc = Emitted()
    copied = copy_text(
        TEXT, osc52=osc, env=env_with(bin_dir), system="darwin", folder=str(tmp_path)
    )
    assert (copied.how, copied.tool) == (SYSTEM, "pbcopy")
    assert received(bin_dir, "pbcopy") == TEXT.encode()
    assert not osc and "system clipboard (pbcopy)" in copied.message


def test_wayland_uses_wl_copy_only_with_wayland_display(bin_dir: Path, tmp_path: Path) -> None:
    fake_tool(bin_dir, "wl-copy")
    env = env_with(bin_dir, WAYLAND_DISPLAY="wayland-0")
    copied = copy_text(TEXT, osc52=Emitted(), env=env, system="linux", folder=str(tmp_path))
    assert (copied.how, copied.tool) == (SYSTEM, "wl-copy")
    assert received(bin_dir, "wl-copy") == TEXT.encode()

    # the same tool without a Wayland session is not asked
    copied = copy_text(
        TEXT, osc52=Emitted(), env=env_with(bin_dir), system="linux", folder=str(tmp_path)
    )
    assert copied.how == FILE


def test_x11_uses_xclip_with_the_clipboard_selection(bin_dir: Path, tmp_path: Path) -> None:
    fake_tool(bin_dir, "xclip")
    fake_tool(bin_dir, "xsel")
    env = env_with(bin_dir, DISPLAY=":0")
    copied = copy_text(TEXT, osc52=Emitted(), env=env, system="linux", folder=str(tmp_path))
    assert (copied.how, copied.tool) == (SYSTEM, "xclip")
    assert received(bin_dir, "xclip") == TEXT.encode()
    assert received(bin_dir, "xclip.args").decode().split() == ["-selection", "clipboard"]
    assert not (bin_dir.parent / "out" / "xsel").exists()


def test_a_failing_tool_falls_through_to_the_next(bin_dir: Path, tmp_path: Path) -> None:
    fake_tool(bin_dir, "xclip", "echo 'Error: Can't open display' >&2; exit 1")
    fake_tool(bin_dir, "xsel")
    env = env_with(bin_dir, DISPLAY=":0")
    copied = copy_text(TEXT, osc52=Emitted(), env=env, system="linux", folder=str(tmp_path))
    assert (copied.how, copied.tool) == (SYSTEM, "xsel")
    assert received(bin_dir, "xsel") == TEXT.encode()
    assert received(bin_dir, "xsel.args").decode().split() == ["--clipboard", "--input"]


def test_a_tool_that_hangs_is_given_up_on(bin_dir: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(clipboard, "TIMEOUT", 0.5)
    fake_tool(bin_dir, "xclip", "exec sleep 30")
    env = env_with(bin_dir, DISPLAY=":0")
    copied = copy_text(TEXT, osc52=Emitted(), env=env, system="linux", folder=str(tmp_path))
    assert copied.how == FILE


def test_wsl_and_windows_use_clip_exe_in_utf16(bin_dir: Path, tmp_path: Path) -> None:
    fake_tool(bin_dir, "clip.exe")
    env = env_with(bin_dir, WSL_DISTRO_NAME="Ubuntu")
    copied = copy_text(TEXT, osc52=Emitted(), env=env, system="linux", folder=str(tmp_path))
    assert (copied.how, copied.tool) == (SYSTEM, "clip.exe")
    assert received(bin_dir, "clip.exe").decode("utf-16") == TEXT

    (bin_dir.parent / "out" / "clip.exe").unlink()
    copied = copy_text(
        TEXT, osc52=Emitted(), env=env_with(bin_dir), system="win32", folder=str(tmp_path)
    )
    assert (copied.how, copied.tool) == (SYSTEM, "clip.exe")
    assert received(bin_dir, "clip.exe").decode("utf-16") == TEXT

    # a Linux that is not WSL does not ask clip.exe
    copied = copy_text(
        TEXT, osc52=Emitted(), env=env_with(bin_dir), system="linux", folder=str(tmp_path)
    )
    assert copied.how == FILE


@pytest.mark.parametrize(
    "terminal",
    [
        {"TERM_PROGRAM": "iTerm.app"},
        {"WT_SESSION": "1b2c"},
        {"TERM": "xterm-kitty"},
        {"TERM_PROGRAM": "WezTerm"},
    ],
)
def test_osc52_when_no_tool_and_the_terminal_honours_it(
    bin_dir: Path, tmp_path: Path, terminal: dict[str, str]
) -> None:
    osc = Emitted()
    env = env_with(bin_dir, **terminal)
    copied = copy_text(TEXT, osc52=osc, env=env, system="linux", folder=str(tmp_path))
    assert copied.how == TERMINAL and osc == [TEXT]
    assert "may not honour it" in copied.message
    assert not list(tmp_path.glob("diagnose-clipboard*"))


@pytest.mark.parametrize(
    "terminal",
    [
        {"TERM_PROGRAM": "Apple_Terminal", "TERM": "xterm-256color"},
        {"TERM": "xterm-256color", "VTE_VERSION": "7600"},
        {"TERM": "tmux-256color", "TMUX": "/tmp/tmux-1000/default,1,0", "TERM_PROGRAM": "tmux"},
        {"TERM": "xterm-kitty", "TMUX": "/tmp/tmux-1000/default,1,0"},
        {},
    ],
)
def test_no_osc52_where_the_terminal_would_ignore_it(
    bin_dir: Path, tmp_path: Path, terminal: dict[str, str]
) -> None:
    osc = Emitted()
    env = env_with(bin_dir, **terminal)
    copied = copy_text(TEXT, osc52=osc, env=env, system="linux", folder=str(tmp_path))
    assert copied.how == FILE and not osc


def test_the_file_fallback_never_replaces_a_file(tmp_path: Path) -> None:
    theirs = tmp_path / "diagnose-clipboard.txt"
    theirs.write_text("someone else's notes")
    first = write_new_file(TEXT, str(tmp_path))
    second = write_new_file("second", str(tmp_path))
    assert theirs.read_text() == "someone else's notes"
    assert first == str(tmp_path / "diagnose-clipboard-2.txt")
    assert second == str(tmp_path / "diagnose-clipboard-3.txt")
    assert Path(first).read_bytes() == TEXT.encode()
    assert Path(second).read_text() == "second"
    # no temporary file left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "diagnose-clipboard-2.txt",
        "diagnose-clipboard-3.txt",
        "diagnose-clipboard.txt",
    ]


def test_the_file_fallback_without_hard_links(tmp_path: Path, monkeypatch) -> None:
    def no_links(source: str, target: str) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    (tmp_path / "diagnose-clipboard.txt").write_text("theirs")
    path = write_new_file(TEXT, str(tmp_path))
    assert path == str(tmp_path / "diagnose-clipboard-2.txt")
    assert Path(path).read_text(encoding="utf-8") == TEXT
    assert (tmp_path / "diagnose-clipboard.txt").read_text() == "theirs"
    assert len(list(tmp_path.iterdir())) == 2


# -- in the UI ------------------------------------------------------------------------------


def _messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


@sync
async def test_ui_copy_says_the_system_clipboard_tool(
    bin_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    from diagnose.tui.app import DiagnoseApp

    fake_tool(bin_dir, "xclip")
    monkeypatch.setattr(clipboard, "platform", lambda: "linux")
    for name, value in env_with(bin_dir, DISPLAY=":0").items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    run = demo_run()
    app = DiagnoseApp(run)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        fix = run.report.findings[0].remediations[0].commands.azure_cli
        assert received(bin_dir, "xclip").decode() == fix
        assert app.clipboard == fix
        assert any(
            m.startswith("Copied the Azure CLI fix") and "system clipboard (xclip)" in m
            for m in _messages(app)
        ), _messages(app)
    assert not list(tmp_path.glob("diagnose-clipboard*"))


@sync
async def test_ui_copy_without_a_clipboard_writes_a_file_and_says_where(
    tmp_path: Path, monkeypatch
) -> None:
    from diagnose.tui.app import DiagnoseApp

    isolate_clipboard(monkeypatch, tmp_path)
    (tmp_path / "diagnose-clipboard.txt").write_text("theirs")
    run = demo_run()
    app = DiagnoseApp(run)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("C")
        await app.workers.wait_for_complete()
        await pilot.pause()
        written = tmp_path / "diagnose-clipboard-2.txt"
        assert written.read_text(encoding="utf-8") == app.clipboard
        assert app.clipboard.count("\n") > 10  # the whole plan
        assert any(
            m.startswith("Copied the fix plan") and f"into the file {written}" in m
            for m in _messages(app)
        ), _messages(app)
        assert app.last_copy is not None and app.last_copy.how == FILE
    assert (tmp_path / "diagnose-clipboard.txt").read_text() == "theirs"
